"""What an import does to each record before it needs the database, in whichever process.

Decoding, checking, summarising and making the stored forms of a record cost about four times
what writing it costs, and need nothing but the record: `Preparer` has them done in other
processes, a few batches ahead of the writer, and hands the batches back in file order. What
goes there is the bytes of each record (or the record, for formats cut only by parsing them);
what comes back is plain data. The result is the same with or without other processes.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

from app import marc
from app.db.identifiers import CONTENT_KEY, identifier_pairs, system_number_key
from app.imports.options import MatchPoint
from app.plain_data import PlainData
from app.services.prepared import PreparedRecord, accept, prepare_record

logger = logging.getLogger(__name__)

Piece = marc.RawRecord | marc.ParsedRecord | marc.MarcProblem
Key = tuple[str, str]
Tag = TypeVar("Tag")
_PARENT_CHECK_SECONDS = 1.0
# The writer is the one step that cannot be shared out: the processes preparing records for it
# yield the processor to it (and, in the API process, to requests) whenever both want it.
_WORKER_NICENESS = 5
# A batch crosses the pipes in 64 KB pieces, each read or written by a thread of this process
# that must take the interpreter lock back from the writer between pieces; at Python's default
# 5 ms a time, a preparing process spent a fifth of an import waiting on its pipe (100,000
# records on SQLite: 43-44 s at 5 ms, 38-40 s at 0.5 ms; bench/README.md).
SWITCH_INTERVAL_SECONDS = 0.0005


@dataclass(frozen=True, slots=True)
class Context:
    """What preparing a record depends on besides the record."""

    org_code: str
    match: tuple[MatchPoint, ...]
    # The number the record at position 0 would take were every record before it created:
    # the record at position p most likely takes one of as many digits as first_number + p.
    first_number: int = 1


@dataclass(frozen=True, slots=True)
class Prepared(PlainData):
    """One record of an upload, taken as far as it goes without the database.

    `record` is None when the record is rejected: `reason` says why, and `raw` holds it as
    ISO 2709 for the file of rejected records (None when it cannot be written out)."""

    position: int
    offset: int | None
    control_number: str | None
    isbn: str | None
    title: str | None
    reason: str | None
    raw: bytes | None
    keys: tuple[tuple[Key, ...], ...]  # the look-up keys of each match point, in order
    record: PreparedRecord | None

    @property
    def content_key(self) -> Key | None:
        """The key of the record's content fingerprint (see marc.content_fingerprint)."""
        return (CONTENT_KEY, self.record.form.fingerprint) if self.record is not None else None


def prepare(position: int, piece: Piece, context: Context) -> Prepared:
    """Prepare one record found at `position` of an upload."""
    parsed = marc.parse(piece) if isinstance(piece, marc.RawRecord) else piece
    if isinstance(parsed, marc.MarcProblem):
        # Not in the file of rejected records: every record there reads back as a record.
        return Prepared(position, parsed.offset, None, None, None, parsed.message, None, (), None)
    summary = marc.summarize(parsed.record)
    reported = (
        position,
        parsed.offset,
        _clip(summary.control_number, 300),
        summary.isbns[0] if summary.isbns else None,
        _clip(summary.title, 500),
    )
    try:
        record, _ = accept(parsed)
    except marc.InvalidRecord as invalid:
        reason = "; ".join(p.message for p in invalid.problems if p.severity == "error")
        try:
            written: bytes | None = marc.write(parsed.record, marc.Format.MRC)
        except marc.RecordTooLong:
            written = None
        return Prepared(*reported, reason, written, (), None)
    keys = tuple(match_keys(summary, point, org_code=context.org_code) for point in context.match)
    stored = prepare_record(
        record,
        org_code=context.org_code,
        summary=summary,
        number_width=len(str(context.first_number + position)),
        field_bytes=parsed.field_bytes,  # accept() hands back the record as read
    )
    return Prepared(*reported, None, None, keys, stored)


def prepare_batch(batch: list[tuple[int, Piece]], context: Context) -> list[Prepared]:
    """Prepare a batch of (position, piece), in order."""
    return [prepare(position, piece, context) for position, piece in batch]


def match_keys(summary: marc.RecordSummary, point: MatchPoint, *, org_code: str) -> tuple[Key, ...]:
    """The look-up keys of one match point of an incoming record."""
    if point is MatchPoint.CONTROL:
        number, org = summary.control_number, summary.control_number_org
        if not number:
            return ()
        if org == org_code:
            return (("id", number),) if number.isdigit() else ()
        # Stored in a 035 once numbered here (marc.assign_identity), and matched as one.
        key = system_number_key(f"({org}){number}" if org else number, summary.title)
        return (key,) if key else ()
    if point is MatchPoint.SYSTEM:
        found = (system_number_key(number, summary.title) for number in summary.control_numbers)
        return tuple(dict.fromkeys(key for key in found if key is not None))
    wanted = {MatchPoint.ISBN: "isbn", MatchPoint.ISSN: "issn", MatchPoint.LCCN: "lccn"}
    return tuple(pair for pair in identifier_pairs(summary) if pair[0] == wanted[point])


