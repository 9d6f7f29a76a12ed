"""The one place that knows the quirks of each database engine."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, Dialect, Engine, Table, create_engine, event, insert
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

# Execution option read by the SQLite "begin" hook: writers take the write lock up front, so two
# transactions that both read first never deadlock on the upgrade (SQLite would answer "locked").
_SQLITE_BEGIN = "catalog_sqlite_begin"
# An execution option: the results of the statement in the driver's binary format where the
# engine has one (PostgreSQL). A bytea value then crosses as its bytes, not as twice as many hex
# digits for the server to write and the driver to read: an export's batches of stored records,
# 115,000 -> 315,000 records/s at the database (one-off). For plain columns (integers, text,
# bytes), which every format returns alike.
BINARY_RESULTS = "catalog_binary_results"
# An execution option: the statement is never prepared by the driver, so the server plans it
# for its own values each time. psycopg prepares a statement run five times on a connection,
# and the server may then keep one plan for any values: a search's best plan depends on its
# words (walking the records or looking matches up: app.search.postgres_fts), and the plan of
# the words of some earlier search took a phrase from 30 to 130 ms (one-off). Only for such
# statements: the others, an import's above all, keep the plans psycopg prepares.
CUSTOM_PLAN = "catalog_custom_plan"


@dataclass(frozen=True, slots=True)
class Database:
    """An engine with the two kinds of session the use-cases open."""

    engine: Engine | Connection
    reader: sessionmaker[Session]
    writer: sessionmaker[Session]

    @property
    def dialect(self) -> str:
        """Name of the engine's dialect: "sqlite" or "postgresql"."""
        return self.engine.dialect.name


# Pages of WAL (4 KB each) before a commit copies them into the database: 64 MB, not SQLite's
# 4 MB, so that a page written by several batches of an import (an index's, FTS5's) is copied
# once, and the WAL synced less often (100,000 records on SQLite: 1.6-1.9 s less of some 39 s).
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 16_384


class _SQLiteCompilerWithHints(SQLiteCompiler):
    """SQLite's compiler as SQLAlchemy ships it drops table hints (`Select.with_hint`); SQLite
    has one, written after the table's name: `INDEXED BY <index>`, which this one renders."""

    def get_from_hint_text(self, table: Any, text: str | None) -> str | None:
        return text


def _prepare_sqlite_file(url: URL) -> None:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def _install_sqlite_hooks(engine: Engine, busy_timeout_ms: int) -> None:
    # SQLAlchemy's documented pysqlite recipe: the driver's own implicit BEGIN is switched off and
    # SQLAlchemy emits BEGIN itself, so SAVEPOINT and transaction boundaries behave.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(_SQLITE_BEGIN, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _install_postgres_hooks(engine: Engine) -> None:
    # The execution options BINARY_RESULTS and CUSTOM_PLAN, as psycopg's own arguments.
    @event.listens_for(engine, "do_execute")
    def _do_execute(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        options = context.execution_options
        binary, custom = options.get(BINARY_RESULTS), options.get(CUSTOM_PLAN)
        if not (binary or custom):
            return False  # SQLAlchemy executes it as usual
        prepare = False if custom else None  # None: psycopg's own rule
        cursor.execute(statement, parameters, binary=True if binary else None, prepare=prepare)
        return True


def create_database(
    url: str,
    *,
    pool_size: int = 5,
    max_overflow: int = 10,
    sqlite_busy_timeout_ms: int = 30000,
) -> Database:
    """Create the engine for a URL with the settings its dialect needs, and its sessionmakers."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _prepare_sqlite_file(parsed)
        engine = create_engine(parsed)
        engine.dialect.statement_compiler = _SQLiteCompilerWithHints
        _install_sqlite_hooks(engine, sqlite_busy_timeout_ms)
    else:
        engine = create_engine(
            parsed, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True
        )
        if engine.dialect.name == "postgresql":
            _install_postgres_hooks(engine)
    return database_on(engine)


def database_on(bind: Engine | Connection, **session_options: Any) -> Database:
    """Wrap an engine, or a connection already in a transaction (tests), in a Database."""
    writer_bind = (
        bind
        if isinstance(bind, Connection)
        else bind.execution_options(**{_SQLITE_BEGIN: "IMMEDIATE"})
    )
    return Database(
        engine=bind,
        reader=sessionmaker(bind=bind, expire_on_commit=False, **session_options),
        writer=sessionmaker(bind=writer_bind, expire_on_commit=False, **session_options),
    )


# Inserting many new rows at once. SQLAlchemy's executemany makes each row's parameters ready in
# Python, column by column, several times what the database then takes to store the row; and on
# PostgreSQL the driver sends each row as a statement of its own, planned and run one by one (a
# bulk import writes seven rows a record). Here the rows are converted once, by the columns' own
# conversions, and go as one executemany on SQLite (run in SQLite's C loop) and as one COPY on
# PostgreSQL (a stream the server reads straight into the table).


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows (dicts of column values by column key, the same keys in each) in the
    session's transaction, each value stored as an INSERT stores it. Every column without a
    server default must be given: the columns' Python-side defaults do not apply. A refusal
    raises SQLAlchemy's error for it (IntegrityError, DataError, …) on every engine, and leaves
    the transaction to be rolled back."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name not in ("sqlite", "postgresql") or (
        dialect.name == "postgresql" and dialect.driver != "psycopg"
    ):
        connection.execute(insert(table), list(rows))  # another driver: SQLAlchemy's own way
        return
    columns = [table.c[key] for key in rows[0]]
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(column.name) for column in columns)
    values = _bound_values(rows, columns, dialect)
    if dialect.name == "sqlite":
        marks = ", ".join("?" * len(columns))
        # Only the table's own names go into the statement; the values are parameters.
        sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"  # noqa: S608
        connection.exec_driver_sql(sql, values)
        return
    import psycopg  # here: a process on SQLite need not hold the driver

    statement = f"COPY {quote(table.name)} ({names}) FROM STDIN"
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    # Straight to the driver, past SQLAlchemy's execution (its events and statement log): a
    # failure still rolls the transaction back, and the pool's pre-ping finds a lost connection.
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in values:
                copy.write_row(row)
    except psycopg.Error as error:
        raise DBAPIError.instance(statement, None, error, psycopg.Error) from error


def _bound_values(
    rows: Sequence[dict[str, Any]], columns: Sequence[Column[Any]], dialect: Dialect
) -> list[tuple[Any, ...]]:
    """Each row's values in the order of `columns`, as their types hand them to the driver."""
    processors = [
        (i, column.type.dialect_impl(dialect).bind_processor(dialect))
        for i, column in enumerate(columns)
    ]
    converted = [(i, process) for i, process in processors if process is not None]
    keys = [column.key for column in columns]
    values = []
    for row in rows:
        line = [row[key] for key in keys]
        for i, process in converted:
            if line[i] is not None:
                line[i] = process(line[i])
        values.append(tuple(line))
    return values
