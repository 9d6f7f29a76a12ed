"""OAI-PMH 2.0 at /oai on real records, both engines; every response checked against the schema."""

import base64
import json
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from app import marc
from app.db.engine import Database
from app.main import create_app
from app.protocols.oai.formats import FORMATS
from app.protocols.oai.provider import DataProvider, RepositorySettings
from app.protocols.oai.sets import SetHierarchy
from app.services.harvest import HarvestService, Selection
from app.settings import Settings

from support import SAMPLES, SteppingClock, assert_valid_xml, load_samples, with_key

NS = {
    "oai": "http://www.openarchives.org/OAI/2.0/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "marc": "http://www.loc.gov/MARC21/slim",
    "id": "http://www.openarchives.org/OAI/2.0/oai-identifier",
}
REPOSITORY = "catalog.example.vn"
VIETNAMESE = "vietnamese/cornell-9220704-phong-su-bao-chi.mrc"
VIETNAMESE_TITLE = "Phóng sự báo chí : lý thuyết, kỹ năng và kinh nghiệm"
ONE = "iso2709/pymarc/one.dat"
TEN = "iso2709/pymarc/test.dat"  # ten LC book records
SERIAL = "traject-nature-serial.mrc"  # in sample_records
SOUND = "marc4j-freewheelin-dylan.json"  # in sample_records


# -- talking to /oai ----------------------------------------------------------------------------


def oai_document(content: bytes, content_type: str) -> etree._Element:
    assert content_type == "text/xml; charset=utf-8"
    assert content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    return assert_valid_xml(content, "oai-pmh-all.xsd")


def oai(client: TestClient, query: str | dict[str, str]) -> etree._Element:
    """GET /oai with a dict of arguments or a raw query string; the response, schema-checked."""
    if isinstance(query, str):
        response = client.get(f"/oai?{query}")
    else:
        response = client.get("/oai", params=query)
    assert response.status_code == 200, response.text
    return oai_document(response.content, response.headers["content-type"])


def errors(root: etree._Element) -> list[str]:
    return [e.get("code") or "" for e in root.findall("oai:error", NS)]


def echoed(root: etree._Element) -> dict[str, str]:
    request = root.find("oai:request", NS)
    assert request is not None
    return dict(request.attrib)


def text(root: etree._Element, path: str) -> str:
    found = root.findtext(path, namespaces=NS)
    assert found is not None, path
    return found


def headers(root: etree._Element) -> list[tuple[int, str, bool]]:
    """(record number, datestamp, deleted) of every header of a list or GetRecord."""
    found = []
    for header in root.iterfind(".//oai:header", NS):
        identifier = text(header, "oai:identifier")
        assert identifier.startswith(f"oai:{REPOSITORY}:")
        found.append(
            (
                int(identifier.rsplit(":", 1)[1]),
                text(header, "oai:datestamp"),
                header.get("status") == "deleted",
            )
        )
    return found


def token_of(root: etree._Element) -> etree._Element | None:
    return root.find(".//oai:resumptionToken", NS)


def harvest(
    client: TestClient, verb: str, arguments: dict[str, str]
) -> tuple[list[tuple[int, str, bool]], list[etree._Element]]:
    """Follow resumption tokens to the end: every header, and every page."""
    pages = [oai(client, {"verb": verb, **arguments})]
    while (token := token_of(pages[-1])) is not None and token.text:
        pages.append(oai(client, {"verb": verb, "resumptionToken": token.text}))
    return [h for page in pages for h in headers(page)], pages


# -- making records -----------------------------------------------------------------------------


def create(client: TestClient, path: Path) -> int:
    response = client.post("/api/v1/records", content=path.read_bytes())
    assert response.status_code == 201, response.text
    record_id: int = response.json()["id"]
    return record_id


def retitle(client: TestClient, record_id: int, title: str) -> None:
    url = f"/api/v1/records/{record_id}"
    mrk = client.get(url, params={"format": "mrk"}).text
    lines = [
        f"=245  10$a{title}" if line.startswith("=245  ") else line for line in mrk.splitlines()
    ]
    response = client.put(
        url,
        content="\n".join(lines).encode(),
        headers={"Content-Type": "text/x-marc-mnemonic", "If-Match": "*"},
    )
    assert response.status_code == 200, response.text


def delete(client: TestClient, record_id: int) -> None:
    assert client.delete(f"/api/v1/records/{record_id}").status_code == 200


