"""Migrations build the schema the models describe, on both engines, down and up again."""

import re
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from app import marc
from app.db import migrations
from app.db.engine import Database, create_database
from app.search.form import SearchForm
from app.services.records import RecordService

from support import (
    CORPUS,
    ENGINES,
    TEST_ORG,
    SteppingClock,
    fresh_database_url,
    load_samples,
    with_note,
)


@pytest.mark.parametrize("kind", ENGINES)
def test_upgrade_downgrade_upgrade_and_no_drift(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = fresh_database_url(kind, request, tmp_path)
    config = migrations.alembic_config(url)

    command.upgrade(config, "head")
    database = create_database(url)
    tables = set(inspect(database.engine).get_table_names())
    assert {"record", "record_version", "record_identifier", "alembic_version"} <= tables

    command.downgrade(config, "-1")
    command.upgrade(config, "head")
    try:
        command.check(config)  # raises when the models and the migrations disagree
    except CommandError as drift:  # pragma: no cover - the failure message is the point
        pytest.fail(f"models and migrations have drifted: {drift}")
    with database.reader() as session:
        assert migrations.current_revision(session.connection()) == migrations.head_revision()
    database.engine.dispose()  # type: ignore[union-attr]


def test_migration_files_are_named_by_date_and_say_why() -> None:
    scripts = ScriptDirectory(str(migrations.MIGRATIONS))
    revisions = list(scripts.walk_revisions())
    assert revisions
    for revision in revisions:
        assert revision.path is not None
        name = Path(revision.path).name
        assert re.match(r"^\d{8}_[a-z0-9_]+\.py$", name), name
        assert len(revision.longdoc or "") > 80, f"{name} needs a docstring saying why"


def _dated_titles_found(service: RecordService) -> list[bool]:
    """For each sample record with a year and an ASCII title: whether a search for two of its
    title words in its year finds it."""
    listed = service.search(SearchForm().query(), limit=500).items
    dated = [(item.id, item.summary.year, item.summary.title or "") for item in listed]
    dated = [(i, year, title) for i, year, title in dated if year is not None and title.isascii()]
    assert len(dated) > 20

    def found(record_id: int, year: int, title: str) -> bool:
        words = [word for word in title.split() if word.isalnum()][:2]
        form = SearchForm(title=" ".join(words), year_from=year, year_to=year)
        return record_id in [item.id for item in service.search(form.query(), limit=50).items]

    return [found(*each) for each in dated]


def _at_head(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Config, str]:
    """A fresh database of one engine migrated to head: its Alembic config and its URL."""
    url = fresh_database_url(kind, request, tmp_path)
    config = migrations.alembic_config(url)
    command.upgrade(config, "head")
    return config, url


def _loaded(url: str) -> tuple[RecordService, Database]:
    database = create_database(url)
    clock = SteppingClock(datetime(2026, 12, 3, tzinfo=UTC))
    service = RecordService(database, org_code=TEST_ORG, clock=clock)
    load_samples(service)
    return service, database


@pytest.mark.parametrize("kind", ENGINES)
def test_the_partitions_migration_keeps_the_index_of_existing_records(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    config, url = _at_head(kind, request, tmp_path)
    service, database = _loaded(url)
    assert all(_dated_titles_found(service))
    command.downgrade(config, "20261207_search_partitions-1")  # back to one table
    assert all(_dated_titles_found(service))
    command.upgrade(config, "head")  # into parts again, the rows copied
    assert not service.index_needs_rebuild()
    assert all(_dated_titles_found(service))
    if kind == "postgresql":
        with database.reader() as session:
            kind_of_table = session.scalar(
                text("SELECT relkind FROM pg_class WHERE relname = 'record_search'")
            )
        assert kind_of_table == "p"  # partitioned
    database.engine.dispose()  # type: ignore[union-attr]


# SQLite only: the next migration empties PostgreSQL's index (see the test after this one).
def test_the_year_migration_keeps_the_index_of_existing_records(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    config, url = _at_head("sqlite", request, tmp_path)
    service, database = _loaded(url)
    assert all(_dated_titles_found(service))
    # The index as it was, without years, then with them again.
    command.downgrade(config, "20261203_search_years-1")
    command.upgrade(config, "head")
    assert all(_dated_titles_found(service))
    assert not service.index_needs_rebuild()
    database.engine.dispose()  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", ENGINES)
@pytest.mark.parametrize("revision", ["20261203_search_terms", "20261204_search_terms_once"])
def test_after_a_terms_migration_postgresql_rebuilds_its_index(
    kind: str, revision: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    config, url = _at_head(kind, request, tmp_path)
    service, database = _loaded(url)
    command.downgrade(config, f"{revision}-1")
    command.upgrade(config, "head")
    # PostgreSQL's table of terms starts empty, and `catalog db upgrade` sees it must reindex.
    assert service.index_needs_rebuild() is (kind == "postgresql")
    if service.index_needs_rebuild():
        assert not any(_dated_titles_found(service))
        service.reindex()
    assert all(_dated_titles_found(service))
    database.engine.dispose()  # type: ignore[union-attr]


def _postgresql_at_head(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Config, Database]:
    """A fresh PostgreSQL database migrated to head, its Alembic config and the database."""
    config, url = _at_head("postgresql", request, tmp_path)
    return config, create_database(url)


@pytest.mark.postgres
def test_postgresql_keeps_statistics_of_ten_thousand_terms(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    config, database = _postgresql_at_head(request, tmp_path)

    def target() -> int | None:
        with database.reader() as session:
            found = session.scalar(
                text(
                    "SELECT attstattarget FROM pg_attribute "
                    "WHERE attrelid = 'record_search'::regclass AND attname = 'terms'"
                )
            )
        return None if found is None else int(found)

    assert target() == 1000
    command.downgrade(config, "20261204_search_terms_once-1")
    assert target() == -1  # the server's default_statistics_target
    database.engine.dispose()  # type: ignore[union-attr]


@pytest.mark.postgres
def test_postgresql_compresses_records_and_their_words_with_lz4(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    config, database = _postgresql_at_head(request, tmp_path)
    try:
        with database.reader() as session:
            session.execute(text("SET LOCAL default_toast_compression = 'lz4'"))
    except DBAPIError:  # pragma: no cover - a server built without lz4 keeps pglz
        pytest.skip("this PostgreSQL server was built without lz4")

    def methods() -> dict[str, str]:
        with database.reader() as session:
            rows = session.execute(
                text(
                    "SELECT attrelid::regclass::text || '.' || attname, attcompression "
                    "FROM pg_attribute WHERE attrelid::regclass::text IN "
                    "('record', 'record_version', 'record_search_text') "
                    "AND attname IN ('marc_json', 'marc', 'title', 'notes', 'exact')"
                )
            ).all()
        return {str(name): str(method) for name, method in rows}

    compressed = methods()
    compressed.pop("record.title")  # short: never compressed, so left as it was
    assert set(compressed) == {
        "record.marc_json",
        "record.marc",
        "record_version.marc_json",
        "record_search_text.title",
        "record_search_text.notes",
        "record_search_text.exact",
    }
    assert set(compressed.values()) == {"l"}  # lz4
    command.downgrade(config, "20261204_lz4_records-1")
    assert set(methods().values()) == {""}  # the server's default for all again
    database.engine.dispose()  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", ENGINES)
def test_going_back_before_current_version_json_gives_each_version_its_text(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    config, url = _at_head(kind, request, tmp_path)
    service, database = _loaded(url)
    first = service.search(SearchForm().query(), limit=1).items[0].id
    # A second version: the record with a note more (the record as it is makes none).
    payload = with_note(marc.write(service.get(first).record, marc.Format.MRK))
    service.replace(first, payload, None, expected_versions=frozenset({1}))
    count_empty = "SELECT count(*) FROM record_version WHERE marc_json IS NULL"
    with database.reader() as session:
        assert session.execute(text(count_empty)).scalar_one() > 1  # the current versions

    command.downgrade(config, "20261205_current_version_json-1")
    with database.reader() as session:
        assert session.execute(text(count_empty)).scalar_one() == 0
        same = session.execute(
            text(
                "SELECT count(*) FROM record_version v JOIN record r ON r.id = v.record_id "
                "AND r.version = v.version WHERE v.marc_json = r.marc_json"
            )
        ).scalar_one()
        records = session.execute(text("SELECT count(*) FROM record")).scalar_one()
    assert same == records
    command.upgrade(config, "head")
    # Both versions read back: the first from its own text, the current one from the record.
    versions = [service.version(first, n) for n in (1, 2)]
    current = service.get(first).summary.title
    assert versions[0].summary.title == versions[1].summary.title == current
    database.engine.dispose()  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", ENGINES)
def test_the_titled_numbers_migration_writes_them_for_records_stored_before(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    config, url = _at_head(kind, request, tmp_path)
    database = create_database(url)
    service = RecordService(
        database, org_code=TEST_ORG, clock=SteppingClock(datetime(2026, 12, 7, tzinfo=UTC))
    )
    # FOLIO's examples: every one a 001 "FOLIOstorage" without 003, kept as a bare 035.
    folio = CORPUS / "json" / "folio" / "ChalmersFOLIOExamples.json"
    for parsed in marc.read(folio.read_bytes()):
        assert isinstance(parsed, marc.ParsedRecord)
        service.create(marc.write(parsed.record, marc.Format.MRC), marc.Format.MRC)
    rows = "SELECT record_id, value FROM record_identifier WHERE scheme = '035t' ORDER BY 1, 2"
    with database.reader() as session:
        written = session.execute(text(rows)).all()
    assert len(written) == 62
    assert all(value.startswith("FOLIOstorage\x1f") for _, value in written)

    command.downgrade(config, "20261207_titled_numbers-1")
    with database.reader() as session:
        assert session.execute(text(rows)).all() == []
    command.upgrade(config, "head")
    with database.reader() as session:
        assert session.execute(text(rows)).all() == written
    database.engine.dispose()  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", ENGINES)
def test_the_system_numbers_migration_rewrites_the_rows_stored_before(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    config, url = _at_head(kind, request, tmp_path)
    database = create_database(url)
    service = RecordService(
        database, org_code=TEST_ORG, clock=SteppingClock(datetime(2026, 12, 7, tzinfo=UTC))
    )
    # traject's batch: 31 records, each with a 035 "(OCoLC)ocm…"; one has a bad ISBN.
    batch = CORPUS / "iso2709" / "traject" / "batch.dat"
    for parsed in marc.read(batch.read_bytes()):
        assert isinstance(parsed, marc.ParsedRecord)
        with suppress(marc.InvalidRecord):
            service.create(marc.write(parsed.record, marc.Format.MRC), marc.Format.MRC)
    rows = "SELECT record_id, scheme, value FROM record_identifier ORDER BY 1, 2, 3"
    with database.reader() as session:
        written = session.execute(text(rows)).all()
    oclc = [value for _, scheme, value in written if value.startswith("(OCoLC)")]
    assert len(oclc) > 10
    assert all(value[7:].isdigit() for value in oclc)  # "(OCoLC)ocm…" in the records
    # As the code before wrote them: each number as it came, a bare OCLC number with its title.
    with database.writer.begin() as session:
        session.execute(
            text(
                "UPDATE record_identifier SET value = '(OCoLC) ocm' || substr(value, 8) "
                "WHERE scheme = '035' AND value LIKE '(OCoLC)%'"
            )
        )
        session.execute(
            text(
                "INSERT INTO record_identifier (record_id, scheme, value) "
                "SELECT record_id, '035', '(OCoLC)' || substr(value, 8) FROM record_identifier "
                "WHERE scheme = '035' AND value LIKE '(OCoLC)%'"
            )
        )
    command.downgrade(config, "20261207_system_numbers-1")
    command.upgrade(config, "head")
    with database.reader() as session:
        assert session.execute(text(rows)).all() == written
    database.engine.dispose()  # type: ignore[union-attr]


@pytest.mark.postgres
def test_postgresql_vacuums_records_after_ten_thousand_inserts(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    config, database = _postgresql_at_head(request, tmp_path)

    def options() -> set[str]:
        with database.reader() as session:
            found = session.scalar(
                text("SELECT reloptions FROM pg_class WHERE oid = 'record'::regclass")
            )
        return set(found or ())

    # What autovacuum reads: 10,000 inserts, whatever the size of the table.
    assert options() == {
        "autovacuum_vacuum_insert_threshold=10000",
        "autovacuum_vacuum_insert_scale_factor=0",
    }
    command.downgrade(config, "20261207_vacuum_new_records-1")
    assert options() == set()  # the server's defaults: a fifth of the table
    database.engine.dispose()  # type: ignore[union-attr]
