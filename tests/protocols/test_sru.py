"""SRU over HTTP on real records, every response checked against the SRU schemas."""

from collections.abc import Sequence

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from app import marc
from app.db.engine import Database
from app.protocols.sru.indexes import INDEXES
from app.services.records import RecordService

from support import SAMPLES, TEST_ORG, SteppingClock, assert_valid_xml

SRU1 = "http://www.loc.gov/zing/srw/"
SRU2 = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
NS = {
    "srw": SRU1,
    "sru": SRU2,
    "diag": "http://www.loc.gov/zing/srw/diagnostic/",
    "diag2": "http://docs.oasis-open.org/ns/search-ws/diagnostic",
    "marc": "http://www.loc.gov/MARC21/slim",
    "zr": "http://explain.z3950.org/dtd/2.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
}


@pytest.fixture
def loaded(database: Database, clock: SteppingClock) -> RecordService:
    """The 19 Vietnamese sample records and one with ISBNs, stored."""
    service = RecordService(database, org_code=TEST_ORG, clock=clock)
    for name, fmt in (
        ("vietnamese-made-here.mrk", marc.Format.MRK),
        ("traject-manufacturing-consent.mrc", marc.Format.MRC),
    ):
        with (SAMPLES / name).open("rb") as source:
            assert service.import_file(source, fmt).rejected == []
    return service


def sru(client: TestClient, version: str = "1.2", **params: str) -> etree._Element:
    """GET /sru and return the response's root, validated against its version's schema."""
    query = {"version": version, **params}
    if version != "2.0" and "query" in params:
        query.setdefault("operation", "searchRetrieve")
    response = client.get("/sru", params=query)
    assert response.status_code == 200, response.text
    expected_type = "application/sru+xml" if version == "2.0" else "text/xml"
    assert response.headers["content-type"] == f"{expected_type}; charset=utf-8"
    return assert_valid_xml(
        response.content, "sru2-all.xsd" if version == "2.0" else "sru1-all.xsd"
    )


def texts(root: etree._Element, path: str) -> list[str]:
    return [str(value) for value in root.xpath(path, namespaces=NS)]


def titles(root: etree._Element) -> list[str]:
    return texts(root, "//marc:datafield[@tag='245']/marc:subfield[@code='a']/text()")


def diagnostic(root: etree._Element) -> tuple[str, str | None]:
    uri = texts(root, "//diag:uri/text() | //diag2:uri/text()")
    details = texts(root, "//diag:details/text() | //diag2:details/text()")
    assert len(uri) == 1
    return uri[0], details[0] if details else None


@pytest.mark.parametrize("version", ["1.1", "1.2", "2.0"])
def test_explain_lists_indexes_schemas_and_limits_in_every_version(
    client: TestClient, version: str
) -> None:
    root = sru(client, version)
    prefix = "sru" if version == "2.0" else "srw"
    assert texts(root, f"/{prefix}:explainResponse/{prefix}:version/text()") == [version]
    explain = root.xpath("//zr:explain", namespaces=NS)[0]
    assert texts(explain, "zr:serverInfo/zr:database/text()") == ["sru"]
    assert set(texts(explain, "zr:indexInfo/zr:index/@id")) == {i.qualified for i in INDEXES}
    assert texts(explain, "zr:indexInfo/zr:index[@id='dc.title']/zr:title/text()") == ["Title"]
    assert set(texts(explain, "zr:schemaInfo/zr:schema/@name")) == {"marcxml", "dc"}
    assert texts(explain, "zr:configInfo/zr:default[@type='numberOfRecords']/text()") == ["10"]
    assert texts(explain, "zr:configInfo/zr:setting[@type='maximumRecords']/text()") == ["100"]


def test_a_bare_request_is_an_sru_2_explain(client: TestClient) -> None:
    response = client.get("/sru")
    root = assert_valid_xml(response.content, "sru2-all.xsd")
    assert root.tag == f"{{{SRU2}}}explainResponse"


def test_vietnamese_search_without_diacritics_returns_marcxml(
    client: TestClient, loaded: RecordService
) -> None:
    root = sru(client, query='dc.title = "nghe thu vien"')
    assert texts(root, "//srw:numberOfRecords/text()") == ["1"]
    assert titles(root) == ["Cẩm nang nghề thư viện /"]
    assert texts(root, "//srw:recordSchema/text()") == ["info:srw/schema/1/marcxml-v1.1"]
    assert texts(root, "//srw:recordPosition/text()") == ["1"]
    assert texts(root, "//srw:nextRecordPosition/text()") == []
    # The same words typed in NFD, and with "Đ" folded, find the same records.
    nfd = sru(client, query='dc.title = "nghe\u0300 thu\u031b vie\u0323\u0302n"')
    assert titles(nfd) == titles(root)
    assert titles(sru(client, query='dc.title = "Dat rung"')) == ["Đất rừng phương Nam /"] * 2


