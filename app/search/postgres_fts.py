"""The deployment index: PostgreSQL full-text search, a GIN index of terms, in table record_search.

GIN holds no word positions, so with a tsvector of positioned, weighted words a phrase or a word
restricted to a field could be decided only by reading each candidate's tsvector back from the
table: at a million records, a phrase of two common words was tens of thousands of such reads.
So each record's terms state those facts themselves, and the index alone decides a search:

- every word: behind its field's mark in a title, author, subject or publisher, as it is in
  the other parts (series, notes);
- every pair of adjacent words within a field, behind PAIR_MARK and the field's mark likewise:
  a phrase of two words is one term in each part, a longer one the terms of its pairs;
- the year of publication (document.year_token).

A word or pair asked for in any part is the alternatives of its five forms, which GIN looks up
together. Each is stored once, not again unmarked: a record has about a quarter fewer terms, and
GIN's upkeep of them is most of what the server does in an import.

Marks are private-use characters, which no word typed holds, and each kind of term begins with
its own, so a right truncation (`word*`) of one kind never reaches another. Terms are computed
here (app.search.text), not by to_tsvector: PostgreSQL's parser depends on the database's
locale, and the index must fold exactly as the query side and the SQLite index do.

GIN answers with row addresses in no order of record number, so the newest matches of a search
come either from walking the records newest first and checking each one's terms, or from looking
every match up in the index and sorting them. PostgreSQL's planner estimates the matches well
but takes a check of a record's terms for nearly free, when it costs about as much as finding a
match through the index (a phrase found in 20,000 records of a million: 135 ms walking, 65 ms
through the index; one-off, bench/README.md): `estimate` hands its estimate to the searcher,
which chooses (app.search.backend.MatchEstimate).

Even so, GIN reads every match of a common search before any is known to be among the newest:
three common words at a million records were lists of hundreds of thousands of rows to
intersect and 30,000 matches to visit (120 ms). So the table is partitioned by record number, in
parts of PARTITION_WIDTH numbers (record_search_<n>), each with its own GIN index, and the
searcher asks for the newest matches part by part, newest first, while it needs more
(`part_width`): the same search reads a fifth of the lists (27-36 ms, one-off). Parts are made
as records are numbered into them (`_make_parts`), in the writing transaction.

Only a phrase of three words or more needs more than the index (its pairs may lie apart): its
candidates are checked against the words in record_search_text, which ranking reads too.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from itertools import pairwise

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
    any_,
    bindparam,
    cast,
    literal,
    not_,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY, TSVECTOR, insert
from sqlalchemy.orm import Session

from app.db.engine import CUSTOM_PLAN, insert_rows
from app.search.backend import MatchEstimate
from app.search.document import ALL_PARTS, BOUNDARY, PARTS, SearchDocument, year_token
from app.search.query import And, Expr, Not, SearchField
from app.search.query import Text as Words
from app.search.words import tokens_of

TABLE = "record_search"
# Record numbers a part of record_search holds (see the module docstring): at 1% of the records,
# a full part holds the 2,001 matches a count wants; a search of few matches asks every part, so
# not too many (four at a million records; the migration that made them says why not 131,072).
# The migration (20261207_search_partitions) has the same width: parts are found by name.
PARTITION_WIDTH = 262_144
# The fields a word can be restricted to (query.SearchField), by the part of that name.
FIELD_MARKS = {
    SearchField.TITLE.value: "\ue002",
    SearchField.AUTHOR.value: "\ue003",
    SearchField.SUBJECT.value: "\ue004",
    SearchField.PUBLISHER.value: "\ue005",
}
PAIR_MARK = "\ue006"
# What finding a match through the index, then sorting, costs in checks of a record walked past
# (3.2 µs a match against 1.35 µs a record, at a million records; one-off, bench/README.md).
LOOKUP_COST = 2.5
# A word in any part: unmarked (series, notes) or behind one of the fields' marks.
_EVERY_MARK = ["", *FIELD_MARKS.values()]

_metadata = MetaData()


record_search = Table(
    TABLE,
    _metadata,
    # No foreign key here (see the migration): nothing removes a record's row.
    Column("record_id", BigInteger, key="id", primary_key=True),
    Column("terms", TSVECTOR, nullable=False),
    postgresql_partition_by="RANGE (record_id)",
)
# The words, by part: what ranking reads and long phrases are checked against.
record_search_text = Table(
    f"{TABLE}_text",
    _metadata,
    Column(
        "record_id",
        BigInteger,
        ForeignKey("record.id", ondelete="CASCADE"),
        key="id",
        primary_key=True,
    ),
    *(Column(name, Text, nullable=False) for name in ALL_PARTS),
)


def index_terms(document: SearchDocument) -> set[str]:
    """The terms of a record's document (see the module docstring)."""
    terms: set[str] = set()
    for name in PARTS:
        text = document.part(name)
        if not text:
            continue
        mark = FIELD_MARKS.get(name, "")
        # A field boundary is a token of its own: pairs across it are made, then dropped.
        tokens = text.split()
        pairs = [f"{a} {b}" for a, b in pairwise(tokens)]
        if BOUNDARY in text:
            tokens = [token for token in tokens if token != BOUNDARY]
            pairs = [pair for pair in pairs if BOUNDARY not in pair]
        terms.update([mark + token for token in tokens] if mark else tokens)
        terms.update([PAIR_MARK + mark + pair for pair in pairs])
    if document.year is not None:
        terms.add(year_token(document.year))
    return terms


