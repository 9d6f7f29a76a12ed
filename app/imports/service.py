"""Import jobs: submit a file, let a worker load it in batches, read its progress and report.

A batch's record writes, its outcomes and the job's new position are one transaction: a
process killed at any moment leaves whole batches or none, and whoever takes the job over
starts at the first record not yet done, so nothing is written twice.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import BinaryIO, NamedTuple

from sqlalchemy.orm import Session

from app import marc
from app.db.engine import Database
from app.db.imports import ImportRepository
from app.db.models import ImportJob
from app.db.records import RecordRepository
from app.imports.options import Action, ImportOptions
from app.imports.prepare import Context, Piece, Prepared, Preparer
from app.imports.upload import PIECE_BYTES, UploadStream, record_streams
from app.marc.detect import HEAD_SIZE
from app.marc.streams import PrefixedStream
from app.services.errors import RecordDeleted, RecordNotFound, VersionMismatch
from app.services.records import (
    Applied,
    Change,
    Lookup,
    NewRecord,
    NewVersion,
    RecordService,
    Refused,
)

logger = logging.getLogger(__name__)
Clock = Callable[[], datetime]
# Below this, starting processes to prepare records costs more than it saves.
_SMALL_FILE_BYTES = 1024 * 1024
OUTCOMES = ("created", "updated", "unchanged", "duplicate", "ambiguous", "rejected")
_COUNTERS = {
    "created": "created",
    "updated": "updated",
    "unchanged": "unchanged",
    "duplicate": "duplicates",
    "ambiguous": "ambiguous",
    "rejected": "rejected",
}


class ImportNotFound(LookupError):
    def __init__(self, job_id: int) -> None:
        super().__init__(f"There is no import {job_id}.")
        self.job_id = job_id


@dataclass(frozen=True, slots=True)
class JobStatus:
    """An import as anyone may see it. `status` is queued, running, interrupted (its process
    stopped; another takes it over), done or failed."""

    id: int
    status: str
    filename: str | None
    format: str | None
    options: ImportOptions
    size_bytes: int
    bytes_done: int
    read: int
    created: int
    updated: int
    unchanged: int
    duplicates: int
    ambiguous: int
    rejected: int
    records_per_second: float | None
    seconds_left: float | None
    submitted_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None


# The report's columns, in order (the fields of Outcome).
REPORT_COLUMNS = (
    "position",
    "byte_offset",
    "control_number",
    "isbn",
    "title",
    "outcome",
    "reason",
    "record_id",
    "previous_version",
    "new_version",
    "file",
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one record of an upload."""

    position: int
    byte_offset: int | None
    control_number: str | None
    isbn: str | None
    title: str | None
    outcome: str
    reason: str | None
    record_id: int | None
    previous_version: int | None
    new_version: int | None
    file: str | None  # the record's file inside a zip; None for the upload itself


class _Source(NamedTuple):
    """Where the records of a batch come from: their pieces (kept for those that match a
    stored record), their files inside a zip, and how far into the upload the batch ends."""

    pieces: list[Piece]
    files: list[str | None]
    bytes_done: int = 0


@dataclass(slots=True)
class _Item:
    """One record of a batch on its way through the writer: prepared, then decided."""

    prepared: Prepared
    file: str | None
    outcome: str = "rejected"
    reason: str | None = None
    change: Change | None = None
    record_id: int | None = None
    previous_version: int | None = None
    new_version: int | None = None

    @property
    def position(self) -> int:
        return self.prepared.position


@dataclass(frozen=True, slots=True)
class Undone:
    """One record a revert could not put back, and why."""

    position: int
    record_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class RevertReport:
    """What a revert did: records tombstoned, records put back, and those left as they are."""

    job_id: int
    deleted: int
    restored: int
    refused: tuple[Undone, ...]


class ImportRefused(ValueError):
    """The job cannot do what was asked (revert a dry run, or a job not finished)."""


