"""Searching and exporting over HTTP, on the real sample records, on both engines."""

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from app import marc
from app.db.engine import Database
from app.services.records import RecordService

from support import SAMPLES, TEST_ORG, SteppingClock

VIETNAMESE = SAMPLES / "vietnamese-made-here.mrk"


@pytest.fixture
def loaded(database: Database, clock: SteppingClock) -> int:
    """The 19 Vietnamese sample records, stored; returns how many."""
    service = RecordService(database, org_code=TEST_ORG, clock=clock)
    with VIETNAMESE.open("rb") as source:
        outcome = service.import_file(source, marc.Format.MRK)
    assert outcome.rejected == []
    return outcome.created


def titles(body: dict[str, object]) -> list[str]:
    items = body["items"]
    assert isinstance(items, list)
    return [item["summary"]["title"] for item in items]


def test_a_search_without_diacritics_finds_the_vietnamese_title(
    client: TestClient, loaded: int
) -> None:
    assert loaded == 19
    response = client.get("/api/v1/records", params={"q": "nghe thu vien"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert titles(body) == ["Cẩm nang nghề thư viện"]
    hit = body["items"][0]
    assert hit["summary"]["type"] == "book"
    assert hit["summary"]["responsibility"] == "Lê Văn Viết"
    record_id = hit["id"]
    assert hit["links"]["mrc"] == f"/api/v1/records/{record_id}?format=mrc"
    assert set(hit["links"]) == {"self", "json", "marcxml", "mrc", "mrk", "versions"}
    assert body["total"] == 1
    assert body["total_exact"] is True
    assert body["facets"]["language"] == [{"value": "vie", "count": 1}]


def test_fielded_search_and_phrases_on_real_records(client: TestClient, loaded: int) -> None:
    def found(**params: str) -> list[str]:
        response = client.get("/api/v1/records", params={**params, "sort": "title"})
        assert response.status_code == 200, response.text
        return titles(response.json())

    assert found(author="nguyen du") == ["Kim Vân Kiều truyện"] * 2
    assert found(q='"dat rung phuong nam"') == ["Đất rừng phương Nam"] * 2
    assert found(q="to hoai") == ["Con dế mèn", "Dế Mèn phiêu lưu ký"]
    # The older book's note names the later one, so only the title can tell them apart.
    assert found(q="de men -phieu") == []
    assert found(q="de men", title="-phieu") == ["Con dế mèn"]
    assert found(title="viet nam", author="tran trong kim") == ["Việt Nam sử lược"] * 2


def test_pages_follow_next_links_with_the_same_query(client: TestClient, loaded: int) -> None:
    url: str | None = "/api/v1/records?q=viet&limit=2&facets=false"
    seen: list[int] = []
    while url is not None:
        response = client.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] is None
        assert body["facets"] is None
        seen.extend(item["id"] for item in body["items"])
        url = body["next"]
        if url is not None:
            assert parse_qs(urlsplit(url).query)["q"] == ["viet"]
    total = client.get("/api/v1/records", params={"q": "viet"}).json()["total"]
    assert len(seen) == len(set(seen)) == total
    assert total >= 5


@pytest.mark.parametrize(
    ("q", "position"),
    [('"thu vien', 0), ("thu OR", 4), ("(a b", 0), ("a*b", 1), ("title: x", 0)],
)
def test_a_query_that_cannot_be_parsed_says_where(
    client: TestClient, q: str, position: int
) -> None:
    response = client.get("/api/v1/records", params={"q": q})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/problems/bad-query"
    assert body["parameter"] == "q"
    assert body["position"] == position
    assert f"(at character {position + 1})" in body["detail"]


@pytest.mark.parametrize("q", ["-sach", "--", "NOT sach"])
def test_a_query_with_nothing_to_find_is_a_bad_query(client: TestClient, q: str) -> None:
    response = client.get("/api/v1/records", params={"q": q})
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/bad-query"


def test_bad_parameters_are_problems_not_errors(client: TestClient) -> None:
    for params, status, slug in (
        ({"type": "spaceship"}, 422, "invalid-request"),
        ({"sort": "colour"}, 422, "invalid-request"),
        ({"language": "vietnamese"}, 422, "invalid-request"),
        ({"year_from": "10000"}, 422, "invalid-request"),
        ({"isbn": "123"}, 400, "bad-query"),
        ({"q": "x", "cursor": "eyJzIjoieWVhciJ9"}, 400, "bad-cursor"),
        ({"q": "x", "cursor": "!!"}, 400, "bad-cursor"),
        ({"q": "x", "cursor": base64.urlsafe_b64encode(b"[" * 3000).decode()}, 400, "bad-cursor"),
        ({"q": "x", "cursor": base64.urlsafe_b64encode(b"[" * 300).decode()}, 400, "bad-cursor"),
        ({"q": "thu\x00vien"}, 400, "bad-query"),
        ({"ddc": "9\x00"}, 400, "bad-query"),
    ):
        response = client.get("/api/v1/records", params=params)
        assert response.status_code == status, (params, response.text)
        assert response.json()["type"] == f"/problems/{slug}"


def test_a_cursor_from_another_sort_is_a_bad_cursor(client: TestClient, loaded: int) -> None:
    first = client.get("/api/v1/records", params={"q": "viet", "limit": 1, "sort": "year"})
    cursor = parse_qs(urlsplit(first.json()["next"]).query)["cursor"][0]
    again = client.get("/api/v1/records", params={"q": "viet", "sort": "title", "cursor": cursor})
    assert again.status_code == 400
    assert again.json()["type"] == "/problems/bad-cursor"


def test_export_streams_the_whole_result_in_each_format(client: TestClient, loaded: int) -> None:
    total = client.get("/api/v1/records", params={"q": "viet"}).json()["total"]
    mrc = client.get("/api/v1/records/export", params={"q": "viet", "format": "mrc"})
    assert mrc.status_code == 200
    assert mrc.headers["content-type"] == "application/marc"
    assert mrc.headers["content-disposition"] == 'attachment; filename="records.mrc"'
    assert mrc.content.count(b"\x1d") == total
    xml = client.get("/api/v1/records/export", params={"q": "viet", "format": "marcxml"})
    assert xml.headers["content-type"] == "application/marcxml+xml; charset=utf-8"
    assert xml.content.count(b"<record") == total
    array = client.get("/api/v1/records/export", params={"q": "viet", "format": "json"})
    assert len(json.loads(array.content)) == total
    everything = client.get("/api/v1/records/export")
    assert everything.content.count(b"\x1d") == loaded
    refused = client.get("/api/v1/records/export", params={"q": '"open'})
    assert refused.status_code == 400
    assert refused.json()["type"] == "/problems/bad-query"


def test_an_exclusion_alone_names_its_parameter(client: TestClient) -> None:
    response = client.get("/api/v1/records", params={"title": "-sach"})
    assert response.status_code == 400
    assert response.json()["parameter"] == "title"
