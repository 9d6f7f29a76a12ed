"""Queries over CIP requests and their steps. Never commits."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import CipEvent, CipRequest, Institution, StoredRecord


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
        before: int | None,
        limit: int,
    ) -> Sequence[CipRequest]:
        """Newest first, a keyset page below `before`, of one institution or all."""
        statement = select(CipRequest).order_by(CipRequest.id.desc()).limit(limit)
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

    def institution_code(self, institution_id: int | None) -> str | None:
        if institution_id is None:
            return None
        return self._session.scalar(
            select(Institution.code).where(Institution.id == institution_id)
        )

    def record_status(self, record_id: int | None) -> str | None:
        if record_id is None:
            return None
        return self._session.scalar(select(StoredRecord.status).where(StoredRecord.id == record_id))
