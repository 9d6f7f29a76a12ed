"""Usage counts and the facts statistics are made of. Never commits."""

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import ColumnElement, Date, String, cast, func, select, type_coerce
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.db.models import Holding, Institution, RecordVersion, UsageCount

# (day, institution code or "", format or "", count)
CountRow = tuple[date, str, str, int]
# (day, institution code or "", count)
DayCount = tuple[date, str, int]


class UsageRepository:
    """Counts of one session; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add_counts(self, event: str, counts: Iterable[CountRow]) -> None:
        """Add counts to the stored ones, creating rows as needed, in one statement.

        Several API processes add at once; INSERT … ON CONFLICT DO UPDATE keeps each addition
        (a read-then-write would lose one). Both engines spell it the same way."""
        rows = [
            {"day": day, "institution": code, "event": event, "format": fmt, "count": count}
            for day, code, fmt, count in counts
        ]
        if not rows:
            return
        dialect = self._session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(UsageCount)
        statement = statement.on_conflict_do_update(
            index_elements=["day", "institution", "event", "format"],
            set_={"count": UsageCount.count + statement.excluded.count},
        )
        self._session.execute(statement, rows)

    def counted(self, event: str, *, first: date, last: date) -> list[CountRow]:
        """(day, institution, format, count) of an event, days first..last included."""
        rows = self._session.execute(
            select(UsageCount.day, UsageCount.institution, UsageCount.format, UsageCount.count)
            .where(UsageCount.event == event, UsageCount.day.between(first, last))
            .order_by(UsageCount.day)
        ).all()
        return [(row[0], row[1], row[2], row[3]) for row in rows]

    def versions_written(self, *, start: datetime, end: datetime) -> list[DayCount]:
        """(day, institution code or "", count) of record versions written in [start, end),
        deletions left out: what members contributed."""
        day = self._utc_day(RecordVersion.created_at)
        code = func.coalesce(Institution.code, cast("", String))
        rows = self._session.execute(
            select(day, code, func.count())
            .select_from(RecordVersion)
            .outerjoin(Institution, Institution.id == RecordVersion.institution_id)
            .where(
                RecordVersion.created_at >= start,
                RecordVersion.created_at < end,
                RecordVersion.change != "delete",
            )
            .group_by(day, code)
        ).all()
        return [(row[0], row[1], row[2]) for row in rows]

    def holdings_set(self, *, start: datetime, end: datetime) -> list[DayCount]:
        """(day, institution code, count) of holdings set in [start, end) and still held."""
        day = self._utc_day(Holding.created_at)
        rows = self._session.execute(
            select(day, Institution.code, func.count())
            .select_from(Holding)
            .join(Institution, Institution.id == Holding.institution_id)
            .where(Holding.created_at >= start, Holding.created_at < end)
            .group_by(day, Institution.code)
        ).all()
        return [(row[0], row[1], row[2]) for row in rows]

    def _utc_day(self, column: InstrumentedAttribute[datetime]) -> ColumnElement[date]:
        # SQLite keeps UTC text, whose date() is the UTC day; PostgreSQL's timestamptz is cast
        # in the session's time zone unless told which.
        if self._session.get_bind().dialect.name == "sqlite":
            return type_coerce(func.date(column), Date)
        return cast(func.timezone("UTC", column), Date)
