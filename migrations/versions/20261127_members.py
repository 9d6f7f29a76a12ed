"""Members: institutions, their API keys, an audit of access changes, holdings and usage counts.

Until this revision anyone could write; from it, every write carries a key, and every version,
record and import names the institution and key behind it (NULL for what came before).

Revision ID: 20261127_members
Revises: 20261126_imports
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261127_members"
down_revision: str | None = "20261126_imports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "institution",
        sa.Column("id", KEY, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("province", sa.String(length=100), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution")),
        sa.UniqueConstraint("code", name=op.f("uq_institution_code")),
    )
    op.create_table(
        "api_key",
        sa.Column("id", KEY, nullable=False),
        sa.Column("institution_id", KEY, nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("prefix", sa.String(length=20), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("expires_at", WHEN, nullable=True),
        sa.Column("revoked_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name=op.f("fk_api_key_institution_id_institution"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_key_secret_hash")),
    )
    op.create_index(op.f("ix_api_key_institution_id"), "api_key", ["institution_id"])
    op.create_table(
        "audit_event",
        sa.Column("id", KEY, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("actor_key_id", KEY, nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index(op.f("ix_audit_event_at"), "audit_event", ["at"])
    op.create_table(
        "holding",
        sa.Column("id", KEY, nullable=False),
        sa.Column("record_id", KEY, nullable=False),
        sa.Column("institution_id", KEY, nullable=False),
        sa.Column("call_number", sa.String(length=200), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name=op.f("fk_holding_institution_id_institution"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name=op.f("fk_holding_record_id_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holding")),
        sa.UniqueConstraint("record_id", "institution_id", name="uq_holding_record_id"),
    )
    op.create_index(op.f("ix_holding_institution_id"), "holding", ["institution_id"])
    op.create_table(
        "usage_count",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("institution", sa.String(length=40), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "institution", "event", "format", name=op.f("pk_usage_count")
        ),
    )
    _add_reference("record", "institution_id", "institution")
    op.create_index(op.f("ix_record_institution_id"), "record", ["institution_id"])
    _add_reference("record_version", "institution_id", "institution")
    _add_reference("record_version", "api_key_id", "api_key")
    _add_reference("import_job", "institution_id", "institution")
    _add_reference("import_job", "api_key_id", "api_key")
    op.create_index(op.f("ix_import_job_institution_id"), "import_job", ["institution_id"])


def _add_reference(table: str, column: str, target: str) -> None:
    """Add a nullable column referring to target.id, without copying the table.

    SQLite's ALTER TABLE can add a column with its REFERENCES clause (but not add a constraint
    later, which is all Alembic offers outside batch mode); batch mode would copy the whole
    record table and, with foreign keys on, could not drop the old one under its versions.
    No ON DELETE: SQLite does not reflect it from a column's clause, and NO ACTION refuses to
    delete an institution still named here, which is the point."""
    name = f"fk_{table}_{column}_{target}"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
            f"CONSTRAINT {name} REFERENCES {target} (id)"
        )
        return
    op.add_column(table, sa.Column(column, KEY, nullable=True))
    op.create_foreign_key(name, table, target, [column], ["id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_import_job_institution_id"), table_name="import_job")
    op.drop_index(op.f("ix_record_institution_id"), table_name="record")
    for table, column, target in (
        ("import_job", "api_key_id", "api_key"),
        ("import_job", "institution_id", "institution"),
        ("record_version", "api_key_id", "api_key"),
        ("record_version", "institution_id", "institution"),
        ("record", "institution_id", "institution"),
    ):
        _drop_reference(table, column, target)
    op.drop_table("usage_count")
    op.drop_index(op.f("ix_holding_institution_id"), table_name="holding")
    op.drop_table("holding")
    op.drop_index(op.f("ix_audit_event_at"), table_name="audit_event")
    op.drop_table("audit_event")
    op.drop_index(op.f("ix_api_key_institution_id"), table_name="api_key")
    op.drop_table("api_key")
    op.drop_table("institution")


def _drop_reference(table: str, column: str, target: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a column only once nothing constrains it; its REFERENCES clause does.
        op.execute(f"UPDATE {table} SET {column} = NULL")  # noqa: S608 - names of this file
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.drop_column(column)
        return
    op.drop_constraint(f"fk_{table}_{column}_{target}", table, type_="foreignkey")
    op.drop_column(table, column)
