"""PostgreSQL: each index term stored once (app.search.postgres_fts).

A word of a title, author, subject or publisher was stored twice, as it is and behind its
field's mark, and so was each pair of adjacent words there; now only behind the mark, and a
search in any part asks for the five forms at once. A record has about a quarter fewer terms
(157 to 121 on bench/search.py's records), and keeping GIN up to date with them was most of the
server's work in an import.

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


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("TRUNCATE record_search")
