"""What a search index must do, whatever the engine; `backend_for` picks one by dialect."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, Select
from sqlalchemy.orm import Session

from app.search.document import SearchDocument
from app.search.query import Expr


@dataclass(frozen=True, slots=True)
class MatchEstimate:
    """An engine's estimate of how many records an expression finds, of how many there are,
    and what finding one match through its index costs, in checks of a record walked past."""

    matches: float
    records: float
    lookup_cost: float

    def walked(self, wanted: int, span: int | None = None) -> float:
        """How many records walking newest first checks to find the newest `wanted` matches,
        among the newest `span` record numbers (None: all). Record numbers are taken as dense
        (a deleted record keeps its number and its row)."""
        if self.matches < 1:
            return self.records if span is None else min(self.records, span)
        walked = self.records * wanted / self.matches
        return walked if span is None else min(walked, span)

    def looked_up(self) -> float:
        """What looking every match up in the index costs, in records checked."""
        return self.matches * self.lookup_cost

    def index_first(self, wanted: int, span: int | None = None) -> bool:
        """Whether those matches come sooner from looking every match up in the index and
        sorting them than from walking the records newest first (see `walked`)."""
        return self.looked_up() < self.walked(wanted, span)

    def over(self, numbers: int) -> MatchEstimate:
        """The estimate for a run of `numbers` record numbers, at the same share of matches."""
        share = numbers / self.records if self.records >= 1 else 1.0
        return MatchEstimate(self.matches * share, numbers, self.lookup_cost)

    def cost(self, wanted: int, span: int | None = None) -> float:
        """What finding those matches costs the better way, in records checked."""
        return min(self.looked_up(), self.walked(wanted, span))


class SearchBackend(Protocol):
    """A full-text index of search documents, keyed by record id.

    Writes happen in the caller's transaction, so the index changes exactly when the records
    do. Expressions given to `matching` are pruned (every Text has at least one token) and
    positive (see query.has_positive)."""

    # The index is kept in parts of this many record numbers (0 up to the width, and so on),
    # each its own index, and the newest matches are best asked of the newest part first, then
    # of the older ones while more are wanted; None: one index, asked as a whole.
    part_width: int | None

    def begin(self, session: Session) -> None:
        """Set the session's transaction up for a search's statements, as the engine wants."""
        ...

    def store(
        self, session: Session, documents: Sequence[SearchDocument], *, new: bool = False
    ) -> None:
        """Index these documents, replacing what was indexed for their records; `new`: the
        records were never indexed (just created), so there is nothing to replace."""
        ...

    def is_empty(self, session: Session) -> bool:
        """Whether no record is indexed at all (a new or lost index)."""
        ...

    def matching(
        self, expr: Expr, *, years: Sequence[int] = (), among: Sequence[int] | None = None
    ) -> Select[tuple[int]]:
        """A statement selecting the ids (one column, `id`) of the records the expression finds;
        with `years`, only those published in one of them (the caller still checks the year
        column: this narrows the matches in the index, before they are read); with `among`,
        only those of these records."""
        ...

    def also_matched(self, expr: Expr) -> ColumnElement[bool] | None:
        """A column to add to `matching`'s statement: whether each record it finds is found by
        `expr` too, told from what the index reads of that record anyway. None where the
        engine cannot tell so (then `expr` is a search of its own)."""
        ...

    def estimate(
        self, session: Session, expr: Expr, *, years: Sequence[int] = (), numbered_from: int = 0
    ) -> MatchEstimate | None:
        """How many records `matching` would find, when the engine's planner needs telling how
        best to find the newest of them (see MatchEstimate.index_first); None: it knows. With
        `numbered_from`, of the records numbered from that on only: where the index is in parts,
        the newest part's worth, which the engine estimates from fewer parts' statistics."""
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
