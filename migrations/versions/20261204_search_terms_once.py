"""PostgreSQL: each index term stored once (app.search.postgres_fts).

A word of a title, author, subject or publisher was stored twice, as it is and behind its
field's mark, and so was each pair of adjacent words there; now only behind the mark, and a
search in any part asks for the five forms at once. A record has about a quarter fewer terms
(157 to 121 on bench/search.py's records), and keeping GIN up to date with them was most of the
server's work in an import.

A search in any part is then an OR of five terms, which PostgreSQL estimates at five times a
single term; with its default statistics (the 1,000 commonest terms), every term rarer than
those is guessed at 0.5% of the records, so a phrase found in 120 records of a million was taken
for 25,000 and answered by walking the newest records, all million of them (974 ms). The
statistics of `terms` now keep 10,000 (target 1,000, an ANALYZE of 3 s at a million records),
and such a phrase is looked up in the index (9 ms).

The terms are made in Python, so the table is emptied and `catalog db upgrade` fills it again
(it runs `catalog search reindex` by itself when it finds records but no index); searches find
fewer records until it is done. A downgrade empties it likewise for the older release's
reindex. SQLite's index is not changed.

Revision ID: 20261204_search_terms_once
Revises: 20261204_lz4_records
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261204_search_terms_once"
down_revision: str | None = "20261204_lz4_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("TRUNCATE record_search")
    op.execute("ALTER TABLE record_search ALTER COLUMN terms SET STATISTICS 1000")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("TRUNCATE record_search")
    op.execute("ALTER TABLE record_search ALTER COLUMN terms SET STATISTICS -1")
