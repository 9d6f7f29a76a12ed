"""Queries over stored records, their identifiers and their versions. Never commits."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, false, func, insert, or_, select, text
from sqlalchemy.orm import Session

from app.db.models import RecordIdentifier, RecordVersion, StoredRecord


@dataclass(frozen=True, slots=True)
class PageKey:
    """Sort keys of the last row of a page: the next page starts after them."""

    updated_at: datetime
    id: int


@dataclass(frozen=True, slots=True)
class IdentifierMatch:
    """Records whose identifiers include any of these (scheme, value) pairs, or these ids.

    A page query takes several: a record must satisfy each of them."""

    pairs: tuple[tuple[str, str], ...] = ()
    ids: tuple[int, ...] = ()


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

    def batch_after(self, after_id: int, limit: int) -> Sequence[StoredRecord]:
        """Up to `limit` rows with ids above `after_id`, in id order (tombstones included)."""
        return self._session.scalars(
            select(StoredRecord)
            .where(StoredRecord.id > after_id)
            .order_by(StoredRecord.id)
            .limit(limit)
        ).all()

    def reserve_ids(self, count: int) -> list[int]:
        """Numbers for `count` new records, taken before they are written (001 holds them).

        On SQLite the caller holds the write lock (BEGIN IMMEDIATE), so the next free rowids
        are ours; on PostgreSQL the column's sequence hands them out."""
        if self._session.get_bind().dialect.name == "sqlite":
            highest = self._session.scalar(select(func.max(StoredRecord.id))) or 0
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
        """Insert new records, their identifiers and first versions, a statement per table."""
        self._session.execute(insert(StoredRecord), rows)
        if identifiers:
            self._session.execute(
                insert(RecordIdentifier),
                [{"record_id": i, "scheme": s, "value": v} for i, s, v in identifiers],
            )
        self._session.execute(insert(RecordVersion), versions)

    def add(self, row: StoredRecord) -> StoredRecord:
        self._session.add(row)
        self._session.flush()
        return row

    def set_identifiers(
        self, row: StoredRecord, pairs: Iterable[tuple[str, str]], *, new: bool
    ) -> None:
        """Replace the identifiers of a record (a new record has none to remove)."""
        if not new:
            self._session.execute(
                delete(RecordIdentifier).where(RecordIdentifier.record_id == row.id)
            )
        self._session.add_all(
            RecordIdentifier(record_id=row.id, scheme=scheme, value=value)
            for scheme, value in dict.fromkeys(pairs)
        )

    def add_version(self, version: RecordVersion) -> None:
        self._session.add(version)

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

    def count(self) -> int:
        """How many records there are, tombstones included."""
        return self._session.scalar(select(func.count()).select_from(StoredRecord)) or 0

    def has_any(self) -> bool:
        """Whether the catalogue has ever held a record (tombstones count)."""
        return bool(self._session.scalar(select(exists().select_from(StoredRecord))))

    def page(
        self,
        *,
        matches: Sequence[IdentifierMatch],
        updated_since: datetime | None,
        include_deleted: bool,
        after: PageKey | None,
        limit: int,
    ) -> Sequence[StoredRecord]:
        """Rows in (updated_at, id) order after the given key: a keyset page, never OFFSET."""
        query = select(StoredRecord)
        for match in matches:
            conditions = []
            if match.pairs:
                conditions.append(
                    StoredRecord.id.in_(
                        select(RecordIdentifier.record_id).where(
                            or_(
                                *(
                                    and_(
                                        RecordIdentifier.scheme == scheme,
                                        RecordIdentifier.value == value,
                                    )
                                    for scheme, value in match.pairs
                                )
                            )
                        )
                    )
                )
            if match.ids:
                conditions.append(StoredRecord.id.in_(match.ids))
            query = query.where(or_(*conditions)) if conditions else query.where(false())
        if updated_since is not None:
            query = query.where(StoredRecord.updated_at >= updated_since)
        if not include_deleted:
            query = query.where(StoredRecord.deleted_at.is_(None))
        if after is not None:
            query = query.where(
                or_(
                    StoredRecord.updated_at > after.updated_at,
                    and_(StoredRecord.updated_at == after.updated_at, StoredRecord.id > after.id),
                )
            )
        query = query.order_by(StoredRecord.updated_at, StoredRecord.id).limit(limit)
        return self._session.scalars(query).all()
