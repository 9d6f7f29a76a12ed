"""The embedded index: an SQLite FTS5 table whose rowid is the record id.

Tokens arrive cut and folded (app.search.text), so the table uses FTS5's `ascii` tokenizer,
which splits on ASCII spaces and punctuation and keeps every other character: it adds no
folding of its own that the PostgreSQL index would not do.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Select,
    Table,
    Text,
    delete,
    select,
)
from sqlalchemy import literal_column as sql_literal
from sqlalchemy.orm import Session

from app.db.engine import insert_rows
from app.search.backend import MatchEstimate
from app.search.document import ALL_PARTS, PARTS, SearchDocument, year_token
from app.search.query import Expr, Not, Or
from app.search.query import Text as Words
from app.search.words import tokens_of

TABLE = "record_search"
CREATE = (
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5("
    f"{', '.join(PARTS)}, exact UNINDEXED, year, tokenize = 'ascii', detail = full)"
)

_metadata = MetaData()
record_search = Table(
    TABLE,
    _metadata,
    Column("rowid", Integer, key="id", primary_key=True),
    *(Column(name, Text) for name in ALL_PARTS),
    Column("year", Text),  # the year_token of the year of publication, or ""
)


def _phrase(text: Words) -> str:
    # Tokens hold no ASCII punctuation or spaces (text.py), so quoting needs no escapes.
    phrase = '"' + " ".join(tokens_of(text)) + '"' + ("*" if text.prefix else "")
    if text.field is None:
        return phrase
    return f"{text.field.value} : {phrase}"  # each field has the column of its name


def fts5_query(expr: Expr) -> str:
    """Compile a pruned, positive expression into an FTS5 MATCH string."""
    if isinstance(expr, Words):
        return _phrase(expr)
    if isinstance(expr, Or):
        return " OR ".join(f"({fts5_query(item)})" for item in expr.items)
    if isinstance(expr, Not):
        raise ValueError("a NOT needs something positive beside it")
    positives = [item for item in expr.items if not isinstance(item, Not)]
    negatives = [item.item for item in expr.items if isinstance(item, Not)]
    if not positives:
        raise ValueError("a NOT needs something positive beside it")
    query = " AND ".join(f"({fts5_query(item)})" for item in positives)
    for negative in negatives:
        # FTS5's NOT is binary: "a NOT b NOT c" is "(a NOT b) NOT c".
        query = f"({query}) NOT ({fts5_query(negative)})"
    return query


class SqliteFts5:
    """SearchBackend over FTS5 (see the module docstring)."""

    # One index: FTS5 reads a search's matches newest first already, and stops.
    part_width: int | None = None

    def begin(self, session: Session) -> None:
        pass  # nothing to set

    def store(
        self, session: Session, documents: Sequence[SearchDocument], *, new: bool = False
    ) -> None:
        if not documents:
            return
        if not new:
            ids = [d.record_id for d in documents]
            session.execute(delete(record_search).where(record_search.c.id.in_(ids)))
        insert_rows(
            session,
            record_search,
            [
                {
                    "id": d.record_id,
                    **{name: d.part(name) for name in ALL_PARTS},
                    "year": year_token(d.year) if d.year is not None else "",
                }
                for d in documents
            ],
        )

    def is_empty(self, session: Session) -> bool:
        return session.scalar(select(record_search.c.id).limit(1)) is None

    def matching(
        self, expr: Expr, *, years: Sequence[int] = (), among: Sequence[int] | None = None
    ) -> Select[tuple[int]]:
        query = fts5_query(expr)
        if years:
            published = " OR ".join(f'"{year_token(year)}"' for year in years)
            query = f"({query}) AND (year : ({published}))"
        match = sql_literal(TABLE).op("MATCH")(query)
        statement = select(record_search.c.id.label("id")).where(match)
        if among is not None:
            statement = statement.where(record_search.c.id.in_(among))
        return statement

    def also_matched(self, expr: Expr) -> ColumnElement[bool] | None:
        # One MATCH a table in a statement: a second expression is a search of its own.
        return None

    def estimate(
        self, session: Session, expr: Expr, *, years: Sequence[int] = (), numbered_from: int = 0
    ) -> MatchEstimate | None:
        # FTS5 reads its lists of matches in record number order, newest first when asked:
        # nothing to tell SQLite's planner.
        return None

    def documents(
        self, session: Session, ids: Sequence[int], parts: Collection[str]
    ) -> list[SearchDocument]:
        names = [name for name in ALL_PARTS if name in parts]
        columns = [record_search.c[name] for name in names]
        # Plain columns: the session's connection, without the ORM's handling of each row.
        rows = session.connection().execute(
            select(record_search.c.id, *columns).where(record_search.c.id.in_(ids))
        )
        return [
            SearchDocument.of_parts(row[0], dict(zip(names, row[1:], strict=True)))
            for row in rows.all()
        ]
