"""Queries over holdings: which member institutions hold which records. Never commits."""

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db.models import Holding, Institution, StoredRecord

# (holding, its institution's code and name)
HoldingRow = tuple[Holding, str, str]


class HoldingRepository:
    """Holdings of one session; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, record_id: int, institution_id: int) -> Holding | None:
        return self._session.scalar(
            select(Holding).where(
                Holding.record_id == record_id, Holding.institution_id == institution_id
            )
        )

    def add(self, holding: Holding) -> None:
        self._session.add(holding)
        self._session.flush()

    def remove(self, record_id: int, institution_id: int) -> bool:
        """Remove a holding; whether there was one."""
        result = self._session.execute(
            delete(Holding).where(
                Holding.record_id == record_id, Holding.institution_id == institution_id
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def of_record(self, record_id: int) -> Sequence[HoldingRow]:
        """The record's holdings with their institutions, by institution code."""
        rows = self._session.execute(
            select(Holding, Institution.code, Institution.name)
            .join(Institution, Institution.id == Holding.institution_id)
            .where(Holding.record_id == record_id)
            .order_by(Institution.code)
        ).all()
        return [(row[0], row[1], row[2]) for row in rows]

    def of_institution(
        self, institution_id: int, *, after_record: int, limit: int
    ) -> Sequence[tuple[Holding, bytes | None, str]]:
        """A keyset page of an institution's holdings of live records, by record number, each
        with the record's stored ISO 2709 (None when too long) and MARC-in-JSON."""
        rows = self._session.execute(
            select(Holding, StoredRecord.marc, StoredRecord.marc_json)
            .join(StoredRecord, StoredRecord.id == Holding.record_id)
            .where(
                Holding.institution_id == institution_id,
                Holding.record_id > after_record,
                StoredRecord.deleted_at.is_(None),
            )
            .order_by(Holding.record_id)
            .limit(limit)
        ).all()
        return [(row[0], row[1], row[2]) for row in rows]
