"""System numbers (035 $a) are looked up in one comparable form.

"(OCoLC)ocm00012345", "(OCoLC) 12345" and "(OCoLC)12345" are one OCLC number, and a bare
"ocm00012345" is OCLC's too: an import matched them only when written alike. The "035" rows of
record_identifier now hold app.marc.normalize_system_number of each number; this rewrites the
rows stored before, and drops the title-keyed rows ("035t") of bare OCLC numbers, which name
their organization now. The code's own function is used, since imports look up what it gives.

Revision ID: 20261207_system_numbers
Revises: 20261207_outcome_file
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app import marc
from app.db.identifiers import TITLED_NUMBER, org_of

revision: str = "20261207_system_numbers"
down_revision: str | None = "20261207_outcome_file"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_identifier = sa.table(
    "record_identifier",
    sa.column("id", sa.BigInteger),
    sa.column("record_id", sa.BigInteger),
    sa.column("scheme", sa.String),
    sa.column("value", sa.String),
)


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_identifier.c.id, _identifier.c.record_id, _identifier.c.value)
        .where(_identifier.c.scheme == "035")
        .order_by(_identifier.c.id)
    ).fetchall()  # in full first: SQLite cannot write a table while a cursor still reads it
    seen: set[tuple[int, str]] = set()
    changed: list[dict[str, object]] = []
    repeated: list[int] = []
    now_named: set[tuple[int, str]] = set()  # (record, bare number) that names OCLC now
    for row_id, record_id, value in rows:
        normalized = marc.normalize_system_number(value)[:300]
        if (record_id, normalized) in seen:
            repeated.append(row_id)
            continue
        seen.add((record_id, normalized))
        if normalized != value:
            changed.append({"row_id": row_id, "new_value": normalized})
        if org_of(value) is None and org_of(normalized) is not None:
            now_named.add((record_id, value.strip()))
    if changed:
        connection.execute(
            _identifier.update()
            .where(_identifier.c.id == sa.bindparam("row_id"))
            .values(value=sa.bindparam("new_value")),
            changed,
        )
    for start in range(0, len(repeated), 1000):
        chunk = repeated[start : start + 1000]
        connection.execute(_identifier.delete().where(_identifier.c.id.in_(chunk)))
    if now_named:
        titled = connection.execute(
            sa.select(_identifier.c.id, _identifier.c.record_id, _identifier.c.value).where(
                _identifier.c.scheme == TITLED_NUMBER
            )
        ).fetchall()
        stale = [
            row_id
            for row_id, record_id, value in titled
            if (record_id, value.split("\x1f", 1)[0]) in now_named
        ]
        for start in range(0, len(stale), 1000):
            chunk = stale[start : start + 1000]
            connection.execute(_identifier.delete().where(_identifier.c.id.in_(chunk)))


def downgrade() -> None:
    # The numbers as written are in the records; the older code matches on the rows as they
    # are, which only means fewer matches than this version finds.
    pass
