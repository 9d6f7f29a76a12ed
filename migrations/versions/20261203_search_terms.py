"""PostgreSQL: index terms that decide phrases and fields in the index (app.search.postgres_fts).

The weighted tsvector with positions (`doc`, and `publisher_v`) could say whether a record holds
a phrase, or a word in its title, only once PostgreSQL had read it back from the table for each
candidate: at a million records a phrase of two common words was a quarter of a second. Its
successor, `terms`, holds each word, each word again behind its field's mark, each pair of
adjacent words and the year, so the index alone answers all but phrases of three words or more.

The new table starts empty and `catalog db upgrade` fills it (it runs `catalog search reindex`
by itself when it finds records but no index); searches find fewer records until it is done.
A downgrade likewise leaves the old table empty, for the older release's reindex. SQLite's
index is not changed.

Revision ID: 20261203_search_terms
Revises: 20261203_search_years
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261203_search_terms"
down_revision: str | None = "20261203_search_years"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _record_search(*columns: sa.Column[object]) -> None:
    op.create_table(
        "record_search",
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name=op.f("fk_record_search_record_id_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_record_search")),
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.drop_table("record_search")
    _record_search(sa.Column("terms", postgresql.TSVECTOR(), nullable=False))
    # Inline, compressed: a search for a common word reads the newest rows one by one, and a
    # value fetched from the TOAST table costs that read several times over. lz4 decompresses
    # several times faster than pglz, where the server was built with it.
    op.execute("ALTER TABLE record_search ALTER COLUMN terms SET STORAGE MAIN")
    # SET COMPRESSION exists from PostgreSQL 14 (13 is supported: pglz there); lz4 needs a
    # server built with it.
    op.execute(
        "DO $$ BEGIN IF current_setting('server_version_num')::int >= 140000 THEN "
        "EXECUTE 'ALTER TABLE record_search ALTER COLUMN terms SET COMPRESSION lz4'; END IF; "
        "EXCEPTION WHEN feature_not_supported THEN NULL; END $$"
    )
    op.create_index("ix_record_search_terms", "record_search", ["terms"], postgresql_using="gin")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.drop_table("record_search")
    _record_search(
        sa.Column("doc", postgresql.TSVECTOR(), nullable=False),
        sa.Column("publisher_v", postgresql.TSVECTOR(), nullable=False),
    )
    op.create_index("ix_record_search_doc", "record_search", ["doc"], postgresql_using="gin")
    op.create_index(
        "ix_record_search_publisher_v", "record_search", ["publisher_v"], postgresql_using="gin"
    )