def _clip(text: str | None, length: int) -> str | None:
    return text[:length] if text is not None else None


class Preparer(Generic[Tag]):
    """Prepares batches in `processes` other processes (none: in this one), keeping up to
    `ahead` batches in flight; hands them back in the order given, each with its tag.

    With `share`, the calling process prepares a batch itself whenever the oldest one in flight
    is not ready, instead of waiting for it: the writer needs less than half the processor time
    preparing does, so on two cores a writer that only waited would leave one of them idle half
    the time. The batches still come back in the order given.

    A context manager: leaving it stops the processes, with whatever they had in hand."""

    def __init__(
        self, context: Context, *, processes: int, ahead: int, share: bool = False
    ) -> None:
        self._context = context
        self._ahead = max(ahead, 1)
        self._share = share
        self._processes = processes
        self._pool: ProcessPoolExecutor | None = None
        if processes > 0:
            # For the whole process and for good: a shorter interval costs threads that do not
            # wait on pipes almost nothing, and a process that imports once will again.
            sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_SECONDS))
            # spawn, not fork: the API process runs threads, and a forked child would inherit
            # their locks in whatever state they were.
            self._pool = ProcessPoolExecutor(
                processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )

    def __enter__(self) -> Preparer[Tag]:
        return self

    def __exit__(self, *_: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def prepared(
        self, batches: Iterator[tuple[Tag, list[tuple[int, Piece]]]]
    ) -> Iterator[tuple[Tag, list[Prepared]]]:
        """(tag, prepared batch) for each (tag, batch), in order."""
        pool = self._pool
        if pool is None:
            for tag, batch in batches:
                yield tag, prepare_batch(batch, self._context)
            return
        share = _Share(self._processes) if self._share else None
        # In file order: a batch in another process, or one this process has prepared.
        pending: deque[tuple[Tag, Future[list[Prepared]] | list[Prepared]]] = deque()
        source = iter(batches)
        exhausted = False
        # Batches ready but not handed out yet are held, so their number is bounded too.
        held = 2 * self._ahead + 1
        while True:
            # The other processes are kept busy: as many batches in hand there as `ahead` says.
            busy = sum(isinstance(item, Future) and not item.done() for _, item in pending)
            while not exhausted and busy < self._ahead and len(pending) < held:
                item = next(source, None)
                if item is None:
                    exhausted = True
                    break
                pending.append((item[0], pool.submit(prepare_batch, item[1], self._context)))
                busy += 1
            if not pending:
                return
            tag, head = pending[0]
            if isinstance(head, Future):
                if (
                    share is not None
                    and not exhausted
                    and not head.done()
                    and len(pending) < held
                    and share.wanted()
                ):
                    item = next(source, None)
                    if item is None:
                        exhausted = True
                    else:
                        pending.append((item[0], share.prepare(item[1], self._context)))
                    continue
                head = head.result()
            pending.popleft()
            if share is not None:
                share.handing_out()
            yield tag, head
            if share is not None:
                share.handed_back()


class _Share:
    """How much of the preparing the writer takes on: as much as leaves it as busy as each other
    process. Preparing a batch takes P seconds and writing one W; with k other processes, the
    writer's share f of the batches balances W + f·P against (1 - f)·P / k, so f is
    (P - k·W) / ((k + 1)·P), none when the writer is the slower already. P and W are measured
    as the import goes, so the share follows the machine and the records."""

    def __init__(self, processes: int) -> None:
        self._processes = processes
        self._here = 0
        self._preparing = 0.0
        self._handed = 0
        self._writing = 0.0
        self._since = 0.0

    def wanted(self) -> bool:
        """Whether the writer should prepare the next batch itself."""
        if self._here == 0 or self._handed == 0:
            return True  # a first measure of each
        prepare = self._preparing / self._here
        write = self._writing / self._handed
        share = (prepare - self._processes * write) / ((self._processes + 1) * prepare)
        return self._here < share * (self._handed + 1)

    def prepare(self, batch: list[tuple[int, Piece]], context: Context) -> list[Prepared]:
        started = time.perf_counter()
        prepared = prepare_batch(batch, context)
        self._preparing += time.perf_counter() - started
        self._here += 1
        return prepared

    def handing_out(self) -> None:
        self._since = time.perf_counter()

    def handed_back(self) -> None:
        self._writing += time.perf_counter() - self._since
        self._handed += 1


def _start_worker(parent: int) -> None:
    # A worker holds little beyond the batch in hand, and every batch becomes garbage at once:
    # the start-up objects are set aside, and collections run less often.
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    try:
        os.nice(_WORKER_NICENESS)
    except OSError:  # pragma: no cover - a system that refuses; the work is the same
        logger.debug("could not lower the priority of a preparing process")
    threading.Thread(target=_exit_with, args=(parent,), name="parent-watch", daemon=True).start()


def _exit_with(parent: int) -> None:
    """End this worker once its parent is gone (killed, say: SIGKILL runs no clean-up). The
    worker would otherwise wait for work forever, since it holds its own queue's write end."""
    while os.getppid() == parent:
        time.sleep(_PARENT_CHECK_SECONDS)
    os._exit(1)
