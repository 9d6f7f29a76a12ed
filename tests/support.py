"""What the test modules share besides fixtures: paths, engines, a clock, fresh databases.

A plain module (not conftest.py) so that test modules can import it by a name no other folder's
conftest shadows.
"""

import functools
import itertools
import os
import shutil
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from lxml import etree

from app.services.access import Role, command_line_caller
from app.services.members import InstitutionKind, InstitutionNotFound, MemberService
from app.services.records import RecordService

from postgres_server import Server, find_pg_ctl

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
SAMPLES = ROOT / "sample_records"
SCHEMAS = ROOT.parent / "shared" / "schemas"
SAMPLE_SUFFIXES = (".mrc", ".mrk", ".xml", ".json")  # the folder's README is no record
REQUIRE_POSTGRES = os.environ.get("CATALOG_TEST_REQUIRE_POSTGRES") == "1"
REQUIRE_PROTOCOL_TOOLS = os.environ.get("CATALOG_TEST_REQUIRE_PROTOCOL_TOOLS") == "1"
REQUIRE_REDIS = os.environ.get("CATALOG_TEST_REQUIRE_REDIS") == "1"
PG_CTL = find_pg_ctl()
ENGINES = ["sqlite", "postgresql"]
TEST_ORG = "VN-TEST"


_database_names = (f"catalog_test_{n}" for n in itertools.count())


def fresh_database_url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of one engine, not yet migrated."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.db'}"
    server: Server = request.getfixturevalue("postgres_server")
    name = next(_database_names)
    with psycopg.connect(
        host=server.host, port=server.port, user=server.user, dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return server.url(name)


class SteppingClock:
    """A clock that moves one second each time it is read, so every change has its own time."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@functools.cache
def xml_schema(driver: str) -> etree.XMLSchema:
    """One of shared/schemas' driver schemas (oai-pmh-all.xsd, sru1-all.xsd, sru2-all.xsd).

    The catalog maps the schema URLs they import to the local copies, so nothing is fetched."""
    os.environ.setdefault("XML_CATALOG_FILES", str(SCHEMAS / "catalog.xml"))
    return etree.XMLSchema(etree.parse(str(SCHEMAS / driver)))


def assert_valid_xml(document: bytes, driver: str) -> etree._Element:
    """Parse a response and check it against a driver schema; return its root element."""
    root = etree.fromstring(document)
    schema = xml_schema(driver)
    if not schema.validate(root):
        raise AssertionError(f"not valid against {driver}: {schema.error_log}")
    return root


def protocol_tool(name: str, package: str) -> str:
    """The path of a library-protocol client (zoomsh, yaz-client, simple2zoom): skipped when it
    is not installed, a failure when CATALOG_TEST_REQUIRE_PROTOCOL_TOOLS=1 (CI installs them)."""
    path = shutil.which(name)
    if path is None:
        if REQUIRE_PROTOCOL_TOOLS:
            pytest.fail(f"{name} is missing: apt-get install {package}")
        pytest.skip(f"{name} is not installed (Debian package {package})")
    return path


def redis_server() -> str:
    """The path of Debian's redis-server: skipped when it is not installed, a failure when
    CATALOG_TEST_REQUIRE_REDIS=1 (CI installs it)."""
    path = shutil.which("redis-server")
    if path is None:
        if REQUIRE_REDIS:
            pytest.fail("redis-server is missing: apt-get install redis-server")
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    return path


TEST_MEMBER = "VN-MEMBER"


def member_key(app: FastAPI, role: Role, code: str = TEST_MEMBER) -> str:
    """The secret of a new key with this role, for an institution registered if need be."""
    # Its own clock: the app's stepping clock is the test's, tick by tick.
    members = MemberService(app.state.database, clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    admin = command_line_caller()
    try:
        members.institution(code)
    except InstitutionNotFound:
        members.create_institution(
            code=code,
            name=f"Thư viện {code}",
            kind=InstitutionKind.NATIONAL,
            province=None,
            by=admin,
        )
    made = members.create_key(institution=code, role=role, label=None, expires_at=None, by=admin)
    return made.secret


def with_key(client: TestClient, role: Role = Role.CATALOGUER) -> TestClient:
    """The client, sending a new key of this role (of TEST_MEMBER) with every request."""
    client.headers["Authorization"] = f"Bearer {member_key(client.app, role)}"  # type: ignore[arg-type]
    return client


def sample_files() -> list[Path]:
    """The record files of sample_records/, in name order."""
    return [path for path in sorted(SAMPLES.iterdir()) if path.suffix in SAMPLE_SUFFIXES]


def load_samples(service: RecordService) -> int:
    """Import every sample record file, its format detected; how many records were created."""
    created = 0
    for path in sample_files():
        with path.open("rb") as source:
            created += service.import_file(source, None).created
    return created


def clear_of_a_minute_boundary(seconds: float = 10.0) -> None:
    """Wait, when the next whole minute is less than `seconds` away, until it has passed.

    Rate limits count in one-minute windows (a sliding window counter, which rounds the previous
    window's share down): a test that fills an allowance and expects the next request refused
    must not have the window turn over in between."""
    left = 60.0 - time.time() % 60.0
    if left < seconds:
        time.sleep(left + 0.05)


def windows_1258(text: str) -> bytes:
    """Text as Vietnamese Windows wrote it: base letters precomposed, tones as combining marks
    (Python's cp1258 codec encodes only that form)."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = b""
    for character in text:
        marks = unicodedata.normalize("NFD", character)
        base = unicodedata.normalize("NFC", "".join(m for m in marks if m not in tones))
        out += (base + "".join(m for m in marks if m in tones)).encode("cp1258")
    return out


def with_note(mrk: bytes, note: str = "Đã sửa.") -> bytes:
    """One record in .mrk with a 500 note more: a change, to send as its next version (the
    record sent back as it is makes none)."""
    return mrk.rstrip(b"\r\n") + f"\n=500  \\\\$a{note}\n".encode()
