"""Whether this process can serve requests."""

import logging
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.db import migrations
from app.db.engine import Database

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HealthReport:
    """Database reachability and migration state."""

    database_ok: bool
    dialect: str
    current: str | None
    head: str | None

    @property
    def ok(self) -> bool:
        return self.database_ok and self.current == self.head


def check(database: Database) -> HealthReport:
    """Ask the database for a trivial answer and for its migration revision."""
    head = migrations.head_revision()
    try:
        with database.reader() as session:
            session.execute(text("SELECT 1"))
            current = migrations.current_revision(session.connection())
    except SQLAlchemyError:
        logger.warning("health check: database unreachable", exc_info=True)
        return HealthReport(database_ok=False, dialect=database.dialect, current=None, head=head)
    return HealthReport(database_ok=True, dialect=database.dialect, current=current, head=head)
