"""Search: a full-text index per engine, and the columns that filter and sort results.

`record_search` holds each record's words, folded by the application (not by the engine, so
both engines find the same records): an FTS5 table on SQLite, a table of weighted tsvectors
with GIN indexes on PostgreSQL. `record.material` (book, serial, map, …) filters by type and
`record.title_key` (an ICU `vi` sort key) sorts titles in Vietnamese alphabetical order.

Existing records get their index entries from `catalog search reindex`, which `catalog db
upgrade` runs by itself when it finds records but an empty index.

Revision ID: 20261125_search
Revises: 20261125_records
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261125_search"
down_revision: str | None = "20261125_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTS = ("title", "author", "subject", "series", "publisher", "notes", "exact")


def upgrade() -> None:
    with op.batch_alter_table("record") as batch:
        batch.add_column(
            sa.Column("material", sa.String(length=20), nullable=False, server_default="other")
        )
        batch.add_column(sa.Column("title_key", sa.LargeBinary(), nullable=True))
        batch.create_index(batch.f("ix_record_material"), ["material"])
        batch.create_index(batch.f("ix_record_title_key"), ["title_key"])

    if op.get_bind().dialect.name == "sqlite":
        # The application cuts and folds the words; FTS5's ascii tokenizer only splits them.
        op.execute(
            "CREATE VIRTUAL TABLE record_search USING fts5("
            "title, author, subject, series, publisher, notes, exact UNINDEXED, "
            "tokenize = 'ascii', detail = full)"
        )
        return
    # Matching reads record_search row by row for common words (newest first, until enough are
    # found), so it holds only the tsvectors; the words ranking needs are in record_search_text.
    op.create_table(
        "record_search",
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("doc", postgresql.TSVECTOR(), nullable=False),
        sa.Column("publisher_v", postgresql.TSVECTOR(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name=op.f("fk_record_search_record_id_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_record_search")),
    )
    op.create_table(
        "record_search_text",
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        *(sa.Column(name, sa.Text(), nullable=False) for name in PARTS),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name=op.f("fk_record_search_text_record_id_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_record_search_text")),
    )
    op.create_index("ix_record_search_doc", "record_search", ["doc"], postgresql_using="gin")
    op.create_index(
        "ix_record_search_publisher_v", "record_search", ["publisher_v"], postgresql_using="gin"
    )


def downgrade() -> None:
    op.execute("DROP TABLE record_search")
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TABLE record_search_text")
    with op.batch_alter_table("record") as batch:
        batch.drop_index(batch.f("ix_record_title_key"))
        batch.drop_index(batch.f("ix_record_material"))
        batch.drop_column("title_key")
        batch.drop_column("material")
