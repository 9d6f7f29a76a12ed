"""A real harvester (Sickle) against a real server: a full harvest, then an incremental one."""

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from lxml import etree

from app import marc
from app.db import migrations
from app.main import create_app
from app.services.harvest import Selection
from app.settings import Settings

from live_server import serving
from support import ENGINES, SAMPLES, TEST_ORG, SteppingClock, assert_valid_xml, fresh_database_url

with warnings.catch_warnings():
    # Sickle 0.7 writes a regular expression as "(\\{.*\\})" in a plain string; Python warns
    # while compiling it, before any .pyc exists, and warnings are errors here.
    warnings.filterwarnings("ignore", "invalid escape sequence", DeprecationWarning)
    from sickle import Sickle
    from sickle.oaiexceptions import NoRecordsMatch

REPOSITORY = "catalog.example.vn"
MARC = {"marc": "http://www.loc.gov/MARC21/slim"}
OAI = {"oai": "http://www.openarchives.org/OAI/2.0/"}
PAGE_SIZE = 4
VIETNAMESE_TITLE = "Phóng sự báo chí : lý thuyết, kỹ năng và kinh nghiệm"


class CheckedSickle(Sickle):  # type: ignore[misc]  # Sickle has no type hints
    """Sickle as it is, but every response it receives is kept and checked against the schema."""

    def __init__(self, endpoint: str, **options: Any) -> None:
        super().__init__(endpoint, **options)
        self.requests: list[dict[str, str]] = []

    def harvest(self, **kwargs: str) -> Any:
        response = super().harvest(**kwargs)
        assert response.http_response.status_code == 200
        assert response.http_response.headers["content-type"] == "text/xml; charset=utf-8"
        assert_valid_xml(response.http_response.content, "oai-pmh-all.xsd")
        self.requests.append(kwargs)
        return response


@pytest.fixture(params=ENGINES)
def live_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[FastAPI, str]]:
    """The app on its own fresh database, served by uvicorn on 127.0.0.1: (app, OAI base URL)."""
    url = fresh_database_url(request.param, request, tmp_path)
    migrations.upgrade(url)
    settings = Settings(database_url=url, marc_org_code=TEST_ORG, oai_page_size=PAGE_SIZE)
    app = create_app(settings, clock=SteppingClock(datetime(2026, 11, 25, 8, 0, tzinfo=UTC)))
    try:
        with serving(app) as base:
            yield app, f"{base}/oai"
    finally:
        app.state.database.engine.dispose()


def load(app: FastAPI, corpus: Path) -> list[int]:
    """Ten LC records in one batch, then a Vietnamese book, a serial and a sound recording."""
    records = app.state.records
    with (corpus / "iso2709/pymarc/test.dat").open("rb") as stream:
        assert records.import_file(stream, None).created == 10
    for path in (
        corpus / "vietnamese/cornell-9220704-phong-su-bao-chi.mrc",
        SAMPLES / "traject-nature-serial.mrc",
        SAMPLES / "marc4j-freewheelin-dylan.json",
    ):
        records.create(path.read_bytes(), None)
    page = app.state.harvest.page(Selection(), after=None, limit=100, with_records=False)
    return [item.id for item in page.items]


def number(identifier: str) -> int:
    assert identifier.startswith(f"oai:{REPOSITORY}:")
    return int(identifier.rsplit(":", 1)[1])


def retitle(app: FastAPI, record_id: int, title: str) -> None:
    records = app.state.records
    record = records.get(record_id).record
    record["245"].subfields = [marc.Subfield("a", title)]
    records.replace(
        record_id, marc.write(record, marc.Format.MRK), marc.Format.MRK, expected_versions=None
    )


