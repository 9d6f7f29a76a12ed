"""A worker process killed with SIGKILL in the middle of an import: nothing half-written, and
another worker resumes the job without writing any record twice."""

import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db import migrations
from app.db.engine import create_database
from app.db.models import ImportOutcome, RecordIdentifier, RecordVersion, StoredRecord
from app.imports.options import ImportOptions
from app.imports.service import ImportService, JobStatus
from app.services.records import RecordService

from support import CORPUS, ENGINES, TEST_ORG, fresh_database_url

CATALOG = str(Path(sys.executable).with_name("catalog"))
STALE_SECONDS = 2


@pytest.fixture(params=ENGINES)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    found = fresh_database_url(request.param, request, tmp_path)
    migrations.upgrade(found)
    return found


def corpus_records(count: int = 1500) -> bytes:
    """Corpus ISO 2709 files end to end, until about `count` real records (some damaged)."""
    chunks: list[bytes] = []
    for path in sorted((CORPUS / "iso2709").rglob("*")):
        if path.is_file() and sum(chunk.count(b"\x1d") for chunk in chunks) < count:
            chunks.append(path.read_bytes())
    return b"".join(chunks)


@pytest.fixture
def service(url: str) -> Iterator[ImportService]:
    database = create_database(url)
    records = RecordService(database, org_code=TEST_ORG, clock=lambda: datetime.now(UTC))
    yield ImportService(
        database,
        records,
        org_code=TEST_ORG,
        clock=lambda: datetime.now(UTC),
        stale_after=timedelta(seconds=STALE_SECONDS),
    )
    database.engine.dispose()  # type: ignore[union-attr]


def start_worker(url: str, log: Path) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "CATALOG_DATABASE_URL": url,
        "CATALOG_MARC_ORG_CODE": TEST_ORG,
        "CATALOG_IMPORT_STALE_SECONDS": str(STALE_SECONDS),
        "CATALOG_IMPORT_BATCH_SIZE": "100",
    }
    with log.open("ab") as sink:
        return subprocess.Popen([CATALOG, "worker"], env=environment, stdout=sink, stderr=sink)


def wait_for(check: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_sigkill_mid_import_then_resume(url: str, service: ImportService, tmp_path: Path) -> None:
    job = service.submit(
        io.BytesIO(corpus_records()), filename="corpus.mrc", fmt=None, options=ImportOptions()
    )
    log = tmp_path / "worker.log"
    first = start_worker(url, log)
    try:
        wait_for(lambda: service.status(job.id).read >= 300, "the first worker to get going")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    killed_at = service.status(job.id)
    assert killed_at.status in ("running", "interrupted"), log.read_text()
    assert killed_at.read < 1200, "the file loaded before the kill; make it bigger"

    database = create_database(url)
    try:
        # Whole batches or nothing: every stored record has its version, its identifiers and
        # its outcome, and the job's counts say exactly what the outcomes say.
        with database.reader() as session:
            records = session.scalar(select(func.count()).select_from(StoredRecord))
            versions = session.scalar(select(func.count()).select_from(RecordVersion))
            outcomes = session.scalar(
                select(func.count())
                .select_from(ImportOutcome)
                .where(ImportOutcome.job_id == job.id)
            )
            unindexed = session.scalar(
                select(func.count())
                .select_from(StoredRecord)
                .where(~StoredRecord.id.in_(select(RecordIdentifier.record_id)))
            )
        assert records == versions == killed_at.created
        assert outcomes == killed_at.read
        assert unindexed == 0

        wait_for(lambda: service.status(job.id).status == "interrupted", "the job to go stale")
        second = start_worker(url, log)
        try:
            wait_for(lambda: service.status(job.id).status == "done", "the second worker")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
        done: JobStatus = service.status(job.id)
        positions = [o.position for o in service.outcomes(job.id)]
        assert positions == list(range(done.read))
        created = [o.record_id for o in service.outcomes(job.id) if o.outcome == "created"]
        assert len(created) == len(set(created)) == done.created
        with database.reader() as session:
            assert session.scalar(select(func.count()).select_from(StoredRecord)) == done.created
        assert done.read > killed_at.read
        assert done.created + done.unchanged + done.duplicates + done.rejected == done.read
    finally:
        database.engine.dispose()  # type: ignore[union-attr]
