"""Index each record's year of publication with its words, as a token (U+E001 and the year).

A search for words within a few years ("Nguyễn Văn" published 1990–1995) found every record
with the words, then read the year of each: a common name is thousands of index probes for the
few dozen records in range. With the year in the full-text index, the engine intersects the
words and the years itself (the searcher asks for the years of ranges under 30 years; the year
column still decides).

The existing index is rewritten in place from each record's `year` column, so no reindex is
needed: SQLite's FTS5 table gets a `year` column (a new table, filled from the old one, since
FTS5 adds no column); PostgreSQL's `doc` tsvector gets a lexeme without position, which no
phrase reaches.

Revision ID: 20261203_search_years
Revises: 20261202_record_filters
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261203_search_years"
down_revision: str | None = "20261202_record_filters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than imported: a migration keeps the shape of its day. The last, "exact",
# is stored for ranking and not indexed.
WORDS = "title, author, subject, series, publisher, notes, exact"
OPTIONS = "tokenize = 'ascii', detail = full"
# A private-use character, which no word typed holds: no search for "1975" finds the token.
MARK = "\ue001"


def _rebuild_fts5(*, with_year: bool) -> None:
    """Copy SQLite's index into a new table, with or without the year column."""
    year_column, year = (", year", f", coalesce('{MARK}' || r.year, '')") if with_year else ("", "")
    op.execute(
        "CREATE VIRTUAL TABLE record_search_next USING fts5("
        f"{WORDS} UNINDEXED{year_column}, {OPTIONS})"
    )
    op.execute(
        f"INSERT INTO record_search_next (rowid, {WORDS}{year_column}) "  # noqa: S608 - constants
        f"SELECT s.rowid, {', '.join('s.' + w for w in WORDS.split(', '))}{year} "
        "FROM record_search AS s LEFT JOIN record AS r ON r.id = s.rowid"
    )
    op.execute("DROP TABLE record_search")
    op.execute("ALTER TABLE record_search_next RENAME TO record_search")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_fts5(with_year=True)
        return
    op.execute(
        # Unquoted, a lexeme of no space, quote, colon or backslash stands for itself.
        f"UPDATE record_search AS s SET doc = s.doc || ('{MARK}' || r.year)::tsvector "  # noqa: S608
        "FROM record AS r WHERE r.id = s.record_id AND r.year IS NOT NULL"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_fts5(with_year=False)
        return
    op.execute(
        f"UPDATE record_search AS s SET doc = ts_delete(s.doc, '{MARK}' || r.year) "  # noqa: S608
        "FROM record AS r WHERE r.id = s.record_id AND r.year IS NOT NULL"
    )