def import_ten(client: TestClient, corpus: Path) -> list[int]:
    """The ten records of TEN, stored in one batch: one datestamp, numbers in file order."""
    app: Any = client.app
    with (corpus / TEN).open("rb") as stream:
        assert app.state.records.import_file(stream, None).created == 10
    page = app.state.harvest.page(Selection(), after=None, limit=100, with_records=False)
    numbers = [item.id for item in page.items]
    assert len(numbers) == 10
    return numbers


@contextmanager
def client_with(
    settings: Settings, database: Database, clock: Any, **changes: Any
) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update=changes), database=database, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield with_key(client)


class SetClock:
    """A clock that says what the test last set, to the microsecond."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# -- Identify, ListMetadataFormats, ListSets ----------------------------------------------------


def test_identify_describes_the_repository(client: TestClient) -> None:
    root = oai(client, {"verb": "Identify"})

    assert text(root, "oai:responseDate") == "2026-11-25T08:00:01Z"  # the app's clock
    assert echoed(root) == {"verb": "Identify"}
    assert text(root, "oai:request") == "http://testserver/oai"
    identify = root.find("oai:Identify", NS)
    assert identify is not None
    assert [(child.tag.split("}")[1], child.text) for child in identify][:7] == [
        ("repositoryName", "Shared catalogue"),
        ("baseURL", "http://testserver/oai"),
        ("protocolVersion", "2.0"),
        ("adminEmail", "catalog-admin@example.vn"),
        ("earliestDatestamp", "1970-01-01T00:00:00Z"),  # nothing stored yet
        ("deletedRecord", "persistent"),
        ("granularity", "YYYY-MM-DDThh:mm:ssZ"),
    ]
    description = identify.find("oai:description/id:oai-identifier", NS)
    assert description is not None
    assert [child.text for child in description] == [
        "oai",
        REPOSITORY,
        ":",
        f"oai:{REPOSITORY}:1",
    ]


def test_identify_gives_the_oldest_datestamp_and_the_public_base_url(
    settings: Settings, database: Database, clock: SteppingClock, corpus: Path
) -> None:
    with client_with(
        settings, database, clock, public_base_url="https://catalog.example.vn/"
    ) as client:
        first = create(client, corpus / ONE)  # 08:00:01
        create(client, corpus / VIETNAMESE)  # 08:00:02
        retitle(client, first, "ActivePerl, revised")  # 08:00:03: the first moves on

        root = oai(client, {"verb": "Identify"})

    assert text(root, "oai:Identify/oai:earliestDatestamp") == "2026-11-25T08:00:02Z"
    assert text(root, "oai:Identify/oai:baseURL") == "https://catalog.example.vn/oai"
    assert text(root, "oai:request") == "https://catalog.example.vn/oai"


def test_list_metadata_formats_for_the_repository_and_for_a_record(
    client: TestClient, corpus: Path
) -> None:
    live = create(client, corpus / ONE)
    gone = create(client, corpus / VIETNAMESE)
    delete(client, gone)
    expected = [
        ("marc21", "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd", NS["marc"]),
        ("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", NS["oai_dc"]),
    ]

    for arguments in (
        {},
        {"identifier": f"oai:{REPOSITORY}:{live}"},
        {"identifier": f"oai:{REPOSITORY}:{gone}"},  # a tombstone is still an item
    ):
        root = oai(client, {"verb": "ListMetadataFormats", **arguments})
        formats = [
            tuple(child.text for child in entry)
            for entry in root.iterfind("oai:ListMetadataFormats/oai:metadataFormat", NS)
        ]
        assert formats == expected

    missing = oai(client, {"verb": "ListMetadataFormats", "identifier": f"oai:{REPOSITORY}:99"})
    assert errors(missing) == ["idDoesNotExist"]
    assert echoed(missing) == {"verb": "ListMetadataFormats", "identifier": f"oai:{REPOSITORY}:99"}


def test_list_sets_names_every_type_of_material_under_type(client: TestClient) -> None:
    root = oai(client, {"verb": "ListSets"})

    specs = [text(s, "oai:setSpec") for s in root.iterfind("oai:ListSets/oai:set", NS)]
    assert specs == ["type", *(f"type:{name}" for name in marc.MATERIAL_NAMES)]
    assert "type:book" in specs
    assert "type:serial" in specs
    names = [text(s, "oai:setName") for s in root.iterfind("oai:ListSets/oai:set", NS)]
    assert names[specs.index("type:serial")] == "Serials"
    assert token_of(root) is None

    resumed = oai(client, {"verb": "ListSets", "resumptionToken": "anything"})
    assert errors(resumed) == ["badResumptionToken"]


# -- GetRecord ----------------------------------------------------------------------------------


def test_get_record_in_marc21_keeps_vietnamese_text(client: TestClient, corpus: Path) -> None:
    record_id = create(client, corpus / VIETNAMESE)
    stored = client.get(f"/api/v1/records/{record_id}").json()

    root = oai(
        client,
        {
            "verb": "GetRecord",
            "identifier": f"oai:{REPOSITORY}:{record_id}",
            "metadataPrefix": "marc21",
        },
    )

    assert headers(root) == [(record_id, "2026-11-25T08:00:01Z", False)]
    assert stored["updated_at"].startswith("2026-11-25T08:00:01")
    assert [text(root, ".//oai:header/oai:setSpec")] == ["type:book"]
    marcxml = root.find("oai:GetRecord/oai:record/oai:metadata/marc:record", NS)
    assert marcxml is not None
    title = marcxml.xpath("marc:datafield[@tag='245']/marc:subfield[@code='a']", namespaces=NS)
    assert title[0].text == "Phóng sự báo chí :"
    # The file's mixed normalisation arrives as NFC, and equal to what the API serves.
    publisher = marcxml.xpath("marc:datafield[@tag='264']/marc:subfield[@code='b']", namespaces=NS)
    assert publisher[0].text == unicodedata.normalize(
        "NFC", "Nhà xuất bản Thông tin và truyền thông,"
    )
    again = marc.read_one(etree.tostring(marcxml), marc.Format.MARCXML).record
    assert marc.to_json(again) == stored["record"]


def test_get_record_in_oai_dc_keeps_vietnamese_text(client: TestClient, corpus: Path) -> None:
    record_id = create(client, corpus / VIETNAMESE)

    root = oai(
        client,
        {
            "verb": "GetRecord",
            "identifier": f"oai:{REPOSITORY}:{record_id}",
            "metadataPrefix": "oai_dc",
        },
    )

    dc = root.find("oai:GetRecord/oai:record/oai:metadata/oai_dc:dc", NS)
    assert dc is not None
    assert [(child.tag.split("}")[1], child.text) for child in dc] == [
        ("title", VIETNAMESE_TITLE),
        ("creator", "Nguyễn, Quang Hòa"),
        ("subject", "PN4781 .N594 2015"),
        ("subject", "Reporters and reporting"),
        ("subject", "Journalism -- Authorship"),
        ("description", "At head of title: Học viện Báo chí và tuyên truyền"),
        ("description", "Includes bibliographical references (pages 273-276)"),
        ("publisher", "Hà Nội : Nhà xuất bản Thông tin và truyền thông"),
        ("contributor", "Học viện Báo chí và tuyên truyền"),
        ("date", "2015"),
        ("type", "Text"),
        ("language", "vie"),
    ]
    assert all(unicodedata.is_normalized("NFC", child.text or "") for child in dc)


def test_a_deleted_record_has_a_deleted_header_and_no_metadata(
    client: TestClient, corpus: Path
) -> None:
    kept = create(client, corpus / ONE)  # 08:00:01
    gone = create(client, corpus / VIETNAMESE)  # 08:00:02
    delete(client, gone)  # 08:00:03

    for prefix in FORMATS:
        root = oai(
            client,
            {
                "verb": "GetRecord",
                "identifier": f"oai:{REPOSITORY}:{gone}",
                "metadataPrefix": prefix,
            },
        )
        assert headers(root) == [(gone, "2026-11-25T08:00:03Z", True)]
        assert root.find(".//oai:metadata", NS) is None
        assert text(root, ".//oai:header/oai:setSpec") == "type:book"

        listed = oai(client, {"verb": "ListRecords", "metadataPrefix": prefix})
        assert headers(listed) == [
            (kept, "2026-11-25T08:00:01Z", False),
            (gone, "2026-11-25T08:00:03Z", True),
        ]
        assert len(listed.findall(".//oai:record/oai:metadata", NS)) == 1

    identifiers = oai(client, {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"})
    assert [deleted for _, _, deleted in headers(identifiers)] == [False, True]


# -- lists and resumption -----------------------------------------------------------------------


def test_lists_come_in_pages_with_cursor_and_complete_list_size(
    settings: Settings, database: Database, clock: SteppingClock, corpus: Path
) -> None:
    with client_with(settings, database, clock, oai_page_size=3) as client:
        ten = import_ten(client, corpus)  # 08:00:01, all ten
        serial = create(client, SAMPLES / SERIAL)  # 08:00:02
        sound = create(client, SAMPLES / SOUND)  # 08:00:03

        for verb in ("ListIdentifiers", "ListRecords"):
            found, pages = harvest(client, verb, {"metadataPrefix": "marc21"})

            # Ordered by datestamp, then by number within a second.
            assert [number for number, _, _ in found] == [*ten, serial, sound]
            assert [datestamp for _, datestamp, _ in found] == ["2026-11-25T08:00:01Z"] * 10 + [
                "2026-11-25T08:00:02Z",
                "2026-11-25T08:00:03Z",
            ]
            assert [len(headers(page)) for page in pages] == [3, 3, 3, 3]
            tokens = [token_of(page) for page in pages]
            assert all(token is not None for token in tokens)
            assert [
                (t.get("cursor"), t.get("completeListSize")) for t in tokens if t is not None
            ] == [
                ("0", "12"),
                ("3", "12"),
                ("6", "12"),
                ("9", "12"),
            ]
            assert [bool(t.text) for t in tokens if t is not None] == [True, True, True, False]
            for page in pages[1:]:
                assert set(echoed(page)) == {"verb", "resumptionToken"}
        records = harvest(client, "ListRecords", {"metadataPrefix": "oai_dc"})[1]
        titles = [t.text for page in records for t in page.iterfind(".//dc:title", NS)]
        assert titles[-2:] == ["Nature", "The freewheelin' Bob Dylan"]


def test_a_list_that_fits_one_page_has_no_token(client: TestClient, corpus: Path) -> None:
    create(client, corpus / ONE)

    root = oai(client, {"verb": "ListRecords", "metadataPrefix": "oai_dc"})

    assert len(headers(root)) == 1
    assert token_of(root) is None


def test_a_token_is_idempotent_and_any_process_continues_it(
    settings: Settings, database: Database, clock: SteppingClock, corpus: Path
) -> None:
    with client_with(settings, database, clock, oai_page_size=4) as client:
        ten = import_ten(client, corpus)
        first = oai(client, {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"})
        token = token_of(first)
        assert token is not None
        assert token.text
        again = oai(client, {"verb": "ListIdentifiers", "resumptionToken": token.text})
        once_more = oai(client, {"verb": "ListIdentifiers", "resumptionToken": token.text})
    # Another process: a new application over the same database, sharing nothing in memory.
    later = SteppingClock(datetime(2027, 1, 1, tzinfo=UTC))
    with client_with(settings, database, later, oai_page_size=4) as other:
        elsewhere = oai(other, {"verb": "ListIdentifiers", "resumptionToken": token.text})

    assert [n for n, _, _ in headers(again)] == ten[4:8]
    assert headers(again) == headers(once_more) == headers(elsewhere)
    assert text(elsewhere, "oai:responseDate") == "2027-01-01T00:00:01Z"


def test_a_harvest_misses_nothing_while_records_change(
    settings: Settings, database: Database, clock: SteppingClock, corpus: Path
) -> None:
    with client_with(settings, database, clock, oai_page_size=3) as client:
        n = [0, *import_ten(client, corpus)]  # n[1] … n[10], stored at 08:00:01
        first = oai(client, {"verb": "ListIdentifiers", "metadataPrefix": "marc21"})  # :02
        assert [number for number, _, _ in headers(first)] == n[1:4]
        retitle(client, n[2], "Seen, then changed")  # 08:00:03
        retitle(client, n[5], "Changed before it was seen")  # 08:00:04
        delete(client, n[8])  # 08:00:05

        token = token_of(first)
        assert token is not None
        pages = [first]
        while token is not None and token.text:
            pages.append(oai(client, {"verb": "ListIdentifiers", "resumptionToken": token.text}))
            token = token_of(pages[-1])

    found = [h for page in pages for h in headers(page)]
    unchanged = "2026-11-25T08:00:01Z"
    assert found == [
        *((n[i], unchanged, False) for i in (1, 2, 3, 4, 6, 7, 9, 10)),
        (n[2], "2026-11-25T08:00:03Z", False),  # changed after it was given: given again
        (n[5], "2026-11-25T08:00:04Z", False),
        (n[8], "2026-11-25T08:00:05Z", True),
    ]
    assert {number for number, _, _ in found} == set(n[1:])
    last = token_of(pages[-1])
    assert last is not None
    # The list grew past its first count: the last response says how long it turned out.
    assert (last.text, last.get("cursor"), last.get("completeListSize")) == (None, "9", "11")


def test_a_list_resumed_after_its_last_records_left_it_says_no_records_match(
    settings: Settings, database: Database, corpus: Path
) -> None:
    clock = SetClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    with client_with(settings, database, clock, oai_page_size=2) as client:
        created = []
        for name in (ONE, VIETNAMESE, "iso2709/pymarc/multi_isbn.dat"):
            created.append(create(client, corpus / name))
            clock.now = clock.now.replace(second=clock.now.second + 1)
        first = oai(
            client,
            {
                "verb": "ListIdentifiers",
                "metadataPrefix": "oai_dc",
                "until": "2026-11-25T09:00:02Z",
            },
        )
        token = token_of(first)
        assert token is not None
        assert token.text
        # The one record left moves beyond `until`: the list has nothing more to give.
        clock.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
        retitle(client, created[2], "Moved on")
        rest = oai(client, {"verb": "ListIdentifiers", "resumptionToken": token.text})

    assert [n for n, _, _ in headers(first)] == created[:2]
    assert errors(rest) == ["noRecordsMatch"]


# -- selective harvesting -----------------------------------------------------------------------


def test_from_and_until_at_both_granularities(
    settings: Settings, database: Database, corpus: Path
) -> None:
    clock = SetClock(datetime(2026, 11, 24, 23, 59, 59, 999999, tzinfo=UTC))
    moments = {
        "late on the 24th": datetime(2026, 11, 24, 23, 59, 59, 999999, tzinfo=UTC),
        "10:00:00.4": datetime(2026, 11, 25, 10, 0, 0, 400000, tzinfo=UTC),
        "10:00:01": datetime(2026, 11, 25, 10, 0, 1, tzinfo=UTC),
        "the 26th": datetime(2026, 11, 26, 0, 0, 0, tzinfo=UTC),
    }
    with client_with(settings, database, clock) as client:
        ids = {}
        for name, moment in moments.items():
            clock.now = moment
            ids[name] = create(client, corpus / ONE)
        clock.now = datetime(2026, 12, 1, tzinfo=UTC)

        def selected(**dates: str) -> set[str]:
            root = oai(client, {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", **dates})
            if errors(root) == ["noRecordsMatch"]:
                return set()
            assert errors(root) == []
            assert echoed(root) == {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", **dates}
            numbers = {n for n, _, _ in headers(root)}
            return {name for name, number in ids.items() if number in numbers}

        assert selected(until="2026-11-25T10:00:00Z") == {"late on the 24th", "10:00:00.4"}
        assert selected(**{"from": "2026-11-25T10:00:00Z", "until": "2026-11-25T10:00:00Z"}) == {
            "10:00:00.4"
        }
        assert selected(**{"from": "2026-11-25T10:00:01Z"}) == {"10:00:01", "the 26th"}
        assert selected(until="2026-11-25") == {"late on the 24th", "10:00:00.4", "10:00:01"}
        assert selected(**{"from": "2026-11-25", "until": "2026-11-25"}) == {
            "10:00:00.4",
            "10:00:01",
        }
        assert selected(**{"from": "2026-11-26"}) == {"the 26th"}
        assert selected(**{"from": "2026-11-27"}) == set()
        assert selected(until="2026-11-24T23:59:58Z") == set()

        # A datestamp drops the fraction, so `from` at its second finds the record again.
        root = oai(
            client,
            {
                "verb": "GetRecord",
                "metadataPrefix": "oai_dc",
                "identifier": f"oai:{REPOSITORY}:{ids['10:00:00.4']}",
            },
        )
        assert headers(root)[0][1] == "2026-11-25T10:00:00Z"


def test_sets_select_records_by_type_of_material(client: TestClient, corpus: Path) -> None:
    book = create(client, corpus / ONE)
    serial = create(client, SAMPLES / SERIAL)
    sound = create(client, SAMPLES / SOUND)

    def listed(set_spec: str) -> list[int]:
        root = oai(client, {"verb": "ListIdentifiers", "metadataPrefix": "marc21", "set": set_spec})
        if errors(root):
            return []
        return [n for n, _, _ in headers(root)]

    assert listed("type:book") == [book]
    assert listed("type:serial") == [serial]
    assert listed("type:music") == [sound]  # leader/06 j: a music recording
    assert listed("type") == [book, serial, sound]  # the parent set holds them all
    root = oai(client, {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "type:serial"})
    assert [text(root, ".//oai:header/oai:setSpec")] == ["type:serial"]
    assert text(root, ".//dc:title") == "Nature"


def test_post_is_answered_like_get(client: TestClient, corpus: Path) -> None:
    record_id = create(client, corpus / VIETNAMESE)
    arguments = {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "type:book"}

    posted = client.post("/oai", data=arguments)
    assert posted.status_code == 200
    root = oai_document(posted.content, posted.headers["content-type"])
    assert echoed(root) == arguments
    assert [n for n, _, _ in headers(root)] == [record_id]
    assert text(root, ".//dc:title") == VIETNAMESE_TITLE
    # Vietnamese in the body arrives as it was sent.
    identifier = f"oai:{REPOSITORY}:{record_id}"
    body = f"verb=GetRecord&metadataPrefix=oai_dc&identifier={identifier}".encode()
    response = client.post(
        "/oai", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert (
        text(oai_document(response.content, response.headers["content-type"]), ".//dc:title")
        == VIETNAMESE_TITLE
    )


@pytest.mark.parametrize(
    ("content", "content_type", "url"),
    [
        (b'{"verb": "Identify"}', "application/json", "/oai"),  # not a form
        (b"", None, "/oai?verb=Identify"),  # POST arguments belong in the body
        (b"verb=Identify&verb=Identify%FF", "application/x-www-form-urlencoded", "/oai"),
    ],
)
def test_a_post_that_is_not_a_form_is_a_bad_argument(
    client: TestClient, content: bytes, content_type: str | None, url: str
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(url, content=content, headers=headers)

    assert response.status_code == 200
    root = oai_document(response.content, response.headers["content-type"])
    assert errors(root) == ["badArgument"]
    assert echoed(root) == {}


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "metadataPrefix=oai_dc",
        "verb=Bogus",
        "verb=identify",
        "verb=Identify&verb=Identify",
        "verb=ListRecords&verb=ListIdentifiers&metadataPrefix=oai_dc",
    ],
)
def test_bad_verb_echoes_no_argument(client: TestClient, query: str) -> None:
    root = oai(client, query)

    assert errors(root) == ["badVerb"]
    assert echoed(root) == {}
    assert text(root, "oai:request") == "http://testserver/oai"


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("verb=Identify&metadataPrefix=oai_dc", 1),  # Identify takes no argument
        ("verb=Identify&foo", 1),
        ("verb=ListRecords", 1),  # metadataPrefix missing
        ("verb=ListIdentifiers&metadataPrefix=oai_dc&metadataPrefix=marc21", 1),  # repeated
        ("verb=GetRecord&metadataPrefix=oai_dc", 1),  # identifier missing
        ("verb=GetRecord", 2),  # both missing: both said
        ("verb=ListRecords&metadataPrefix=", 1),  # empty
        ("verb=ListRecords&metadataPrefix=oai%20dc", 1),  # not a metadataPrefix
        ("verb=ListRecords&metadataPrefix=oai_dc&set=type%3A", 1),  # not a setSpec
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2026-13-01", 1),  # no such month
        ("verb=ListRecords&metadataPrefix=oai_dc&from=25/11/2026", 1),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2026-11-25T10:00:00", 1),  # no Z
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2026-11-25T10:00:00.5Z", 1),  # finer
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2026-11-25T10:00:00%2B07:00", 1),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2026-11-25&until=2026-11-26T00:00:00Z", 1),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2026-11-26&until=2026-11-25", 1),
        ("verb=ListIdentifiers&metadataPrefix=oai_dc&resumptionToken=abc", 1),  # exclusive
        ("verb=ListSets&resumptionToken=abc&set=type", 2),  # exclusive, and set is not taken
        ("verb=GetRecord&identifier=x&metadataPrefix=oai_dc&until=2026-11-25", 1),
        ("verb=ListMetadataFormats&identifier=%00", 1),  # XML cannot carry it
        ("verb=Identify&name=%C3%28", 1),  # not UTF-8
    ],
)
def test_bad_argument_names_each_problem_and_echoes_no_argument(
    client: TestClient, query: str, count: int
) -> None:
    root = oai(client, query)

    assert errors(root) == ["badArgument"] * count
    assert echoed(root) == {}
    assert all(e.text for e in root.findall("oai:error", NS))


def test_cannot_disseminate_format(client: TestClient, corpus: Path) -> None:
    record_id = create(client, corpus / ONE)
    identifier = f"oai:{REPOSITORY}:{record_id}"

    for arguments in (
        {"verb": "GetRecord", "identifier": identifier, "metadataPrefix": "mods"},
        {"verb": "ListRecords", "metadataPrefix": "mods"},
        {"verb": "ListIdentifiers", "metadataPrefix": "MARC21"},
    ):
        root = oai(client, arguments)
        assert errors(root) == ["cannotDisseminateFormat"]
        assert echoed(root) == arguments  # a well-formed request is echoed

    both = oai(client, {"verb": "GetRecord", "identifier": "oai:x.y:1", "metadataPrefix": "mods"})
    assert errors(both) == ["cannotDisseminateFormat", "idDoesNotExist"]


@pytest.mark.parametrize(
    "identifier",
    [
        "oai:{repository}:{next}",  # no such record
        "oai:{repository}:0",
        "oai:{repository}:0{id}",
        "oai:{repository}:{id}x",
        "oai:{repository}:99999999999999999999",  # beyond any record number
        "oai:{repository}:-{id}",
        "oai:other.example.vn:{id}",
        "OAI:{repository}:{id}",
        "{id}",
        "http://catalog.example.vn/api/v1/records/{id}",
    ],
)
def test_id_does_not_exist(client: TestClient, corpus: Path, identifier: str) -> None:
    record_id = create(client, corpus / ONE)
    identifier = identifier.format(repository=REPOSITORY, id=record_id, next=record_id + 1)

    root = oai(client, {"verb": "GetRecord", "identifier": identifier, "metadataPrefix": "marc21"})

    assert errors(root) == ["idDoesNotExist"]
    assert echoed(root)["identifier"] == identifier
    found = {"verb": "GetRecord", "identifier": f"oai:{REPOSITORY}:{record_id}"}
    assert errors(oai(client, {**found, "metadataPrefix": "marc21"})) == []


def test_no_records_match(client: TestClient, corpus: Path) -> None:
    empty = oai(client, {"verb": "ListRecords", "metadataPrefix": "marc21"})
    assert errors(empty) == ["noRecordsMatch"]
    assert echoed(empty) == {"verb": "ListRecords", "metadataPrefix": "marc21"}

    create(client, corpus / ONE)
    for arguments in (
        {"set": "type:map"},  # a set with nothing in it
        {"set": "type:nonsense"},  # no such set
        {"set": "library:VN-HN"},  # no such family (yet)
        {"from": "2026-11-26"},
        {"until": "2026-11-24T23:59:59Z"},
    ):
        for verb in ("ListRecords", "ListIdentifiers"):
            root = oai(client, {"verb": verb, "metadataPrefix": "oai_dc", **arguments})
            assert errors(root) == ["noRecordsMatch"], arguments


def _token(document: dict[str, Any]) -> str:
    text = json.dumps(document, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def test_bad_resumption_token(
    settings: Settings, database: Database, clock: SteppingClock, corpus: Path
) -> None:
    with client_with(settings, database, clock, oai_page_size=2) as client:
        import_ten(client, corpus)
        first = oai(client, {"verb": "ListRecords", "metadataPrefix": "marc21"})
        token = token_of(first)
        assert token is not None
        assert token.text
        good = token.text
        state = json.loads(base64.urlsafe_b64decode(good + "=" * (-len(good) % 4)))
        assert (
            oai(client, {"verb": "ListRecords", "resumptionToken": _token(state)}).find(
                "oai:ListRecords", NS
            )
            is not None
        )  # the test's re-encoding is faithful

        bad = [
            "junk",
            good[:-3],  # cut short
            good + "A",
            good + "==",  # padded
            good[:10] + "." + good[11:],
            _token({**state, "k": "ListIdentifiers"}),  # continues another verb
            _token({**state, "m": "mods"}),
            _token({**state, "s": "type:nonsense"}),
            _token({**state, "f": "2026-11-25", "u": "2026-11-24"}),
            _token({**state, "f": "2026-11-25", "u": "2026-11-25T00:00:00Z"}),
            _token({**state, "t": "2026-11-25T08:00:01"}),  # no time zone
            _token({**state, "t": "2026-11-25T15:00:01+07:00"}),  # not written in UTC
            _token({**state, "i": 0}),
            _token({**state, "i": 2**63}),
            _token({**state, "i": True}),
            _token({**state, "c": -1}),
            _token({**state, "v": 2}),
            _token({**state, "extra": 1}),
            _token({key: value for key, value in state.items() if key != "n"}),
            _token(dict(reversed(state.items()))),  # not as this repository writes it
            base64.urlsafe_b64encode(json.dumps(state).encode()).decode(),  # spaced, padded
            _token([state]),  # type: ignore[arg-type]
        ]
        for candidate in bad:
            root = oai(client, {"verb": "ListRecords", "resumptionToken": candidate})
            assert errors(root) == ["badResumptionToken"], candidate
            assert echoed(root) == {"verb": "ListRecords", "resumptionToken": candidate}
        assert errors(oai(client, {"verb": "ListIdentifiers", "resumptionToken": good})) == [
            "badResumptionToken"
        ]


def test_no_set_hierarchy_and_no_metadata_formats_where_a_provider_has_none(
    database: Database, corpus: Path, settings: Settings
) -> None:
    # This repository has sets and formats; a provider without them answers as the protocol says.
    clock = SteppingClock(datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
    harvest = HarvestService(database, clock=clock)
    with client_with(settings, database, clock) as client:
        record_id = create(client, corpus / ONE)
    repository = RepositorySettings("Test", "admin@example.vn", REPOSITORY, 10)
    no_sets = DataProvider(harvest, repository, sets=SetHierarchy(families=()))
    no_formats = DataProvider(harvest, repository, formats={})
    base = "http://testserver/oai"

    def answer(provider: DataProvider, **arguments: str) -> etree._Element:
        document = provider.respond(tuple(arguments.items()), base_url=base)
        return assert_valid_xml(etree.tostring(document), "oai-pmh-all.xsd")

    assert errors(answer(no_sets, verb="ListSets")) == ["noSetHierarchy"]
    assert errors(answer(no_sets, verb="ListRecords", metadataPrefix="oai_dc", set="type")) == [
        "noSetHierarchy"
    ]
    unfiltered = answer(no_sets, verb="ListRecords", metadataPrefix="oai_dc")
    assert [n for n, _, _ in headers(unfiltered)] == [record_id]
    assert unfiltered.find(".//oai:setSpec", NS) is None
    assert errors(answer(no_formats, verb="ListMetadataFormats")) == ["noMetadataFormats"]


# -- the whole sample catalogue, and the OpenAPI schema -----------------------------------------


def test_every_sample_record_is_harvested_schema_valid_in_both_formats(
    client: TestClient,
) -> None:
    assert load_samples(client.app.state.records) == 70  # type: ignore[attr-defined]

    for prefix in FORMATS:
        root = oai(client, {"verb": "ListRecords", "metadataPrefix": prefix})  # schema-checked
        assert len(headers(root)) == 70
        assert len(root.findall(".//oai:metadata", NS)) == 70
    dc_titles = [t.text for t in root.iterfind(".//dc:title", NS)]
    assert "Kim Vân Kiều truyện" in dc_titles
    assert "Dế Mèn phiêu lưu ký" in dc_titles


def test_the_openapi_schema_documents_oai(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operations = schema["paths"]["/oai"]

    assert set(operations) == {"get", "post"}
    names = [p["name"] for p in operations["get"]["parameters"]]
    assert names == [
        "verb",
        "identifier",
        "metadataPrefix",
        "from",
        "until",
        "set",
        "resumptionToken",
    ]
    assert all(p["description"] for p in operations["get"]["parameters"])
    form = operations["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
    assert list(form["schema"]["properties"]) == names
    for operation in operations.values():
        assert list(operation["responses"]["200"]["content"]) == ["text/xml"]
