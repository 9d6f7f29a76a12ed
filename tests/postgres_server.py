"""A throw-away PostgreSQL server, started by pytest-postgresql from the local binaries."""

import os
import pwd
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pytest_postgresql.executors import PostgreSQLExecutor

WRAPPER = Path(__file__).parent / "bin" / "pg_ctl"


def find_pg_ctl() -> str | None:
    """The newest pg_ctl on this machine, or None when PostgreSQL's server is not installed."""
    found = shutil.which("pg_ctl")
    if found:
        return found
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3])
    )
    return str(candidates[-1]) if candidates else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"


@contextmanager
def running_server(pg_ctl: str) -> Iterator[Server]:
    """Start a server in a temporary directory and stop it afterwards."""
    os.environ["CATALOG_TEST_PG_CTL"] = pg_ctl
    workdir = Path(tempfile.mkdtemp(prefix="catalog-pg-"))
    if os.getuid() == 0:
        # The server runs as postgres (see tests/bin/pg_ctl) and must own its directory.
        postgres = pwd.getpwnam("postgres")
        os.chown(workdir, postgres.pw_uid, postgres.pw_gid)
    port = _free_port()
    executor = PostgreSQLExecutor(
        executable=str(WRAPPER),
        host="127.0.0.1",
        port=port,
        datadir=str(workdir / "data"),
        unixsocketdir=str(workdir),
        logfile=str(workdir / "server.log"),
        startparams="-w",
        dbname="postgres",
        user="postgres",
        postgres_options="-c fsync=off -c full_page_writes=off -c synchronous_commit=off",
    )
    executor.start()
    try:
        yield Server(host="127.0.0.1", port=port, user="postgres")
    finally:
        executor.stop()
        shutil.rmtree(workdir, ignore_errors=True)
