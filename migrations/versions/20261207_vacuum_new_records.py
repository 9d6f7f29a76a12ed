"""PostgreSQL vacuums `record` once 10,000 records have been added, not a fifth of the table.

A search reads the facets of its newest matches from `ix_record_filters` alone (an index-only
scan) where the visibility map says a page's rows are visible to everyone; a page that no
vacuum has visited since its rows were written costs a visit to the row as well. By default
autovacuum visits after inserts of a fifth of the table: 200,000 records at a million, and a
search looks at the newest few thousand first, so after any large import every one of its
matches paid that visit (a common word at a million records: 14.8 → 12.1 ms for its count,
EXPLAIN ANALYZE, once the import's pages had been vacuumed; bench/README.md). A vacuum after
inserts alone reads only the pages not yet all-visible. SQLite has no such map: nothing to do.

Revision ID: 20261207_vacuum_new_records
Revises: 20261207_search_partitions
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261207_vacuum_new_records"
down_revision: str | None = "20261207_search_partitions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INSERTS = 10_000


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE record SET (autovacuum_vacuum_insert_threshold = "
        f"{_INSERTS}, autovacuum_vacuum_insert_scale_factor = 0)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE record RESET "
        "(autovacuum_vacuum_insert_threshold, autovacuum_vacuum_insert_scale_factor)"
    )
