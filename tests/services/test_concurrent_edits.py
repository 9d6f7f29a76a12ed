"""Two processes editing one record: the one that loses the race is told, and nothing is lost."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from app import marc
from app.db import migrations
from app.db.engine import create_database
from app.services.errors import VersionMismatch
from app.services.records import RecordService

from support import fresh_database_url, with_note

ONE = "iso2709/pymarc/one.dat"


def test_a_writer_that_lost_the_race_gets_version_mismatch(
    request: pytest.FixtureRequest, tmp_path: Path, corpus: Path
) -> None:
    # PostgreSQL only: SQLite writers take the file lock before reading, so they cannot interleave.
    url = fresh_database_url("postgresql", request, tmp_path)
    migrations.upgrade(url)
    slow, fast = create_database(url), create_database(url)
    clock = lambda: datetime.now(UTC)  # noqa: E731
    slow_service = RecordService(slow, org_code="VN-TEST", clock=clock)
    fast_service = RecordService(fast, org_code="VN-TEST", clock=clock)
    original = (corpus / ONE).read_bytes()
    record_id = slow_service.create(original, None).found.id
    # Each writes a change of its own: a record sent back as it is makes no version at all.
    mrk = marc.write(marc.read_one(original).record, marc.Format.MRK)
    slow_edit, fast_edit = (with_note(mrk, note) for note in ("Slow.", "Fast."))

    # Between the slow writer's read and its first write, another process commits version 2.
    raced = []

    @event.listens_for(slow.engine, "before_cursor_execute")
    def _race(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not raced and statement.lstrip().upper().startswith("UPDATE"):
            raced.append(True)
            fast_service.replace(record_id, fast_edit, None, expected_versions=frozenset({1}))

    try:
        with pytest.raises(VersionMismatch):
            slow_service.replace(record_id, slow_edit, None, expected_versions=frozenset({1}))

        assert raced == [True]
        assert [v.version for v in fast_service.versions(record_id)] == [1, 2]
        assert fast_service.get(record_id).version == 2
    finally:
        for database in (slow, fast):
            database.engine.dispose()  # type: ignore[union-attr]
