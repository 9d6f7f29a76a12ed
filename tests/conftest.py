"""Fixtures shared by the whole suite: the corpus, both database engines, the app."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.db import migrations
from app.db.engine import Database, create_database, database_on
from app.main import create_app
from app.settings import Settings

from postgres_server import Server, running_server
from support import (
    CORPUS,
    ENGINES,
    PG_CTL,
    REQUIRE_POSTGRES,
    TEST_ORG,
    SteppingClock,
    fresh_database_url,
    with_key,
)


def pytest_report_header() -> list[str]:
    if PG_CTL:
        return [f"PostgreSQL half: ON (server binaries at {Path(PG_CTL).parent})"]
    return [
        "PostgreSQL half: *** SKIPPED *** no PostgreSQL server binaries (pg_ctl) on this machine;"
        " install Debian's postgresql package to run it (CI does)."
    ]


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRE_POSTGRES and not PG_CTL:
        raise pytest.UsageError(
            "CATALOG_TEST_REQUIRE_POSTGRES=1 but no pg_ctl was found: install postgresql"
        )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    if not PG_CTL:
        pytest.skip("PostgreSQL server binaries are not installed (see the run's header)")
    with running_server(PG_CTL) as server:
        yield server


@pytest.fixture(scope="session", params=ENGINES)
def migrated_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database of each engine, migrated to head once per run."""
    url = fresh_database_url(request.param, request, tmp_path_factory.mktemp(request.param))
    migrations.upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(migrated_url: str) -> Iterator[Engine]:
    database = create_database(migrated_url)
    assert isinstance(database.engine, Engine)
    yield database.engine
    database.engine.dispose()


@pytest.fixture
def database(engine: Engine) -> Iterator[Database]:
    """A Database whose commits become savepoints inside one transaction, undone after the test."""
    with engine.connect() as connection:
        outer = connection.begin()
        yield database_on(connection, join_transaction_mode="create_savepoint")
        outer.rollback()


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock(datetime(2026, 11, 25, 8, 0, tzinfo=UTC))


@pytest.fixture
def settings(migrated_url: str) -> Settings:
    # No import worker threads: the `database` fixture is one connection, for one thread.
    return Settings(
        database_url=migrated_url,
        marc_org_code=TEST_ORG,
        max_upload_bytes=2_000_000,
        import_workers=0,
        # Suites make hundreds of requests a second; the limits have tests of their own.
        rate_limit="",
        anonymous_rate_limit="",
    )


@pytest.fixture
def client(settings: Settings, database: Database, clock: SteppingClock) -> Iterator[TestClient]:
    """A client of the app that sends a cataloguer's key of the national library (TEST_MEMBER)."""
    app = create_app(settings, database=database, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield with_key(test_client)


@pytest.fixture
def anonymous(client: TestClient) -> TestClient:
    """The same app, with no key."""
    return TestClient(client.app, raise_server_exceptions=False)


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"the MARC corpus is missing: expected it at {CORPUS}")
    return CORPUS
