"""create_app(settings): the one place that wires engine, services and routers."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Depends, FastAPI

from app.api import cip, health, holdings, imports, members, records, stats
from app.api.auth import check_every_route_is_guarded, require
from app.api.body import BodyLimitMiddleware
from app.api.openapi_security import add_security
from app.api.problems import add_problem_schemas, install_problem_handlers
from app.api.rate_limits import RateLimiter
from app.api.request_id import RequestIdMiddleware
from app.api.routes import API_BASE
from app.cip.service import CipService
from app.db.engine import Database, create_database
from app.imports.service import ImportService
from app.imports.worker import ImportWorker, worker_name
from app.log import configure_logging
from app.protocols.oai import router as oai
from app.protocols.sru import router as sru
from app.services.access import Permission
from app.services.harvest import HarvestService
from app.services.holdings import HoldingService
from app.services.members import MemberService
from app.services.records import RecordService
from app.services.usage import StatsService, UsageFlusher, UsageMeter
from app.settings import Settings
from app.startup import set_aside_start_up_objects

DESCRIPTION = """\
The national shared catalogue: libraries catalogue a book once and everyone reuses the record.
Records are MARC 21, uploaded and downloaded as ISO 2709 (.mrc), MARCXML, MARC-in-JSON or
MARC mnemonic text (.mrk). Errors are application/problem+json (RFC 9457).
"""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings,
    *,
    database: Database | None = None,
    clock: Callable[[], datetime] = _utc_now,
) -> FastAPI:
    """Build the application; tests pass their own database (one per engine) and clock."""
    database = database or create_database(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
    )
    workers: list[ImportWorker] = []
    usage = UsageMeter(database, enabled=settings.count_usage)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Imports load in the background of every API process unless workers do it elsewhere.
        for number in range(settings.import_workers):
            worker = ImportWorker(app.state.imports, name=worker_name(number))
            worker.start()
            workers.append(worker)
        flusher = UsageFlusher(usage, interval=settings.usage_flush_seconds)
        flusher.start()
        yield
        for worker in workers:
            worker.stop()
        flusher.stop()

    app = FastAPI(
        title="shared-catalog",
        version="1",
        description=DESCRIPTION,
        license_info={"name": "Apache-2.0", "identifier": "Apache-2.0"},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.clock = clock
    app.state.usage = usage
    app.state.members = MemberService(database, clock=clock)
    app.state.holdings = HoldingService(database, clock=clock)
    app.state.stats = StatsService(database)
    app.state.rate_limiter = RateLimiter(
        per_key=settings.rate_limit,
        anonymous=settings.anonymous_rate_limit,
        storage=settings.rate_limit_storage,
    )
    app.state.records = RecordService(
        database,
        org_code=settings.marc_org_code,
        clock=clock,
        search_count_bound=settings.search_count_bound,
        search_rank_window=settings.search_rank_window,
    )
    app.state.harvest = HarvestService(database, clock=clock)
    app.state.cip = CipService(
        database,
        app.state.records,
        agency=settings.marc_org_code,
        heading=settings.cip_heading,
        clock=clock,
    )
    app.state.imports = ImportService(
        database,
        app.state.records,
        org_code=settings.marc_org_code,
        clock=clock,
        batch_size=settings.import_batch_size,
        stale_after=timedelta(seconds=settings.import_stale_seconds),
        processes=settings.import_processes,
    )

    install_problem_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_upload_bytes,
        paths={API_BASE + imports.PATH: settings.max_import_bytes},
    )
    app.add_middleware(RequestIdMiddleware)
    app.include_router(records.router, prefix=API_BASE)
    app.include_router(holdings.router, prefix=API_BASE)
    app.include_router(imports.router, prefix=API_BASE)
    app.include_router(members.router, prefix=API_BASE)
    app.include_router(stats.router, prefix=API_BASE)
    app.include_router(cip.router, prefix=API_BASE)
    app.include_router(health.router)
    # The protocols read the catalogue; their clients send keys as HTTP Basic passwords.
    reading = [Depends(require(Permission.READ))]
    app.include_router(sru.router, dependencies=reading)
    app.include_router(oai.router, dependencies=reading)
    check_every_route_is_guarded(app.routes)

    openapi = app.openapi

    def openapi_with_problems() -> dict[str, Any]:
        # Error answers are declared by hand as application/problem+json and refer to Problem.
        if app.openapi_schema is None:
            app.openapi_schema = add_security(
                add_problem_schemas(openapi()),
                app.routes,
                anonymous_read=settings.allow_anonymous_read,
            )
        return app.openapi_schema

    app.openapi = openapi_with_problems  # type: ignore[method-assign]
    return app


def create_app_from_environment() -> FastAPI:
    """The factory uvicorn workers call: settings from CATALOG_* variables."""
    settings = Settings()
    configure_logging(settings)
    app = create_app(settings)
    set_aside_start_up_objects()  # full collections made most of the slowest answers
    return app