@pytest.mark.parametrize(
    ("keywords", "cql"),
    [
        ({"q": "nguyen"}, "nguyen"),
        ({"q": "to hoai"}, 'cql.anywhere all "to hoai"'),
        ({"author": "nguyen du"}, 'dc.creator = "nguyen du"'),
        ({"q": '"dat rung phuong nam"'}, 'cql.serverChoice adj "dat rung phuong nam"'),
        ({"q": "viet OR kieu"}, "viet or kieu"),
        ({"q": "viet -su"}, "viet not su"),
        (
            {"q": "viet", "year_from": "1930", "year_to": "1945"},
            "viet and dc.date within '1930 1945'",
        ),
        ({"title": "thu*"}, "dc.title = thu*"),
        ({"isbn": "0375714499"}, "bath.isbn = 0375714499"),
    ],
)
def test_sru_finds_what_the_json_search_finds_in_the_same_order(
    client: TestClient, loaded: RecordService, keywords: dict[str, str], cql: str
) -> None:
    cql = cql.replace("'", '"')
    expected = client.get("/api/v1/records", params={**keywords, "limit": "50"}).json()
    ids = [str(item["id"]) for item in expected["items"]]
    assert ids, keywords
    root = sru(client, query=cql, maximumRecords="50")
    assert texts(root, "//srw:numberOfRecords/text()") == [str(len(ids))]
    assert texts(root, "//marc:controlfield[@tag='001']/text()") == ids


def test_paging_by_start_record_walks_the_whole_result(
    client: TestClient, loaded: RecordService
) -> None:
    first = sru(client, query="nguyen", maximumRecords="3")
    total = int(texts(first, "//srw:numberOfRecords/text()")[0])
    assert total == 8
    seen: list[str] = []
    start = "1"
    while True:
        page = sru(client, query="nguyen", maximumRecords="3", startRecord=start)
        positions = texts(page, "//srw:recordPosition/text()")
        assert positions == [str(int(start) + i) for i in range(len(positions))]
        seen += texts(page, "//marc:controlfield[@tag='001']/text()")
        following = texts(page, "//srw:nextRecordPosition/text()")
        if not following:
            break
        start = following[0]
    assert len(seen) == len(set(seen)) == total
    counted = sru(client, query="nguyen", maximumRecords="0")
    assert texts(counted, "//srw:numberOfRecords/text()") == ["8"]
    assert texts(counted, "//srw:record") == []


def test_maximum_records_is_capped_by_the_server(client: TestClient, loaded: RecordService) -> None:
    root = sru(client, query="cql.allRecords = 1", maximumRecords="5000")
    assert texts(root, "//srw:numberOfRecords/text()") == ["20"]
    assert len(texts(root, "//srw:record")) == 20


def test_dublin_core_and_string_packing(client: TestClient, loaded: RecordService) -> None:
    dc = sru(client, "2.0", query='dc.title = "dat rung"', recordSchema="dc")
    assert set(texts(dc, "//dc:title/text()")) == {"Đất rừng phương Nam"}
    assert set(texts(dc, "//dc:creator/text()")) >= {"Đoàn Giỏi, 1925-1989"}
    assert texts(dc, "//sru:recordSchema/text()") == ["info:srw/schema/1/dc-v1.1"] * 2
    packed = sru(client, query='dc.title = "so do"', recordPacking="string")
    data = texts(packed, "//srw:recordData/text()")
    assert len(data) == 1
    record = etree.fromstring(data[0].encode())
    assert texts(record, "//marc:datafield[@tag='245']/marc:subfield[@code='a']/text()") == [
        "Số đỏ /"
    ]
    escaped = sru(client, "2.0", query='dc.title = "so do"', recordXMLEscaping="string")
    assert texts(escaped, "//sru:recordData/text()") == data


def test_sorting_and_deleted_records(client: TestClient, loaded: RecordService) -> None:
    by_year = sru(client, query="nguyen sortby dc.date/sort.descending", maximumRecords="50")
    years = texts(by_year, "//marc:datafield[@tag='264']/marc:subfield[@code='c']/text()")
    assert years == sorted(years, reverse=True)
    number = texts(sru(client, query='"kim van kieu"'), "//marc:controlfield[@tag='001']/text()")[0]
    found = sru(client, query=f"rec.id = {number}")
    assert titles(found) == ["Kim Vân Kiều truyện /"]
    loaded.delete(int(number), expected_versions=None)
    gone = sru(client, query=f"rec.id = {number}")
    assert texts(gone, "//srw:numberOfRecords/text()") == ["0"]


