"""Drop the index of record.record_type, which no query reads.

leader/06-07 is shown with each record, and the search filter "type" asks for `material`,
which has its own index; keeping this one up to date was a tenth of the index upkeep of each
record written (ten indexes on `record`), for nothing.

Revision ID: 20261204_no_record_type_index
Revises: 20261204_search_terms_once
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261204_no_record_type_index"
down_revision: str | None = "20261204_search_terms_once"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_record_record_type", table_name="record")


def downgrade() -> None:
    op.create_index("ix_record_record_type", "record", ["record_type"])