def _lexeme(key: str) -> str:
    return "'" + key.replace("\\", "\\\\").replace("'", "''") + "'"


def _tsvector_text(terms: Collection[str]) -> str:
    """Terms as a tsvector's text form: each quoted, so that a pair's space stays inside it."""
    together = "".join(terms)
    if "'" in together or "\\" in together:  # never from text.py's tokens; safe all the same
        return " ".join(map(_lexeme, terms))
    return "'" + "' '".join(terms) + "'" if terms else ""


def _text_query(text: Words) -> str:
    """The terms a word or phrase needs, as a tsquery: exactly its records for one word or two."""
    tokens = tokens_of(text)
    marks = [FIELD_MARKS[text.field.value]] if text.field is not None else _EVERY_MARK
    if len(tokens) == 1:
        keys = tokens
    else:
        keys = [f"{a} {b}" for a, b in pairwise(tokens)]
        marks = [PAIR_MARK + mark for mark in marks]
    needed = []
    for n, key in enumerate(keys):
        truncated = ":*" if text.prefix and n == len(keys) - 1 else ""
        forms = [_lexeme(mark + key) + truncated for mark in marks]
        needed.append(forms[0] if len(forms) == 1 else "(" + " | ".join(forms) + ")")
    return needed[0] if len(needed) == 1 else "(" + " & ".join(needed) + ")"


def _is_exact(expr: Expr) -> bool:
    """Whether the index alone decides the expression: no phrase of three words or more."""
    if isinstance(expr, Words):
        return len(tokens_of(expr)) <= 2
    if isinstance(expr, Not):
        return _is_exact(expr.item)
    return all(_is_exact(item) for item in expr.items)


def tsquery_text(expr: Expr) -> str:
    """Compile a pruned, positive expression into a tsquery on the terms: exactly the records it
    finds when _is_exact, else a few more (an exclusion the index cannot decide is left out)."""
    if isinstance(expr, Words):
        return _text_query(expr)
    if isinstance(expr, Not):
        return f"!{tsquery_text(expr.item)}"
    items = [item for item in expr.items if not isinstance(item, Not) or _is_exact(item)]
    joiner = " & " if isinstance(expr, And) else " | "
    return "(" + joiner.join(tsquery_text(item) for item in items) + ")"


