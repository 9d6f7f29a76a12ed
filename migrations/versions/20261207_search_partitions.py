"""PostgreSQL: the table of index terms in parts of 262,144 record numbers, each with its own GIN.

A search wants the newest matches (the counted 2,000, the ranked 500). GIN answers with every
match of the whole table, in no order of record number: three common words at a million records
meant intersecting lists of hundreds of thousands of rows (65 ms) and visiting 30,000 matches
(120 ms in all) to keep the newest 2,001. With the table partitioned by record number, the
searcher asks the newest part first and the older ones only while it needs more
(app.search.searcher): the same search reads a fifth of the lists and visits a fifth of the
rows (27-36 ms, one-off, on the bench's million records). A search of few matches asks the
newest part, then all the others at once.

The width: parts of 131,072 numbers made the newest part's searches quicker still (13-16 ms),
but twice as many parts to plan and look up in for a search of few matches, and so a slower
phrase and author + years (one-off measures of whole searches, both widths).

The parts are record_search_<n> for numbers n·262,144 to (n+1)·262,144 - 1. This migration
makes those the stored records need; app.search.postgres_fts makes the next ones as records are
numbered into them, in the writing transaction. The partitioned table has no foreign key to
`record` (record_search_text keeps its own): attaching a part would clone it, and lock `record`
against the other writers' inserts while they may be waiting for that part (a deadlock). Nothing
removes a record's row (a deleted record keeps it, as a tombstone).

The rows are copied, not recomputed: no reindex is needed. On a million records, about two
minutes (the GIN indexes are built again). SQLite's index is not changed.

Revision ID: 20261207_search_partitions
Revises: 20261207_system_numbers
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261207_search_partitions"
down_revision: str | None = "20261207_system_numbers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same width as app.search.postgres_fts.PARTITION_WIDTH: the parts made here are the ones
# the code looks for by name.
_WIDTH = 262_144
_OLD = "record_search_unpartitioned"
_FOREIGN_KEY = "fk_record_search_record_id_record"


def _renamed_away() -> None:
    op.execute(f"ALTER TABLE record_search RENAME TO {_OLD}")
    op.execute(f"ALTER TABLE {_OLD} RENAME CONSTRAINT pk_record_search TO pk_{_OLD}")
    op.execute(f"ALTER INDEX ix_record_search_terms RENAME TO ix_{_OLD}_terms")


def _new_table(partitioned: bool) -> None:
    scheme = " PARTITION BY RANGE (record_id)" if partitioned else ""
    op.execute(
        "CREATE TABLE record_search (record_id bigint NOT NULL, terms tsvector NOT NULL)" + scheme
    )
    # As 20261203_search_terms and 20261204_search_terms_once set them: inline, lz4 where the
    # server has it (from PostgreSQL 14), statistics of 10,000 terms.
    op.execute("ALTER TABLE record_search ALTER COLUMN terms SET STORAGE MAIN")
    op.execute(
        "DO $$ BEGIN IF current_setting('server_version_num')::int >= 140000 THEN "
        "EXECUTE 'ALTER TABLE record_search ALTER COLUMN terms SET COMPRESSION lz4'; END IF; "
        "EXCEPTION WHEN feature_not_supported THEN NULL; END $$"
    )
    op.execute("ALTER TABLE record_search ALTER COLUMN terms SET STATISTICS 1000")


def _filled_and_indexed(*, foreign_key: bool) -> None:
    op.execute("INSERT INTO record_search SELECT record_id, terms FROM record_search_unpartitioned")
    op.execute(f"DROP TABLE {_OLD}")
    # Built once the rows are in: far quicker than kept up row by row.
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute("ALTER TABLE record_search ADD CONSTRAINT pk_record_search PRIMARY KEY (record_id)")
    if foreign_key:
        op.execute(
            f"ALTER TABLE record_search ADD CONSTRAINT {_FOREIGN_KEY} FOREIGN KEY (record_id) "
            "REFERENCES record (id) ON DELETE CASCADE"
        )
    op.execute("CREATE INDEX ix_record_search_terms ON record_search USING gin (terms)")
    op.execute("ANALYZE record_search")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    _renamed_away()
    _new_table(partitioned=True)
    highest = op.get_bind().exec_driver_sql("SELECT coalesce(max(id), 0) FROM record").scalar()
    for number in range(int(highest or 0) // _WIDTH + 1):
        op.execute(
            f"CREATE TABLE record_search_{number} PARTITION OF record_search "
            f"FOR VALUES FROM ({number * _WIDTH}) TO ({(number + 1) * _WIDTH})"
        )
        # A part takes its storage and compression from the table, not its statistics target.
        op.execute(f"ALTER TABLE record_search_{number} ALTER COLUMN terms SET STATISTICS 1000")
    _filled_and_indexed(foreign_key=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    _renamed_away()
    _new_table(partitioned=False)
    _filled_and_indexed(foreign_key=True)  # the parts go with the partitioned table
