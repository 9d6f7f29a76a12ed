"""The deployment index: PostgreSQL full-text search, tsvector + GIN, in table record_search.

Lexemes and their positions are computed here (app.search.text) and written as tsvector
literals, not run through to_tsvector: PostgreSQL's parser depends on the database's locale,
and the index must fold exactly as the query side and the SQLite index do. `doc` weighs the
parts (A title, B author, C subject, D series, publisher and notes), which both ranks and
restricts (`'word':A` is a title word); publisher has a column of its own for fielded search.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    ForeignKey,
    MetaData,
    Select,
    Table,
    Text,
    and_,
    cast,
    not_,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR, insert
from sqlalchemy.orm import Session

from app.search.document import ALL_PARTS, BOUNDARY, PARTS, SearchDocument, year_token
from app.search.query import And, Expr, Not, SearchField
from app.search.query import Text as Words
from app.search.words import tokens_of

TABLE = "record_search"
# PostgreSQL keeps positions up to 16383 (larger ones become 16383).
_MAX_POSITION = 16383
_WEIGHTS = {"title": "A", "author": "B", "subject": "C", "series": "D", "publisher": "D"}
_RESTRICTIONS = {SearchField.TITLE: "A", SearchField.AUTHOR: "B", SearchField.SUBJECT: "C"}

_metadata = MetaData()


def _record_key() -> Column[int]:
    return Column(
        "record_id",
        BigInteger,
        ForeignKey("record.id", ondelete="CASCADE"),
        key="id",
        primary_key=True,
    )


record_search = Table(
    TABLE,
    _metadata,
    _record_key(),
    Column("doc", TSVECTOR, nullable=False),
    Column("publisher_v", TSVECTOR, nullable=False),
)
# The words ranking reads, apart: a matching scan then reads narrow rows.
record_search_text = Table(
    f"{TABLE}_text",
    _metadata,
    _record_key(),
    *(Column(name, Text, nullable=False) for name in ALL_PARTS),
)


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(parts: Sequence[tuple[str, str]]) -> str:
    """A tsvector literal of (tokens, weight) parts, positions counted across the parts.

    A field boundary takes a position of its own, so no phrase matches across two fields."""
    positions: dict[str, list[str]] = {}
    position = 0
    for tokens, weight in parts:
        for token in tokens.split():
            position += 1
            if token != BOUNDARY:
                positions.setdefault(token, []).append(f"{min(position, _MAX_POSITION)}{weight}")
        position += 1
    return " ".join(f"{_lexeme(token)}:{','.join(at)}" for token, at in positions.items())


def _tsquery(text: Words, weight: str = "") -> str:
    tokens = tokens_of(text)
    items = [_lexeme(token) + (f":{weight}" if weight else "") for token in tokens]
    if text.prefix:
        items[-1] = f"{_lexeme(tokens[-1])}:*{weight}"
    return " <-> ".join(items)


def _on_doc(expr: Expr) -> bool:
    if isinstance(expr, Words):
        return expr.field is not SearchField.PUBLISHER
    if isinstance(expr, Not):
        return _on_doc(expr.item)
    return all(_on_doc(item) for item in expr.items)


def tsquery_text(expr: Expr) -> str:
    """Compile an expression with no publisher restriction into a tsquery literal on `doc`."""
    if isinstance(expr, Words):
        return f"({_tsquery(expr, _RESTRICTIONS.get(expr.field, '') if expr.field else '')})"
    if isinstance(expr, Not):
        return f"!{tsquery_text(expr.item)}"
    joiner = " & " if isinstance(expr, And) else " | "
    return "(" + joiner.join(tsquery_text(item) for item in expr.items) + ")"


def _on_doc_query(tsquery: str) -> ColumnElement[bool]:
    return record_search.c.doc.op("@@")(cast(tsquery, TSQUERY))


def _condition(expr: Expr) -> ColumnElement[bool]:
    if _on_doc(expr):
        return _on_doc_query(tsquery_text(expr))
    if isinstance(expr, Words):  # a publisher word
        return record_search.c.publisher_v.op("@@")(cast(f"({_tsquery(expr)})", TSQUERY))
    if isinstance(expr, Not):
        return not_(_condition(expr.item))
    conditions = [_condition(item) for item in expr.items]
    return and_(*conditions) if isinstance(expr, And) else or_(*conditions)


class PostgresFts:
    """SearchBackend over tsvector + GIN (see the module docstring)."""

    def store(self, session: Session, documents: Sequence[SearchDocument]) -> None:
        if not documents:
            return
        vectors = [
            {
                "id": d.record_id,
                "doc": tsvector_literal([(d.part(name), _WEIGHTS.get(name, "D")) for name in PARTS])
                # No position: no phrase reaches it.
                + (f" {_lexeme(year_token(d.year))}" if d.year is not None else ""),
                "publisher_v": tsvector_literal([(d.publisher, "D")]),
            }
            for d in documents
        ]
        texts = [
            {"id": d.record_id, **{name: d.part(name) for name in ALL_PARTS}} for d in documents
        ]
        for table, rows in ((record_search, vectors), (record_search_text, texts)):
            statement = insert(table)
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=[table.c.id],
                    set_={
                        column.name: statement.excluded[column.name]
                        for column in table.columns
                        if column.key != "id"
                    },
                ),
                rows,
            )

    def is_empty(self, session: Session) -> bool:
        return session.scalar(select(record_search.c.id).limit(1)) is None

    def matching(self, expr: Expr, *, years: Sequence[int] = ()) -> Select[tuple[int]]:
        if not years:
            return select(record_search.c.id.label("id")).where(_condition(expr))
        published = "(" + " | ".join(_lexeme(year_token(year)) for year in years) + ")"
        if _on_doc(expr):
            # One tsquery: the GIN index intersects the words and the years itself.
            condition = _on_doc_query(f"{tsquery_text(expr)} & {published}")
        else:
            condition = and_(_condition(expr), _on_doc_query(published))
        return select(record_search.c.id.label("id")).where(condition)

    def documents(
        self, session: Session, ids: Sequence[int], parts: Collection[str]
    ) -> list[SearchDocument]:
        names = [name for name in ALL_PARTS if name in parts]
        columns = [record_search_text.c[name] for name in names]
        # Plain columns: the session's connection, without the ORM's handling of each row.
        rows = session.connection().execute(
            select(record_search_text.c.id, *columns).where(record_search_text.c.id.in_(ids))
        )
        return [
            SearchDocument.of_parts(row[0], dict(zip(names, row[1:], strict=True)))
            for row in rows.all()
        ]
