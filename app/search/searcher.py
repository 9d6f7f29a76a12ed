"""Searching: match, filter, count, facet, rank and page, on top of one SearchBackend.

At a million records a common word matches a fifth of the catalogue; nothing here touches all
of those. Totals and facets are exact up to `count_bound` matches (the newest ones) and flagged
beyond. Relevance ranks a window exactly (ranking.py): the newest `rank_window` matches with
the words in their title (among the newest `count_bound` matches), where the best hits are,
and the newest `rank_window` matches of any kind; the other matches follow, newest first.
Cursors carry the window's lower edges, so paging stays stable while records are added: no
record is listed twice or skipped. Words within a range of a few years ask the index for the
years too (a common name would otherwise be thousands of matches whose year is read only to
keep a few dozen); the year column still decides. Where the index is kept in parts of record
numbers (PostgreSQL's, SearchBackend.part_width), the newest matches are asked of the newest
part first, and of older parts only while more are wanted (`_newest`).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.db.engine import BINARY_RESULTS, CUSTOM_PLAN
from app.db.models import MAX_KEY, StoredRecord
from app.search.backend import MatchEstimate, SearchBackend
from app.search.filters import conditions
from app.search.query import Expr, Filters, SearchQuery, has_positive, in_titles
from app.search.ranking import Ranker
from app.search.words import prune

# The index of record's id and the columns filters and facets read (app.db.models).
FILTER_INDEX = "ix_record_filters"
COUNT_BOUND = 2_000
RANK_WINDOW = 500
FACET_VALUES = 20
# Beyond this many years, a range is left to the year column alone (one index term a year).
INDEXED_YEAR_SPAN = 30
# Records with no year or title sort after the others, whichever the direction.
_NO_YEAR_ASC = 1_000_000
_NO_YEAR_DESC = -1
_NO_TITLE_ASC = b"\xff" * 8
_NO_TITLE_DESC = b""


class Sort(StrEnum):
    """Orders a result can be read in; a leading '-' reverses."""

    RELEVANCE = "relevance"
    YEAR = "year"
    YEAR_DESC = "-year"
    TITLE = "title"
    TITLE_DESC = "-title"
    UPDATED = "updated"
    UPDATED_DESC = "-updated"


class EmptyQuery(ValueError):
    """A query with nothing to look for: only exclusions, or no letter or digit at all."""


class InvalidCursor(ValueError):
    """A position to continue from that this searcher did not give out (or for another sort)."""


@dataclass(frozen=True, slots=True)
class FacetCount:
    """How many of the counted matches have this value."""

    value: str
    count: int


@dataclass(frozen=True, slots=True)
class Facets:
    """Counts by language, type of material, decade of publication and status."""

    language: tuple[FacetCount, ...]
    type: tuple[FacetCount, ...]
    decade: tuple[FacetCount, ...]
    status: tuple[FacetCount, ...]


@dataclass(frozen=True, slots=True)
class Hits:
    """One page of a search: record ids in order, and what comes with the first page."""

    ids: tuple[int, ...]
    next_key: dict[str, Any] | None
    total: int | None = None
    total_exact: bool = True
    facets: Facets | None = None


@dataclass(frozen=True, slots=True)
class _RankCursor:
    edge: int
    title_edge: int
    rank: list[int] | None  # the last ranked hit's key, or None in the tail
    tail: int | None  # the last tail hit's id


@dataclass(frozen=True, slots=True)
class _SortCursor:
    value: Any
    id: int


def _cursor(sort: Sort, after: dict[str, Any]) -> _RankCursor | _SortCursor:
    """Read a cursor's keys, checked. Raises InvalidCursor when they are not ones we gave out."""
    try:
        if after.get("s") != sort.value:
            raise ValueError("the cursor belongs to another sort order")
        if sort is not Sort.RELEVANCE:
            return _SortCursor(_key_in(sort, after.get("k")), _int(after.get("i")))
        tail = _int(after["t"]) if "t" in after else None
        rank = None
        if tail is None:
            rank = [_int(value, low=-MAX_KEY, high=0) for value in after.get("r") or ()]
            if len(rank) != 3:
                raise ValueError("no rank key")
        return _RankCursor(_int(after.get("e")), _int(after.get("te")), rank, tail)
    except (ValueError, TypeError, OverflowError) as error:
        raise InvalidCursor(str(error)) from error


