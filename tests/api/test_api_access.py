"""Who may call what: every route of the app against every role, and the life of a key."""

import base64
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.api.auth import PUBLIC_PATHS, guarded_routes
from app.db.engine import Database
from app.main import create_app
from app.services.access import Role
from app.settings import Settings

from support import SAMPLES, SteppingClock, member_key, with_note

# What each route needs, written here by hand and not read from the app: the test compares the
# two. A route added to the app without a line here fails test_every_route_is_in_the_table.
READ, CONTRIBUTE, EDIT, HOLD, ADMIN, IDENTIFY, PUBLIC, CIP, REVIEW = (
    "read",
    "contribute",
    "edit",
    "hold",
    "admin",
    "identify",
    "public",
    "cip",
    "review",
)
EXPECTED: dict[tuple[str, str], str] = {
    ("GET", "/health"): PUBLIC,
    ("POST", "/api/v1/records"): CONTRIBUTE,
    ("POST", "/api/v1/records/validate"): READ,
    ("GET", "/api/v1/records"): READ,
    ("GET", "/api/v1/records/export"): READ,
    ("GET", "/api/v1/records/{record_id}"): READ,
    ("HEAD", "/api/v1/records/{record_id}"): READ,
    ("PUT", "/api/v1/records/{record_id}"): EDIT,
    ("DELETE", "/api/v1/records/{record_id}"): EDIT,
    ("GET", "/api/v1/records/{record_id}/versions"): READ,
    ("GET", "/api/v1/records/{record_id}/versions/{version}"): READ,
    ("HEAD", "/api/v1/records/{record_id}/versions/{version}"): READ,
    ("GET", "/api/v1/records/{record_id}/diff"): READ,
    ("PUT", "/api/v1/records/{record_id}/holdings"): HOLD,
    ("DELETE", "/api/v1/records/{record_id}/holdings"): HOLD,
    ("GET", "/api/v1/records/{record_id}/holdings"): READ,
    ("GET", "/api/v1/institutions/{code}/holdings"): READ,
    ("POST", "/api/v1/imports"): CONTRIBUTE,
    ("GET", "/api/v1/imports"): CONTRIBUTE,
    ("GET", "/api/v1/imports/{job_id}"): CONTRIBUTE,
    ("GET", "/api/v1/imports/{job_id}/report"): CONTRIBUTE,
    ("GET", "/api/v1/imports/{job_id}/rejected.mrc"): CONTRIBUTE,
    ("POST", "/api/v1/imports/{job_id}/revert"): CONTRIBUTE,
    ("GET", "/api/v1/institutions"): READ,
    ("POST", "/api/v1/institutions"): ADMIN,
    ("GET", "/api/v1/institutions/{code}"): READ,
    ("PATCH", "/api/v1/institutions/{code}"): ADMIN,
    ("POST", "/api/v1/keys"): ADMIN,
    ("GET", "/api/v1/keys"): ADMIN,
    ("PATCH", "/api/v1/keys/{key_id}"): ADMIN,
    ("DELETE", "/api/v1/keys/{key_id}"): ADMIN,
    ("GET", "/api/v1/me"): IDENTIFY,
    ("GET", "/api/v1/audit"): ADMIN,
    ("GET", "/api/v1/stats"): ADMIN,
    ("POST", "/api/v1/cip-requests"): CIP,
    ("GET", "/api/v1/cip-requests"): CIP,
    ("GET", "/api/v1/cip-requests/{request_id}"): CIP,
    ("PUT", "/api/v1/cip-requests/{request_id}"): CIP,
    ("GET", "/api/v1/cip-requests/{request_id}/history"): CIP,
    ("GET", "/api/v1/cip-requests/{request_id}/block"): CIP,
    ("GET", "/api/v1/cip-requests/{request_id}/record"): CIP,
    ("PUT", "/api/v1/cip-requests/{request_id}/record"): REVIEW,
    ("POST", "/api/v1/cip-requests/{request_id}/return"): REVIEW,
    ("POST", "/api/v1/cip-requests/{request_id}/approve"): REVIEW,
    ("POST", "/api/v1/records/{record_id}/publish"): REVIEW,
    ("GET", "/sru"): READ,
    ("POST", "/sru"): READ,
    ("GET", "/oai"): READ,
    ("POST", "/oai"): READ,
}
ALLOWED: dict[str, set[Role]] = {
    READ: {Role.READER, Role.CONTRIBUTOR, Role.CATALOGUER, Role.ADMIN},
    CONTRIBUTE: {Role.CONTRIBUTOR, Role.CATALOGUER, Role.ADMIN},
    EDIT: {Role.CONTRIBUTOR, Role.CATALOGUER, Role.ADMIN},
    HOLD: {Role.CONTRIBUTOR, Role.CATALOGUER, Role.ADMIN},
    ADMIN: {Role.ADMIN},
    CIP: {Role.PUBLISHER, Role.CATALOGUER, Role.ADMIN},
    REVIEW: {Role.CATALOGUER, Role.ADMIN},
    IDENTIFY: set(Role),
    PUBLIC: set(Role),
}
# Numbers and codes nothing has: an allowed call then fails for its own reasons (404, 400, …),
# never for the caller's, and changes nothing.
FILL = {
    "{record_id}": "999999",
    "{version}": "1",
    "{job_id}": "999999",
    "{code}": "VN-NOBODY",
    "{key_id}": "999999",
    "{request_id}": "999999",
}


