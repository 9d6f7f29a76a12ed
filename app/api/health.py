"""GET /health: can this process serve?"""

from fastapi import APIRouter, Response

from app.api.deps import DatabaseDep
from app.api.schemas import Health
from app.services import health

router = APIRouter(tags=["service"])


@router.get(
    "/health",
    responses={503: {"model": Health, "description": "Database unreachable or not migrated"}},
)
def read_health(database: DatabaseDep, response: Response) -> Health:
    """Database reachable and schema at the newest migration: 200; otherwise 503."""
    report = health.check(database)
    if not report.ok:
        response.status_code = 503
    return Health(
        status="ok" if report.ok else "unavailable",
        database="ok" if report.database_ok else "unreachable",
        dialect=report.dialect,
        migration_current=report.current,
        migration_head=report.head,
    )
