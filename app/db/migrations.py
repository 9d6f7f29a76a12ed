"""Alembic, driven from code: upgrade to head and tell where a database stands."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, create_engine

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = PROJECT_ROOT / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic Config for this project's migrations, independent of the working directory."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would read a "%" in a password as a placeholder.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the database at `url` to `revision`."""
    command.upgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    """The newest migration of this code."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The migration the database says it is at, or None if it has none."""
    return MigrationContext.configure(connection).get_current_revision()


def behind_by(url: str) -> tuple[str | None, str | None] | None:
    """(the database's migration, this code's newest) when the database at url is not at the
    newest, None when it is. The database must be reachable."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            current = current_revision(connection)
    finally:
        engine.dispose()
    head = head_revision()
    return None if current == head else (current, head)


def is_known(revision: str) -> bool:
    """Whether this code has the migration (a database upgraded by newer code may not)."""
    try:
        return ScriptDirectory(str(MIGRATIONS)).get_revision(revision) is not None
    except CommandError:
        return False
