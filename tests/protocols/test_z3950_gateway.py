"""Z39.50 through the Simple2ZOOM gateway: `catalog z3950 serve` in front of a real server,
searched with yaz-client in Z39.50 mode, USMARC records fetched and read back."""

import os
import socket
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from app import marc
from app.cli import app as cli
from app.db import migrations
from app.main import create_app
from app.protocols.sru.indexes import INDEXES
from app.settings import Settings

from live_server import serving
from support import SAMPLES, TEST_ORG, protocol_tool


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_listener(port: int, gateway: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if gateway.poll() is not None:
            raise RuntimeError(
                f"the gateway stopped: {gateway.stderr.read() if gateway.stderr else ''!r}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the gateway did not start listening")


@dataclass(frozen=True)
class Gateway:
    port: int
    tmpdir: Path


@pytest.fixture(scope="module")
def z3950(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    protocol_tool("simple2zoom", "libnet-z3950-simple2zoom-perl")
    url = f"sqlite:///{tmp_path_factory.mktemp('z3950') / 'catalog.db'}"
    migrations.upgrade(url)
    app = create_app(Settings(database_url=url, marc_org_code=TEST_ORG))
    for name, fmt in (
        ("vietnamese-made-here.mrk", marc.Format.MRK),
        ("traject-manufacturing-consent.mrc", marc.Format.MRC),
    ):
        with (SAMPLES / name).open("rb") as source:
            assert app.state.records.import_file(source, fmt).rejected == []
    port = free_port()
    catalog = str(Path(sys.executable).with_name("catalog"))
    # The gateway's own temporary directory, which a test checks it leaves empty.
    environment = {**os.environ, "TMPDIR": str(tmp_path_factory.mktemp("z3950-tmp"))}
    with serving(app) as base:
        gateway = subprocess.Popen(
            [
                catalog,
                "z3950",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--sru-url",
                f"{base}/sru",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=environment,
        )
        try:
            wait_for_listener(port, gateway)
            yield Gateway(port, Path(environment["TMPDIR"]))
        finally:
            gateway.terminate()
            gateway.wait(timeout=10)
            if gateway.stderr is not None:
                gateway.stderr.close()


def yaz_client(port: int, commands: list[str]) -> str:
    client = protocol_tool("yaz-client", "yaz")
    script = "\n".join([f"open tcp:127.0.0.1:{port}/catalog", "format usmarc", *commands, "quit"])
    done = subprocess.run(
        [client], input=script + "\n", capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def test_a_usmarc_record_arrives_with_its_vietnamese_text_intact(
    z3950: Gateway, tmp_path: Path
) -> None:
    dump = tmp_path / "fetched.mrc"
    output = yaz_client(
        z3950.port,
        [f"set_marcdump {dump}", 'find @attr 1=4 "vang bong mot thoi"', "show 1"],
    )
    assert "Number of hits: 1" in output
    raw = dump.read_bytes()
    assert raw[9:10] == b"a"  # leader/09: UCS/Unicode
    assert "Vang bóng một thời".encode() in raw
    with dump.open("rb") as source:
        (parsed,) = list(marc.read(source, marc.Format.MRC))
    assert isinstance(parsed, marc.ParsedRecord)
    title = marc.summarize(parsed.record).title
    assert title == "Vang bóng một thời"
    assert unicodedata.is_normalized("NFC", title)


@pytest.mark.parametrize(
    ("query", "hits"),
    [
        ('@attr 1=1003 @attr 4=1 "nguyen du"', 2),
        ('@attr 1=1016 "to hoai"', 2),
        ('@attr 1=21 "van hoc viet nam"', 13),
        ("@attr 1=7 0375714499", 1),
        ("@and @attr 1=1016 viet @attr 1=31 @attr 2=4 2000", 8),
        ("@and @attr 1=1016 viet @attr 1=31 @attr 2=2 1940", 6),
        ('@attr 1=4 @attr 5=1 "vang bo"', 1),
    ],
)
def test_bib1_searches_map_onto_the_sru_indexes(z3950: Gateway, query: str, hits: int) -> None:
    output = yaz_client(z3950.port, [f"find {query}"])
    assert f"Number of hits: {hits}," in output, output


def test_an_unmapped_use_attribute_is_a_bib1_diagnostic(z3950: Gateway) -> None:
    output = yaz_client(z3950.port, ["find @attr 1=9999 x"])
    assert "[114] Unsupported Use attribute" in output


def test_the_gateway_configuration_comes_from_the_sru_index_list() -> None:
    written = CliRunner().invoke(cli, ["z3950", "config", "--sru-url", "http://api:8000/sru"])
    assert written.exit_code == 0, written.output
    config = etree.fromstring(written.stdout.encode())
    assert config.xpath("/client/database/@name") == ["catalog"]
    assert config.xpath("//zurl/text()") == ["http://api:8000/sru"]
    mapped = {m.get("use"): m.findtext("index") for m in config.iter("map")}
    assert mapped == {str(i.bib1): i.qualified for i in INDEXES if i.bib1 is not None}
    for use, index in {"4": "dc.title", "1003": "dc.creator", "21": "dc.subject"}.items():
        assert mapped[use] == index
    for use, index in {"7": "bath.isbn", "8": "bath.issn", "1016": "cql.anywhere"}.items():
        assert mapped[use] == index
    assert mapped["31"] == "dc.date"
    assert config.xpath("//schema/@oid") == ["1.2.840.10003.5.10"]


def test_the_running_gateway_leaves_no_file_behind(z3950: Gateway) -> None:
    # It reads its configuration at every connection: a search proves it is still readable.
    assert "Number of hits: 1" in yaz_client(z3950.port, ['find @attr 1=4 "vang bong mot thoi"'])
    assert list(z3950.tmpdir.iterdir()) == []
