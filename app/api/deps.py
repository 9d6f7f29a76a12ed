"""Dependencies of the routers, as Annotated aliases."""

from typing import Annotated

from fastapi import Depends, Request

from app.db.engine import Database
from app.imports.service import ImportService
from app.services.records import RecordService
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


SettingsDep = Annotated[Settings, Depends(_settings)]
RecordServiceDep = Annotated[RecordService, Depends(_records)]
DatabaseDep = Annotated[Database, Depends(_database)]
ImportServiceDep = Annotated[ImportService, Depends(_imports)]