class ImportService:
    """Import jobs over one database, writing records through a RecordService."""

    def __init__(
        self,
        database: Database,
        records: RecordService,
        *,
        org_code: str,
        clock: Clock,
        batch_size: int = 500,
        stale_after: timedelta = timedelta(seconds=60),
        processes: int | None = None,
        writer_prepares: bool = False,
    ) -> None:
        """`processes`: how many other processes prepare records for each running job (see
        app.imports.prepare); None: one fewer than this machine has cores, at most two, and
        none for a file too small to repay starting them. `writer_prepares`: the writer
        prepares records too while it would wait for them (see Preparer), for a process that
        does nothing else; the API process leaves its processor time to requests."""
        self._db = database
        self._records = records
        self._org_code = org_code
        self._clock = clock
        self._batch_size = batch_size
        self._stale_after = stale_after
        self._processes = processes
        self._writer_prepares = writer_prepares

    # -- submitting and reading ---------------------------------------------------------------

    def submit_path(
        self, path: Path, *, fmt: marc.Format | None, options: ImportOptions
    ) -> JobStatus:
        """Record a job for a file on this machine, read where it lies, for `catalog import`
        to run here (take it with claim_job); workers elsewhere leave it alone."""
        with self._db.writer.begin() as session:
            job = ImportRepository(session).add_job(
                self._new_job(path.name, fmt, options, source_path=str(path.resolve()))
            )
            ImportRepository(session).update_job(job.id, size_bytes=path.stat().st_size)
            job_id = job.id
        return self.status(job_id)

    def _new_job(
        self,
        filename: str | None,
        fmt: marc.Format | None,
        options: ImportOptions,
        *,
        source_path: str | None = None,
    ) -> ImportJob:
        return ImportJob(
            status="queued",
            filename=filename[:500] if filename else None,
            source_path=source_path,
            format=fmt.value if fmt else None,
            options=options.to_json(),
            dry_run=options.dry_run,
            size_bytes=0,
            bytes_done=0,
            next_position=0,
            read=0,
            created=0,
            updated=0,
            unchanged=0,
            duplicates=0,
            ambiguous=0,
            rejected=0,
            busy_seconds=0.0,
            submitted_at=self._clock(),
        )

    def submit(
        self,
        source: BinaryIO,
        *,
        filename: str | None,
        fmt: marc.Format | None,
        options: ImportOptions,
    ) -> JobStatus:
        """Store the upload and queue its job; a worker loads it. Returns the job as queued."""
        with self._db.writer.begin() as session:
            repository = ImportRepository(session)
            job = repository.add_job(self._new_job(filename, fmt, options))
            size = 0
            for seq, piece in enumerate(iter(lambda: source.read(PIECE_BYTES), b"")):
                repository.add_upload_piece(job.id, seq, piece)
                size += len(piece)
            repository.update_job(job.id, size_bytes=size)
            job_id = job.id
        logger.info("import queued", extra={"job_id": job_id, "bytes": size})
        return self.status(job_id)

    def status(self, job_id: int) -> JobStatus:
        """The job now. Raises ImportNotFound."""
        with self._db.reader() as session:
            job = ImportRepository(session).job(job_id)
            if job is None:
                raise ImportNotFound(job_id)
            return self._status(job)

    def jobs(self, *, before: int | None = None, limit: int = 50) -> list[JobStatus]:
        """The newest jobs first."""
        with self._db.reader() as session:
            return [
                self._status(job)
                for job in ImportRepository(session).jobs(before=before, limit=limit)
            ]

    def _status(self, job: ImportJob) -> JobStatus:
        status = job.status
        stale = self._clock() - self._stale_after
        if status == "running" and job.heartbeat_at is not None and job.heartbeat_at < stale:
            status = "interrupted"
        rate = job.read / job.busy_seconds if job.busy_seconds > 0 and job.read else None
        left = None
        if status in ("running", "interrupted") and job.bytes_done and job.size_bytes:
            left = job.busy_seconds * (job.size_bytes - job.bytes_done) / job.bytes_done
        return JobStatus(
            id=job.id,
            status=status,
            filename=job.filename,
            format=job.format,
            options=ImportOptions.from_json(job.options, dry_run=job.dry_run),
            size_bytes=job.size_bytes,
            bytes_done=job.bytes_done,
            read=job.read,
            created=job.created,
            updated=job.updated,
            unchanged=job.unchanged,
            duplicates=job.duplicates,
            ambiguous=job.ambiguous,
            rejected=job.rejected,
            records_per_second=round(rate, 1) if rate is not None else None,
            seconds_left=round(max(left, 0.0), 1) if left is not None else None,
            submitted_at=job.submitted_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            error=job.error,
        )

    def outcomes(
        self, job_id: int, *, only: str | None = None, batch: int = 1000
    ) -> Iterator[Outcome]:
        """Every record's outcome in file order (only those of one kind, such as "rejected",
        with `only`), read a batch per short transaction."""
        self.status(job_id)
        after = -1
        while True:
            with self._db.reader() as session:
                rows = ImportRepository(session).outcomes(
                    job_id, after=after, limit=batch, outcome=only
                )
                found = [
                    Outcome(
                        position=row.position,
                        byte_offset=row.byte_offset,
                        file=row.file,
                        control_number=row.control_number,
                        isbn=row.isbn,
                        title=row.title,
                        outcome=row.outcome,
                        reason=row.reason,
                        record_id=row.record_id,
                        previous_version=row.previous_version,
                        new_version=row.new_version,
                    )
                    for row in rows
                ]
            yield from found
            if len(found) < batch:
                return
            after = found[-1].position

    def rejected_records(self, job_id: int, *, batch: int = 1000) -> Iterator[bytes]:
        """The rejected records as ISO 2709, to fix and send again (those too damaged to write
        out are only in the report)."""
        self.status(job_id)
        after = -1
        while True:
            with self._db.reader() as session:
                rows = ImportRepository(session).rejected(job_id, after=after, limit=batch)
            for _, raw in rows:
                yield raw
            if len(rows) < batch:
                return
            after = rows[-1][0]

    # -- undoing ------------------------------------------------------------------------------

    def revert(self, job_id: int) -> RevertReport:
        """Undo a finished job, as Koha's staged import does: the records it created become
        tombstones, the records it changed go back to their version before it. A record changed
        since (by anyone) is left as it is and reported, with the reason."""
        job = self.status(job_id)
        if job.options.dry_run:
            raise ImportRefused(f"import {job_id} was a dry run: it wrote nothing to undo")
        if job.status != "done":
            raise ImportRefused(f"import {job_id} is {job.status}; only a finished one is undone")
        deleted = restored = 0
        refused: list[Undone] = []
        for outcome in self.outcomes(job_id):
            if outcome.record_id is None or outcome.new_version is None:
                continue
            try:
                if outcome.outcome == "created":
                    self._records.delete(
                        outcome.record_id, expected_versions=frozenset({outcome.new_version})
                    )
                    deleted += 1
                elif outcome.outcome == "updated" and outcome.previous_version is not None:
                    self._records.restore(
                        outcome.record_id,
                        version=outcome.previous_version,
                        expected_current=outcome.new_version,
                    )
                    restored += 1
            except VersionMismatch as changed:
                refused.append(
                    Undone(
                        outcome.position,
                        outcome.record_id,
                        f"record {outcome.record_id} changed since the import (version "
                        f"{changed.current}, the import left {outcome.new_version}): kept",
                    )
                )
            except (RecordDeleted, RecordNotFound) as gone:
                refused.append(Undone(outcome.position, outcome.record_id, str(gone)))
        with self._db.writer.begin() as session:
            ImportRepository(session).update_job(
                job_id,
                status="reverted",
                error=f"{len(refused)} record(s) changed since were kept" if refused else None,
            )
        logger.info("import reverted", extra={"job_id": job_id, "refused": len(refused)})
        return RevertReport(job_id, deleted, restored, tuple(refused))

    # -- working --------------------------------------------------------------------------------

    def claim(self, worker: str) -> int | None:
        """Take the oldest job waiting (or left by a dead process) for this worker, or None."""
        with self._db.writer.begin() as session:
            repository = ImportRepository(session)
            now = self._clock()
            job_id = repository.claimable(stale_before=now - self._stale_after)
            if job_id is None:
                return None
            job = repository.job(job_id)
            assert job is not None
            repository.update_job(
                job_id,
                status="running",
                worker=worker[:200],
                heartbeat_at=now,
                started_at=job.started_at or now,
            )
        logger.info("import claimed", extra={"job_id": job_id, "worker": worker})
        return job_id

    def claim_job(self, job_id: int, worker: str) -> None:
        """Take one given job (`catalog import` takes the job it has just recorded)."""
        with self._db.writer.begin() as session:
            now = self._clock()
            ImportRepository(session).update_job(
                job_id, status="running", worker=worker[:200], heartbeat_at=now, started_at=now
            )

    def work_once(self, worker: str, *, stopping: Callable[[], bool] = lambda: False) -> bool:
        """Claim a job and run it to the end; False when no job was waiting."""
        job_id = self.claim(worker)
        if job_id is None:
            return False
        self.run(job_id, stopping=stopping)
        return True

    def run(
        self,
        job_id: int,
        *,
        stopping: Callable[[], bool] = lambda: False,
        on_batch: Callable[[JobStatus], None] | None = None,
    ) -> JobStatus:
        """Load a claimed job from its first record not yet done to the end of its file.

        When `stopping()` turns true, the job goes back to the queue after the current batch,
        for any worker to carry on from there. `on_batch` hears the job after each batch."""
        with self._db.reader() as session:
            job = ImportRepository(session).job(job_id)
            if job is None:
                raise ImportNotFound(job_id)
            size = job.size_bytes
            start = job.next_position
            fmt = marc.Format(job.format) if job.format else None
            options = ImportOptions.from_json(job.options, dry_run=job.dry_run)
            source_path = job.source_path
            # Numbers are the catalogue's next ones: the width of each is guessed from this.
            first_number = RecordRepository(session).highest_id() + 1 - start
        upload: BinaryIO | UploadStream
        if source_path is not None:
            upload = Path(source_path).open("rb")  # noqa: SIM115 - closed below
        else:
            upload = UploadStream(lambda seq: self._piece(job_id, seq), size)
        context = Context(org_code=self._org_code, match=options.match, first_number=first_number)
        try:
            with Preparer[_Source](
                context,
                processes=self._processes_for(size),
                ahead=2,
                share=self._writer_prepares,
            ) as preparer:
                detected: list[marc.Format] = []
                batches = self._todo(self._read(upload, fmt, detected.append), start, upload)
                lap = _Lap()
                for source, prepared in preparer.prepared(batches):
                    if stopping():
                        return self._finish(job_id, "queued", None)
                    if fmt is None and detected:
                        fmt = self._detected(job_id, detected[0])
                    self._load_batch(job_id, source, prepared, options, lap)
                    lap.next()
                    if on_batch is not None:
                        on_batch(self.status(job_id))
        except _Unreadable as unreadable:
            return self._finish(job_id, "failed", unreadable.reason)
        except Exception as error:
            logger.exception("import failed", extra={"job_id": job_id})
            return self._finish(job_id, "failed", f"the import stopped: {error}")
        finally:
            upload.close()
        return self._finish(job_id, "done", None)

    def _processes_for(self, size: int) -> int:
        if self._processes is not None:
            return self._processes
        if size < _SMALL_FILE_BYTES:
            return 0
        return max(0, min(2, (os.cpu_count() or 1) - 1))

    def _todo(
        self,
        items: Iterator[tuple[int, str | None, Piece]],
        start: int,
        upload: BinaryIO | UploadStream,
    ) -> Iterator[tuple[_Source, list[tuple[int, Piece]]]]:
        """The batches of (position, piece) from the first record not yet done, each tagged
        with where its records come from."""
        for batch in _batches(items, self._batch_size):
            if batch[-1][0] < start:
                continue
            todo = [item for item in batch if item[0] >= start]
            source = _Source([piece for *_, piece in todo], [file for _, file, _ in todo])
            yield source._replace(bytes_done=upload.tell()), [(p, piece) for p, _, piece in todo]

    def _piece(self, job_id: int, seq: int) -> bytes | None:
        with self._db.reader() as session:
            return ImportRepository(session).upload_piece(job_id, seq)

    def _detected(self, job_id: int, fmt: marc.Format) -> marc.Format:
        """Say in the job which format its upload was found in, for anyone asking, and for a
        resumed job to read it in."""
        with self._db.writer.begin() as session:
            ImportRepository(session).update_job(job_id, format=fmt.value)
        return fmt

    def _read(
        self,
        upload: BinaryIO | UploadStream,
        fmt: marc.Format | None,
        on_detected: Callable[[marc.Format], None] | None = None,
    ) -> Iterator[tuple[int, str | None, Piece]]:
        """(position, file, piece) of every record of every file in the upload: ISO 2709
        records cut but not decoded (the preparer decodes them), other formats read; the file
        is the record's file inside a zip, None for the upload itself. `on_detected` hears the
        format of an upload that is not a zip when none was given (a zip's files may differ)."""
        position = 0
        reader = _buffered(upload) if isinstance(upload, UploadStream) else upload
        for member, stream in record_streams(reader):
            records: BinaryIO | PrefixedStream = stream
            found = fmt
            if fmt is None and member is None and on_detected is not None:
                head = stream.read(HEAD_SIZE)
                records = PrefixedStream(head, stream)
                found = marc.detect_format(head)
                if found is not None:
                    on_detected(found)
            for item in marc.read_pieces(records, found):
                if isinstance(item, marc.MarcProblem) and item.code == "unreadable-file":
                    # Only an upload that cannot be read at all fails the job; one file of a
                    # zip that is not MARC (a README, say) is reported like a bad record.
                    if member is None:
                        raise _Unreadable(item.message)
                    item = dataclasses.replace(item, message=f"{member}: {item.message}")
                yield position, member, item
                position += 1

    def _finish(self, job_id: int, status: str, error: str | None) -> JobStatus:
        with self._db.writer.begin() as session:
            now = self._clock()
            if status in ("done", "failed"):
                ImportRepository(session).drop_upload(job_id)
            ImportRepository(session).update_job(
                job_id,
                status=status,
                error=error,
                finished_at=now if status in ("done", "failed") else None,
                heartbeat_at=now,
            )
        logger.info("import finished", extra={"job_id": job_id, "status": status})
        return self.status(job_id)

    # -- one batch ----------------------------------------------------------------------------

    def _load_batch(
        self,
        job_id: int,
        source: _Source,
        batch: list[Prepared],
        options: ImportOptions,
        lap: _Lap,
    ) -> None:
        items = [
            _Item(prepared, file, reason=prepared.reason)
            for prepared, file in zip(batch, source.files, strict=True)
        ]
        accepted = [item for item in items if item.prepared.record is not None]
        keys = {key for item in accepted for keys in item.prepared.keys for key in keys}
        keys |= {key for item in accepted if (key := item.prepared.content_key) is not None}
        lookup = self._records.lookup(keys) if keys and options.action is not Action.ADD else None
        pending: dict[tuple[str, str], int] = {}
        for item, piece in zip(items, source.pieces, strict=True):
            if item.prepared.record is not None:
                self._decide(item, piece, options, lookup, pending)
        changes = [item.change for item in items if item.change is not None and not options.dry_run]

        decided = {id(item): item.outcome for item in items}

        def then(session: Session, results: list[Applied | Refused]) -> None:
            # Called again when the batch is written a second time, one record at a time.
            changed = iter(results)
            for item in items:
                if item.change is None or options.dry_run:
                    continue
                item.outcome, item.reason = decided[id(item)], None
                result = next(changed)
                if isinstance(result, Refused):
                    item.outcome, item.reason, item.record_id = "rejected", result.reason, None
                    continue
                item.record_id = result.record_id
                item.previous_version = result.previous_version
                item.new_version = result.new_version
            self._report(session, job_id, items, source.bytes_done, lap.seconds())

        self._records.apply(changes, change_name="import", then=then)

    def _decide(
        self,
        item: _Item,
        piece: Piece,
        options: ImportOptions,
        lookup: Lookup | None,
        pending: dict[tuple[str, str], int],
    ) -> None:
        """Set what becomes of an accepted record: its outcome and the change to write."""
        prepared = item.prepared
        assert prepared.record is not None
        if options.action is Action.ADD or lookup is None:
            item.outcome, item.change = "created", NewRecord(prepared.record)
            return
        for keys in prepared.keys:
            earlier = next((pending[key] for key in keys if key in pending), None)
            matched = set().union(*(lookup.found.get(key, frozenset()) for key in keys))
            if earlier is not None and not matched:
                item.outcome = "duplicate"
                item.reason = f"the same record as the one at position {earlier} of this file"
                return
            if len(matched) > 1:
                numbers = ", ".join(str(n) for n in sorted(matched))
                item.outcome = "ambiguous"
                item.reason = f"matches records {numbers}; nothing was changed"
                return
            if matched:
                self._on_match(item, _incoming(piece), options, lookup, matched.pop())
                return
        # Matched on nothing asked for, it may still be a record sent before, word for word.
        same = prepared.content_key
        if same is not None and (found := lookup.found.get(same)):
            item.outcome, item.record_id = "unchanged", min(found)
            return
        if same is not None and same in pending:
            item.outcome = "duplicate"
            item.reason = f"the same record as the one at position {pending[same]} of this file"
            return
        item.outcome, item.change = "created", NewRecord(prepared.record)
        for key in [*(key for keys in prepared.keys for key in keys), *([same] if same else [])]:
            pending.setdefault(key, item.position)

    def _on_match(
        self,
        item: _Item,
        incoming: marc.Record,
        options: ImportOptions,
        lookup: Lookup,
        record_id: int,
    ) -> None:
        stored = lookup.records[record_id]
        item.record_id = record_id
        if options.action is Action.MERGE:
            incoming = marc.keep_local_fields(incoming, stored.record, options.keep)
        canonical = marc.assign_identity(
            incoming,
            control_number=str(record_id),
            org_code=self._org_code,
            timestamp=self._clock(),
        )
        if marc.same_content(canonical, stored.record):
            item.outcome, item.reason = "unchanged", None
            return
        if options.action is Action.SKIP:
            item.outcome = "duplicate"
            item.reason = f"matches record {record_id}, kept as it is (action skip)"
            return
        item.outcome = "updated"
        item.previous_version = stored.version
        item.change = NewVersion(record_id, stored.version, incoming)

    def _report(
        self, session: Session, job_id: int, items: list[_Item], bytes_done: int, seconds: float
    ) -> None:
        """Write the batch's outcomes and move the job on, in the batch's transaction."""
        repository = ImportRepository(session)
        repository.add_outcomes(
            [
                {
                    "job_id": job_id,
                    "position": item.position,
                    "byte_offset": item.prepared.offset,
                    "file": item.file,
                    "control_number": item.prepared.control_number,
                    "isbn": item.prepared.isbn,
                    "title": item.prepared.title,
                    "outcome": item.outcome,
                    "reason": item.reason,
                    "record_id": item.record_id,
                    "previous_version": item.previous_version,
                    "new_version": item.new_version,
                    # Kept for the rejected records only, to be sent back to be fixed.
                    "raw": item.prepared.raw if item.outcome == "rejected" else None,
                }
                for item in items
            ]
        )
        job = repository.job(job_id)
        assert job is not None
        counts = {name: getattr(job, name) for name in _COUNTERS.values()}
        for item in items:
            counts[_COUNTERS[item.outcome]] += 1
        repository.update_job(
            job_id,
            next_position=items[-1].position + 1 if items else job.next_position,
            read=job.read + len(items),
            bytes_done=bytes_done,
            heartbeat_at=self._clock(),
            busy_seconds=job.busy_seconds + seconds,
            **counts,
        )


