"""Migrations build the schema the models describe, on both engines, down and up again."""

import re
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import inspect

from app.db import migrations
from app.db.engine import create_database

from support import ENGINES, fresh_database_url


@pytest.mark.parametrize("kind", ENGINES)
def test_upgrade_downgrade_upgrade_and_no_drift(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = fresh_database_url(kind, request, tmp_path)
    config = migrations.alembic_config(url)

    command.upgrade(config, "head")
    database = create_database(url)
    tables = set(inspect(database.engine).get_table_names())
    assert {"record", "record_version", "record_identifier", "alembic_version"} <= tables

    command.downgrade(config, "-1")
    command.upgrade(config, "head")
    try:
        command.check(config)  # raises when the models and the migrations disagree
    except CommandError as drift:  # pragma: no cover - the failure message is the point
        pytest.fail(f"models and migrations have drifted: {drift}")
    with database.reader() as session:
        assert migrations.current_revision(session.connection()) == migrations.head_revision()
    database.engine.dispose()  # type: ignore[union-attr]


def test_migration_files_are_named_by_date_and_say_why() -> None:
    scripts = ScriptDirectory(str(migrations.MIGRATIONS))
    revisions = list(scripts.walk_revisions())
    assert revisions
    for revision in revisions:
        assert revision.path is not None
        name = Path(revision.path).name
        assert re.match(r"^\d{8}_[a-z0-9_]+\.py$", name), name
        assert len(revision.longdoc or "") > 80, f"{name} needs a docstring saying why"