@dataclass(frozen=True, slots=True)
class _Prepared:
    expr: Expr | None
    where: list[ColumnElement[bool]]
    years: tuple[int, ...] = ()  # a year range the index narrows the matches to (see _years)
    estimate: MatchEstimate | None = None  # see SearchBackend.estimate
    # The highest record number, where the index is in parts (see SearchBackend.part_width).
    highest: int | None = None


def _years(filters: Filters) -> tuple[int, ...]:
    """The years of a range the index can narrow the matches to: a range of at most
    INDEXED_YEAR_SPAN years, where asking for each year is cheaper than checking each match."""
    first, last = filters.year_from, filters.year_to
    if first is None or last is None or not 0 <= last - first < INDEXED_YEAR_SPAN:
        return ()
    return tuple(range(first, last + 1))


def _facet(counter: Counter[str]) -> tuple[FacetCount, ...]:
    ordered = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    return tuple(FacetCount(value, count) for value, count in ordered[:FACET_VALUES])


def _sort_key(sort: Sort) -> ColumnElement[Any]:
    if sort in (Sort.YEAR, Sort.YEAR_DESC):
        empty = _NO_YEAR_ASC if sort is Sort.YEAR else _NO_YEAR_DESC
        return func.coalesce(StoredRecord.year, empty)
    if sort in (Sort.TITLE, Sort.TITLE_DESC):
        empty_title = _NO_TITLE_ASC if sort is Sort.TITLE else _NO_TITLE_DESC
        return func.coalesce(StoredRecord.title_key, empty_title)
    return StoredRecord.updated_at  # type: ignore[return-value]


