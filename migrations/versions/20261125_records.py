"""Records, their identifiers and their versions: the catalogue's first tables.

A record is kept current in `record` (with the columns libraries ask for, indexed), every
version of it in `record_version` (never changed once written), and its standard numbers and
control numbers, normalised, in `record_identifier` for exact look-up.

Revision ID: 20261125_records
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261125_records"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 64-bit keys on PostgreSQL; SQLite's rowid key must be spelled INTEGER (and is 64-bit anyway).
KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "record",
        sa.Column("id", KEY, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("marc_json", sa.Text(), nullable=False),
        sa.Column("marc", sa.LargeBinary(), nullable=True),
        sa.Column("title", sa.String(length=2000), nullable=True),
        sa.Column("main_entry", sa.String(length=1000), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=3), nullable=True),
        sa.Column("publisher", sa.String(length=1000), nullable=True),
        sa.Column("ddc", sa.String(length=100), nullable=True),
        sa.Column("record_type", sa.String(length=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record")),
    )
    op.create_index(op.f("ix_record_ddc"), "record", ["ddc"])
    op.create_index(op.f("ix_record_language"), "record", ["language"])
    op.create_index(op.f("ix_record_record_type"), "record", ["record_type"])
    op.create_index(op.f("ix_record_status"), "record", ["status"])
    op.create_index("ix_record_updated_at_id", "record", ["updated_at", "id"])
    op.create_index(op.f("ix_record_year"), "record", ["year"])

    op.create_table(
        "record_identifier",
        sa.Column("id", KEY, nullable=False),
        sa.Column("record_id", KEY, nullable=False),
        sa.Column("scheme", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name=op.f("fk_record_identifier_record_id_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_identifier")),
    )
    op.create_index(op.f("ix_record_identifier_record_id"), "record_identifier", ["record_id"])
    op.create_index("ix_record_identifier_scheme_value", "record_identifier", ["scheme", "value"])

    op.create_table(
        "record_version",
        sa.Column("id", KEY, nullable=False),
        sa.Column("record_id", KEY, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("marc_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name=op.f("fk_record_version_record_id_record"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_version")),
        sa.UniqueConstraint("record_id", "version", name="uq_record_version_record_id"),
    )


def downgrade() -> None:
    op.drop_table("record_version")
    op.drop_table("record_identifier")
    op.drop_table("record")