def _app_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    for route in guarded_routes(app.routes):
        for method in route.methods:
            yield method, route.path


def _url(path: str) -> str:
    for name, value in FILL.items():
        path = path.replace(name, value)
    return path


def _call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> int:
    return client.request(method, _url(path), headers=headers).status_code


@pytest.fixture
def apps(settings: Settings, database: Database, clock: SteppingClock) -> dict[bool, TestClient]:
    """The app with anonymous reading allowed (True) and not (False), on one database."""
    made = {}
    for anonymous_read in (True, False):
        app = create_app(
            settings.model_copy(update={"allow_anonymous_read": anonymous_read}),
            database=database,
            clock=clock,
        )
        made[anonymous_read] = TestClient(app, raise_server_exceptions=False)
    return made


def test_every_route_is_in_the_table(client: TestClient) -> None:
    assert set(_app_routes(client.app)) == set(EXPECTED)  # type: ignore[arg-type]
    assert {path for method, path in EXPECTED if EXPECTED[method, path] == PUBLIC} == PUBLIC_PATHS


def test_every_route_against_every_role(apps: dict[bool, TestClient]) -> None:
    open_app = apps[True]
    keys = {role: member_key(open_app.app, role) for role in Role}  # type: ignore[arg-type]
    checked = 0
    for anonymous_read, client in apps.items():
        for method, path in sorted(_app_routes(client.app)):  # type: ignore[arg-type]
            need = EXPECTED[method, path]
            for role, secret in keys.items():
                status = _call(client, method, path, {"Authorization": f"Bearer {secret}"})
                allowed = role in ALLOWED[need] or (need == READ and anonymous_read)
                where = f"{method} {path} as {role} (anonymous read {anonymous_read})"
                if allowed:
                    assert status not in (401, 403), where
                else:
                    assert status == 403, where
                checked += 1
            status = _call(client, method, path, {})
            anonymous_allowed = need == PUBLIC or (need == READ and anonymous_read)
            where = f"{method} {path} without a key (anonymous read {anonymous_read})"
            assert (status not in (401, 403)) if anonymous_allowed else status == 401, where
            status = _call(client, method, path, {"Authorization": "Bearer sc_not-a-real-key"})
            expected_bad = status not in (401, 403) if need == PUBLIC else status == 401
            assert expected_bad, f"{method} {path} with an unknown key"
            checked += 2
    # Routes × (5 roles + no key + an unknown key) × both settings of anonymous reading.
    assert checked == len(EXPECTED) * (len(Role) + 2) * 2


def test_an_admin_makes_a_key_that_is_shown_once_and_stored_as_a_hash(
    client: TestClient, anonymous: TestClient, database: Database
) -> None:
    admin = {"Authorization": f"Bearer {member_key(client.app, Role.ADMIN)}"}  # type: ignore[arg-type]
    made = client.post(
        "/api/v1/institutions",
        json={
            "code": "VN-HCMLIB",
            "name": "Thư viện Khoa học Tổng hợp TP. Hồ Chí Minh",
            "kind": "public",
            "province": "Hồ Chí Minh",
        },
        headers=admin,
    )
    assert made.status_code == 201, made.text
    key = client.post(
        "/api/v1/keys",
        json={"institution": "VN-HCMLIB", "role": "contributor", "label": "Koha"},
        headers=admin,
    )
    assert key.status_code == 201, key.text
    secret = key.json()["secret"]
    assert secret.startswith("sc_")
    assert len(secret) > 40
    assert key.json()["prefix"] == secret[:11]
    listed = client.get("/api/v1/keys?institution=VN-HCMLIB", headers=admin).json()["items"]
    assert [k["label"] for k in listed] == ["Koha"]
    assert secret not in str(listed)
    with database.reader() as session:
        stored = session.execute(text("SELECT secret_hash FROM api_key")).scalars().all()
    assert secret not in stored
    assert all(len(h) == 64 for h in stored)
    # The three ways of sending it.
    basic = base64.b64encode(f"koha:{secret}".encode()).decode()
    for headers in (
        {"Authorization": f"Bearer {secret}"},
        {"X-API-Key": secret},
        {"Authorization": f"Basic {basic}"},
    ):
        me = anonymous.get("/api/v1/me", headers=headers)
        assert me.status_code == 200, headers
        assert me.json()["institution"] == "VN-HCMLIB"
        assert me.json()["role"] == "contributor"
        assert "contribute" in me.json()["permissions"]
        assert "edit-any" not in me.json()["permissions"]