def _match_query(expr: Expr, years: Sequence[int]) -> str:
    """The tsquery of an expression, published in one of these years if any are given."""
    query = tsquery_text(expr)
    if not years:
        return query
    # One tsquery: the GIN index intersects the words and the years itself.
    published = " | ".join(_lexeme(year_token(year)) for year in years)
    return f"{query} & ({published})"


def _like_pattern(tokens: Sequence[str], *, prefix: bool) -> str:
    # Tokens are letters and digits (text.py), so none holds a LIKE wildcard.
    return "% " + " ".join(tokens) + ("%" if prefix else " %")


def _in_words(expr: Expr) -> ColumnElement[bool]:
    """The expression checked against the words of record_search_text, part by part (a space
    at each end of a part's words, so that every token has one on each side)."""
    if isinstance(expr, Words):
        pattern = _like_pattern(tokens_of(expr), prefix=expr.prefix)
        names = [expr.field.value] if expr.field is not None else list(PARTS)
        return or_(
            *(
                (literal(" ") + record_search_text.c[name] + literal(" ")).like(pattern)
                for name in names
            )
        )
    if isinstance(expr, Not):
        return not_(_in_words(expr.item))
    conditions = [_in_words(item) for item in expr.items]
    return and_(*conditions) if isinstance(expr, And) else or_(*conditions)


def _listed(column: Column[int], ids: Sequence[int]) -> ColumnElement[bool]:
    """The column is one of these ids: as one array, not a parameter an id (the driver and
    SQLAlchemy handle each of those in Python: for a thousand, more than the query takes)."""
    array = ARRAY(BigInteger)
    return column == any_(cast(bindparam("ids", list(ids), type_=array, unique=True), array))


def _terms_match(tsquery: str) -> ColumnElement[bool]:
    return record_search.c.terms.op("@@")(cast(tsquery, TSQUERY))


# The terms travel as a tsvector's text form (_tsvector_text), which the server reads: as an
# array, the driver would quote and escape every element in Python, which cost more than the
# rest of the import.
_stored_terms = cast(bindparam("terms", type_=Text), TSVECTOR)
# The planner's estimates of the records a tsquery finds and of all the records (numbered from
# :since on: the parts that hold them alone are planned), in one plan: its first part's rows,
# then its second's (each behind OFFSET 0, so that the planner does not merge the two lists of
# the table's parts into one). Text, not a select made and compiled each time, which took
# longer than the server's planning (one-off).
_ESTIMATE = text(
    "EXPLAIN (FORMAT JSON) SELECT 1 FROM (SELECT 1 FROM record_search"
    " WHERE terms @@ CAST(:query AS tsquery) AND record_id >= :since OFFSET 0) AS matched"
    " UNION ALL SELECT 1 FROM (SELECT 1 FROM record_search WHERE record_id >= :since OFFSET 0)"
    " AS every"
).execution_options(**{CUSTOM_PLAN: True})


# A search's statements read a few thousand rows at most, where starting parallel workers costs
# more than they save: the planner took two to walk the newest part for a common word (36 ms,
# 24 of them before the first row; 21 ms alone, EXPLAIN ANALYZE, one-off). For the transaction.
_NO_PARALLEL_WORKERS = text("SET LOCAL max_parallel_workers_per_gather = 0")
# The parts (of these numbers) that do not exist yet.
_MISSING_PARTS = text(
    "SELECT n FROM unnest(CAST(:numbers AS int[])) AS n "
    "WHERE to_regclass('record_search_' || n) IS NULL"
)
# Held by the transaction making parts, so that two writers do not make the same one.
_PARTS_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('record_search parts'))")
_STATISTICS_TARGET = text(
    "SELECT attstattarget FROM pg_attribute "
    "WHERE attrelid = 'record_search'::regclass AND attname = 'terms'"
)


