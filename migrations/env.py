"""Alembic environment: one metadata, batch mode on SQLite, the URL from settings or config."""

from alembic import context
from sqlalchemy import Connection

from app.db.engine import create_database
from app.db.models import Base
from app.settings import Settings

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or Settings().database_url


def _include_name(name: str | None, type_: str, parent_names: object) -> bool:
    # The search index is engine-specific (an FTS5 table and its shadow tables on SQLite);
    # migrations own it, the models do not describe it.
    return not (type_ == "table" and name is not None and name.startswith("record_search"))


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_name=_include_name,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    given: Connection | None = config.attributes.get("connection")
    if given is not None:
        _configure(given)
        with context.begin_transaction():
            context.run_migrations()
        return
    database = create_database(_url())
    with database.engine.connect() as connection:  # type: ignore[union-attr]
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    database.engine.dispose()  # type: ignore[union-attr]


if context.is_offline_mode():
    run_offline()
else:
    run_online()
