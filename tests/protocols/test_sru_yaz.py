"""SRU searched by Index Data's YAZ clients (zoomsh, yaz-client), as libraries' systems do."""

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from app import marc
from app.db import migrations
from app.main import create_app
from app.settings import Settings

from live_server import serving
from support import SAMPLES, TEST_ORG, protocol_tool

MARC = {"marc": "http://www.loc.gov/MARC21/slim"}


@pytest.fixture(scope="module")
def sru_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server over a SQLite file holding the Vietnamese sample records."""
    url = f"sqlite:///{tmp_path_factory.mktemp('yaz') / 'catalog.db'}"
    migrations.upgrade(url)
    app = create_app(Settings(database_url=url, marc_org_code=TEST_ORG))
    with (SAMPLES / "vietnamese-made-here.mrk").open("rb") as source:
        assert app.state.records.import_file(source, marc.Format.MRK).created == 19
    with serving(app) as base:
        yield f"{base}/sru"


def run(command: list[str], stdin: str | None = None) -> str:
    done = subprocess.run(
        command, input=stdin, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def titles_in(output: str) -> list[str]:
    """The 245 $a of every MARCXML record a YAZ tool printed, one record per line."""
    found = []
    for line in output.splitlines():
        start = line.find("<record")
        if start < 0:
            continue
        record = etree.fromstring(line[start:].encode())
        found += record.xpath(
            "marc:datafield[@tag='245']/marc:subfield[@code='a']/text()", namespaces=MARC
        )
    return found


@pytest.mark.parametrize("version", ["1.1", "1.2", "2.0"])
def test_zoomsh_searches_and_fetches_vietnamese_records(sru_url: str, version: str) -> None:
    zoomsh = protocol_tool("zoomsh", "yaz")
    output = run(
        [
            zoomsh,
            "set sru get",
            f"set sru_version {version}",
            f"connect {sru_url}",
            'search cql:dc.creator="nguyen du" and dc.date<2000',
            "show 0 5",
            "quit",
        ]
    )
    assert f"{sru_url}: 1 hits" in output
    assert titles_in(output) == ["Kim Vân Kiều truyện /"]


def test_zoomsh_pages_through_a_result(sru_url: str) -> None:
    zoomsh = protocol_tool("zoomsh", "yaz")
    commands = ["set sru get", f"connect {sru_url}", "set count 3", 'search cql:"nguyen"']
    output = run([zoomsh, *commands, "show 0 3", "show 3 3", "show 6 3", "quit"])
    assert f"{sru_url}: 8 hits" in output
    # zoomsh prints the first `count` records after the search too; each page adds its own.
    shown = re.findall(r"^(\d+) database=", output, flags=re.MULTILINE)
    assert shown == ["0", "1", "2", "0", "1", "2", "3", "4", "5", "6", "7"]
    numbers = re.findall(r'<controlfield tag="001">(\d+)<', output)
    assert len(set(numbers)) == 8


def test_yaz_client_in_sru_mode_reads_the_245(sru_url: str) -> None:
    yaz_client = protocol_tool("yaz-client", "yaz")
    script = "\n".join(
        [
            f"open {sru_url}",
            "sru get 1.2",
            "querytype cql",
            'find dc.title = "dat rung phuong nam"',
            "show 1+2",
            "quit",
        ]
    )
    output = run([yaz_client], stdin=script + "\n")
    assert "Number of hits: 2" in output
    assert titles_in(output) == ["Đất rừng phương Nam /"] * 2


def test_yaz_client_posts_and_reports_diagnostics(sru_url: str) -> None:
    yaz_client = protocol_tool("yaz-client", "yaz")
    script = "\n".join(
        [f"open {sru_url}", "sru post 1.1", "querytype cql", "find dc.nonsense = x", "quit"]
    )
    output = run([yaz_client], stdin=script + "\n")
    assert "info:srw/diagnostic/1/16" in output or "Unsupported index" in output
    assert "dc.nonsense" in output


def test_explain_through_yaz_client(sru_url: str, tmp_path: Path) -> None:
    yaz_client = protocol_tool("yaz-client", "yaz")
    output = run([yaz_client], stdin=f"open {sru_url}\nsru get 1.2\nexplain\nquit\n")
    assert "dc.title" in output
    assert "info:srw/schema/1/marcxml-v1.1" in output