def _key_out(sort: Sort, value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _key_in(sort: Sort, value: Any) -> Any:
    """The sort value of a cursor, checked: ValueError (a bad cursor) when it is not one."""
    if sort in (Sort.YEAR, Sort.YEAR_DESC):
        return _int(value, low=_NO_YEAR_DESC, high=_NO_YEAR_ASC)
    if not isinstance(value, str):
        raise ValueError("key")
    if sort in (Sort.TITLE, Sort.TITLE_DESC):
        return bytes.fromhex(value)
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("naive time")
    return moment.astimezone(UTC)


def _rows(session: Session, statement: Select[Any]) -> list[Row[Any]]:
    """Run a select of plain columns on the session's connection: the ORM's handling of each
    row adds nothing to plain columns, and costs more than the query itself at 2,000 rows.
    Fetched at once: psycopg takes some 4 µs a row fetched one by one, 10 ms of a search for a
    common word (cProfile, one-off). Planned for its own values (see CUSTOM_PLAN)."""
    planned = statement.execution_options(**{CUSTOM_PLAN: True})
    return list(session.connection().execute(planned).all())


def _newest_first(
    prepared: _Prepared,
    id_column: ColumnElement[int] | InstrumentedAttribute[int],
    *,
    wanted: int,
    span: int | None = None,
) -> ColumnElement[int]:
    """The order of the newest `wanted` matches (among the newest `span` record numbers). By
    the bare id, an engine may walk the records newest first, checking each; by `id + 0`, it
    can only look every match up in the index and sort them, which the engine's estimate
    says is the sooner (see MatchEstimate.index_first)."""
    estimate = prepared.estimate
    if estimate is not None and estimate.index_first(wanted, span):
        return (id_column + 0).desc()
    return id_column.desc()


def _int(value: Any, *, low: int = 0, high: int = MAX_KEY) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError("not an integer in range")
    return value


class Searcher:
    """Searches over one backend; a caller passes the session (and so owns the transaction)."""

    def __init__(
        self,
        backend: SearchBackend,
        *,
        org_code: str,
        count_bound: int = COUNT_BOUND,
        rank_window: int = RANK_WINDOW,
    ) -> None:
        if rank_window > count_bound:
            raise ValueError("the rank window cannot be larger than the count bound")
        self.backend = backend
        self._org_code = org_code
        self._count_bound = count_bound
        self._rank_window = rank_window

    def _prepare(self, query: SearchQuery, session: Session | None = None) -> _Prepared:
        """The query checked and compiled; with a session, with the engine's estimate of its
        matches when it needs one to find the newest of them (see _newest_first)."""
        expr = None
        if query.text is not None:
            expr = prune(query.text)
            if expr is None:
                raise EmptyQuery("the query has no letter or digit to look for")
            if not has_positive(expr):
                raise EmptyQuery(
                    "the query only excludes; say what to look for as well (a word or phrase)"
                )
        years = _years(query.filters)
        highest = None
        if session is not None:
            self.backend.begin(session)
            if expr is not None and self.backend.part_width is not None:
                highest = session.scalar(select(func.max(StoredRecord.id))) or 0
        return _Prepared(
            expr=expr,
            where=conditions(query.filters, org_code=self._org_code),
            years=years,
            estimate=self._estimate(session, expr, years, highest),
            highest=highest,
        )

    def _estimate(
        self,
        session: Session | None,
        expr: Expr | None,
        years: tuple[int, ...],
        highest: int | None,
    ) -> MatchEstimate | None:
        if session is None or expr is None:
            return None
        width = self.backend.part_width
        # Where the index is in parts, the newest part's worth of numbers: where the searches
        # look first, and one or two parts for the engine to plan (eight parts of 131,072
        # numbers, a million records, took 5 ms; one-off).
        since = max(highest - width + 1, 0) if width is not None and highest is not None else 0
        return self.backend.estimate(session, expr, years=years, numbered_from=since)

    def _select(
        self,
        prepared: _Prepared,
        *columns: Any,
        among: Sequence[int] | None = None,
        also: ColumnElement[bool] | None = None,
    ) -> tuple[Select[Any], ColumnElement[int] | InstrumentedAttribute[int]]:
        """Matching records with these columns (of those `among`, if given: for a query with
        words; and `also`, a column of SearchBackend.also_matched, last), and the id column to
        order them by."""
        if prepared.expr is None:
            return select(StoredRecord.id, *columns).where(*prepared.where), StoredRecord.id
        matching = self.backend.matching(prepared.expr, years=prepared.years, among=among)
        if also is not None:
            matching = matching.add_columns(also.label("also"))
        matched = matching.subquery("matched")
        if also is not None:
            columns = (*columns, matched.c.also)
        statement = (
            select(matched.c.id, *columns)
            .join_from(matched, StoredRecord, StoredRecord.id == matched.c.id)
            .where(*prepared.where)
            # SQLite's planner prefers the rowid to any index for a join on the id, even one
            # that holds every column wanted (PostgreSQL finds it unaided).
            .with_hint(StoredRecord, f"INDEXED BY {FILTER_INDEX}", "sqlite")
        )
        return statement, matched.c.id

    def search(
        self,
        session: Session,
        query: SearchQuery,
        *,
        sort: Sort | None,
        after: dict[str, Any] | None,
        limit: int,
        totals: bool,
    ) -> Hits:
        """One page of matches. Raises EmptyQuery, or ValueError for a cursor that is not ours.

        sort None is relevance for a query with words, else the order of last update."""
        prepared = self._prepare(query, session)
        if sort is None:
            sort = Sort.RELEVANCE if prepared.expr is not None else Sort.UPDATED
        if sort is Sort.RELEVANCE and prepared.expr is None:
            sort = Sort.UPDATED  # without words, relevance is the order of last update
        cursor = _cursor(sort, after) if after is not None else None
        counted: list[Any] | None = None
        total = None
        total_exact = True
        facets = None
        titled = None
        if totals:
            if sort is Sort.RELEVANCE and cursor is None:
                titled = self._titled(prepared)
            counted = self._counted(session, prepared, titled)
            total = min(len(counted), self._count_bound)
            total_exact = len(counted) <= self._count_bound
            facets = self._facets(counted[: self._count_bound])
        if sort is Sort.RELEVANCE:
            assert cursor is None or isinstance(cursor, _RankCursor)
            ids, next_key = self._ranked(
                session, prepared, cursor, limit, counted, titled_counted=titled is not None
            )
        else:
            assert cursor is None or isinstance(cursor, _SortCursor)
            ids, next_key = self._sorted(session, prepared, sort, cursor, limit)
        if next_key is not None:
            next_key["s"] = sort.value
        return Hits(ids, next_key, total=total, total_exact=total_exact, facets=facets)

    def _titled(self, prepared: _Prepared) -> ColumnElement[bool] | None:
        """Where the engine can tell it while counting, whether each match counted has the
        words in its title: the first page's title matches are then known without a search
        of their own (at a million records, PostgreSQL's estimate and walk for them were
        about 4 ms of a common word's 31; one-off)."""
        assert prepared.expr is not None
        in_title = in_titles(prepared.expr)
        return self.backend.also_matched(in_title) if in_title != prepared.expr else None

    def _counted(
        self, session: Session, prepared: _Prepared, titled: ColumnElement[bool] | None = None
    ) -> list[Any]:
        """The newest matches, up to one more than the count bound: their id, the columns
        facets count, and whether each has the words in its title when `titled` is given."""
        statement, id_column = self._select(
            prepared,
            StoredRecord.language,
            StoredRecord.material,
            StoredRecord.year,
            StoredRecord.status,
            also=titled,
        )
        return self._newest(session, prepared, statement, id_column, wanted=self._count_bound + 1)

    def _newest(
        self,
        session: Session,
        prepared: _Prepared,
        statement: Select[Any],
        id_column: ColumnElement[int] | InstrumentedAttribute[int],
        *,
        wanted: int,
        span: int | None = None,
        below: int | None = None,
        at_least: int | None = None,
    ) -> list[Row[Any]]:
        """The newest `wanted` rows of a statement of matches (whose ids are below and at
        least those given, if given: the statement says so already). Where the index is in
        parts, asked of the newest part first, then part by part or of all the rest at once."""
        parts = self._parts(prepared, below=below, at_least=at_least)
        if parts is None:
            order = _newest_first(prepared, id_column, wanted=wanted, span=span)
            return _rows(session, statement.order_by(order).limit(wanted))
        estimate = prepared.estimate
        found: list[Row[Any]] = []
        asked = 0  # record numbers of the parts asked so far
        while parts and len(found) < wanted:
            remaining = wanted - len(found)
            # The newest part first. Then what the parts asked held says whether the next one
            # may hold the rest, the oldest left unasked: if not, all the rest at once (one
            # statement, not one a part, for a search of few matches).
            newer = sum(numbers for _, _, numbers in parts[:-1])
            rest_at_once = asked > 0 and len(found) * newer < remaining * asked
            ask = parts if rest_at_once else parts[:1]
            numbers = sum(numbers for _, _, numbers in ask)
            in_parts = dataclasses.replace(prepared, estimate=estimate and estimate.over(numbers))
            within = numbers if span is None else min(span, numbers)
            order = _newest_first(in_parts, id_column, wanted=remaining, span=within)
            bounded = statement.where(id_column >= ask[-1][0], id_column < ask[0][1])
            found.extend(_rows(session, bounded.order_by(order).limit(remaining)))
            parts = parts[len(ask) :]
            asked += numbers
        return found

    def _parts(
        self, prepared: _Prepared, *, below: int | None, at_least: int | None
    ) -> list[tuple[int, int, int]] | None:
        """The parts of the index a search's newest matches are to be asked of, newest first:
        each part's bounds (as the index keeps them, so that the engine reads that part alone)
        and how many record numbers of it are wanted. None: ask the index as a whole."""
        width = self.backend.part_width
        if width is None or prepared.highest is None or prepared.expr is None:
            return None
        top = prepared.highest if below is None else min(prepared.highest, below - 1)
        bottom = at_least or 0
        parts = []
        for number in range(top // width, bottom // width - 1, -1):
            low = number * width
            numbers = min(low + width, top + 1) - max(low, bottom)
            if numbers > 0:
                parts.append((low, low + width, numbers))
        return parts

    @staticmethod
    def _facets(rows: Sequence[Any]) -> Facets:
        _, languages, materials, years, statuses = (
            zip(*(row[:5] for row in rows), strict=True) if rows else ([],) * 5
        )
        return Facets(
            language=_facet(Counter(language for language in languages if language)),
            type=_facet(Counter(materials)),
            decade=_facet(Counter(f"{year // 10 * 10}" for year in years if year is not None)),
            status=_facet(Counter(statuses)),
        )

    def _ids(
        self,
        session: Session,
        prepared: _Prepared,
        *,
        below: int | None = None,
        at_least: int | None = None,
        limit: int | None = None,
        among: Sequence[int] | None = None,
        span: int | None = None,
    ) -> list[int]:
        """Matching ids, newest first, optionally below or at/above an id, or of those listed;
        `span`: how many record numbers they are among at most, when the caller knows."""
        statement, id_column = self._select(prepared, among=among)
        if below is not None:
            statement = statement.where(id_column < below)
        if at_least is not None:
            statement = statement.where(id_column >= at_least)
        if limit is None:
            return [row[0] for row in _rows(session, statement.order_by(id_column.desc()))]
        if among is not None:
            # Those records alone: no part of the index needs asking on its own.
            order = _newest_first(prepared, id_column, wanted=limit, span=len(among))
            return [row[0] for row in _rows(session, statement.order_by(order).limit(limit))]
        if below is not None:
            span = below if span is None else min(span, below)
        rows = self._newest(
            session,
            prepared,
            statement,
            id_column,
            wanted=limit,
            span=span,
            below=below,
            at_least=at_least,
        )
        return [row[0] for row in rows]

    def _window_part(
        self,
        session: Session,
        prepared: _Prepared,
        edge: int | None,
        *,
        floor: int = 0,
        among: Sequence[int] | None = None,
        span: int | None = None,
    ) -> tuple[list[int], int]:
        """Matches of one part of the window, newest first, and the part's lower edge.

        On a first page (edge None) the part is the newest `rank_window` matches at or above
        `floor` (of those `among`, when every one of them is there), and the edge is the last
        of them (the floor when that is every such match); later pages take back every match at
        or above the edge, newcomers included."""
        if edge is not None:
            return self._ids(session, prepared, at_least=edge or None), edge
        found = self._ids(
            session,
            prepared,
            at_least=floor or None,
            limit=self._rank_window + 1,
            among=among,
            span=span,
        )
        return self._window_of(found, floor)

    def _window_of(self, found: list[int], floor: int) -> tuple[list[int], int]:
        """A first page's part of the window from the matches at or above the floor, newest
        first (at least rank_window + 1 of them, when there are more), and its lower edge."""
        if len(found) <= self._rank_window:
            return found, floor
        return found[: self._rank_window], found[self._rank_window - 1]

    def _counted_floor(
        self, session: Session, prepared: _Prepared, counted: list[Any] | None
    ) -> int:
        """The lowest id of the newest `count_bound` matches (0 when there are no more)."""
        ids = (
            [row[0] for row in counted]
            if counted is not None
            else self._ids(session, prepared, limit=self._count_bound + 1)
        )
        return ids[self._count_bound - 1] if len(ids) > self._count_bound else 0

    def _ranked(
        self,
        session: Session,
        prepared: _Prepared,
        after: _RankCursor | None,
        limit: int,
        counted: list[Any] | None,
        *,
        titled_counted: bool = False,
    ) -> tuple[tuple[int, ...], dict[str, Any] | None]:
        """Rank the window, then list the rest newest first.

        The window is the newest matches with the words in their title (where the best hits
        are) and the newest matches of any kind; both parts are bounded by rank_window.
        `titled_counted`: the counted rows say which have the words in their title (_titled)."""
        assert prepared.expr is not None
        in_title = in_titles(prepared.expr)
        titled = dataclasses.replace(prepared, expr=in_title) if in_title != prepared.expr else None
        title_edge = None if after is None else after.title_edge
        edge = None if after is None else after.edge
        if after is None and counted is not None:
            newest = [row[0] for row in counted[: self._rank_window + 1]]
            edge = newest[self._rank_window - 1] if len(newest) > self._rank_window else 0
            window = newest[: self._rank_window]
        else:
            window, edge = self._window_part(session, prepared, edge)
        title_window: list[int] = []
        # A window of every match (edge 0) holds every title match already: a title-only
        # query would add nothing.
        if titled is not None and edge > 0 and titled_counted and counted is not None:
            floor = self._counted_floor(session, prepared, counted)
            title_matches = [row[0] for row in counted[: self._count_bound] if row[-1]]
            title_window, title_edge = self._window_of(title_matches, floor)
        elif titled is not None and edge > 0:
            # Title matches are looked for among the newest count_bound matches only: where they
            # are rare among many matches, looking further would read every match.
            floor = self._counted_floor(session, prepared, counted) if title_edge is None else 0
            # The counted matches tell how many numbers the title matches can be among.
            span = counted[0][0] - floor + 1 if counted and floor else None
            titled, among = self._title_search(session, titled, counted, span, title_edge)
            title_window, title_edge = self._window_part(
                session, titled, title_edge, floor=floor, among=among, span=span
            )
        title_edge = title_edge or 0
        ranked_ids = set(window) | set(title_window)
        tail_from = after.tail if after is not None else None
        page: list[tuple[int, list[int] | None]] = []
        if tail_from is None:
            last_rank = after.rank if after is not None else None
            ranker = Ranker(prepared.expr)
            scores = {
                document.record_id: ranker.score(document)
                for document in self.backend.documents(session, sorted(ranked_ids), ranker.parts)
            }
            keyed = sorted(
                ([-scores.get(i, (0, 0))[0], -scores.get(i, (0, 0))[1], -i], i) for i in ranked_ids
            )
            if last_rank is not None:
                keyed = [item for item in keyed if item[0] > last_rank]
            page = [(i, key) for key, i in keyed[: limit + 1]]
        if len(page) <= limit and edge > 0:
            page.extend(
                (i, None)
                for i in self._tail(
                    session,
                    prepared,
                    below=tail_from if tail_from is not None else edge,
                    skip=ranked_ids,
                    count=limit + 1 - len(page),
                )
            )
        if len(page) <= limit:
            return tuple(i for i, _ in page), None
        last_id, last_key = page[limit - 1]
        key: dict[str, Any] = {"e": edge, "te": title_edge}
        if last_key is not None:
            key["r"] = last_key
        else:
            key["t"] = last_id
        return tuple(i for i, _ in page[:limit]), key

    def _title_search(
        self,
        session: Session,
        titled: _Prepared,
        counted: list[Any] | None,
        span: int | None,
        title_edge: int | None,
    ) -> tuple[_Prepared, list[int] | None]:
        """The title-only search, with the engine's estimate of it if it gives one, and the ids
        to check it among, where that is the quickest way to the newest title matches.

        The counted ids are every match at or above the floor, so the title matches there are
        among them; where the engine's index reads its matches in no order of number, checking
        each counted id can cost far less than walking or looking up every title match (a
        phrase found in 20,000 titles of a million records: 56-82 ms walking; one-off)."""
        # A later page (title_edge known) takes back every title match above the edge, in no
        # limited number: no way to choose, nothing to estimate.
        if titled.estimate is None or titled.expr is None or title_edge is not None:
            return titled, None
        estimate = self._estimate(session, titled.expr, titled.years, titled.highest)
        titled = dataclasses.replace(titled, estimate=estimate)
        if estimate is None or counted is None:
            return titled, None
        among = [row[0] for row in counted[: self._count_bound]]
        if len(among) * estimate.lookup_cost < estimate.cost(self._rank_window + 1, span):
            return titled, among
        return titled, None

    def _tail(
        self, session: Session, prepared: _Prepared, *, below: int, skip: set[int], count: int
    ) -> list[int]:
        """Up to `count` matches below an id, newest first, leaving out those already ranked."""
        found: list[int] = []
        while len(found) < count:
            wanted = count - len(found)
            batch = self._ids(session, prepared, below=below, limit=wanted)
            found.extend(i for i in batch if i not in skip)
            if len(batch) < wanted:
                break
            below = batch[-1]
        return found

    def _sorted(
        self,
        session: Session,
        prepared: _Prepared,
        sort: Sort,
        after: _SortCursor | None,
        limit: int,
    ) -> tuple[tuple[int, ...], dict[str, Any] | None]:
        key = _sort_key(sort)
        descending = sort.value.startswith("-")
        statement, _ = self._select(prepared, key.label("sort_key"))
        if after is not None:
            value, last_id = after.value, after.id
            if descending:
                statement = statement.where(
                    or_(key < value, and_(key == value, StoredRecord.id < last_id))
                )
            else:
                statement = statement.where(
                    or_(key > value, and_(key == value, StoredRecord.id > last_id))
                )
        if descending:
            statement = statement.order_by(key.desc(), StoredRecord.id.desc())
        else:
            statement = statement.order_by(key, StoredRecord.id)
        rows = _rows(session, statement.limit(limit + 1))
        ids = tuple(row[0] for row in rows[:limit])
        if len(rows) <= limit:
            return ids, None
        last = rows[limit - 1]
        return ids, {"k": _key_out(sort, last.sort_key), "i": last[0]}

    def count(self, session: Session, query: SearchQuery) -> tuple[int, bool]:
        """How many records match, up to the count bound, and whether that is all of them."""
        statement, _ = self._select(self._prepare(query))
        bounded = statement.limit(self._count_bound + 1).subquery()
        counting = select(func.count()).select_from(bounded)
        found = session.scalar(counting.execution_options(**{CUSTOM_PLAN: True})) or 0
        return min(found, self._count_bound), found <= self._count_bound

    def count_all(self, session: Session, query: SearchQuery) -> int:
        """How many records match, however many that is (no bound: slower on common words)."""
        statement, _ = self._select(self._prepare(query))
        counting = select(func.count()).select_from(statement.subquery())
        return session.scalar(counting.execution_options(**{CUSTOM_PLAN: True})) or 0

    def rows_after(
        self, session: Session, query: SearchQuery, *columns: Any, after_id: int, limit: int
    ) -> list[Any]:
        """Matching records above `after_id` in ascending id order, as rows of their id and
        these columns of StoredRecord: how an export walks a result, one query a batch."""
        prepared = self._prepare(query)
        statement, id_column = self._select(prepared, *columns)
        statement = statement.where(id_column > after_id).order_by(id_column).limit(limit)
        return _rows(session, statement.execution_options(**{BINARY_RESULTS: True}))

    def validate(self, query: SearchQuery) -> None:
        """Raise EmptyQuery now rather than in the middle of a streamed answer."""
        self._prepare(query)
