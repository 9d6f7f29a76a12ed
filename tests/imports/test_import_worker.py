"""An import worker outlives a database that goes away, and says so without flooding the log."""

import logging
import threading
from collections.abc import Callable
from typing import cast

import pytest

from app.imports.service import ImportService
from app.imports.worker import MAX_RETRY_SECONDS, ImportWorker, retry_delay


class _Unreachable:
    """Stands in for ImportService.work_once while the database is down for `failures` calls."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.answered = threading.Event()

    def work_once(self, name: str, *, stopping: Callable[[], bool]) -> bool:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionRefusedError("connection to server at 127.0.0.1 refused")
        self.answered.set()
        return False


def test_a_worker_retries_less_and_less_often_and_logs_the_first_error_in_full(
    caplog: pytest.LogCaptureFixture,
) -> None:
    down = _Unreachable(failures=6)
    worker = ImportWorker(cast(ImportService, down), name="test:1:0", poll_seconds=0.001)
    caplog.set_level(logging.INFO, logger="app.imports.worker")
    worker.start()
    assert down.answered.wait(timeout=10)
    worker.stop()

    records = [r for r in caplog.records if getattr(r, "worker", None) == "test:1:0"]
    errors = [r for r in records if r.levelno >= logging.WARNING]
    assert len(errors) == 6
    assert errors[0].exc_info is not None  # the first in full
    assert all(r.exc_info is None and "refused" in r.getMessage() for r in errors[1:])
    assert [getattr(r, "failures", None) for r in errors] == [1, 2, 3, 4, 5, 6]
    assert any(r.getMessage() == "import worker working again" for r in records)


def test_the_wait_between_retries_doubles_up_to_a_minute_however_long_the_outage() -> None:
    assert [retry_delay(1.0, n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 32, MAX_RETRY_SECONDS]
    assert retry_delay(1.0, 100_000) == MAX_RETRY_SECONDS  # a day down at one try a minute
    assert retry_delay(0.001, 3) == 0.004