def test_post_takes_the_same_parameters(client: TestClient, loaded: RecordService) -> None:
    response = client.post(
        "/sru",
        content="version=1.2&operation=searchRetrieve&query=dc.title%3D%22so%20do%22",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    root = assert_valid_xml(response.content, "sru1-all.xsd")
    assert titles(root) == ["Số đỏ /"]


@pytest.mark.parametrize(
    ("version", "params", "code", "details"),
    [
        ("1.2", {"operation": "searchRetrieve"}, 7, "query"),
        ("1.1", {"query": "dc.title ="}, 10, "10"),
        ("2.0", {"query": "(a"}, 10, "2"),
        ("1.2", {"query": "dc.contributor = x"}, 16, "dc.contributor"),
        ("2.0", {"query": "dc.title foo x"}, 19, "foo"),
        ("1.2", {"query": "a prox b"}, 39, "prox"),
        ("1.2", {"query": "a", "recordSchema": "mods"}, 66, "mods"),
        ("2.0", {"query": "nguyen", "startRecord": "9"}, 61, "9"),
        ("1.2", {"query": "a", "maximumRecords": "-1"}, 6, "maximumRecords"),
        ("1.2", {"query": "a", "startRecord": "0"}, 6, "startRecord"),
        ("1.2", {"query": "a", "recordPacking": "json"}, 71, "json"),
        ("1.2", {"query": "a", "foo": "bar"}, 8, "foo"),
        ("1.2", {"query": "a", "recordXPath": "/a"}, 72, "/a"),
        ("1.2", {"query": "a", "sortKeys": "title,,1"}, 80, "title,,1"),
        ("1.2", {"operation": "scan", "scanClause": "a"}, 4, "scan"),
        ("2.0", {"query": "a", "queryType": "searchTerms"}, 6, "queryType"),
        ("2.0", {"query": "a", "httpAccept": "text/html"}, 6, "httpAccept"),
    ],
)
def test_errors_are_standard_diagnostics_in_a_valid_response(
    client: TestClient,
    loaded: RecordService,
    version: str,
    params: dict[str, str],
    code: int,
    details: str,
) -> None:
    root = sru(client, version, **params)
    assert diagnostic(root) == (f"info:srw/diagnostic/1/{code}", details)
    prefix = "sru" if version == "2.0" else "srw"
    assert root.tag == f"{{{SRU2 if version == '2.0' else SRU1}}}searchRetrieveResponse"
    assert texts(root, f"//{prefix}:records") == []


def test_an_unsupported_version_is_answered_in_one_we_speak(client: TestClient) -> None:
    response = client.get(
        "/sru", params={"version": "1.5", "operation": "searchRetrieve", "query": "a"}
    )
    root = assert_valid_xml(response.content, "sru1-all.xsd")
    assert texts(root, "//srw:version/text()") == ["1.2"]
    assert diagnostic(root) == ("info:srw/diagnostic/1/5", "2.0")
    too_old = client.get("/sru", params={"version": "0.9"})
    root = assert_valid_xml(too_old.content, "sru1-all.xsd")
    assert diagnostic(root) == ("info:srw/diagnostic/1/5", "2.0")


def test_a_repeated_parameter_is_refused(client: TestClient) -> None:
    response = client.get("/sru?version=1.2&operation=searchRetrieve&query=a&query=b")
    root = assert_valid_xml(response.content, "sru1-all.xsd")
    assert diagnostic(root) == ("info:srw/diagnostic/1/6", "query")


def test_the_sru_endpoint_is_in_the_openapi_schema(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operations: Sequence[str] = list(schema["paths"]["/sru"])
    assert set(operations) == {"get", "post"}
    names = {p["name"] for p in schema["paths"]["/sru"]["get"]["parameters"]}
    assert {"version", "operation", "query", "startRecord", "maximumRecords"} <= names
    assert "text/xml" in schema["paths"]["/sru"]["get"]["responses"]["200"]["content"]


@pytest.mark.parametrize(
    ("cql", "expected"),
    [
        # What Koha's copy cataloguing sends, its fields mapped by the README's settings
        # (and by Koha's own default, which names dc.author and bath.standardIdentifier).
        ('dc.title="kim van kieu" and dc.creator="nguyen du"', ["Kim Vân Kiều truyện /"] * 2),
        ('dc.author="Tô Hoài" and dc.title="dế mèn"', ["Con dế mèn /", "Dế Mèn phiêu lưu ký /"]),
        ('bath.isbn="0-375-71449-9"', ["Manufacturing consent :"]),
        ('bath.standardIdentifier="9780375714498"', ["Manufacturing consent :"]),
        ('cql.anywhere="phong su"', ["Việt Nam văn hóa sử cương /"]),
    ],
)
def test_koha_style_queries(
    client: TestClient, loaded: RecordService, cql: str, expected: list[str]
) -> None:
    root = sru(client, "1.1", query=cql, maximumRecords="20")
    assert sorted(titles(root)) == sorted(expected)