def test_revoked_expired_and_unknown_keys_get_401_with_a_challenge(
    client: TestClient, clock: SteppingClock
) -> None:
    admin = {"Authorization": f"Bearer {member_key(client.app, Role.ADMIN)}"}  # type: ignore[arg-type]
    soon = (clock() + timedelta(minutes=5)).isoformat()
    made = client.post(
        "/api/v1/keys",
        json={"institution": "VN-MEMBER", "role": "reader", "expires_at": soon},
        headers=admin,
    ).json()
    own = {"Authorization": f"Bearer {made['secret']}"}
    assert client.get("/api/v1/me", headers=own).status_code == 200
    clock.now += timedelta(minutes=10)
    expired = client.get("/api/v1/me", headers=own)
    assert expired.status_code == 401
    assert expired.json()["detail"] == "The API key has expired."
    assert expired.headers["content-type"] == "application/problem+json"
    assert "Bearer" in expired.headers["www-authenticate"]

    other = client.post(
        "/api/v1/keys", json={"institution": "VN-MEMBER", "role": "reader"}, headers=admin
    ).json()
    revoked = client.delete(f"/api/v1/keys/{other['id']}", headers=admin)
    assert revoked.status_code == 200
    assert revoked.json()["active"] is False
    refused = client.get("/api/v1/me", headers={"Authorization": f"Bearer {other['secret']}"})
    assert refused.status_code == 401
    assert refused.json()["detail"] == "The API key was revoked."
    unknown = client.get("/api/v1/me", headers={"Authorization": "Bearer sc_guess"})
    assert unknown.status_code == 401
    assert unknown.json()["type"] == "/problems/unauthorized"


def test_key_creation_revocation_and_role_changes_are_audited(client: TestClient) -> None:
    admin_secret = member_key(client.app, Role.ADMIN)  # type: ignore[arg-type]
    admin = {"Authorization": f"Bearer {admin_secret}"}
    me = client.get("/api/v1/me", headers=admin).json()
    made = client.post(
        "/api/v1/keys", json={"institution": "VN-MEMBER", "role": "reader"}, headers=admin
    ).json()
    changed = client.patch(f"/api/v1/keys/{made['id']}", json={"role": "cataloguer"}, headers=admin)
    assert changed.json()["role"] == "cataloguer"
    client.delete(f"/api/v1/keys/{made['id']}", headers=admin)
    again = client.patch(f"/api/v1/keys/{made['id']}", json={"role": "reader"}, headers=admin)
    assert again.status_code == 422
    events = client.get("/api/v1/audit", headers=admin).json()["items"]
    ours = [e for e in events if e["subject"] == f"key {made['id']}"]
    assert [e["action"] for e in ours] == ["key-revoked", "key-role-changed", "key-created"]
    assert all(e["actor"] == me["name"] for e in ours)
    assert ours[1]["detail"] == {"old_role": "reader", "new_role": "cataloguer"}
    assert ours[2]["detail"]["institution"] == "VN-MEMBER"
    # Only admins read it.
    assert client.get("/api/v1/audit").status_code == 403


def test_institutions_are_listed_and_their_codes_checked(client: TestClient) -> None:
    admin = {"Authorization": f"Bearer {member_key(client.app, Role.ADMIN)}"}  # type: ignore[arg-type]
    bad = client.post(
        "/api/v1/institutions",
        json={"code": "no spaces", "name": "x", "kind": "school"},
        headers=admin,
    )
    assert bad.status_code == 400
    assert bad.json()["type"] == "/problems/bad-institution-code"
    body = {"code": "VN-DHQGHN", "name": "Trung tâm Thư viện ĐHQGHN", "kind": "university"}
    assert client.post("/api/v1/institutions", json=body, headers=admin).status_code == 201
    twice = client.post("/api/v1/institutions", json=body, headers=admin)
    assert twice.status_code == 409
    changed = client.patch(
        "/api/v1/institutions/VN-DHQGHN", json={"province": "Hà Nội"}, headers=admin
    )
    assert changed.json()["province"] == "Hà Nội"
    codes = [i["code"] for i in client.get("/api/v1/institutions").json()["items"]]
    assert "VN-DHQGHN" in codes
    assert codes == sorted(codes)
    assert client.get("/api/v1/institutions/VN-NOBODY").status_code == 404


