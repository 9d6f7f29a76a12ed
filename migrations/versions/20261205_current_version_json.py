"""The current version of a record keeps no copy of the record's text.

Every record was stored twice: `record.marc_json` and its current version's
`record_version.marc_json`, a third of the bytes a new record writes. From here on the current
version's text is NULL, read from the record, and filled in when a newer version supersedes it.
Versions already written keep their text (the same, read either way): no row is rewritten, so
the upgrade takes the time of a table copy on SQLite and none on PostgreSQL.

Revision ID: 20261205_current_version_json
Revises: 20261204_no_record_type_index
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261205_current_version_json"
down_revision: str | None = "20261204_no_record_type_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("record_version") as batch:
        batch.alter_column("marc_json", existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    op.execute(
        "UPDATE record_version SET marc_json = "
        "(SELECT marc_json FROM record WHERE record.id = record_version.record_id) "
        "WHERE marc_json IS NULL"
    )
    with op.batch_alter_table("record_version") as batch:
        batch.alter_column("marc_json", existing_type=sa.Text(), nullable=False)
