"""Holdings, usage statistics and rate limits, through HTTP, on real records."""

import io
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from app import marc
from app.db.engine import Database
from app.main import create_app
from app.services.access import Role
from app.settings import Settings

from support import SAMPLES, SteppingClock, clear_of_a_minute_boundary, member_key

VIETNAMESE = SAMPLES / "vn-cornell-phong-su-bao-chi.mrc"
ELIOT = SAMPLES / "traject-george-eliot.mrc"


def _upload(client: TestClient, path: Path) -> int:
    response = client.post("/api/v1/records", content=path.read_bytes())
    assert response.status_code == 201, response.text
    number: int = response.json()["id"]
    return number


def _keyed(client: TestClient, role: Role, code: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {member_key(client.app, role, code)}"}  # type: ignore[arg-type]


def test_each_institution_sets_its_own_holding_and_everyone_sees_them(client: TestClient) -> None:
    record = _upload(client, VIETNAMESE)
    hanoi = _keyed(client, Role.CONTRIBUTOR, "VN-HN01")
    hue = _keyed(client, Role.CATALOGUER, "VN-HUE01")
    made = client.put(
        f"/api/v1/records/{record}/holdings",
        json={"call_number": "070.4 PH-S", "note": "Kho mở, tầng 2"},
        headers=hanoi,
    )
    assert made.status_code == 201, made.text
    assert made.json()["institution"] == "VN-HN01"
    again = client.put(
        f"/api/v1/records/{record}/holdings", json={"call_number": "070.4 PHS"}, headers=hanoi
    )
    assert again.status_code == 200
    assert again.json()["call_number"] == "070.4 PHS"
    assert again.json()["note"] is None
    assert client.put(f"/api/v1/records/{record}/holdings", headers=hue).status_code == 201
    listed = client.get(f"/api/v1/records/{record}/holdings").json()["items"]
    assert [(h["institution"], h["call_number"]) for h in listed] == [
        ("VN-HN01", "070.4 PHS"),
        ("VN-HUE01", None),
    ]
    assert client.delete(f"/api/v1/records/{record}/holdings", headers=hue).status_code == 204
    gone = client.delete(f"/api/v1/records/{record}/holdings", headers=hue)
    assert gone.status_code == 404
    assert gone.json()["type"] == "/problems/holding-not-found"
    reader = _keyed(client, Role.READER, "VN-HN01")
    assert client.put(f"/api/v1/records/{record}/holdings", headers=reader).status_code == 403
    missing = client.put("/api/v1/records/999999/holdings", headers=hanoi)
    assert missing.status_code == 404


def test_held_by_filters_search_and_the_export_carries_an_852_per_holding(
    client: TestClient,
) -> None:
    vietnamese = _upload(client, VIETNAMESE)
    eliot = _upload(client, ELIOT)
    hanoi = _keyed(client, Role.CONTRIBUTOR, "VN-HN01")
    client.put(
        f"/api/v1/records/{vietnamese}/holdings",
        json={"call_number": "070.4 PH-S", "note": "Phòng đọc"},
        headers=hanoi,
    )
    found = client.get("/api/v1/records", params={"held_by": "VN-HN01"}).json()
    assert [item["id"] for item in found["items"]] == [vietnamese]
    both = client.get("/api/v1/records", params={"q": "báo chí", "held_by": "VN-HN01"}).json()
    assert [item["id"] for item in both["items"]] == [vietnamese]
    none = client.get("/api/v1/records", params={"q": "eliot", "held_by": "VN-HN01"}).json()
    assert none["items"] == []
    assert eliot != vietnamese

    listed = client.get("/api/v1/institutions/VN-HN01/holdings").json()["items"]
    assert [(h["record_id"], h["call_number"]) for h in listed] == [(vietnamese, "070.4 PH-S")]
    exported = client.get("/api/v1/institutions/VN-HN01/holdings?format=mrc")
    assert exported.headers["content-type"] == "application/marc"
    records = list(marc.read(io.BytesIO(exported.content), marc.Format.MRC))
    assert len(records) == 1
    parsed = records[0]
    assert isinstance(parsed, marc.ParsedRecord)
    locations = [f for f in parsed.record.fields if f.tag == "852"]
    assert [[(s.code, s.value) for s in f.subfields] for f in locations] == [
        [("a", "VN-HN01"), ("h", "070.4 PH-S"), ("z", "Phòng đọc")]
    ]
    assert client.get("/api/v1/institutions/VN-NOBODY/holdings").status_code == 404


def test_downloads_contributions_and_holdings_are_counted_per_institution(
    client: TestClient,
) -> None:
    # Downloads are counted by the wall clock's day, versions stamped by the test's clock.
    days = sorted({datetime.now(UTC).date().isoformat(), "2026-11-25"})
    record = _upload(client, VIETNAMESE)  # by the client's key: VN-MEMBER
    hanoi = _keyed(client, Role.CONTRIBUTOR, "VN-HN01")
    for fmt in ("mrc", "marcxml", "mrk"):
        assert (
            client.get(f"/api/v1/records/{record}?format={fmt}", headers=hanoi).status_code == 200
        )
    client.get(f"/api/v1/records/{record}?format=mrc")  # with the client's own key
    exported = client.get("/api/v1/records/export?format=mrc", headers=hanoi)
    assert exported.status_code == 200
    sru = client.get(
        "/sru",
        params={"version": "1.2", "operation": "searchRetrieve", "query": 'dc.title = "báo chí"'},
        headers=hanoi,
    )
    assert sru.text.count("<srw:recordPosition>") == 1
    client.put(f"/api/v1/records/{record}/holdings", headers=hanoi)
    client.app.state.usage.flush()  # type: ignore[attr-defined]

    admin = _keyed(client, Role.ADMIN, "VN-NLV")
    params = {"from": days[0], "to": days[-1]}
    by_institution = client.get("/api/v1/stats", params=params, headers=admin).json()
    rows = {row["key"]: row for row in by_institution["items"]}
    assert rows["VN-HN01"] == {
        "key": "VN-HN01",
        "contributed": 0,
        "downloaded": 3 + 1 + 1,  # three formats, an export of one record, one SRU record
        "holdings": 1,
    }
    assert rows["VN-MEMBER"]["contributed"] == 1
    assert rows["VN-MEMBER"]["downloaded"] == 1
    by_format = client.get(
        "/api/v1/stats", params={**params, "group_by": "format"}, headers=admin
    ).json()
    formats = {row["key"]: row["downloaded"] for row in by_format["items"]}
    assert formats == {"mrc": 3, "marcxml": 1, "mrk": 1, "sru": 1, None: 0}
    csv_text = client.get(
        "/api/v1/stats", params={**params, "format": "csv"}, headers=admin
    ).text.splitlines()
    assert csv_text[0] == "\ufeffinstitution,contributed,downloaded,holdings"
    assert "VN-HN01,0,5,1" in csv_text
    assert client.get("/api/v1/stats", params=params).status_code == 403
    backwards = client.get(
        "/api/v1/stats", params={"from": days[0], "to": "2020-01-01"}, headers=admin
    )
    assert backwards.status_code == 400


def test_a_key_past_its_rate_limit_gets_429_with_retry_after(
    settings: Settings, database: Database, clock: SteppingClock
) -> None:
    limited = settings.model_copy(
        update={"rate_limit": "3/minute", "anonymous_rate_limit": "2/minute"}
    )
    app = create_app(limited, database=database, clock=clock)
    client = TestClient(app, raise_server_exceptions=False)
    clear_of_a_minute_boundary()
    key = {"Authorization": f"Bearer {member_key(app, Role.READER)}"}
    assert [client.get("/api/v1/me", headers=key).status_code for _ in range(3)] == [200] * 3
    refused = client.get("/api/v1/me", headers=key)
    assert refused.status_code == 429
    assert refused.json()["type"] == "/problems/too-many-requests"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # Another key, and anonymous clients, have allowances of their own.
    other = {"Authorization": f"Bearer {member_key(app, Role.READER)}"}
    assert client.get("/api/v1/me", headers=other).status_code == 200
    anonymous = [client.get("/api/v1/institutions").status_code for _ in range(3)]
    assert anonymous == [200, 200, 429]
    # Health checks are never limited.
    assert client.get("/health").status_code == 200
