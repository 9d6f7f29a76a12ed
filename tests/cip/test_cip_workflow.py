"""A Vietnamese book through the whole CIP workflow, over HTTP, with real keys and roles."""

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from lxml import etree

from app.services.access import Role

from support import SteppingClock, member_key

REQUEST: dict[str, Any] = {
    "title": "Lịch sử Thư viện Việt Nam",
    "subtitle": "từ khởi thủy đến năm 1945",
    "contributors": [
        {"name": "Nguyễn Thị Hường", "role": "author"},
        {"name": "Đặng Văn Đức", "role": "translator"},
    ],
    "edition": "Tái bản lần thứ 2",
    "series": "Tủ sách Thư viện học",
    "series_number": "3",
    "publisher": "Nxb. Đại học Quốc gia Hà Nội",
    "place": "Hà Nội",
    "expected_date": "2026-12",
    "isbns": ["978-604-62-1234-8"],
    "pages": 320,
    "size_cm": 21,
    "languages": ["vie"],
    "summary": "Lịch sử sự nghiệp thư viện Việt Nam từ thời phong kiến đến năm 1945.",
    "keywords": ["thư viện", "lịch sử"],
    "audience": "Sinh viên ngành thư viện",
}


def _keys(client: TestClient) -> dict[str, dict[str, str]]:
    def key(role: Role, code: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {member_key(client.app, role, code)}"}  # type: ignore[arg-type]

    return {
        "publisher": key(Role.PUBLISHER, "VN-NXBDHQG"),
        "other publisher": key(Role.PUBLISHER, "VN-NXBKD"),
        "cataloguer": key(Role.CATALOGUER, "VN-NLV"),
        "reader": key(Role.READER, "VN-HN01"),
    }


def _field(record: dict[str, Any], tag: str) -> list[dict[str, Any]]:
    return [field[tag] for field in record["fields"] if tag in field]


def _leader17(record: dict[str, Any]) -> str:
    leader: str = record["leader"]
    return leader[17]


def test_a_request_goes_from_publisher_to_catalogue_to_printed_book(
    client: TestClient, anonymous: TestClient, clock: SteppingClock
) -> None:
    keys = _keys(client)
    publisher, cataloguer = keys["publisher"], keys["cataloguer"]

    # The publisher sends it: a prepublication record waits in the cataloguers' queue.
    sent = anonymous.post("/api/v1/cip-requests", json=REQUEST, headers=publisher)
    assert sent.status_code == 201, sent.text
    request = sent.json()
    url = f"/api/v1/cip-requests/{request['id']}"
    assert sent.headers["location"].endswith(url)
    assert request["status"] == "cip-pending"
    assert request["institution"] == "VN-NXBDHQG"
    record = request["record"]
    assert _leader17(record) == "8"
    assert _field(record, "263")[0]["subfields"] == [{"a": "202612"}]
    assert _field(record, "020")[0]["subfields"][0] == {"a": "9786046212348"}
    assert _field(record, "040")[0]["subfields"][0] == {"a": "VN-TEST"}  # the catalogue's agency
    assert request["warnings"] == []
    # The record as a cataloguer edits it: mnemonic text by default, or any MARC format.
    mnemonic = anonymous.get(f"{url}/record", headers=cataloguer)
    assert mnemonic.status_code == 200
    assert mnemonic.headers["content-type"].startswith("text/x-marc-mnemonic")
    assert "=263  \\\\$a202612" in mnemonic.text.splitlines()
    assert mnemonic.text.startswith("=LDR  ")
    assert mnemonic.text[6 + 17] == "8"
    as_xml = anonymous.get(f"{url}/record?format=marcxml", headers=publisher)
    assert as_xml.headers["content-type"].startswith("application/marcxml+xml")
    leader = etree.fromstring(as_xml.content).find(".//{http://www.loc.gov/MARC21/slim}leader")
    assert leader is not None
    assert (leader.text or "")[17] == "8"

    # Only its publisher and the cataloguers see it; readers have no business here.
    assert anonymous.get(url, headers=keys["other publisher"]).status_code == 404
    assert anonymous.get(url, headers=keys["reader"]).status_code == 403
    mine = anonymous.get("/api/v1/cip-requests", headers=publisher).json()["items"]
    assert [r["id"] for r in mine] == [request["id"]]
    assert anonymous.get("/api/v1/cip-requests", headers=keys["other publisher"]).json() == {
        "items": [],
        "next": None,
    }
    queue = anonymous.get("/api/v1/cip-requests?status=cip-pending", headers=cataloguer).json()
    assert request["id"] in [r["id"] for r in queue["items"]]

    # The publisher corrects it while it waits, sending the ETag it read the request with.
    assert sent.headers["etag"] == mnemonic.headers["etag"] == '"v1"'
    assert anonymous.put(url, json=REQUEST, headers=publisher).status_code == 428
    changed = anonymous.put(
        url, json={**REQUEST, "pages": 336}, headers={**publisher, "If-Match": sent.headers["etag"]}
    )
    assert changed.status_code == 200
    assert changed.headers["etag"] == '"v2"'
    assert _field(changed.json()["record"], "300")[0]["subfields"][0]["a"].startswith("336")

    # A cataloguer classifies it and adds a subject; then the publisher may not change it.
    working = changed.json()["record"]
    working["fields"].append(
        {"082": {"ind1": "0", "ind2": "4", "subfields": [{"a": "027.0597"}, {"2": "23"}]}}
    )
    working["fields"].append(
        {
            "650": {
                "ind1": " ",
                "ind2": "7",
                "subfields": [
                    {"a": "Thư viện học"},
                    {"x": "Lịch sử"},
                    {"z": "Việt Nam"},
                    {"2": "vnbm"},
                ],
            }
        }
    )
    working["fields"].sort(key=lambda field: next(iter(field)))
    as_marc_json = {**cataloguer, "Content-Type": "application/marc+json"}
    # The record the cataloguer fetched before the publisher's change would undo it: refused.
    read_before = {**as_marc_json, "If-Match": mnemonic.headers["etag"]}
    stale = anonymous.put(f"{url}/record", json=working, headers=read_before)
    assert stale.status_code == 412
    assert stale.json()["current_etag"] == '"v2"'
    assert anonymous.put(f"{url}/record", json=working, headers=as_marc_json).status_code == 428
    reviewed = anonymous.put(
        f"{url}/record", json=working, headers={**as_marc_json, "If-Match": '"v2"'}
    )
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["status"] == "in-review"
    at_review = {**publisher, "If-Match": reviewed.headers["etag"]}
    assert anonymous.put(url, json=REQUEST, headers=at_review).status_code == 409
    assert anonymous.put(f"{url}/record", json=working, headers=at_review).status_code == 403
    assert anonymous.get(f"{url}/block", headers=publisher).status_code == 409

    # It goes back to the publisher with a message, and comes back corrected.
    returned = anonymous.post(
        f"{url}/return", json={"message": "Xin bổ sung tên người minh họa."}, headers=cataloguer
    )
    assert returned.json()["status"] == "returned"
    assert anonymous.get(url, headers=publisher).json()["message"] == (
        "Xin bổ sung tên người minh họa."
    )
    illustrated = {
        **REQUEST,
        "contributors": [*REQUEST["contributors"], {"name": "Lê Minh", "role": "illustrator"}],
    }
    seen = anonymous.get(url, headers=publisher)
    again = anonymous.put(
        url, json=illustrated, headers={**publisher, "If-Match": seen.headers["etag"]}
    )
    assert again.json()["status"] == "cip-pending"
    assert again.json()["message"] is None
    # The cataloguer's 082 and 650 must be put back on the new record before approval: the
    # block is printed with its class number.
    unclassified = anonymous.post(f"{url}/approve", headers=cataloguer)
    assert unclassified.status_code == 409
    assert "082" in unclassified.json()["detail"]
    working = again.json()["record"]
    working["fields"].append(
        {"082": {"ind1": "0", "ind2": "4", "subfields": [{"a": "027.0597"}, {"2": "23"}]}}
    )
    working["fields"].append(
        {
            "650": {
                "ind1": " ",
                "ind2": "7",
                "subfields": [{"a": "Thư viện học"}, {"x": "Lịch sử"}, {"2": "vnbm"}],
            }
        }
    )
    working["fields"].sort(key=lambda field: next(iter(field)))
    classified = anonymous.put(
        f"{url}/record", json=working, headers={**as_marc_json, "If-Match": again.headers["etag"]}
    )
    assert classified.status_code == 200

    # Approved: the record is in the catalogue as a CIP record, found with status=cip.
    outdated = {**cataloguer, "If-Match": again.headers["etag"]}
    assert anonymous.post(f"{url}/approve", headers=outdated).status_code == 412
    approved = anonymous.post(
        f"{url}/approve", headers={**cataloguer, "If-Match": classified.headers["etag"]}
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    record_id = approved.json()["record_id"]
    assert approved.json()["record_status"] == "cip"
    assert _field(approved.json()["record"], "001") == [str(record_id)]
    cip_search = anonymous.get("/api/v1/records?status=cip").json()
    assert [r["id"] for r in cip_search["items"]] == [record_id]
    assert cip_search["facets"]["status"] == [{"value": "cip", "count": 1}]
    # Another request with the same ISBN is taken, with a warning naming the record.
    same = anonymous.post("/api/v1/cip-requests", json=REQUEST, headers=publisher).json()
    assert [(w["code"], w["tag"]) for w in same["warnings"]] == [("cip-isbn-in-catalogue", "020")]
    assert str(record_id) in same["warnings"][0]["message"]
    found = anonymous.get("/api/v1/records", params={"q": "lich su thu vien"}).json()["items"]
    assert record_id in [r["id"] for r in found]

    # The block to print on the verso, from the catalogue record.
    text = anonymous.get(f"{url}/block", headers=publisher)
    assert text.headers["content-type"].startswith("text/plain")
    lines = text.text.splitlines()
    assert lines[0] == "Biên mục trên xuất bản phẩm của Thư viện Quốc gia Việt Nam"
    assert lines[2] == "Nguyễn Thị Hường"  # the main entry, after a blank line
    assert any(line.strip() == "ISBN 978-604-62-1234-8" for line in lines)
    assert any("1. Thư viện học -- Lịch sử" in line for line in lines)
    assert any("027.0597 - dc23" in line for line in lines)
    assert lines[-1].strip() == str(record_id)  # the control number
    pdf = anonymous.get(f"{url}/block?format=pdf", headers=publisher)
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    html = anonymous.get(f"{url}/block?format=html", headers=cataloguer)
    assert "Lịch sử Thư viện Việt Nam" in html.text

    # The expected month passes without the book: it is on the list to chase.
    clock.now += timedelta(days=60)
    overdue = anonymous.get("/api/v1/cip-requests?overdue=true", headers=cataloguer).json()
    assert [r["id"] for r in overdue["items"]] == [request["id"]]
    late = anonymous.get(url, headers=publisher).json()["warnings"]
    # (and the second request, still pending, carries its ISBN)
    assert [w["code"] for w in late] == ["cip-expected-date-passed", "cip-isbn-in-request"]

    # The printed book arrives: the same record is upgraded, as a new version.
    # It was printed with another ISBN than the CIP data's.
    facts = {"date": 2027, "pages": 352, "height_cm": 24, "isbns": ["978-604-62-1235-5"]}
    stale = anonymous.post(
        f"/api/v1/records/{record_id}/publish",
        json=facts,
        headers={**cataloguer, "If-Match": '"v7"'},
    )
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 1
    published = anonymous.post(
        f"/api/v1/records/{record_id}/publish",
        json=facts,
        headers={**cataloguer, "If-Match": '"v1"'},
    )
    assert published.status_code == 200, published.text
    assert published.headers["etag"] == '"v2"'
    full = published.json()
    # The answer's leader tells the lengths of the record as stored.
    iso2709 = anonymous.get(f"/api/v1/records/{record_id}?format=mrc").content
    assert full["record"]["leader"][:5] == f"{len(iso2709):05d}" == iso2709[:5].decode()
    assert full["id"] == record_id
    assert full["version"] == 2
    assert full["status"] == "active"
    assert _leader17(full["record"]) == " "
    assert _field(full["record"], "263") == []
    assert _field(full["record"], "300")[0]["subfields"][0]["a"].startswith("352")
    assert "2027" in str(_field(full["record"], "264"))
    assert [f["subfields"] for f in _field(full["record"], "020")] == [
        [{"a": "9786046212355"}],
        [{"z": "9786046212348"}],  # the CIP ISBN, cancelled
    ]
    # Both numbers find the book: the printed one, and the one libraries had from the CIP.
    for number in ("978-604-62-1235-5", "978-604-62-1234-8"):
        hits = anonymous.get("/api/v1/records", params={"isbn": number}).json()["items"]
        assert [r["id"] for r in hits] == [record_id], number
    twice = anonymous.post(
        f"/api/v1/records/{record_id}/publish",
        json={"date": 2027, "pages": 352, "height_cm": 24},
        headers=cataloguer,
    )
    assert twice.status_code == 409
    assert twice.json()["type"] == "/problems/not-prepublication"
    assert (
        anonymous.get("/api/v1/cip-requests?overdue=true", headers=cataloguer).json()["items"] == []
    )
    versions = anonymous.get(f"/api/v1/records/{record_id}/versions").json()["versions"]
    assert [v["change"] for v in versions] == ["create", "publish"]

    # Every step is kept, with who took it and all of the request as it then stood.
    steps = anonymous.get(f"{url}/history", headers=publisher).json()["steps"]
    assert [s["action"] for s in steps] == [
        "submitted",
        "changed",
        "catalogued",
        "returned",
        "resubmitted",
        "catalogued",
        "approved",
        "published",
    ]
    assert steps[-1]["status"] == "published"
    assert _leader17(steps[-1]["record"]) == " "
    assert anonymous.get(url, headers=publisher).json()["status"] == "published"
    assert steps[0]["actor"].startswith("VN-NXBDHQG key")
    assert steps[2]["actor"].startswith("VN-NLV key")
    assert steps[0]["request"]["pages"] == 320
    assert steps[1]["request"]["pages"] == 336
    assert steps[3]["message"] == "Xin bổ sung tên người minh họa."


def test_a_request_with_a_bad_isbn_is_refused_with_its_problems(client: TestClient) -> None:
    publisher = {"Authorization": f"Bearer {member_key(client.app, Role.PUBLISHER, 'VN-NXB')}"}  # type: ignore[arg-type]
    bad = client.post(
        "/api/v1/cip-requests",
        json={**REQUEST, "isbns": ["978-604-62-1234-9"]},
        headers=publisher,
    )
    assert bad.status_code == 422
    assert bad.json()["type"] == "/problems/invalid-cip-request"
    assert any("check digit" in e["message"] for e in bad.json()["errors"])
    assert client.get("/api/v1/cip-requests", headers=publisher).json()["items"] == []


def test_overdue_requests_page_through_every_one_and_only_those(
    client: TestClient, anonymous: TestClient, clock: SteppingClock
) -> None:
    keys = _keys(client)
    publisher, cataloguer = keys["publisher"], keys["cataloguer"]
    classified = {"082": {"ind1": "0", "ind2": "4", "subfields": [{"a": "895.9223"}, {"2": "23"}]}}
    made = []
    for number, expected in enumerate(["2026-10", "2027-06", "2026-11", "2026"]):
        sent = anonymous.post(
            "/api/v1/cip-requests",
            json={**REQUEST, "title": f"Truyện ngắn tập {number + 1}", "expected_date": expected},
            headers=publisher,
        ).json()
        record = sent["record"]
        record["fields"].append(classified)
        record["fields"].sort(key=lambda field: next(iter(field)))
        url = f"/api/v1/cip-requests/{sent['id']}"
        headers = {**cataloguer, "Content-Type": "application/marc+json"}
        headers["If-Match"] = '"v1"'
        assert anonymous.put(f"{url}/record", json=record, headers=headers).status_code == 200
        assert anonymous.post(f"{url}/approve", headers=cataloguer).status_code == 200
        made.append(sent["id"])
    clock.now = clock.now.replace(year=2027, month=1, day=15)
    # Overdue in January 2027: October and November 2026, and the year 2026; not June 2027.
    seen: list[int] = []
    page = anonymous.get("/api/v1/cip-requests?overdue=true&limit=1", headers=cataloguer).json()
    while True:
        seen.extend(r["id"] for r in page["items"])
        if page["next"] is None:
            break
        assert "overdue=true" in page["next"]
        page = anonymous.get(page["next"], headers=cataloguer).json()
    assert seen == [made[3], made[2], made[0]]


def test_an_isbn_in_two_requests_in_progress_is_a_warning_wherever_they_are_seen(
    client: TestClient, anonymous: TestClient
) -> None:
    keys = _keys(client)
    publisher, cataloguer = keys["publisher"], keys["cataloguer"]
    first = anonymous.post("/api/v1/cip-requests", json=REQUEST, headers=publisher).json()
    assert first["warnings"] == []
    other = anonymous.post(
        "/api/v1/cip-requests", json=REQUEST, headers=keys["other publisher"]
    ).json()
    codes = [(w["code"], w["tag"]) for w in other["warnings"]]
    assert codes == [("cip-isbn-in-request", "020")]
    # A publisher learns that another publisher holds the number, not which request it is.
    assert other["warnings"][0]["message"] == (
        "ISBN 978-604-62-1234-8 is also in another publisher's CIP request"
    )
    # The cataloguers' queue shows the same warnings as each request does, naming both.
    queue = anonymous.get("/api/v1/cip-requests?status=cip-pending", headers=cataloguer).json()
    warned = {r["id"]: [w["message"] for w in r["warnings"]] for r in queue["items"]}
    assert warned == {
        first["id"]: [f"ISBN 978-604-62-1234-8 is also in CIP request {other['id']}"],
        other["id"]: [f"ISBN 978-604-62-1234-8 is also in CIP request {first['id']}"],
    }
    # Returned, the request still carries its warning, in the answer to the return itself.
    returned = anonymous.post(
        f"/api/v1/cip-requests/{other['id']}/return",
        json={"message": "Số ISBN này đã được cấp cho một xuất bản phẩm khác."},
        headers=cataloguer,
    ).json()
    assert [w["code"] for w in returned["warnings"]] == ["cip-isbn-in-request"]
