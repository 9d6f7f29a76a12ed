"""What the test modules share besides fixtures: paths, engines, a clock, fresh databases.

A plain module (not conftest.py) so that test modules can import it by a name no other folder's
conftest shadows.
"""

import functools
import itertools
import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from lxml import etree

from postgres_server import Server, find_pg_ctl

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
SAMPLES = ROOT / "sample_records"
SCHEMAS = ROOT.parent / "shared" / "schemas"
REQUIRE_POSTGRES = os.environ.get("CATALOG_TEST_REQUIRE_POSTGRES") == "1"
REQUIRE_PROTOCOL_TOOLS = os.environ.get("CATALOG_TEST_REQUIRE_PROTOCOL_TOOLS") == "1"
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
