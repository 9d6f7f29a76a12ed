"""What a search index must do, whatever the engine; `backend_for` picks one by dialect."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from sqlalchemy import Select
from sqlalchemy.orm import Session

from app.search.document import SearchDocument
from app.search.query import Expr


class SearchBackend(Protocol):
    """A full-text index of search documents, keyed by record id.

    Writes happen in the caller's transaction, so the index changes exactly when the records
    do. Expressions given to `matching` are pruned (every Text has at least one token) and
    positive (see query.has_positive)."""

    def store(
        self, session: Session, documents: Sequence[SearchDocument], *, new: bool = False
    ) -> None:
        """Index these documents, replacing what was indexed for their records; `new`: the
        records were never indexed (just created), so there is nothing to replace."""
        ...

    def is_empty(self, session: Session) -> bool:
        """Whether no record is indexed at all (a new or lost index)."""
        ...

    def matching(self, expr: Expr, *, years: Sequence[int] = ()) -> Select[tuple[int]]:
        """A statement selecting the ids (one column, `id`) of the records the expression finds;
        with `years`, only those published in one of them (the caller still checks the year
        column: this narrows the matches in the index, before they are read)."""
        ...

    def documents(
        self, session: Session, ids: Sequence[int], parts: Collection[str]
    ) -> list[SearchDocument]:
        """The stored documents of these records (those indexed), in no particular order, with
        these parts (of PARTS and "exact") read; the others are empty."""
        ...


def backend_for(dialect: str) -> SearchBackend:
    """The index for a database engine: FTS5 on SQLite, tsvector + GIN on PostgreSQL."""
    if dialect == "sqlite":
        from app.search.sqlite_fts5 import SqliteFts5

        return SqliteFts5()
    if dialect == "postgresql":
        from app.search.postgres_fts import PostgresFts

        return PostgresFts()
    raise ValueError(f"no search backend for {dialect!r}")