def _make_parts(session: Session, ids: Sequence[int]) -> None:
    """Make the parts of record_search that these records' rows go in, where missing.

    A part is made as a table of its own, then attached: attaching locks record_search only
    against other changes of its definition (CREATE TABLE ... PARTITION OF would lock out
    every search until the writing transaction ends)."""
    numbers = list(range(min(ids) // PARTITION_WIDTH, max(ids) // PARTITION_WIDTH + 1))
    if not session.scalars(_MISSING_PARTS, {"numbers": numbers}).all():
        return
    session.execute(_PARTS_LOCK)
    # Again, under the lock: another writer may have made them meanwhile.
    missing = list(session.scalars(_MISSING_PARTS, {"numbers": numbers}))
    target = session.scalar(_STATISTICS_TARGET)
    for number in missing:
        name = f"{TABLE}_{number}"
        # Its columns' storage and compression, and indexes the attachment takes as its own.
        session.execute(text(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING ALL)"))
        if target is not None and target >= 0:  # a part does not take the table's target
            session.execute(text(f"ALTER TABLE {name} ALTER COLUMN terms SET STATISTICS {target}"))
        low = number * PARTITION_WIDTH
        session.execute(
            text(
                f"ALTER TABLE {TABLE} ATTACH PARTITION {name} "
                f"FOR VALUES FROM ({low}) TO ({low + PARTITION_WIDTH})"
            )
        )


class PostgresFts:
    """SearchBackend over a GIN index of terms (see the module docstring)."""

    part_width: int | None = PARTITION_WIDTH

    def begin(self, session: Session) -> None:
        session.execute(_NO_PARALLEL_WORKERS)

    def store(
        self, session: Session, documents: Sequence[SearchDocument], *, new: bool = False
    ) -> None:
        if not documents:
            return
        _make_parts(session, [d.record_id for d in documents])
        terms = [{"id": d.record_id, "terms": _tsvector_text(index_terms(d))} for d in documents]
        words = [{"id": d.record_id, **{n: d.part(n) for n in ALL_PARTS}} for d in documents]
        if new:
            # Rows of new records, copied in (see insert_rows).
            insert_rows(session, record_search, terms)
            insert_rows(session, record_search_text, words)
            return
        terms_statement = insert(record_search).values(id=bindparam("id"), terms=_stored_terms)
        for statement, rows in ((terms_statement, terms), (insert(record_search_text), words)):
            table = statement.table
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

    def matching(
        self, expr: Expr, *, years: Sequence[int] = (), among: Sequence[int] | None = None
    ) -> Select[tuple[int]]:
        query = _match_query(expr, years)
        statement = select(record_search.c.id.label("id")).where(_terms_match(query))
        if among is not None:
            statement = statement.where(_listed(record_search.c.id, among))
        if _is_exact(expr):
            return statement
        return statement.join(
            record_search_text, record_search_text.c.id == record_search.c.id
        ).where(_in_words(expr))

    def also_matched(self, expr: Expr) -> ColumnElement[bool] | None:
        # Each row found is read from the table, its terms with it, whichever way it is found.
        return _terms_match(tsquery_text(expr)) if _is_exact(expr) else None

    def estimate(
        self, session: Session, expr: Expr, *, years: Sequence[int] = (), numbered_from: int = 0
    ) -> MatchEstimate | None:
        parameters = {"query": _match_query(expr, years), "since": numbered_from}
        plan = session.connection().scalar(_ESTIMATE, parameters)
        matched, every = (part["Plan Rows"] for part in plan[0]["Plan"]["Plans"])
        return MatchEstimate(matches=matched, records=every, lookup_cost=LOOKUP_COST)

    def documents(
        self, session: Session, ids: Sequence[int], parts: Collection[str]
    ) -> list[SearchDocument]:
        names = [name for name in ALL_PARTS if name in parts]
        columns = [record_search_text.c[name] for name in names]
        # Plain columns: the session's connection, without the ORM's handling of each row.
        rows = session.connection().execute(
            select(record_search_text.c.id, *columns).where(_listed(record_search_text.c.id, ids))
        )
        return [
            SearchDocument.of_parts(row[0], dict(zip(names, row[1:], strict=True)))
            for row in rows.all()
        ]