def test_sickle_harvests_everything_then_exactly_the_changes(
    live_app: tuple[FastAPI, str], corpus: Path
) -> None:
    app, base_url = live_app
    numbers = load(app, corpus)
    assert len(numbers) == 13

    # -- a full harvest, in both formats, over GET and over POST, following every token
    full = CheckedSickle(base_url)
    started = etree.fromstring(full.harvest(verb="Identify").raw.encode())
    harvest_date = started.findtext("oai:responseDate", namespaces=OAI)
    assert harvest_date is not None
    marc21 = list(full.ListRecords(metadataPrefix="marc21"))
    assert [number(r.header.identifier) for r in marc21] == numbers
    assert len(full.requests) == 1 + 4  # Identify, then 13 records in pages of 4
    titles = {
        number(r.header.identifier): r.xml.xpath(
            ".//marc:datafield[@tag='245']/marc:subfield[@code='a']", namespaces=MARC
        )[0].text
        for r in marc21
    }
    assert titles[numbers[10]] == "Phóng sự báo chí :"

    posted = CheckedSickle(base_url, http_method="POST")
    dublin_core = list(posted.ListRecords(metadataPrefix="oai_dc"))
    assert [number(r.header.identifier) for r in dublin_core] == numbers
    assert len(posted.requests) == 4
    by_number = {number(r.header.identifier): r.metadata for r in dublin_core}
    assert by_number[numbers[10]]["title"] == [VIETNAMESE_TITLE]
    assert by_number[numbers[10]]["creator"] == ["Nguyễn, Quang Hòa"]
    assert by_number[numbers[11]]["type"] == ["Text", "Collection"]
    assert {s.setSpec for s in full.ListSets()} >= {"type", "type:book", "type:serial"}
    serials = list(full.ListIdentifiers(metadataPrefix="oai_dc", set="type:serial"))
    assert [number(h.identifier) for h in serials] == [numbers[11]]

    # -- changes after the harvest: two edits, two deletions, one new record
    edited, deleted = [numbers[2], numbers[10]], [numbers[5], numbers[12]]
    retitle(app, numbers[2], "An edited LC record")
    retitle(app, numbers[10], "Phóng sự báo chí (ấn bản sửa)")
    for record_id in deleted:
        app.state.records.delete(record_id, expected_versions=None)
    added = app.state.records.create((corpus / "iso2709/pymarc/one.dat").read_bytes(), None)
    added_id = added.found.id

    # -- an incremental harvest from the first one's responseDate: exactly those changes
    incremental = CheckedSickle(base_url)
    changes = list(incremental.ListRecords(metadataPrefix="oai_dc", **{"from": harvest_date}))
    assert [(number(r.header.identifier), r.deleted) for r in changes] == [
        (numbers[2], False),
        (numbers[10], False),
        (numbers[5], True),
        (numbers[12], True),
        (added_id, False),
    ]
    assert len(incremental.requests) == 2  # five changes in pages of four
    current = {number(r.header.identifier): r.metadata for r in changes if not r.deleted}
    assert current[numbers[10]]["title"] == ["Phóng sự báo chí (ấn bản sửa)"]
    assert current[numbers[2]]["title"] == ["An edited LC record"]
    assert current[added_id]["title"] == ["ActivePerl with ASP and ADO"]
    assert {number(r.header.identifier) for r in changes if r.deleted} == set(deleted)
    assert all(r.xml.find("oai:metadata", OAI) is None for r in changes if r.deleted)
    assert sorted(edited) == sorted(n for n in current if n != added_id)

    headers = list(incremental.ListIdentifiers(metadataPrefix="marc21", **{"from": harvest_date}))
    assert [(number(h.identifier), h.deleted) for h in headers] == [
        (number(r.header.identifier), r.deleted) for r in changes
    ]
    # Nothing has changed since the incremental harvest began: a harvester is told so.
    latest = max(r.header.datestamp for r in changes)
    with pytest.raises(NoRecordsMatch):
        list(incremental.ListRecords(metadataPrefix="oai_dc", **{"from": _next_second(latest)}))


def _next_second(datestamp: str) -> str:
    moment = datetime.strptime(datestamp, "%Y-%m-%dT%H:%M:%SZ") + timedelta(seconds=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
