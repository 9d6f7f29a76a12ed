"""A 001 that came without 003 is matched together with the record's title.

Such a number is nobody's in particular (two libraries' Koha biblionumbers collide; FOLIO writes
"FOLIOstorage" in every record), so an import matches it only with the same title, through
record_identifier rows of scheme "035t": the number, U+001F, the title's key. This writes those
rows for the records stored before; new and changed records get them as they are written. The
key is computed by the code's own function (app.db.identifiers), since the import looks up
exactly what that function gives.

Revision ID: 20261207_titled_numbers
Revises: 20261205_current_version_json
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db.identifiers import TITLED_NUMBER, org_of, titled_number

revision: str = "20261207_titled_numbers"
down_revision: str | None = "20261205_current_version_json"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5000


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT i.record_id, i.value, r.title FROM record_identifier i "
            "JOIN record r ON r.id = i.record_id WHERE i.scheme = '035' ORDER BY i.id"
        )
    )
    identifier = sa.table(
        "record_identifier",
        sa.column("record_id", sa.BigInteger),
        sa.column("scheme", sa.String),
        sa.column("value", sa.String),
    )
    batch: list[dict[str, object]] = []
    seen: set[tuple[int, str]] = set()
    # Read in full first: SQLite cannot insert into a table while a cursor still reads it.
    for record_id, value, title in rows.fetchall():
        titled = titled_number(value, title) if org_of(value) is None else None
        if titled is None or (record_id, titled) in seen:
            continue
        seen.add((record_id, titled))
        batch.append({"record_id": record_id, "scheme": TITLED_NUMBER, "value": titled})
        if len(batch) >= _BATCH:
            connection.execute(identifier.insert(), batch)
            batch = []
    if batch:
        connection.execute(identifier.insert(), batch)


def downgrade() -> None:
    op.execute(
        sa.text("DELETE FROM record_identifier WHERE scheme = :scheme").bindparams(
            scheme=TITLED_NUMBER
        )
    )
