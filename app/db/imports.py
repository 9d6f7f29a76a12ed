"""Queries over import jobs, their uploaded files and their per-record outcomes. Never commits."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from app.db.engine import insert_rows
from app.db.models import Base, ImportJob, ImportOutcome, ImportUpload


def _table(model: type[Base]) -> Table:
    """A model's table, for Core statements that skip the ORM's work for every row."""
    return model.metadata.tables[model.__tablename__]


class ImportRepository:
    """Import jobs of one session; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add_job(self, job: ImportJob) -> ImportJob:
        self._session.add(job)
        self._session.flush()
        return job

    def job(self, job_id: int) -> ImportJob | None:
        return self._session.get(ImportJob, job_id)

    def jobs(self, *, before: int | None, limit: int) -> Sequence[ImportJob]:
        """The newest jobs first, below the job number `before` when given."""
        statement = select(ImportJob).order_by(ImportJob.id.desc()).limit(limit)
        if before is not None:
            statement = statement.where(ImportJob.id < before)
        return self._session.scalars(statement).all()

    def add_upload_piece(self, job_id: int, seq: int, data: bytes) -> None:
        self._session.execute(insert(ImportUpload).values(job_id=job_id, seq=seq, data=data))

    def upload_piece(self, job_id: int, seq: int) -> bytes | None:
        return self._session.scalar(
            select(ImportUpload.data).where(ImportUpload.job_id == job_id, ImportUpload.seq == seq)
        )

    def drop_upload(self, job_id: int) -> None:
        """Forget the uploaded file once its job has ended: the report keeps what matters."""
        self._session.execute(delete(ImportUpload).where(ImportUpload.job_id == job_id))

    def claimable(self, *, stale_before: datetime) -> int | None:
        """The oldest job waiting for a worker, or running with a heartbeat older than
        `stale_before` (its process died). On PostgreSQL the row is locked, and rows other
        workers hold are skipped, so two workers never take the same job."""
        statement = (
            select(ImportJob.id)
            .where(
                or_(
                    ImportJob.status == "queued",
                    and_(ImportJob.status == "running", ImportJob.heartbeat_at < stale_before),
                ),
                # A file on one machine's disk is worked on by `catalog import` there only.
                ImportJob.source_path.is_(None),
            )
            .order_by(ImportJob.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        return self._session.scalar(statement)

    def update_job(self, job_id: int, **values: Any) -> None:
        self._session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))

    def add_outcomes(self, rows: list[dict[str, Any]]) -> None:
        """Insert outcomes (dicts of column values, the same keys in each) at once."""
        insert_rows(self._session, _table(ImportOutcome), rows)

    def outcomes(
        self, job_id: int, *, after: int, limit: int, outcome: str | None = None
    ) -> Sequence[ImportOutcome]:
        """Outcomes in file order, from the position after `after` (-1: from the start); only
        those of one kind with `outcome`."""
        statement = select(ImportOutcome).where(
            ImportOutcome.job_id == job_id, ImportOutcome.position > after
        )
        if outcome is not None:
            statement = statement.where(ImportOutcome.outcome == outcome)
        return self._session.scalars(statement.order_by(ImportOutcome.position).limit(limit)).all()

    def rejected(self, job_id: int, *, after: int, limit: int) -> Sequence[tuple[int, bytes]]:
        """(position, ISO 2709) of the rejected records that could be written out, in order."""
        rows = self._session.execute(
            select(ImportOutcome.position, ImportOutcome.raw)
            .where(
                ImportOutcome.job_id == job_id,
                ImportOutcome.position > after,
                ImportOutcome.outcome == "rejected",
                ImportOutcome.raw.is_not(None),
            )
            .order_by(ImportOutcome.position)
            .limit(limit)
        ).all()
        return [(position, raw) for position, raw in rows if raw is not None]

    def count_outcomes(self, job_id: int) -> int:
        return (
            self._session.scalar(
                select(func.count())
                .select_from(ImportOutcome)
                .where(ImportOutcome.job_id == job_id)
            )
            or 0
        )
