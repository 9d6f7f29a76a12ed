"""insert_rows: many rows at once (COPY on PostgreSQL), stored as an INSERT stores them, and
refused with SQLAlchemy's own errors, so a batch falls back to one row at a time alike."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    cast,
    insert,
    select,
)
from sqlalchemy.exc import DataError, IntegrityError

from app.db.engine import Database, create_database, insert_rows
from app.db.models import UtcDateTime

from support import ENGINES, fresh_database_url

_metadata = MetaData()
sample = Table(
    "bulk_sample",
    _metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("code", String(10), nullable=False),
    Column("words", Text),
    Column("raw", LargeBinary),
    Column("at", UtcDateTime()),
)
HANOI = timezone(timedelta(hours=7))


def _database(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    database = create_database(fresh_database_url(kind, request, tmp_path))
    _metadata.create_all(database.engine)  # type: ignore[arg-type]
    return database


def _rows(first: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": first + n,
            "code": f"c{n}",
            # Diacritics in both forms, a quote, a backslash, tabs and line breaks: what COPY's
            # text format must escape.
            "words": "Thư viện 'quốc gia'\t\\ Thư viện\n" if n % 2 else None,
            "raw": b"00042nam a2200000 a 4500\x1e\x00\x1d" if n % 3 else None,
            "at": datetime(2026, 12, 4, 9, 30, n % 60, tzinfo=HANOI),
        }
        for n in range(count)
    ]


def _stored(database: Database) -> list[dict[str, Any]]:
    with database.reader() as session:
        return [dict(row._mapping) for row in session.execute(select(sample).order_by(sample.c.id))]


@pytest.mark.parametrize("kind", ENGINES)
def test_rows_are_stored_as_given(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    database = _database(kind, request, tmp_path)
    rows = _rows(1, 1200)
    with database.writer.begin() as session:
        insert_rows(session, sample, rows)
        insert_rows(session, sample, [])
    stored = _stored(database)
    # Times come back in UTC, the same instants.
    assert [{**row, "at": row["at"].astimezone(UTC)} for row in rows] == stored
    assert stored[1]["at"] == datetime(2026, 12, 4, 2, 30, 1, tzinfo=UTC)
    # And each value is stored exactly as SQLAlchemy's own INSERT stores it (on SQLite, the
    # text of a time, which keyset pages compare).
    with database.writer.begin() as session:
        session.execute(insert(sample), [{**rows[n], "id": 10_000 + n} for n in range(6)])
    as_text = [cast(column, Text) if column.key != "raw" else column for column in sample.c]
    with database.reader() as session:
        raw = session.execute(select(*as_text).order_by(sample.c.id)).all()
    assert [tuple(row[1:]) for row in raw[:6]] == [tuple(row[1:]) for row in raw[-6:]]
    database.engine.dispose()  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", ENGINES)
def test_a_refused_row_raises_sqlalchemys_error_and_a_savepoint_keeps_the_rest(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    database = _database(kind, request, tmp_path)
    with database.writer.begin() as session:
        insert_rows(session, sample, _rows(1, 3))
        with pytest.raises(IntegrityError), session.begin_nested():
            insert_rows(session, sample, _rows(3, 2))  # id 3 is taken: neither row stays
        insert_rows(session, sample, _rows(10, 2))
    assert [row["id"] for row in _stored(database)] == [1, 2, 3, 10, 11]

    with pytest.raises(IntegrityError), database.writer.begin() as session:
        insert_rows(session, sample, [{**_rows(20, 1)[0], "code": None}])  # NOT NULL
    assert len(_stored(database)) == 5
    database.engine.dispose()  # type: ignore[union-attr]


@pytest.mark.postgres
def test_a_value_too_long_for_its_column_is_a_data_error_on_postgresql(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    database = _database("postgresql", request, tmp_path)
    with pytest.raises(DataError), database.writer.begin() as session:
        insert_rows(session, sample, [{**_rows(1, 1)[0], "code": "x" * 11}])
    assert _stored(database) == []
    database.engine.dispose()  # type: ignore[union-attr]
