"""The record API on real records, on both engines."""

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from app import marc

VIETNAMESE = "vietnamese/cornell-9220704-phong-su-bao-chi.mrc"
MULTI_ISBN = "iso2709/pymarc/multi_isbn.dat"
ONE = "iso2709/pymarc/one.dat"


def upload(client: TestClient, data: bytes, content_type: str | None = None) -> Response:
    headers = {"Content-Type": content_type} if content_type else {}
    return client.post("/api/v1/records", content=data, headers=headers)


def created(client: TestClient, data: bytes, content_type: str | None = None) -> dict[str, object]:
    response = upload(client, data, content_type)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_upload_gives_number_location_etag_and_keeps_foreign_001(
    client: TestClient, corpus: Path
) -> None:
    response = upload(client, (corpus / ONE).read_bytes(), "application/marc")

    assert response.status_code == 201
    body = response.json()
    record_id = body["id"]
    assert response.headers["location"] == f"/api/v1/records/{record_id}"
    assert response.headers["etag"] == '"v1"'
    fields = body["record"]["fields"]
    assert {"001": str(record_id)} in fields
    assert {"003": "VN-TEST"} in fields
    assert any("005" in f for f in fields)
    assert "(IMchF)fol05731351" in body["summary"]["control_numbers"]
    assert body["summary"]["isbns"] == ["9780471383147"]
    assert body["summary"]["year"] == 2000
    assert body["status"] == "active"


