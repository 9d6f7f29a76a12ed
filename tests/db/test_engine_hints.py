"""SQLite is told which index to read (INDEXED BY): SQLAlchemy's own SQLite compiler drops it."""

from pathlib import Path

import pytest
from sqlalchemy import BigInteger, Engine, LargeBinary, literal, select, text

from app.db.engine import BINARY_RESULTS, create_database
from app.db.models import StoredRecord
from app.search.searcher import FILTER_INDEX


def test_an_index_hint_reaches_sqlite_and_its_plan(tmp_path: Path) -> None:
    database = create_database(f"sqlite:///{tmp_path / 'hints.db'}")
    engine = database.engine
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE record (id INTEGER PRIMARY KEY, year INTEGER)"))
        connection.execute(text(f"CREATE INDEX {FILTER_INDEX} ON record (id, year)"))
    hinted = select(StoredRecord.id, StoredRecord.year).with_hint(
        StoredRecord, f"INDEXED BY {FILTER_INDEX}", "sqlite"
    )
    sql = str(hinted.compile(dialect=engine.dialect))
    assert f"FROM record INDEXED BY {FILTER_INDEX}" in sql
    with engine.connect() as connection:
        plan = " ".join(str(row) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    assert f"COVERING INDEX {FILTER_INDEX}" in plan


def test_postgresql_plans_each_statement_for_its_own_values(engine: Engine) -> None:
    # A plan made once for any values would serve every search the plan of some earlier one.
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL setting")
    database = create_database(engine.url.render_as_string(hide_password=False))
    try:
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW plan_cache_mode").scalar() == (
                "force_custom_plan"
            )
    finally:
        database.engine.dispose()  # type: ignore[union-attr]


@pytest.mark.parametrize("binary", [False, True])
def test_results_come_in_binary_form_where_asked(engine: Engine, binary: bool) -> None:
    # Bytes and integers read back the same either way; on PostgreSQL the rows asked for in
    # binary form cross in it (bytea as its bytes, not as hex digits).
    statement = select(
        literal(b"\x00\xff MARC", LargeBinary).label("data"), literal(7, BigInteger).label("n")
    ).execution_options(**{BINARY_RESULTS: binary})
    with engine.connect() as connection:
        result = connection.execute(statement)
        if engine.dialect.name == "postgresql":
            assert result.cursor.pgresult.fformat(0) == (1 if binary else 0)
        assert result.all() == [(b"\x00\xff MARC", 7)]
