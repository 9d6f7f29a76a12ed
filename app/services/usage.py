"""Usage statistics: downloads counted in memory and added to the database in the background,
and the figures the national library reports (contributions, downloads, holdings)."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from app.db.engine import Database
from app.db.usage import UsageRepository
from app.services.access import Caller

logger = logging.getLogger(__name__)

DOWNLOADED = "downloaded"


class GroupBy(StrEnum):
    INSTITUTION = "institution"
    MONTH = "month"
    FORMAT = "format"


class UsageMeter:
    """Counts downloads in memory, per day, institution and format; `flush` stores them.

    Counting is a dictionary increment under a lock, so the download path never waits for the
    database; a process that dies loses at most one flush interval of counts."""

    def __init__(
        self,
        database: Database,
        *,
        enabled: bool = True,
        today: Callable[[], date] | None = None,
    ) -> None:
        self._db = database
        self._enabled = enabled
        # Days by the wall clock, not by the app's clock: tests step that one read by read.
        self._today = today or (lambda: datetime.now(UTC).date())
        self._lock = threading.Lock()
        self._counts: Counter[tuple[date, str, str]] = Counter()

    def downloaded(self, caller: Caller, fmt: str, records: int = 1) -> None:
        """Count `records` records sent to the caller in a format ("mrc", "sru", "oai", …)."""
        if records <= 0 or not self._enabled:
            return
        key = (self._today(), caller.institution_code or "", fmt)
        with self._lock:
            self._counts[key] += records

    def flush(self) -> int:
        """Add the counts so far to the database; return how many rows were written.

        On failure the counts go back into memory, to be tried again at the next flush."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
        if not counts:
            return 0
        try:
            with self._db.writer.begin() as session:
                UsageRepository(session).add_counts(
                    DOWNLOADED,
                    [(day, code, fmt, n) for (day, code, fmt), n in sorted(counts.items())],
                )
        except Exception:
            with self._lock:
                self._counts.update(counts)
            raise
        return len(counts)


class UsageFlusher:
    """A thread that flushes a meter every `interval` seconds, and once more when stopped."""

    def __init__(self, meter: UsageMeter, *, interval: float) -> None:
        self._meter = meter
        self._interval = interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="usage-flusher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=30)
        self._flush()

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            self._flush()

    def _flush(self) -> None:
        try:
            self._meter.flush()
        except Exception:
            logger.exception("usage counts not stored; kept for the next try")


@dataclass(frozen=True, slots=True)
class StatsRow:
    """One line of statistics: the group's key (institution code, "2026-11" or a format) and
    its figures. Contributions and holdings have no format: under group_by=format they are
    on the line whose key is None."""

    key: str | None
    contributed: int
    downloaded: int
    holdings: int


class StatsService:
    """The figures that show centralized cataloguing is used."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def stats(self, *, first: date, last: date, group_by: GroupBy) -> list[StatsRow]:
        """Records contributed (versions written, deletions aside), records downloaded and
        holdings set, from day `first` to day `last` included (UTC), grouped.

        Downloads are counted by the API processes and stored every few seconds, so the last
        few seconds may be missing; contributions and holdings come from the records."""
        start = datetime.combine(first, time(), tzinfo=UTC)
        end = datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC)
        figures: dict[str | None, list[int]] = {}

        def add(key: str | None, column: int, count: int) -> None:
            figures.setdefault(key, [0, 0, 0])[column] += count

        def key_of(day: date, code: str, fmt: str | None) -> str | None:
            if group_by is GroupBy.INSTITUTION:
                return code or None
            if group_by is GroupBy.MONTH:
                return f"{day.year:04d}-{day.month:02d}"
            return fmt or None

        with self._db.reader() as session:
            repository = UsageRepository(session)
            for day, code, count in repository.versions_written(start=start, end=end):
                add(key_of(day, code, None), 0, count)
            for day, code, fmt, count in repository.counted(DOWNLOADED, first=first, last=last):
                add(key_of(day, code, fmt), 1, count)
            for day, code, count in repository.holdings_set(start=start, end=end):
                add(key_of(day, code, None), 2, count)
        return [
            StatsRow(key=key, contributed=c, downloaded=d, holdings=h)
            for key, (c, d, h) in sorted(figures.items(), key=lambda item: item[0] or "")
        ]