class _Lap:
    """The time each batch of an import takes, for its rate and time left.

    A batch is reported inside the transaction that writes it, so its own commit comes after
    its report: each batch's time runs from the report of the one before, and takes in that
    commit, the reading and the preparing (here or in other processes), not only the writing.
    """

    def __init__(self) -> None:
        self._start = self._reported = time.perf_counter()

    def seconds(self) -> float:
        """The batch's time so far; asked again if the batch is written a second time."""
        self._reported = time.perf_counter()
        return self._reported - self._start

    def next(self) -> None:
        """The batch is written: the next one's time starts from its report."""
        self._start = self._reported


class _Unreadable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _incoming(piece: Piece) -> marc.Record:
    """The record of a piece the preparer accepted, read again (only matched records need it)."""
    parsed = marc.parse(piece) if isinstance(piece, marc.RawRecord) else piece
    assert isinstance(parsed, marc.ParsedRecord)
    return parsed.record


def _batches(
    items: Iterator[tuple[int, str | None, Piece]], size: int
) -> Iterator[list[tuple[int, str | None, Piece]]]:
    while batch := list(islice(items, size)):
        yield batch


def _buffered(upload: UploadStream) -> BinaryIO:
    """The upload behind a read buffer, as the MARC readers and gzip/zip expect."""
    return io.BufferedReader(upload, buffer_size=PIECE_BYTES)
