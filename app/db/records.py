"""Queries over stored records, their identifiers and their versions. Never commits."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Table,
    delete,
    exists,
    func,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.orm import Session

from app.db.engine import insert_rows
from app.db.models import Base, RecordIdentifier, RecordVersion, StoredRecord

# (id, updated_at, deleted_at, material): what a harvester's list shows of a record.
ChangeRow = Row[int, datetime, datetime | None, str]


def _table(model: type[Base]) -> Table:
    """A model's table, for Core statements that skip the ORM's work for every row."""
    return model.metadata.tables[model.__tablename__]


class RecordRepository:
    """Records of one session; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, record_id: int) -> StoredRecord | None:
        return self._session.get(StoredRecord, record_id)

    def get_many(self, ids: Sequence[int]) -> dict[int, StoredRecord]:
        """The rows of these ids that exist, by id."""
        if not ids:
            return {}
        rows = self._session.scalars(select(StoredRecord).where(StoredRecord.id.in_(ids)))
        return {row.id: row for row in rows}

    def stored_forms(self, ids: Sequence[int], *, iso: bool) -> dict[int, bytes | str | None]:
        """The stored ISO 2709 (None when too long) or MARC-in-JSON of these ids, by id.

        Reads that one column, not the row: exports stream it as it is."""
        if not ids:
            return {}
        column = StoredRecord.marc if iso else StoredRecord.marc_json
        rows = self._session.execute(
            select(StoredRecord.id, column).where(StoredRecord.id.in_(ids))
        ).all()
        return {row[0]: row[1] for row in rows}

    def batch_after(self, after_id: int, limit: int) -> Sequence[StoredRecord]:
        """Up to `limit` rows with ids above `after_id`, in id order (tombstones included)."""
        return self._session.scalars(
            select(StoredRecord)
            .where(StoredRecord.id > after_id)
            .order_by(StoredRecord.id)
            .limit(limit)
        ).all()

    def highest_id(self) -> int:
        """The highest record number stored (0 in an empty catalogue), deleted ones included."""
        return self._session.scalar(select(func.max(StoredRecord.id))) or 0

    def reserve_ids(self, count: int) -> list[int]:
        """Numbers for `count` new records, taken before they are written (001 holds them).

        On SQLite the caller holds the write lock (BEGIN IMMEDIATE), so the next free rowids
        are ours; on PostgreSQL the column's sequence hands them out."""
        if self._session.get_bind().dialect.name == "sqlite":
            highest = self.highest_id()
            return list(range(highest + 1, highest + 1 + count))
        return list(
            self._session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('record', 'id')) "
                    "FROM generate_series(1, :count)"
                ),
                {"count": count},
            )
        )

    def insert_new(
        self,
        rows: list[dict[str, Any]],
        *,
        identifiers: list[tuple[int, str, str]],
        versions: list[dict[str, Any]],
    ) -> None:
        """Insert new records, their identifiers and first versions, a statement per table.

        Rows are dicts of column values, the same keys in each. The tables' own inserts, not
        the models': an executemany each, without the ORM's bookkeeping for every row."""
        insert_rows(self._session, _table(StoredRecord), rows)
        insert_rows(
            self._session,
            _table(RecordIdentifier),
            [{"record_id": i, "scheme": s, "value": v} for i, s, v in identifiers],
        )
        insert_rows(self._session, _table(RecordVersion), versions)

    def add(self, row: StoredRecord) -> StoredRecord:
        self._session.add(row)
        self._session.flush()
        return row

    def set_identifiers(
        self, row: StoredRecord, pairs: Iterable[tuple[str, str]], *, new: bool
    ) -> None:
        """Replace the identifiers of a record (a new record has none to remove); pairs distinct."""
        if not new:
            self._session.execute(
                delete(RecordIdentifier).where(RecordIdentifier.record_id == row.id)
            )
        self._session.add_all(
            RecordIdentifier(record_id=row.id, scheme=scheme, value=value)
            for scheme, value in pairs
        )

    def add_version(self, version: RecordVersion) -> None:
        self._session.add(version)

    def supersede(self, row: StoredRecord) -> None:
        """Give a record's current version its own text (see RecordVersion), while the row is
        still as read: every write of a newer version calls this first."""
        self._session.execute(
            update(RecordVersion)
            .where(
                RecordVersion.record_id == row.id,
                RecordVersion.version == row.version,
                RecordVersion.marc_json.is_(None),
            )
            .values(marc_json=row.marc_json)
            .execution_options(synchronize_session=False)
        )

    def versions(self, record_id: int) -> Sequence[RecordVersion]:
        return self._session.scalars(
            select(RecordVersion)
            .where(RecordVersion.record_id == record_id)
            .order_by(RecordVersion.version)
        ).all()

    def version(self, record_id: int, number: int) -> RecordVersion | None:
        return self._session.scalars(
            select(RecordVersion).where(
                RecordVersion.record_id == record_id, RecordVersion.version == number
            )
        ).one_or_none()

    @staticmethod
    def version_json(version: RecordVersion, row: StoredRecord) -> str:
        """A version's MARC-in-JSON: its own, or its record's for the current version."""
        return version.marc_json if version.marc_json is not None else row.marc_json

    def count(self) -> int:
        """How many records there are, tombstones included."""
        return self._session.scalar(select(func.count()).select_from(StoredRecord)) or 0

    def live_ids_by_keys(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], set[int]]:
        """The live records each key names: ("id", n) is record n itself, any other key a
        (scheme, value) row of record_identifier. Keys that name nothing are left out."""
        found: dict[tuple[str, str], set[int]] = {}
        numbers = {int(value) for scheme, value in keys if scheme == "id" and value.isdigit()}
        if numbers:
            live = select(StoredRecord.id).where(
                StoredRecord.id.in_(numbers), StoredRecord.deleted_at.is_(None)
            )
            for record_id in self._session.scalars(live):
                found[("id", str(record_id))] = {record_id}
        by_scheme: dict[str, list[str]] = {}
        for scheme, value in keys:
            if scheme != "id":
                by_scheme.setdefault(scheme, []).append(value)
        # One scheme at a time, "scheme = s AND value IN (…)": SQLite answers a row-value IN,
        # "(scheme, value) IN (…)", by scanning the whole table, not by its index.
        for scheme, values in by_scheme.items():
            for start in range(0, len(values), 500):
                statement = (
                    select(RecordIdentifier.value, RecordIdentifier.record_id)
                    .join(StoredRecord, StoredRecord.id == RecordIdentifier.record_id)
                    .where(
                        RecordIdentifier.scheme == scheme,
                        RecordIdentifier.value.in_(values[start : start + 500]),
                        StoredRecord.deleted_at.is_(None),
                    )
                )
                for value, record_id in self._session.execute(statement):
                    found.setdefault((scheme, value), set()).add(record_id)
        return found

    def has_any(self) -> bool:
        """Whether the catalogue has ever held a record (tombstones count)."""
        return bool(self._session.scalar(select(exists().select_from(StoredRecord))))

    # -- harvesting (OAI-PMH): records in the order they last changed ----------------------

    def earliest_change(self) -> datetime | None:
        """When the record changed longest ago was last changed (tombstones count)."""
        return self._session.scalar(select(func.min(StoredRecord.updated_at)))

    def _changed_where(
        self,
        since: datetime | None,
        before: datetime | None,
        material: str | None,
        *,
        in_change_order: bool = False,
    ) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if since is not None:
            where.append(StoredRecord.updated_at >= since)
        if before is not None:
            where.append(StoredRecord.updated_at < before)
        if material is not None:
            same = StoredRecord.material == material
            if in_change_order and self._session.get_bind().dialect.name == "sqlite":
                # SQLite has no statistics: it would take ix_record_material and sort every
                # page. Hiding the column from that index keeps the scan on the keyset index.
                same = StoredRecord.material.concat("") == material
            where.append(same)
        return where

    def changed_page(
        self,
        *,
        since: datetime | None,
        before: datetime | None,
        material: str | None,
        after: tuple[datetime, int] | None,
        limit: int,
    ) -> Sequence[ChangeRow]:
        """Up to `limit` (id, updated_at, deleted_at, material) rows changed in [since, before),
        tombstones included, ordered by (updated_at, id) and strictly after the `after` key.

        A keyset page on ix_record_updated_at_id: the last page costs what the first does."""
        where = self._changed_where(since, before, material, in_change_order=True)
        if after is not None:
            # A row value keeps both engines on the index (an OR of the two keys does not).
            where.append(tuple_(StoredRecord.updated_at, StoredRecord.id) > after)
        return self._session.execute(
            select(
                StoredRecord.id,
                StoredRecord.updated_at,
                StoredRecord.deleted_at,
                StoredRecord.material,
            )
            .where(*where)
            .order_by(StoredRecord.updated_at, StoredRecord.id)
            .limit(limit)
        ).all()

    def count_changed(
        self, *, since: datetime | None, before: datetime | None, material: str | None
    ) -> int:
        """How many records (tombstones included) changed in [since, before)."""
        where = self._changed_where(since, before, material)
        return (
            self._session.scalar(select(func.count()).select_from(StoredRecord).where(*where)) or 0
        )

    def change_of(self, record_id: int) -> ChangeRow | None:
        """(id, updated_at, deleted_at, material) of one record, tombstone or not."""
        return self._session.execute(
            select(
                StoredRecord.id,
                StoredRecord.updated_at,
                StoredRecord.deleted_at,
                StoredRecord.material,
            ).where(StoredRecord.id == record_id)
        ).one_or_none()
