"""Dependencies of the routers, as Annotated aliases."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from app.cip.service import CipService
from app.db.engine import Database
from app.imports.service import ImportService
from app.services.holdings import HoldingService
from app.services.members import MemberService
from app.services.records import RecordService
from app.services.usage import StatsService, UsageMeter
from app.settings import Settings


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _records(request: Request) -> RecordService:
    service: RecordService = request.app.state.records
    return service


def _imports(request: Request) -> ImportService:
    service: ImportService = request.app.state.imports
    return service


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _members(request: Request) -> MemberService:
    service: MemberService = request.app.state.members
    return service


def _holdings(request: Request) -> HoldingService:
    service: HoldingService = request.app.state.holdings
    return service


def _stats(request: Request) -> StatsService:
    service: StatsService = request.app.state.stats
    return service


def _usage(request: Request) -> UsageMeter:
    meter: UsageMeter = request.app.state.usage
    return meter


def _cip(request: Request) -> CipService:
    service: CipService = request.app.state.cip
    return service


def _clock(request: Request) -> Callable[[], datetime]:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock


SettingsDep = Annotated[Settings, Depends(_settings)]
RecordServiceDep = Annotated[RecordService, Depends(_records)]
DatabaseDep = Annotated[Database, Depends(_database)]
ImportServiceDep = Annotated[ImportService, Depends(_imports)]
MemberServiceDep = Annotated[MemberService, Depends(_members)]
HoldingServiceDep = Annotated[HoldingService, Depends(_holdings)]
StatsServiceDep = Annotated[StatsService, Depends(_stats)]
UsageMeterDep = Annotated[UsageMeter, Depends(_usage)]
ClockDep = Annotated[Callable[[], datetime], Depends(_clock)]
CipServiceDep = Annotated[CipService, Depends(_cip)]
