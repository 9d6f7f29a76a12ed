"""CIP: publishers' cataloguing-in-publication requests, and every step each one went through.

Revision ID: 20261128_cip
Revises: 20261127_members
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261128_cip"
down_revision: str | None = "20261127_members"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cip_request",
        sa.Column("id", KEY, nullable=False),
        sa.Column("institution_id", KEY, nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=2000), nullable=False),
        sa.Column("expected_date", sa.String(length=10), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("marc_json", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("record_id", KEY, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name=op.f("fk_cip_request_institution_id_institution"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name=op.f("fk_cip_request_record_id_record"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cip_request")),
    )
    op.create_index(op.f("ix_cip_request_institution_id"), "cip_request", ["institution_id"])
    op.create_index(op.f("ix_cip_request_status"), "cip_request", ["status"])
    op.create_index(op.f("ix_cip_request_record_id"), "cip_request", ["record_id"])
    op.create_table(
        "cip_event",
        sa.Column("id", KEY, nullable=False),
        sa.Column("request_id", KEY, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("api_key_id", KEY, nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("marc_json", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["cip_request.id"],
            name=op.f("fk_cip_event_request_id_cip_request"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cip_event")),
    )
    op.create_index(op.f("ix_cip_event_request_id"), "cip_event", ["request_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_cip_event_request_id"), table_name="cip_event")
    op.drop_table("cip_event")
    op.drop_index(op.f("ix_cip_request_record_id"), table_name="cip_request")
    op.drop_index(op.f("ix_cip_request_status"), table_name="cip_request")
    op.drop_index(op.f("ix_cip_request_institution_id"), table_name="cip_request")
    op.drop_table("cip_request")
