"""SQLite is told which index to read (INDEXED BY): SQLAlchemy's own SQLite compiler drops it."""

from pathlib import Path

import pytest
from sqlalchemy import BigInteger, Engine, LargeBinary, literal, select, text

from app.db.engine import BINARY_RESULTS, CUSTOM_PLAN, create_database
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


@pytest.mark.parametrize("custom", [False, True])
def test_a_statement_for_custom_plans_is_never_prepared(engine: Engine, custom: bool) -> None:
    # psycopg prepares a statement run five times; the server may then plan it once for any
    # values, and a search would get the plan of some earlier search's words.
    if engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements")
    marker = f"custom_{custom}"
    statement = select(literal(1, BigInteger).label(marker)).execution_options(
        **{CUSTOM_PLAN: custom}
    )
    with engine.connect() as connection:
        for _ in range(8):
            assert connection.execute(statement).scalar() == 1
        prepared = connection.exec_driver_sql(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %(marker)s",
            {"marker": f"%{marker}%"},
        ).scalar()
    assert prepared == (0 if custom else 1)


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
