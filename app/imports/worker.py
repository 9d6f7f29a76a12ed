"""Background workers that load queued imports: threads in the API process, or `catalog worker`."""

from __future__ import annotations

import logging
import os
import socket
import threading

from app.imports.service import ImportService

logger = logging.getLogger(__name__)


def worker_name(number: int = 0) -> str:
    """host:pid:n, so a job's `worker` says which process on which machine has it."""
    return f"{socket.gethostname()}:{os.getpid()}:{number}"


# While the database is unreachable, a worker waits twice as long after each failure, up to this.
MAX_RETRY_SECONDS = 60.0


def retry_delay(poll_seconds: float, failures: int) -> float:
    """Seconds to wait after this many failures in a row: the poll interval, doubled after each
    failure, up to MAX_RETRY_SECONDS (the exponent capped too, so a day-long outage cannot
    overflow it)."""
    return min(poll_seconds * 2.0 ** min(failures - 1, 32), MAX_RETRY_SECONDS)


class ImportWorker:
    """Takes queued (or abandoned) jobs one after another until stopped."""

    def __init__(self, service: ImportService, *, name: str, poll_seconds: float = 1.0) -> None:
        self._service = service
        self._name = name
        self._poll_seconds = poll_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        """Work in this thread until stop() is called.

        An error (the database gone, say) does not end the worker: the job stays claimable and
        the worker tries again, less and less often, logging the first error in full and the
        others in a line each, so a database down for an hour leaves a readable log."""
        failures = 0
        while not self._stopping.is_set():
            try:
                worked = self._service.work_once(self._name, stopping=self._stopping.is_set)
            except Exception as error:
                failures += 1
                extra = {"worker": self._name, "failures": failures}
                if failures == 1:
                    logger.exception("import worker error", extra=extra)
                else:
                    logger.warning("import worker error again: %s", error, extra=extra)
                self._stopping.wait(retry_delay(self._poll_seconds, failures))
                continue
            if failures:
                logger.info("import worker working again", extra={"worker": self._name})
                failures = 0
            if not worked:
                self._stopping.wait(self._poll_seconds)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the worker to stop after its current batch (its job goes back to the queue),
        and wait a while. A job whose process dies instead is taken over by another worker once
        its heartbeat is old: nothing written is lost, nothing is written twice."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
