"""Index each record's id with the columns a search filters and counts by.

A search counts and facets up to 2,000 matches by reading, for each matched id, its status,
language, type and year. From the record rows that means walking past the two stored copies of
the record (some 5 KB: SQLite's overflow pages, PostgreSQL's wide heap rows); from this index it
is a few pages.

Revision ID: 20261202_record_filters
Revises: 20261128_cip
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261202_record_filters"
down_revision: str | None = "20261128_cip"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["id", "deleted_at", "status", "language", "material", "year"]


def upgrade() -> None:
    op.create_index("ix_record_filters", "record", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_record_filters", table_name="record")