def test_a_contributor_cannot_touch_what_it_may_not(client: TestClient) -> None:
    reader = {"Authorization": f"Bearer {member_key(client.app, Role.READER)}"}  # type: ignore[arg-type]
    refused = client.post("/api/v1/records", content=b"x", headers=reader)
    assert refused.status_code == 403
    assert refused.json()["type"] == "/problems/forbidden"
    assert "reader" in refused.json()["detail"]


def _fields(envelope: dict[str, object], tag: str) -> list[list[tuple[str, str]]]:
    record = envelope["record"]
    assert isinstance(record, dict)
    return [
        [(code, value) for sub in field[tag]["subfields"] for code, value in sub.items()]
        for field in record["fields"]
        if tag in field
    ]


def test_contributors_edit_their_own_records_and_040_names_who_wrote(
    client: TestClient, anonymous: TestClient, corpus: Path
) -> None:
    hanoi = {"Authorization": f"Bearer {member_key(client.app, Role.CONTRIBUTOR, 'VN-HN01')}"}  # type: ignore[arg-type]
    hue = {"Authorization": f"Bearer {member_key(client.app, Role.CONTRIBUTOR, 'VN-HUE01')}"}  # type: ignore[arg-type]
    # A Library of Congress record: LC stays the original agency, Hanoi modified it.
    lc = (corpus / "iso2709/pymarc/one.dat").read_bytes()
    made = anonymous.post("/api/v1/records", content=lc, headers=hanoi)
    assert made.status_code == 201, made.text
    [agencies] = _fields(made.json(), "040")
    assert agencies[0] == ("a", "DLC")
    assert agencies[-1] == ("d", "VN-HN01")
    # A record with no 040: Hanoi is its original cataloguing agency.
    first = (SAMPLES / "vietnamese-made-here.mrk").read_text().split("\n\n")[0]
    mine = "\n".join(line for line in first.splitlines() if not line.startswith("=040"))
    own = anonymous.post("/api/v1/records", content=mine.encode(), headers=hanoi).json()
    assert _fields(own, "040") == [[("a", "VN-HN01"), ("c", "VN-HN01")]]

    url = f"/api/v1/records/{own['id']}"
    text = anonymous.get(f"{url}?format=mrk").content
    refused = anonymous.put(url, content=text, headers={**hue, "If-Match": '"v1"'})
    assert refused.status_code == 403
    assert "another institution" in refused.json()["detail"]
    assert anonymous.delete(url, headers=hue).status_code == 403
    unchanged = anonymous.put(url, content=text, headers={**hanoi, "If-Match": '"v1"'})
    assert unchanged.json()["version"] == 1  # nothing changed: nobody is named for it
    assert _fields(unchanged.json(), "040") == [[("a", "VN-HN01"), ("c", "VN-HN01")]]
    changed = anonymous.put(url, content=with_note(text), headers={**hanoi, "If-Match": '"v1"'})
    assert changed.status_code == 200, changed.text
    # As in LC's own records (040 $a DLC $c DLC $d DLC): a change is a $d, once in a row.
    assert _fields(changed.json(), "040") == [
        [("a", "VN-HN01"), ("c", "VN-HN01"), ("d", "VN-HN01")]
    ]
    # A cataloguer changes anyone's record, and is appended as a modifying agency.
    cataloguer = {"Authorization": f"Bearer {member_key(client.app, Role.CATALOGUER, 'VN-NLV')}"}  # type: ignore[arg-type]
    text = anonymous.get(f"{url}?format=mrk").content
    edited = anonymous.put(url, content=with_note(text), headers={**cataloguer, "If-Match": '"v2"'})
    assert edited.status_code == 200
    assert _fields(edited.json(), "040") == [
        [("a", "VN-HN01"), ("c", "VN-HN01"), ("d", "VN-HN01"), ("d", "VN-NLV")]
    ]
    versions = anonymous.get(f"{url}/versions").json()["versions"]
    assert [v["created_by"].split(" key ")[0] for v in versions] == ["VN-HN01"] * 2 + ["VN-NLV"]


def test_the_schema_says_reading_needs_a_key_only_where_it_does(
    apps: dict[bool, TestClient],
) -> None:
    for anonymous_read, client in apps.items():
        search = client.get("/openapi.json").json()["paths"]["/api/v1/records"]["get"]
        assert ({} in search["security"]) is anonymous_read
        # A publisher's key may not read: without open reading, a key can be too weak.
        assert ("403" in search["responses"]) is not anonymous_read
