"""Imports over HTTP: 202 at once, the job's status, its report as JSON and CSV, rejected .mrc."""

import csv
import gzip
import io
import zipfile

from fastapi.testclient import TestClient

from app import marc
from app.imports.service import ImportService
from app.marc.records import control_field, data_field, new_record

from support import CORPUS, SAMPLES

VIETNAMESE = SAMPLES / "vietnamese-made-here.mrk"
BAD_RECORDS = CORPUS / "malformed" / "pymarc" / "bad_records.mrc"


def work(client: TestClient) -> None:
    """Do what a background worker does (the test app runs none: one connection, one thread)."""
    imports: ImportService = client.app.state.imports  # type: ignore[attr-defined]
    while imports.work_once("test"):
        pass


def test_an_upload_is_accepted_at_once_and_loaded_by_a_worker(client: TestClient) -> None:
    response = client.post(
        "/api/v1/imports?filename=vietnamese.mrk",
        content=VIETNAMESE.read_bytes(),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] == "queued"
    assert response.headers["Location"] == f"/api/v1/imports/{job['id']}"
    assert job["links"]["report"] == f"/api/v1/imports/{job['id']}/report"
    assert job["match"] == ["001", "035", "isbn", "issn", "lccn"]
    assert job["action"] == "skip"
    assert job["size_bytes"] == len(VIETNAMESE.read_bytes())
    work(client)
    done = client.get(response.headers["Location"]).json()
    assert done["status"] == "done"
    assert done["counts"] == {
        "read": 19,
        "created": 19,
        "updated": 0,
        "unchanged": 0,
        "duplicates": 0,
        "ambiguous": 0,
        "rejected": 0,
    }
    assert done["records_per_second"] > 0
    found = client.get("/api/v1/records", params={"q": "nghe thu vien"}).json()
    assert [item["summary"]["title"] for item in found["items"]] == ["Cẩm nang nghề thư viện"]


def test_an_imported_record_s_json_tells_its_lengths_as_its_download(
    client: TestClient,
) -> None:
    # An import stores the JSON it made before numbering the record: the envelope must not
    # show leader lengths counted without 001, 003 and 005.
    client.post("/api/v1/imports", content=VIETNAMESE.read_bytes())
    work(client)
    for item in client.get("/api/v1/records", params={"limit": 5}).json()["items"]:
        envelope = client.get(f"/api/v1/records/{item['id']}").json()
        iso = client.get(f"/api/v1/records/{item['id']}", params={"format": "mrc"}).content
        assert envelope["record"]["leader"] == iso[:24].decode()
        assert int(envelope["record"]["leader"][:5]) == len(iso)


