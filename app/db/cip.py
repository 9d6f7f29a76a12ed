"""Queries over CIP requests and their steps. Never commits."""

from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from app.db.models import CipEvent, CipRequest, Institution, RecordIdentifier, StoredRecord


class CipRepository:
    """CIP requests of one session; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, request_id: int) -> CipRequest | None:
        return self._session.get(CipRequest, request_id)

    def add(self, row: CipRequest) -> None:
        self._session.add(row)
        self._session.flush()

    def add_event(self, event: CipEvent) -> None:
        self._session.add(event)
        self._session.flush()

    def events(self, request_id: int) -> Sequence[CipEvent]:
        return self._session.scalars(
            select(CipEvent).where(CipEvent.request_id == request_id).order_by(CipEvent.id)
        ).all()

    def requests(
        self,
        *,
        institution_id: int | None,
        status: str | None,
        record_status: str | None,
        expected_before: date | None = None,
        before: int | None,
        limit: int,
    ) -> Sequence[CipRequest]:
        """Newest first, a keyset page below `before`, of one institution or all;
        `expected_before`: only those whose expected month ("YYYY-MM", or a year "YYYY",
        which means its December) is before that day's month."""
        statement = select(CipRequest).order_by(CipRequest.id.desc()).limit(limit)
        if expected_before is not None:
            expected = func.trim(CipRequest.expected_date)
            month = f"{expected_before.year:04d}-{expected_before.month:02d}"
            statement = statement.where(
                or_(
                    and_(func.length(expected) == 7, expected < month),
                    and_(func.length(expected) == 4, expected < f"{expected_before.year:04d}"),
                )
            )
        if institution_id is not None:
            statement = statement.where(CipRequest.institution_id == institution_id)
        if status is not None:
            statement = statement.where(CipRequest.status == status)
        if record_status is not None:
            statement = statement.join(StoredRecord, StoredRecord.id == CipRequest.record_id).where(
                StoredRecord.status == record_status
            )
        if before is not None:
            statement = statement.where(CipRequest.id < before)
        return self._session.scalars(statement).all()

    def for_record(self, record_id: int) -> CipRequest | None:
        """The request whose approval made this record, if one did."""
        return self._session.scalar(select(CipRequest).where(CipRequest.record_id == record_id))

    def live_records_with_isbns(self, isbns: set[str]) -> dict[str, set[int]]:
        """The live records carrying each of these ISBN-13s (as record_identifier keeps them)."""
        if not isbns:
            return {}
        statement = (
            select(RecordIdentifier.value, RecordIdentifier.record_id)
            .join(StoredRecord, StoredRecord.id == RecordIdentifier.record_id)
            .where(
                RecordIdentifier.scheme == "isbn",
                RecordIdentifier.value.in_(isbns),
                StoredRecord.deleted_at.is_(None),
            )
        )
        found: dict[str, set[int]] = {}
        for value, record_id in self._session.execute(statement):
            found.setdefault(value, set()).add(record_id)
        return found

    def open_requests(self, statuses: Sequence[str]) -> Sequence[tuple[int, int | None, str]]:
        """(id, institution_id, data) of every request at one of these steps. CIP requests in
        progress number in the thousands at most (a country's titles of a few months), so
        reading them all to compare ISBNs costs less than keeping an index of them in step."""
        statement = select(CipRequest.id, CipRequest.institution_id, CipRequest.data).where(
            CipRequest.status.in_(statuses)
        )
        return [(row.id, row.institution_id, row.data) for row in self._session.execute(statement)]

    def institution_code(self, institution_id: int | None) -> str | None:
        if institution_id is None:
            return None
        return self._session.scalar(
            select(Institution.code).where(Institution.id == institution_id)
        )

    def record_json(self, record_id: int) -> str | None:
        """The stored MARC-in-JSON of a catalogue record."""
        return self._session.scalar(
            select(StoredRecord.marc_json).where(StoredRecord.id == record_id)
        )

    def record_status(self, record_id: int | None) -> str | None:
        if record_id is None:
            return None
        return self._session.scalar(select(StoredRecord.status).where(StoredRecord.id == record_id))
