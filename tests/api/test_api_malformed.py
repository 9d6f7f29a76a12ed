"""No input is a 500: every damaged file in the corpus gets a problem or is stored."""

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings


def malformed_files(corpus: Path) -> list[Path]:
    files = sorted(p for p in (corpus / "malformed").rglob("*") if p.is_file())
    assert len(files) == 81, "the corpus's malformed/ folder changed: update this count"
    return files


def test_every_malformed_file_gets_a_clear_answer(client: TestClient, corpus: Path) -> None:
    statuses: dict[int, int] = {}
    for path in malformed_files(corpus):
        data = path.read_bytes()
        for url in ("/api/v1/records", "/api/v1/records/validate"):
            response = client.post(url, content=data)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code < 500, f"{path.name} → {response.status_code}"
            if response.status_code >= 400:
                assert response.headers["content-type"] == "application/problem+json"
                body = response.json()
                assert {"type", "title", "status", "detail"} <= set(body), path.name
                assert "Traceback" not in response.text
    assert statuses.get(400, 0) > 0
    assert statuses.get(200, 0) == 81  # validate answers every file with a report


@pytest.mark.parametrize(
    "payload",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;'
        b'&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><record xmlns="http://www.loc.gov/MARC21/slim">'
        b'<leader>00000nam a2200000 a 4500</leader><datafield tag="245" ind1="0" ind2="0">'
        b'<subfield code="a">&lol2;</subfield></datafield></record>',
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 a 4500</leader>'
        b'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">&xxe;</subfield></datafield>'
        b"</record>",
    ],
    ids=["entity-bomb", "external-entity"],
)
def test_xml_with_entities_is_refused(client: TestClient, payload: bytes) -> None:
    response = client.post(
        "/api/v1/records", content=payload, headers={"Content-Type": "application/marcxml+xml"}
    )
    assert response.status_code == 400
    assert "root:" not in response.text
    assert response.json()["errors"][0]["code"] == "xml-doctype-forbidden"


def test_an_unexpected_error_is_a_500_problem_that_reveals_nothing(settings: Settings) -> None:
    app: FastAPI = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret detail from deep inside")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["request_id"] == "req-42"
    assert response.headers["x-request-id"] == "req-42"
    assert "secret" not in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/records/99999999999999999999999", 422),
        ("/api/v1/records/1/versions/99999999999999999999", 422),
        ("/api/v1/records/1/diff?from=99999999999999999999", 422),
        ("/api/v1/records?updated_since=9999-12-31T23:59:59-01:00", 400),
        ("/api/v1/records?updated_since=0001-01-01T00:00:00%2B01:00", 400),
        # ["9999-12-31T23:59:59-01:00", 1] and ["2026-11-25T00:00:00+00:00", 10**23]
        ("/api/v1/records?cursor=WyI5OTk5LTEyLTMxVDIzOjU5OjU5LTAxOjAwIiwgMV0", 400),
        (
            "/api/v1/records?cursor=WyIyMDI2LTExLTI1VDAwOjAwOjAwKzAwOjAwIiwgMTAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwXQ",
            400,
        ),
    ],
)
def test_numbers_and_times_out_of_range_are_problems(
    client: TestClient, url: str, status: int
) -> None:
    response = client.get(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_json_nested_too_deep_is_unreadable(client: TestClient) -> None:
    response = client.post(
        "/api/v1/records", content=b"[" * 100_000, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/unreadable-record"
