"""PostgreSQL: compress the stored records and their words with lz4 rather than pglz.

A record's MARC-in-JSON, its ISO 2709 and its words are each a few kilobytes, above the size
from which PostgreSQL compresses a value: with pglz, compressing them was about a tenth of the
server's work in a bulk import, and reading them back (an export, a page of hits) pays pglz's
slower decompression. lz4 does both several times faster for a little less saving.

Only values written from now on are compressed with lz4; those already stored stay as they are
(both read back alike). SET COMPRESSION exists from PostgreSQL 14 (13 keeps pglz), and lz4
needs a server built with it; SQLite compresses nothing, and is left alone.

Revision ID: 20261204_lz4_records
Revises: 20261203_search_terms
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261204_lz4_records"
down_revision: str | None = "20261203_search_terms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than imported: a migration keeps the shape of its day.
COLUMNS = (
    ("record", "marc_json"),
    ("record", "marc"),
    ("record_version", "marc_json"),
    *(
        ("record_search_text", name)
        for name in ("title", "author", "subject", "series", "publisher", "notes", "exact")
    ),
)


def _set_compression(method: str) -> None:
    statements = " ".join(
        f"EXECUTE 'ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method}';"
        for table, column in COLUMNS
    )
    op.execute(
        "DO $$ BEGIN IF current_setting('server_version_num')::int >= 140000 THEN "
        f"{statements} END IF; "
        "EXCEPTION WHEN feature_not_supported THEN "
        "RAISE NOTICE 'this server has no lz4: records stay compressed with pglz'; END $$"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    _set_compression("lz4")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    _set_compression("default")
