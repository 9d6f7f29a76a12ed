"""An import's outcomes name the file inside a zip each record came from.

A zip of several files numbered byte offsets from the start of each file, with nothing to say
which: the report could not lead a cataloguer to a rejected record. Outcomes written before
keep NULL, which also stands for "the upload itself".

Revision ID: 20261207_outcome_file
Revises: 20261207_titled_numbers
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_outcome_file"
down_revision: str | None = "20261207_titled_numbers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("import_outcome", sa.Column("file", sa.String(1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_outcome") as batch:
        batch.drop_column("file")