def test_the_report_as_json_and_csv_and_the_rejected_records(client: TestClient) -> None:
    job = client.post("/api/v1/imports", content=BAD_RECORDS.read_bytes()).json()
    work(client)
    status = client.get(f"/api/v1/imports/{job['id']}").json()
    assert status["counts"]["read"] == 8
    assert status["counts"]["rejected"] >= 2
    report = client.get(f"/api/v1/imports/{job['id']}/report")
    assert report.status_code == 200
    outcomes = report.json()
    assert [o["position"] for o in outcomes] == list(range(8))
    rejected = [o for o in outcomes if o["outcome"] == "rejected"]
    assert {3, 4} <= {o["position"] for o in rejected}
    assert all(o["reason"] for o in rejected)
    assert outcomes[0]["byte_offset"] == 0
    as_csv = client.get(f"/api/v1/imports/{job['id']}/report?format=csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    # A byte-order mark first, for Excel to read it as UTF-8 (Vietnamese titles).
    assert as_csv.content.startswith(b"\xef\xbb\xbfposition,byte_offset,")
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert [row["outcome"] for row in rows] == [o["outcome"] for o in outcomes]
    assert rows[3]["reason"] == outcomes[3]["reason"]
    mrc = client.get(f"/api/v1/imports/{job['id']}/rejected.mrc")
    assert mrc.status_code == 200
    assert mrc.headers["content-type"] == "application/marc"
    for item in marc.read(mrc.content, marc.Format.MRC):
        assert isinstance(item, marc.ParsedRecord)


def test_the_report_of_a_zip_names_each_record_s_file(client: TestClient) -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr(
            "lô 1/tốt.mrc", (SAMPLES / "traject-manufacturing-consent.mrc").read_bytes()
        )
        archive.writestr("lô 1/hỏng.mrc", BAD_RECORDS.read_bytes())
    job = client.post(
        "/api/v1/imports", files={"file": ("lô.zip", packed.getvalue(), "application/zip")}
    ).json()
    work(client)
    outcomes = client.get(f"/api/v1/imports/{job['id']}/report").json()
    assert [o["file"] for o in outcomes] == ["lô 1/tốt.mrc", *["lô 1/hỏng.mrc"] * 8]
    assert [o["byte_offset"] for o in outcomes[:2]] == [0, 0]
    as_csv = client.get(f"/api/v1/imports/{job['id']}/report?format=csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert [row["file"] for row in rows] == [o["file"] for o in outcomes]


def test_text_that_excel_would_run_as_a_formula_stays_text_in_the_csv(
    client: TestClient,
) -> None:
    formula = '=HYPERLINK("http://example.com/x","Bấm vào đây")'
    record = new_record(
        "00000nam a2200000 a 4500",
        [
            control_field("001", "-42"),
            data_field("245", "0", "0", [("a", formula)]),
        ],
    )
    job = client.post("/api/v1/imports", content=marc.write(record, marc.Format.MRC)).json()
    work(client)
    (outcome,) = client.get(f"/api/v1/imports/{job['id']}/report").json()
    assert (outcome["title"], outcome["control_number"]) == (formula, "-42")  # JSON: as it is
    as_csv = client.get(f"/api/v1/imports/{job['id']}/report?format=csv")
    (row,) = csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig")))
    assert (row["title"], row["control_number"]) == ("'" + formula, "'-42")
    assert row["position"] == "0"


def test_multipart_gzip_and_a_dry_run(client: TestClient) -> None:
    packed = gzip.compress(VIETNAMESE.read_bytes())
    response = client.post(
        "/api/v1/imports?dry_run=true",
        files={"file": ("vietnamese.mrk.gz", packed, "application/gzip")},
    )
    assert response.status_code == 202, response.text
    assert response.json()["filename"] == "vietnamese.mrk.gz"
    assert response.json()["dry_run"] is True
    work(client)
    done = client.get(response.headers["Location"]).json()
    assert done["counts"]["created"] == 19
    assert client.get("/api/v1/records").json()["items"] == []


def test_options_are_checked_before_anything_is_stored(client: TestClient) -> None:
    for query, parameter in (
        ("match=title", "match"),
        ("action=replace", "action"),
        ("keep=9", "keep"),
    ):
        response = client.post(f"/api/v1/imports?{query}", content=b"x")
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["type"] == "/problems/bad-import-option"
        assert body["parameter"] == parameter
    assert client.get("/api/v1/imports").json()["items"] == []


def test_an_empty_upload_is_refused_and_queues_nothing(client: TestClient) -> None:
    raw = client.post("/api/v1/imports", content=b"")
    multipart = client.post(
        "/api/v1/imports", files={"file": ("export.mrc", b"", "application/marc")}
    )
    for response in (raw, multipart):
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["code"] == "empty-upload"
    assert client.get("/api/v1/imports").json()["items"] == []


def test_listing_and_unknown_jobs(client: TestClient) -> None:
    ids = [
        client.post("/api/v1/imports", content=VIETNAMESE.read_bytes()).json()["id"]
        for _ in range(3)
    ]
    listed = client.get("/api/v1/imports?limit=2").json()
    assert [job["id"] for job in listed["items"]] == ids[::-1][:2]
    assert listed["next"] is not None
    older = client.get(listed["next"]).json()
    assert [job["id"] for job in older["items"]] == [ids[0]]
    missing = client.get("/api/v1/imports/999999")
    assert missing.status_code == 404
    assert missing.json()["type"] == "/problems/import-not-found"
    assert client.get("/api/v1/imports/999999/report").status_code == 404


def test_revert_over_http(client: TestClient) -> None:
    job = client.post("/api/v1/imports", content=VIETNAMESE.read_bytes()).json()
    early = client.post(f"/api/v1/imports/{job['id']}/revert")
    assert early.status_code == 409
    assert early.json()["type"] == "/problems/import-conflict"
    work(client)
    reverted = client.post(f"/api/v1/imports/{job['id']}/revert")
    assert reverted.status_code == 200, reverted.text
    assert reverted.json() == {"job_id": job["id"], "deleted": 19, "restored": 0, "refused": []}
    assert client.get(f"/api/v1/imports/{job['id']}").json()["status"] == "reverted"
    assert client.get("/api/v1/records").json()["items"] == []