def test_vietnamese_record_round_trips_in_every_format(client: TestClient, corpus: Path) -> None:
    record_id = created(client, (corpus / VIETNAMESE).read_bytes())["id"]

    envelope = client.get(f"/api/v1/records/{record_id}").json()
    assert envelope["summary"]["title"] == "Phóng sự báo chí : lý thuyết, kỹ năng và kinh nghiệm"
    for fmt in marc.Format:
        download = client.get(f"/api/v1/records/{record_id}", params={"format": fmt.value})
        assert download.status_code == 200, download.text
        assert download.headers["content-type"].startswith(fmt.media_type)
        assert (
            f'filename="record-{record_id}.{fmt.extension}"'
            in download.headers["content-disposition"]
        )
        again = marc.read_one(download.content, fmt).record
        assert marc.to_json(again) == envelope["record"]


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("application/marc", "application/marc"),
        ("application/marcxml+xml", "application/marcxml+xml"),
        ("text/x-marc-mnemonic", "text/x-marc-mnemonic"),
        ("application/marc+json", "application/marc+json"),
        ("application/json", "application/json"),
        ("*/*", "application/json"),
        ("text/html;q=0.9, application/marc;q=0.5", "application/marc"),
        ("application/json;q=0, */*", "application/marc+json"),
        ("text/*;q=0.5, text/x-marc-mnemonic", "text/x-marc-mnemonic"),
    ],
)
def test_accept_header_chooses_the_format(
    client: TestClient, corpus: Path, accept: str, media_type: str
) -> None:
    record_id = created(client, (corpus / ONE).read_bytes())["id"]
    response = client.get(f"/api/v1/records/{record_id}", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type


def test_unacceptable_accept_is_406_problem(client: TestClient, corpus: Path) -> None:
    record_id = created(client, (corpus / ONE).read_bytes())["id"]
    response = client.get(f"/api/v1/records/{record_id}", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/not-acceptable"


def test_if_none_match_gives_304(client: TestClient, corpus: Path) -> None:
    record_id = created(client, (corpus / ONE).read_bytes())["id"]
    first = client.get(f"/api/v1/records/{record_id}", params={"format": "mrc"})
    again = client.get(
        f"/api/v1/records/{record_id}",
        params={"format": "mrc"},
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304
    assert again.content == b""


def test_put_needs_if_match_and_refuses_a_stale_version(client: TestClient, corpus: Path) -> None:
    record_id = created(client, (corpus / ONE).read_bytes())["id"]
    mrk = client.get(f"/api/v1/records/{record_id}", params={"format": "mrk"}).text
    edited = mrk.replace("ActivePerl with ASP and ADO", "ActivePerl with ASP and ADO, revised")
    url = f"/api/v1/records/{record_id}"
    mnemonic = {"Content-Type": "text/x-marc-mnemonic"}

    missing = client.put(url, content=edited.encode(), headers=mnemonic)
    assert missing.status_code == 428
    assert missing.json()["type"] == "/problems/precondition-required"

    done = client.put(url, content=edited.encode(), headers={**mnemonic, "If-Match": '"v1"'})
    assert done.status_code == 200, done.text
    assert done.headers["etag"] == '"v2"'
    assert done.json()["summary"]["title"] == "ActivePerl with ASP and ADO, revised"

    stale = client.put(url, content=mrk.encode(), headers={**mnemonic, "If-Match": '"v1"'})
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    current = client.get(url).json()
    assert current["version"] == 2
    assert current["summary"]["title"] == "ActivePerl with ASP and ADO, revised"


def test_put_of_the_record_as_it_is_makes_no_new_version(client: TestClient, corpus: Path) -> None:
    record_id = created(client, (corpus / ONE).read_bytes())["id"]
    url = f"/api/v1/records/{record_id}"
    # As a client sends back what it read, in any format: the same record.
    for fmt, media in (("mrk", "text/x-marc-mnemonic"), ("marcxml", "application/marcxml+xml")):
        read = client.get(url, params={"format": fmt}).content
        again = client.put(url, content=read, headers={"Content-Type": media, "If-Match": '"v1"'})
        assert again.status_code == 200, again.text
        assert again.headers["etag"] == '"v1"'
        assert again.json()["version"] == 1
    versions = client.get(f"{url}/versions").json()["versions"]
    assert [(v["version"], v["change"]) for v in versions] == [(1, "create")]
    mrk = client.get(url, params={"format": "mrk"}).text
    edited = mrk.replace("ActivePerl with ASP and ADO", "ActivePerl, revised")
    changed = client.put(
        url,
        content=edited.encode(),
        headers={"Content-Type": "text/x-marc-mnemonic", "If-Match": '"v1"'},
    )
    assert changed.headers["etag"] == '"v2"'


def test_history_keeps_every_version_and_diffs_them(client: TestClient, corpus: Path) -> None:
    record_id = created(client, (corpus / ONE).read_bytes())["id"]
    url = f"/api/v1/records/{record_id}"
    mrk = client.get(url, params={"format": "mrk"}).text
    edited = re.sub(r"=650  \\0\$aPerl \(Computer program language\)\r?\n", "", mrk)
    assert edited != mrk
    response = client.put(
        url,
        content=edited.encode(),
        headers={"Content-Type": "text/x-marc-mnemonic", "If-Match": '"v1"'},
    )
    assert response.status_code == 200, response.text

    versions = client.get(f"{url}/versions").json()["versions"]
    assert [(v["version"], v["change"]) for v in versions] == [(1, "create"), (2, "update")]
    first = client.get(f"{url}/versions/1", params={"format": "mrk"})
    assert "Perl (Computer program language)" in first.text
    assert 'filename="record-' in first.headers["content-disposition"]
    changes = client.get(f"{url}/diff", params={"from": 1, "to": 2}).json()["changes"]
    removed = [c for c in changes if c["change"] == "removed"]
    assert [c["tag"] for c in removed] == ["650"]
    assert "Perl (Computer program language)" in removed[0]["old"]
    assert any(c["tag"] == "005" and c["change"] == "changed" for c in changes)


def test_delete_leaves_a_tombstone_answering_410(client: TestClient, corpus: Path) -> None:
    record_id = created(client, (corpus / ONE).read_bytes())["id"]
    url = f"/api/v1/records/{record_id}"

    deleted = client.delete(url)
    assert deleted.status_code == 200
    assert deleted.json()["status"] == "deleted"

    gone = client.get(url)
    assert gone.status_code == 410
    assert gone.json()["deleted_at"] == deleted.json()["deleted_at"]
    versions = client.get(f"{url}/versions").json()["versions"]
    assert [v["change"] for v in versions] == ["create", "delete"]
    assert client.get(f"{url}/versions/1").status_code == 200
    last = client.get(f"{url}/versions/2").json()["record"]
    assert last["leader"][5] == "d"
    assert {"005": "20261125080002.0"} in last["fields"]
    listing = client.get("/api/v1/records", params={"include_deleted": "true"}).json()
    assert [i["status"] for i in listing["items"] if i["id"] == record_id] == ["deleted"]
    assert record_id not in [i["id"] for i in client.get("/api/v1/records").json()["items"]]


@pytest.mark.parametrize(
    "isbn", ["0914378260", "978-0-914378-26-6", "9780914378266", "0-914378-26-0"]
)
def test_isbn_lookup_takes_any_form(client: TestClient, corpus: Path, isbn: str) -> None:
    record_id = created(client, (corpus / MULTI_ISBN).read_bytes())["id"]
    created(client, (corpus / ONE).read_bytes())

    items = client.get("/api/v1/records", params={"isbn": isbn}).json()["items"]

    assert [i["id"] for i in items] == [record_id]


def test_lookups_by_lccn_control_number_and_035(client: TestClient, corpus: Path) -> None:
    vietnamese = created(client, (corpus / VIETNAMESE).read_bytes())["id"]
    one = created(client, (corpus / ONE).read_bytes())["id"]

    def ids(**params: str) -> list[int]:
        response = client.get("/api/v1/records", params=params)
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    assert ids(lccn="00020737") == [one]
    assert ids(control_number="(OCoLC)965475081") == [vietnamese]
    assert ids(control_number="965475081") == [vietnamese]
    # OCLC's prefixes, leading zeros and a blank are the same OCLC number.
    assert ids(control_number="(OCoLC) ocn0965475081") == [vietnamese]
    assert ids(control_number="(OCoLC)ocm12345678") == []
    assert ids(control_number=str(one)) == [one]
    assert ids(control_number=f"(VN-TEST){vietnamese}") == [vietnamese]
    assert ids(control_number="(IMchF)fol05731351") == [one]


def test_bad_isbn_in_a_lookup_is_a_400_problem(client: TestClient) -> None:
    response = client.get("/api/v1/records", params={"isbn": "9780914378265"})
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/bad-query"


def test_listing_pages_with_a_cursor_and_updated_since(client: TestClient, corpus: Path) -> None:
    data = (corpus / ONE).read_bytes()
    ids = [created(client, data)["id"] for _ in range(5)]

    seen: list[int] = []
    url: str | None = "/api/v1/records?limit=2"
    pages = 0
    while url:
        page = client.get(url).json()
        seen.extend(i["id"] for i in page["items"])
        url = page["next"]
        pages += 1
    assert seen == ids
    assert pages == 3

    since = client.get(f"/api/v1/records/{ids[3]}").json()["updated_at"]
    recent = client.get("/api/v1/records", params={"updated_since": since}).json()["items"]
    assert [i["id"] for i in recent] == ids[3:]


def test_a_forged_cursor_is_a_400_problem(client: TestClient) -> None:
    response = client.get("/api/v1/records", params={"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/bad-cursor"


def test_invalid_record_is_rejected_with_located_problems(client: TestClient) -> None:
    mrk = (
        "=LDR  00000nam a2200000 a 4500\n"
        "=008  261125s2015\\\\\\\\vm\\\\\\\\\\\\\\\\\\\\\\\\000\\0\\vie\\d\n"
        "=020  \\\\$a9786040000000\n"
        "=100  1\\$aNguyễn Du\n"
    )
    response = upload(client, mrk.encode(), "text/x-marc-mnemonic")

    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "/problems/invalid-record"
    codes = {e["code"] for e in body["errors"] if e["severity"] == "error"}
    assert {"missing-245", "isbn-check-digit"} <= codes
    assert any(e["tag"] == "020" for e in body["errors"])
    assert client.get("/api/v1/records").json()["items"] == []


def test_validate_reports_without_storing(client: TestClient, corpus: Path) -> None:
    response = client.post("/api/v1/records/validate", content=(corpus / VIETNAMESE).read_bytes())
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True
    assert body["summary"]["language"] == "vie"
    assert client.get("/api/v1/records").json()["items"] == []


def test_unreadable_body_is_400_and_unknown_type_is_415(client: TestClient) -> None:
    garbage = upload(client, b"\x00\x01 this is not MARC", "application/marc")
    assert garbage.status_code == 400
    assert garbage.headers["content-type"] == "application/problem+json"
    assert set(garbage.json()) >= {"type", "title", "status", "detail"}

    image = upload(client, b"\x89PNG....", "image/png")
    assert image.status_code == 415
    assert image.json()["type"] == "/problems/unsupported-media-type"


def test_body_over_the_limit_is_413(client: TestClient) -> None:
    response = upload(client, b"0" * 2_000_001, "application/marc")
    assert response.status_code == 413
    assert response.json()["type"] == "/problems/payload-too-large"


def test_record_too_long_for_iso2709_is_stored_and_served_elsewhere(client: TestClient) -> None:
    notes = "".join(f"=500  \\\\$aNote {n}: {'Thư viện quốc gia. ' * 40}\n" for n in range(150))
    mrk = (
        "=LDR  00000nam a2200000 i 4500\n"
        "=008  261125s2015\\\\\\\\vm\\\\\\\\\\\\\\\\\\\\\\\\000\\0\\vie\\d\n"
        "=245  00$aBản ghi rất dài\n" + notes
    )
    response = upload(client, mrk.encode(), "text/x-marc-mnemonic")
    assert response.status_code == 201, response.text
    url = f"/api/v1/records/{response.json()['id']}"

    mrc = client.get(url, params={"format": "mrc"})
    assert mrc.status_code == 406
    assert mrc.json()["type"] == "/problems/record-too-long"
    assert "99,999" in mrc.json()["detail"] or "99999" in mrc.json()["detail"]
    xml = client.get(url, params={"format": "marcxml"})
    assert xml.status_code == 200
    assert len(xml.content) > 100_000
    fallback = client.get(
        url, headers={"Accept": "application/marc, application/marcxml+xml;q=0.5"}
    )
    assert fallback.status_code == 200
    assert fallback.headers["content-type"].startswith("application/marcxml+xml")
    only_mrc = client.get(url, headers={"Accept": "application/marc"})
    assert only_mrc.json()["type"] == "/problems/record-too-long"


def test_unknown_route_and_method_are_problems(client: TestClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = client.patch("/api/v1/records")
    assert wrong.status_code == 405
    assert wrong.json()["type"] == "/problems/method-not-allowed"
    assert wrong.headers["allow"] == "GET, POST"
    assert client.post("/api/v1/records/1").headers["allow"] == "DELETE, GET, HEAD, PUT"


def test_missing_record_and_bad_id_are_problems(client: TestClient) -> None:
    assert client.get("/api/v1/records/999999").json()["type"] == "/problems/record-not-found"
    bad = client.get("/api/v1/records/abc")
    assert bad.status_code == 422
    assert bad.json()["type"] == "/problems/invalid-request"


def test_health_reports_database_and_migrations(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["migration_current"] == body["migration_head"] is not None


def test_a_text_body_in_another_charset_is_refused(client: TestClient) -> None:
    mrk = "=LDR  00000nam a2200000 a 4500\n=245  00$aCafé crème\n".encode("latin-1")
    response = upload(client, mrk, "text/plain; charset=iso-8859-1")
    assert response.status_code == 415
    assert "charset" in response.json()["detail"]


def test_a_lossy_repair_rejects_the_record(client: TestClient) -> None:
    record = {
        "leader": "00000nam a2200000 a 4500",
        "fields": [{"245": {"ind1": "10", "ind2": "0", "subfields": [{"a": "Tiêu đề"}]}}],
    }
    response = client.post("/api/v1/records", json=record)
    assert response.status_code == 422
    errors = [e["code"] for e in response.json()["errors"] if e["severity"] == "error"]
    assert errors == ["missing-indicator"]


def test_several_lookups_narrow_the_result(client: TestClient, corpus: Path) -> None:
    one = created(client, (corpus / ONE).read_bytes())["id"]
    created(client, (corpus / MULTI_ISBN).read_bytes())

    def ids(**params: str) -> list[int]:
        response = client.get("/api/v1/records", params=params)
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    assert ids(isbn="0471383147", lccn="00020737") == [one]
    assert ids(isbn="0471383147", lccn="77017192") == []
    assert ids(control_number="1" * 30) == []
    assert client.get("/api/v1/records", params={"control_number": " "}).status_code == 400


@pytest.mark.parametrize(
    ("if_match", "status"),
    [
        ('"v1"', 200),
        ('"v3", "v1"', 200),
        ("*", 200),
        ('W/"v1"', 412),
        ('"1"', 412),
        ("v1", 412),
        ('"v2"', 412),
    ],
)
def test_if_match_follows_rfc_9110(
    client: TestClient, corpus: Path, if_match: str, status: int
) -> None:
    record_id = created(client, (corpus / ONE).read_bytes())["id"]
    response = client.put(
        f"/api/v1/records/{record_id}",
        content=(corpus / ONE).read_bytes(),
        headers={"If-Match": if_match, "Content-Type": "application/marc"},
    )
    assert response.status_code == status, response.text


def test_head_answers_the_headers_of_a_download_without_its_body(
    client: TestClient, corpus: Path
) -> None:
    record_id = created(client, (corpus / ONE).read_bytes())["id"]
    url = f"/api/v1/records/{record_id}"
    full = client.get(url, params={"format": "mrc"})
    head = client.head(url, params={"format": "mrc"})
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == full.headers["etag"]
    assert head.headers["content-disposition"] == full.headers["content-disposition"]
    assert client.head(f"{url}/versions/1").status_code == 200


def test_a_new_record_copied_from_this_catalogue_is_stored_with_a_warning(
    client: TestClient, corpus: Path
) -> None:
    first = created(client, (corpus / ONE).read_bytes())["id"]
    copy = client.get(f"/api/v1/records/{first}", params={"format": "mrc"}).content

    second = created(client, copy, "application/marc")

    assert second["id"] != first
    warnings = [w for w in second["warnings"] if w["code"] == "copy-of-catalogue-record"]
    assert len(warnings) == 1
    assert f"record {first}" in warnings[0]["message"]
    assert not [
        w
        for w in created(client, (corpus / ONE).read_bytes())["warnings"]
        if w["code"] == "copy-of-catalogue-record"
    ]
