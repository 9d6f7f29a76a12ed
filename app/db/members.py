"""Queries over member institutions, their API keys and the audit of access. Never commits."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import ApiKey, AuditEvent, Institution


class MemberRepository:
    """Institutions, keys and audit events of one session; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def institution(self, code: str) -> Institution | None:
        return self._session.scalar(select(Institution).where(Institution.code == code))

    def institution_by_id(self, institution_id: int) -> Institution | None:
        return self._session.get(Institution, institution_id)

    def institutions(self) -> Sequence[Institution]:
        return self._session.scalars(select(Institution).order_by(Institution.code)).all()

    def add(self, row: Institution | ApiKey | AuditEvent) -> None:
        self._session.add(row)
        self._session.flush()

    def key(self, key_id: int) -> ApiKey | None:
        return self._session.get(ApiKey, key_id)

    def key_by_hash(self, secret_hash: str) -> tuple[ApiKey, Institution] | None:
        """The key whose secret hashes to this, with its institution."""
        row = self._session.execute(
            select(ApiKey, Institution)
            .join(Institution, Institution.id == ApiKey.institution_id)
            .where(ApiKey.secret_hash == secret_hash)
        ).first()
        return None if row is None else (row[0], row[1])

    def keys(self, institution_id: int | None) -> Sequence[tuple[ApiKey, Institution]]:
        """Keys (of one institution, or all), oldest first, with their institutions."""
        statement = select(ApiKey, Institution).join(
            Institution, Institution.id == ApiKey.institution_id
        )
        if institution_id is not None:
            statement = statement.where(ApiKey.institution_id == institution_id)
        rows = self._session.execute(statement.order_by(ApiKey.id)).all()
        return [(row[0], row[1]) for row in rows]

    def audit_events(self, *, before: int | None, limit: int) -> Sequence[AuditEvent]:
        """The newest events first, a keyset page below `before` (an event id)."""
        statement = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
        if before is not None:
            statement = statement.where(AuditEvent.id < before)
        return self._session.scalars(statement).all()

    def audit_since(self, moment: datetime) -> Sequence[AuditEvent]:
        return self._session.scalars(
            select(AuditEvent).where(AuditEvent.at >= moment).order_by(AuditEvent.id)
        ).all()
