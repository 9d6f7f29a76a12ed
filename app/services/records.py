"""Record use-cases: create, read, replace, delete, versions, diff, look-up, validate, import."""

import dataclasses
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app import marc
from app.db.engine import Database
from app.db.models import RecordVersion, StoredRecord
from app.db.records import RecordRepository
from app.search.backend import backend_for
from app.search.collation import title_sort_key
from app.search.document import SearchDocument, search_document
from app.search.query import SearchQuery
from app.search.searcher import COUNT_BOUND, RANK_WINDOW, Facets, Searcher, Sort
from app.services.access import Caller, NotAllowed
from app.services.errors import (
    RecordDeleted,
    RecordNotFound,
    VersionMismatch,
    VersionNotFound,
)
from app.services.prepared import PreparedRecord, accept, prepare_record

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]

ACTIVE = "active"
DELETED = "deleted"
# A cataloguing-in-publication record: approved before the book is printed, live and
# searchable (leader/17 '8'), upgraded to ACTIVE once the book is out.
CIP = "cip"
# An export reads its records in batches, each a short transaction of its own (see export).
# A batch costs a round trip and a transaction whatever its size: PostgreSQL's whole .mrc
# export of a million records, through HTTP, took 5.8 s in batches of 1,000 records and 4.7 s
# in batches of 5,000 (SQLite 4.0 and 3.6 s; curl, one-off). Sized by bytes, so that records
# of 99,999 bytes each make batches of a few MB, not of hundreds.
EXPORT_BATCH_BYTES = 8 * 1024 * 1024
EXPORT_BATCH_RECORDS = (100, 5000)  # the fewest records a batch (the first) and the most


@dataclass(frozen=True, slots=True)
class FoundRecord:
    """A record as stored at one version, with what the catalogue knows about it."""

    id: int
    version: int
    status: str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    record: marc.Record
    summary: marc.RecordSummary
    iso2709: bytes | None  # None when the record is too long for ISO 2709


@dataclass(frozen=True, slots=True)
class SavedRecord:
    """The outcome of a write: the record as stored and the warnings it was stored with."""

    found: FoundRecord
    warnings: tuple[marc.MarcProblem, ...]


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One entry of a record's history."""

    version: int
    status: str
    change: str
    created_at: datetime
    created_by: str | None


@dataclass(frozen=True, slots=True)
class VersionDiff:
    """What changed from one version of a record to another."""

    from_version: int
    to_version: int
    changes: tuple[marc.FieldChange, ...]


@dataclass(frozen=True, slots=True)
class RecordPage:
    """One page of a search; `next_key` is None on the last page.

    `total` and `facets` are None unless asked for; `total_exact` is False when more records
    match than are counted (the total is then a lower bound, and facets count those only)."""

    items: tuple[FoundRecord, ...]
    next_key: dict[str, Any] | None
    total: int | None = None
    total_exact: bool = True
    facets: Facets | None = None


@dataclass(frozen=True, slots=True)
class RecordSlice:
    """Some records of a result by position, and how many records match in all."""

    total: int
    items: tuple[FoundRecord, ...]


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """What validate found; `summary` is None when the record could not be read."""

    problems: tuple[marc.MarcProblem, ...]
    summary: marc.RecordSummary | None

    @property
    def valid(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


@dataclass(slots=True)
class ImportOutcome:
    """Counts and rejections of a plain import."""

    read: int = 0
    created: int = 0
    rejected: list[marc.MarcProblem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StoredCopy:
    """A live record as stored now, for comparing and merging with an incoming one."""

    id: int
    version: int
    record: marc.Record


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a batch of look-up keys found: the live records each key names, and those records.

    Keys are (scheme, value) as app.db.identifiers stores them, and ("id", number) for this
    catalogue's own record numbers."""

    found: dict[tuple[str, str], frozenset[int]]
    records: dict[int, StoredCopy]


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A record to store under a new number, as it is or already prepared (prepare_record)."""

    record: marc.Record | PreparedRecord


@dataclass(frozen=True, slots=True)
class NewVersion:
    """A new version of a live record, if it is still at `expected_version`."""

    record_id: int
    expected_version: int
    record: marc.Record


Change = NewRecord | NewVersion


@dataclass(frozen=True, slots=True)
class Applied:
    """A change written: the record's number and its version before (None: new) and after."""

    record_id: int
    previous_version: int | None
    new_version: int


@dataclass(frozen=True, slots=True)
class Refused:
    """A change not written, and why (the record changed since, or the database refused it)."""

    reason: str


@dataclass(frozen=True, slots=True)
class _Written:
    record: marc.Record  # canonical: 001/003/005 assigned
    columns: dict[str, Any]
    identifiers: tuple[tuple[str, str], ...]
    document: SearchDocument


def _batch_for_bytes(rows: Sequence[Any]) -> int:
    """How many records of the size of these (id, *stored forms) rows make a batch of about
    EXPORT_BATCH_BYTES, within EXPORT_BATCH_RECORDS."""
    held = sum(len(value) for row in rows for value in row[1:] if value is not None)
    fewest, most = EXPORT_BATCH_RECORDS
    return max(fewest, min(most, EXPORT_BATCH_BYTES * len(rows) // max(held, 1)))


def _record_from_json(text: str) -> marc.Record:
    return marc.read_one(text.encode("utf-8"), marc.Format.JSON).record


def _iso2709_or_none(record: marc.Record) -> bytes | None:
    try:
        return marc.write(record, marc.Format.MRC)
    except marc.RecordTooLong:
        return None


def _stored_columns(record_id: int, prepared: PreparedRecord, stamp: str) -> dict[str, Any]:
    """The columns of a record stored under this number, its 005 `stamp`."""
    number = str(record_id)
    return {
        "marc_json": prepared.form.json(number, stamp),
        "marc": prepared.form.iso2709(number, stamp),
        **prepared.columns,
    }


class RecordService:
    """The record use-cases over one database."""

    def __init__(
        self,
        database: Database,
        *,
        org_code: str,
        clock: Clock,
        search_count_bound: int = COUNT_BOUND,
        search_rank_window: int = RANK_WINDOW,
    ) -> None:
        self._db = database
        self._org_code = org_code
        self._clock = clock
        self._searcher = Searcher(
            backend_for(database.dialect),
            org_code=org_code,
            count_bound=search_count_bound,
            rank_window=search_rank_window,
        )

    @property
    def database(self) -> Database:
        """The database this service writes to (other use-cases share its transactions)."""
        return self._db

    def _now(self, session: Session) -> datetime:
        """The time of a write, read once the transaction holds its connection.

        On SQLite that is after the write lock, so timestamps follow commit order and a client
        paging with updated_since cannot be passed by an earlier-stamped commit."""
        session.connection()
        return self._clock()

    # -- reading and checking input -------------------------------------------------------

    def accept(self, parsed: marc.ParsedRecord) -> tuple[marc.Record, tuple[marc.MarcProblem, ...]]:
        """The record and its warnings if it may be stored; raises InvalidRecord if not."""
        return accept(parsed)

    def validate(self, payload: bytes, fmt: marc.Format | None) -> ValidationReport:
        """Report every problem of a record without storing anything."""
        try:
            parsed = marc.read_one(payload, fmt)
        except marc.UnreadableRecord as error:
            return ValidationReport(problems=(error.problem,), summary=None)
        problems = parsed.warnings + marc.validate(parsed.record, normalized=True)
        return ValidationReport(
            problems=tuple(p.at(parsed.position) for p in problems),
            summary=marc.summarize(parsed.record),
        )

    # -- writing ----------------------------------------------------------------------------

    def _write_current(
        self,
        session: Session,
        row: StoredRecord,
        record: marc.Record,
        *,
        now: datetime,
        new: bool = False,
    ) -> marc.Record:
        written = self._written(row.id, record, now)
        for name, value in written.columns.items():
            setattr(row, name, value)
        row.updated_at = now
        RecordRepository(session).set_identifiers(row, written.identifiers, new=new)
        self._searcher.backend.store(session, [written.document], new=new)
        return written.record

    def _written(self, record_id: int, record: marc.Record, now: datetime) -> _Written:
        """Everything stored for a record under its number, computed once, for any writer."""
        prepared = prepare_record(record, org_code=self._org_code, number_width=len(str(record_id)))
        return _Written(
            # The answer's leader tells the lengths of the record as numbered and stored.
            record=marc.set_iso2709_lengths(
                marc.assign_identity(
                    record, control_number=str(record_id), org_code=self._org_code, timestamp=now
                )
            ),
            columns=_stored_columns(record_id, prepared, marc.format_005(now)),
            identifiers=prepared.identifiers,
            document=dataclasses.replace(prepared.document, record_id=record_id),
        )

    def _add_version(
        self, session: Session, row: StoredRecord, change: str, author: Caller | None = None
    ) -> None:
        RecordRepository(session).add_version(
            RecordVersion(
                record_id=row.id,
                version=row.version,
                status=row.status,
                change=change,
                marc_json=None,  # the record's own, while this version is current
                created_at=row.updated_at,
                created_by=author.name if author is not None else None,
                institution_id=author.institution_id if author is not None else None,
                api_key_id=author.key_id if author is not None else None,
            )
        )

    @staticmethod
    def _next_version(session: Session, row: StoredRecord) -> None:
        """Make way for a new version of a row as read: the version now current keeps its
        text (see RecordVersion), and the row's number moves on."""
        RecordRepository(session).supersede(row)
        row.version += 1

    def _attributed(
        self, record: marc.Record, author: Caller | None, *, created: bool
    ) -> marc.Record:
        """The record with its author's institution in 040 (the catalogue's code for the
        command line); as it came when nobody is named (loading the catalogue's own data)."""
        if author is None:
            return record
        return marc.attribute(record, author.institution_code or self._org_code, created=created)

    def _editable_row(
        self,
        session: Session,
        record_id: int,
        author: Caller | None,
        expected_versions: frozenset[int] | None,
    ) -> StoredRecord:
        """The live row, if the author may change it and it is at an expected version.

        Raises RecordNotFound, RecordDeleted, NotAllowed or VersionMismatch."""
        row = self._live_row(session, record_id)
        self._check_may_edit(row, author)
        if expected_versions is not None and row.version not in expected_versions:
            raise VersionMismatch(record_id, expected=expected_versions, current=row.version)
        return row

    @staticmethod
    def _check_may_edit(row: StoredRecord, author: Caller | None) -> None:
        if author is not None and not author.may_edit(row.institution_id):
            raise NotAllowed(
                f"Record {row.id} was created by another institution; a {author.role} key may "
                "change only its own institution's records (a cataloguer's may change any)."
            )

    def _insert(
        self,
        session: Session,
        record: marc.Record,
        now: datetime,
        author: Caller | None = None,
    ) -> tuple[StoredRecord, marc.Record]:
        row = RecordRepository(session).add(
            StoredRecord(
                version=1,
                status=ACTIVE,
                marc_json="{}",
                record_type="  ",
                created_at=now,
                updated_at=now,
                institution_id=author.institution_id if author is not None else None,
            )
        )
        canonical = self._write_current(session, row, record, now=now, new=True)
        self._add_version(session, row, "create", author)
        return row, canonical

    def create(
        self, payload: bytes, fmt: marc.Format | None, *, author: Caller | None = None
    ) -> SavedRecord:
        """Store a new record and give it its number; `author` is named in 040 and its
        version, and owns the record.

        Raises UnreadableRecord or InvalidRecord (nothing stored) when the payload is not one
        acceptable record."""
        record, warnings = self.accept(marc.read_one(payload, fmt))
        warnings += self._copy_warning(record)
        record = self._attributed(record, author, created=True)
        with self._db.writer.begin() as session:
            now = self._now(session)
            row, canonical = self._insert(session, record, now, author)
            found = self._found(row, canonical)
        logger.info("record created", extra={"record_id": found.id})
        return SavedRecord(found=found, warnings=warnings)

    def _copy_warning(self, record: marc.Record) -> tuple[marc.MarcProblem, ...]:
        """Warn when a new record is a copy of one of ours: probably an edit sent as a new one."""
        origin = marc.summarize(record)
        if origin.control_number_org != self._org_code or not origin.control_number:
            return ()
        message = (
            f"this record came from this catalogue as record {origin.control_number} (001/003); "
            "it was stored as a new record. To change that record, replace it instead."
        )
        return (
            marc.MarcProblem(
                code="copy-of-catalogue-record",
                message=message,
                position=0,
                tag="001",
                severity="warning",
            ),
        )

    def replace(
        self,
        record_id: int,
        payload: bytes,
        fmt: marc.Format | None,
        *,
        expected_versions: frozenset[int] | None,
        author: Caller | None = None,
    ) -> SavedRecord:
        """Replace a record with a new version, if it is still at one of `expected_versions`.

        None replaces whatever version is current (HTTP's If-Match: *). The author is appended
        to 040 as a modifying agency and named in the version. A record that says what the
        current version says (005 and 040 aside, as an import's "unchanged") is no new version:
        the current one is the answer.

        Raises RecordNotFound, RecordDeleted, NotAllowed (the author may not change it),
        VersionMismatch (nothing changed), or the input errors of create."""
        record, warnings = self.accept(marc.read_one(payload, fmt))
        record = self._attributed(record, author, created=False)
        try:
            with self._db.writer.begin() as session:
                now = self._now(session)
                row = self._editable_row(session, record_id, author, expected_versions)
                numbered = marc.assign_identity(
                    record, control_number=str(record_id), org_code=self._org_code, timestamp=now
                )
                current = _record_from_json(row.marc_json)
                if marc.same_content(numbered, current):
                    return SavedRecord(found=self._found(row, current), warnings=warnings)
                self._next_version(session, row)
                canonical = self._write_current(session, row, record, now=now)
                self._add_version(session, row, "update", author)
                session.flush()
                found = self._found(row, canonical)
        except StaleDataError as error:
            # Another process committed a new version between our read and our write.
            raise VersionMismatch(
                record_id, expected=expected_versions or frozenset(), current=None
            ) from error
        logger.info("record replaced", extra={"record_id": record_id, "version": found.version})
        return SavedRecord(found=found, warnings=warnings)

    def delete(
        self,
        record_id: int,
        *,
        expected_versions: frozenset[int] | None,
        author: Caller | None = None,
    ) -> FoundRecord:
        """Leave a tombstone: the record answers 410 from now on; its history stays."""
        try:
            with self._db.writer.begin() as session:
                now = self._now(session)
                row = self._editable_row(session, record_id, author, expected_versions)
                self._next_version(session, row)
                tombstone = marc.mark_deleted(_record_from_json(row.marc_json), now)
                row.marc_json = json.dumps(marc.to_json(tombstone), ensure_ascii=False)
                row.marc = _iso2709_or_none(tombstone)
                row.status = DELETED
                row.deleted_at = now
                row.updated_at = now
                self._add_version(session, row, "delete", author)
                session.flush()
                found = self._found(row)
        except StaleDataError as error:
            raise VersionMismatch(
                record_id, expected=expected_versions or frozenset(), current=None
            ) from error
        logger.info("record deleted", extra={"record_id": record_id})
        return found

    # -- reading ----------------------------------------------------------------------------

    def _live_row(self, session: Session, record_id: int) -> StoredRecord:
        row = RecordRepository(session).get(record_id)
        if row is None:
            raise RecordNotFound(record_id)
        if row.deleted_at is not None:
            raise RecordDeleted(record_id, row.deleted_at)
        return row

    def _found(self, row: StoredRecord, record: marc.Record | None = None) -> FoundRecord:
        """The row as plain data; `record` spares decoding the stored JSON once more."""
        record = record if record is not None else _record_from_json(row.marc_json)
        return FoundRecord(
            id=row.id,
            version=row.version,
            status=row.status,
            created_at=row.created_at,
            updated_at=row.updated_at,
            deleted_at=row.deleted_at,
            record=record,
            summary=marc.summarize(record),
            iso2709=row.marc,
        )

    def add(
        self,
        record: marc.Record,
        *,
        author: Caller,
        status: str = ACTIVE,
        then: Callable[[Session, int], None] | None = None,
    ) -> FoundRecord:
        """Store a record built by the service itself (a CIP record) under a new number, and
        `then` in the same transaction; raises InvalidRecord if it does not validate."""
        problems = marc.validate(record)
        if any(p.severity == "error" for p in problems):
            raise marc.InvalidRecord(problems)
        record = self._attributed(record, author, created=True)
        with self._db.writer.begin() as session:
            now = self._now(session)
            row, canonical = self._insert(session, record, now, author)
            row.status = status
            self._latest_version(session, row).status = status
            if then is not None:
                then(session, row.id)
            return self._found(row, canonical)

    def publish(
        self,
        record_id: int,
        facts: marc.PublicationFacts,
        *,
        author: Caller,
        expected_versions: frozenset[int] | None = None,
        then: Callable[[Session, FoundRecord], None] | None = None,
    ) -> FoundRecord:
        """Upgrade a prepublication (CIP) record with the facts of the printed book: a new
        version of the same record, so whoever took the CIP version finds the upgrade; `then`
        runs in the same transaction.

        Raises NotPrepublication when the record is not a CIP record, and what replace does."""
        try:
            with self._db.writer.begin() as session:
                now = self._now(session)
                row = self._editable_row(session, record_id, author, expected_versions)
                upgraded = marc.publish_record(_record_from_json(row.marc_json), facts)
                upgraded = self._attributed(upgraded, author, created=False)
                self._next_version(session, row)
                row.status = ACTIVE
                canonical = self._write_current(session, row, upgraded, now=now)
                self._add_version(session, row, "publish", author)
                session.flush()
                found = self._found(row, canonical)
                if then is not None:
                    then(session, found)
        except StaleDataError as error:
            raise VersionMismatch(
                record_id, expected=expected_versions or frozenset(), current=None
            ) from error
        logger.info("CIP record published", extra={"record_id": record_id})
        return found

    @staticmethod
    def _latest_version(session: Session, row: StoredRecord) -> RecordVersion:
        session.flush()
        version = RecordRepository(session).version(row.id, row.version)
        assert version is not None  # just written
        return version

    def get(self, record_id: int) -> FoundRecord:
        """Return the current version. Raises RecordNotFound, or RecordDeleted for a tombstone."""
        with self._db.reader() as session:
            return self._found(self._live_row(session, record_id))

    def versions(self, record_id: int) -> tuple[VersionInfo, ...]:
        """Return a record's history, oldest first; tombstoned records keep theirs."""
        with self._db.reader() as session:
            if RecordRepository(session).get(record_id) is None:
                raise RecordNotFound(record_id)
            return tuple(
                VersionInfo(
                    version=v.version,
                    status=v.status,
                    change=v.change,
                    created_at=v.created_at,
                    created_by=v.created_by,
                )
                for v in RecordRepository(session).versions(record_id)
            )

    def version(self, record_id: int, number: int) -> FoundRecord:
        """Return the record as it was at one version. Raises RecordNotFound, VersionNotFound."""
        with self._db.reader() as session:
            repository = RecordRepository(session)
            row = repository.get(record_id)
            if row is None:
                raise RecordNotFound(record_id)
            stored = repository.version(record_id, number)
            if stored is None:
                raise VersionNotFound(record_id, number)
            record = _record_from_json(repository.version_json(stored, row))
            return FoundRecord(
                id=record_id,
                version=stored.version,
                status=stored.status,
                created_at=row.created_at,
                updated_at=stored.created_at,
                deleted_at=stored.created_at if stored.status == DELETED else None,
                record=record,
                summary=marc.summarize(record),
                iso2709=_iso2709_or_none(record),
            )

    def restore(self, record_id: int, *, version: int, expected_current: int) -> FoundRecord:
        """Make an earlier version current again, as a new version ("revert"), if the record is
        still at `expected_current`. Raises RecordNotFound, RecordDeleted, VersionNotFound,
        VersionMismatch."""
        try:
            with self._db.writer.begin() as session:
                now = self._now(session)
                row = self._live_row(session, record_id)
                if row.version != expected_current:
                    raise VersionMismatch(
                        record_id, expected=frozenset({expected_current}), current=row.version
                    )
                repository = RecordRepository(session)
                earlier = repository.version(record_id, version)
                if earlier is None:
                    raise VersionNotFound(record_id, version)
                text = repository.version_json(earlier, row)
                self._next_version(session, row)
                canonical = self._write_current(session, row, _record_from_json(text), now=now)
                self._add_version(session, row, "revert")
                session.flush()
                return self._found(row, canonical)
        except StaleDataError as error:
            raise VersionMismatch(
                record_id, expected=frozenset({expected_current}), current=None
            ) from error

    def diff(self, record_id: int, old: int | None, new: int | None) -> VersionDiff:
        """Compare two versions field by field: by default the newest with the one before.

        Raises RecordNotFound or VersionNotFound."""
        with self._db.reader() as session:
            repository = RecordRepository(session)
            row = repository.get(record_id)
            if row is None:
                raise RecordNotFound(record_id)
            new_number = new or row.version
            old_number = old or max(new_number - 1, 1)
            records = []
            for number in (old_number, new_number):
                stored = repository.version(record_id, number)
                if stored is None:
                    raise VersionNotFound(record_id, number)
                records.append(_record_from_json(repository.version_json(stored, row)))
        return VersionDiff(
            from_version=old_number, to_version=new_number, changes=marc.diff(*records)
        )

    def search(
        self,
        query: SearchQuery,
        *,
        sort: Sort | None = None,
        after: dict[str, Any] | None = None,
        limit: int,
        totals: bool = False,
    ) -> RecordPage:
        """One page of the records a query finds (see app.search.searcher for the order).

        Raises EmptyQuery for a query with nothing to look for, InvalidCursor for a cursor
        (`after`) that this service did not issue."""
        with self._db.reader() as session:
            hits = self._searcher.search(
                session, query, sort=sort, after=after, limit=limit, totals=totals
            )
            rows = RecordRepository(session).get_many(hits.ids)
            # A hit shows its summary; the stored JSON is trusted, so it skips re-reading.
            items = tuple(
                self._found(rows[i], marc.from_stored_json(rows[i].marc_json))
                for i in hits.ids
                if i in rows
            )
        return RecordPage(
            items=items,
            next_key=hits.next_key,
            total=hits.total,
            total_exact=hits.total_exact,
            facets=hits.facets,
        )

    def search_slice(
        self, query: SearchQuery, *, sort: Sort | None, offset: int, limit: int
    ) -> RecordSlice:
        """Records `offset` to `offset + limit` of a result and the exact number of matches,
        for protocols that page by position (SRU's startRecord). Costs grow with the offset."""
        with self._db.reader() as session:
            total = self._searcher.count_all(session, query)
            if limit == 0 or offset >= total:
                return RecordSlice(total=total, items=())
            hits = self._searcher.search(
                session, query, sort=sort, after=None, limit=offset + limit, totals=False
            )
            ids = hits.ids[offset : offset + limit]
            rows = RecordRepository(session).get_many(ids)
            items = tuple(
                self._found(rows[i], marc.from_stored_json(rows[i].marc_json))
                for i in ids
                if i in rows
            )
        return RecordSlice(total=total, items=items)

    # -- bulk -------------------------------------------------------------------------------

    def export(
        self,
        query: SearchQuery,
        fmt: marc.Format,
        *,
        batch_size: int | None = None,
        on_record: Callable[[], None] | None = None,
    ) -> Iterator[bytes]:
        """Stream every record a query finds, in record number order, in constant memory.

        Reads one batch per short transaction, so a slow reader holds no lock; batches hold
        `batch_size` records, or (None) about EXPORT_BATCH_BYTES of them. .mrc is sent as
        stored, without decoding. A record too long for ISO 2709 is left out of a .mrc export,
        and logged. Raises EmptyQuery before the first byte for a query with nothing in it."""
        self._searcher.validate(query)
        if fmt is marc.Format.MRC:
            return self._export_stored(
                self._exported(query, batch_size, on_record, StoredRecord.marc)
            )
        # Both forms: most records need no decoding (see write_stored_collection).
        both = self._exported(
            query, batch_size, on_record, StoredRecord.marc, StoredRecord.marc_json
        )
        return marc.write_stored_collection(((iso, text) for _, iso, text in both), fmt)

    def _exported(
        self,
        query: SearchQuery,
        batch_size: int | None,
        on_record: Callable[[], None] | None,
        *columns: Any,
    ) -> Iterator[Any]:
        """(id, *columns) of every match, in id order, one batch per transaction."""
        after = 0
        size = batch_size or EXPORT_BATCH_RECORDS[0]
        while True:
            with self._db.reader() as session:
                rows = self._searcher.rows_after(
                    session,
                    query,
                    *columns,
                    after_id=after,
                    limit=size,
                )
            for row in rows:
                if on_record is not None:
                    on_record()
                yield row
            if len(rows) < size:
                return
            after = rows[-1][0]
            if batch_size is None:
                size = _batch_for_bytes(rows)

    @staticmethod
    def _export_stored(rows: Iterator[tuple[int, bytes | str | None]]) -> Iterator[bytes]:
        for record_id, data in rows:
            if not isinstance(data, bytes):
                logger.warning("record too long for .mrc, left out", extra={"record_id": record_id})
                continue
            yield data

    def reindex(
        self, *, batch_size: int = 1000, on_progress: Callable[[int], None] | None = None
    ) -> int:
        """Rebuild every record's search entry and sort columns; return how many were done.

        Works in batches, each its own transaction: searches go on meanwhile, answered from the
        old entries until each batch commits. For recovery and after upgrades."""
        done = 0
        after = 0
        while True:
            with self._db.writer.begin() as session:
                rows = RecordRepository(session).batch_after(after, batch_size)
                documents = []
                for row in rows:
                    record = _record_from_json(row.marc_json)
                    row.material = marc.material(record)
                    row.title_key = title_sort_key(marc.filing_title(record))
                    documents.append(search_document(row.id, record, year=row.year))
                self._searcher.backend.store(session, documents)
            done += len(rows)
            if on_progress is not None:
                on_progress(done)
            if len(rows) < batch_size:
                return done
            after = rows[-1].id

    def count(self, query: SearchQuery) -> tuple[int, bool]:
        """How many records a query finds, exactly up to the count bound: (count, exact).

        Raises EmptyQuery for a query with nothing to look for."""
        with self._db.reader() as session:
            return self._searcher.count(session, query)

    def count_records(self) -> int:
        """How many records the catalogue holds, tombstones included."""
        with self._db.reader() as session:
            return RecordRepository(session).count()

    def index_needs_rebuild(self) -> bool:
        """Whether records exist that the search index has never seen (after an upgrade)."""
        with self._db.reader() as session:
            return RecordRepository(session).has_any() and self._searcher.backend.is_empty(session)

    def has_records(self) -> bool:
        """Whether the catalogue has ever held a record (tombstones count)."""
        with self._db.reader() as session:
            return RecordRepository(session).has_any()

    def import_file(
        self,
        source: BinaryIO,
        fmt: marc.Format | None,
        *,
        chunk_size: int = 1000,
        on_progress: Callable[[ImportOutcome], None] | None = None,
    ) -> ImportOutcome:
        """Store every acceptable record of a file as a new record.

        Commits every `chunk_size` records, each chunk with a few statements; a record that
        fails is reported with its position and reason while the others load (a chunk the
        database refuses is stored again one record at a time, a savepoint each)."""
        outcome = ImportOutcome()
        for chunk in _chunks(marc.read(source, fmt), chunk_size):
            accepted: list[tuple[int, marc.Record]] = []
            for item in chunk:
                outcome.read += 1
                if isinstance(item, marc.MarcProblem):
                    outcome.rejected.append(item)
                    continue
                try:
                    record, _ = self.accept(item)
                except marc.InvalidRecord as invalid:
                    outcome.rejected.extend(p for p in invalid.problems if p.severity == "error")
                    continue
                accepted.append((item.position, record))
            try:
                with self._db.writer.begin() as session:
                    self._insert_batch(session, [record for _, record in accepted])
                outcome.created += len(accepted)
            except (IntegrityError, DataError):
                # Something in the batch the database refuses: store one by one, to name it.
                self._insert_each(accepted, outcome)
            if on_progress is not None:
                on_progress(outcome)
        return outcome

    def _insert_batch(
        self, session: Session, records: Sequence[marc.Record | PreparedRecord]
    ) -> list[int]:
        """Insert new records with a few statements, not a few per record (the bulk path);
        return their numbers, in order."""
        if not records:
            return []
        now = self._now(session)
        stamp = marc.format_005(now)
        repository = RecordRepository(session)
        ids = repository.reserve_ids(len(records))
        rows: list[dict[str, Any]] = []
        identifiers: list[tuple[int, str, str]] = []
        versions: list[dict[str, Any]] = []
        documents: list[SearchDocument] = []
        for record_id, record in zip(ids, records, strict=True):
            prepared = (
                record
                if isinstance(record, PreparedRecord)
                else prepare_record(
                    record, org_code=self._org_code, number_width=len(str(record_id))
                )
            )
            columns = _stored_columns(record_id, prepared, stamp)
            rows.append(
                {
                    "id": record_id,
                    "version": 1,
                    "status": ACTIVE,
                    "created_at": now,
                    "updated_at": now,
                    "deleted_at": None,
                    **columns,
                }
            )
            identifiers.extend((record_id, scheme, value) for scheme, value in prepared.identifiers)
            versions.append(
                {
                    "record_id": record_id,
                    "version": 1,
                    "status": ACTIVE,
                    "change": "create",
                    "marc_json": None,  # the record's own (see RecordVersion)
                    "created_at": now,
                    "created_by": None,
                }
            )
            documents.append(dataclasses.replace(prepared.document, record_id=record_id))
        repository.insert_new(rows, identifiers=identifiers, versions=versions)
        self._searcher.backend.store(session, documents, new=True)
        return ids

    def lookup(self, keys: set[tuple[str, str]]) -> Lookup:
        """The live records that look-up keys name (see Lookup), in one short read."""
        with self._db.reader() as session:
            repository = RecordRepository(session)
            found = repository.live_ids_by_keys(keys)
            ids = set().union(*found.values()) if found else set()
            # The stored JSON is trusted: it is read back without the checks of an upload.
            copies = {
                row.id: StoredCopy(row.id, row.version, marc.from_stored_json(row.marc_json))
                for row in repository.get_many(sorted(ids)).values()
            }
        return Lookup(found={key: frozenset(ids) for key, ids in found.items()}, records=copies)

    def apply(
        self,
        changes: list[Change],
        *,
        change_name: str,
        then: Callable[[Session, list[Applied | Refused]], None],
    ) -> list[Applied | Refused]:
        """Write a batch of changes in one transaction, and `then` in the same transaction
        (an import writes its report there, so a crash leaves both or neither).

        When the database refuses the batch, it is written again one change at a time, each
        in a savepoint, and the changes it still refuses come back as Refused."""
        try:
            with self._db.writer.begin() as session:
                results = self._apply_in(session, changes, change_name, one_by_one=False)
                then(session, results)
        except (IntegrityError, DataError, StaleDataError):
            with self._db.writer.begin() as session:
                results = self._apply_in(session, changes, change_name, one_by_one=True)
                then(session, results)
        return results

    def _apply_in(
        self, session: Session, changes: list[Change], change_name: str, *, one_by_one: bool
    ) -> list[Applied | Refused]:
        now = self._now(session)
        results: list[Applied | Refused | None] = [None] * len(changes)
        new = [(i, c.record) for i, c in enumerate(changes) if isinstance(c, NewRecord)]
        if not one_by_one:
            ids = self._insert_batch(session, [record for _, record in new])
            for (i, _), record_id in zip(new, ids, strict=True):
                results[i] = Applied(record_id, None, 1)
        for i, change in enumerate(changes):
            if results[i] is not None:
                continue
            if not one_by_one:
                results[i] = self._new_version(session, change, change_name, now)
                continue
            try:
                with session.begin_nested():
                    results[i] = self._new_version(session, change, change_name, now)
            except (IntegrityError, DataError, StaleDataError) as error:
                reason = getattr(error, "orig", None) or error
                results[i] = Refused(f"the database refused the record: {reason}")
        return [result for result in results if result is not None]

    def _new_version(
        self, session: Session, change: Change, change_name: str, now: datetime
    ) -> Applied | Refused:
        if isinstance(change, NewRecord):
            (record_id,) = self._insert_batch(session, [change.record])
            return Applied(record_id, None, 1)
        current = RecordRepository(session).get(change.record_id)
        if current is None or current.deleted_at is not None:
            return Refused(f"record {change.record_id} was deleted since it was matched")
        row = current
        if row.version != change.expected_version:
            return Refused(
                f"record {change.record_id} changed since it was matched "
                f"(version {change.expected_version}, now {row.version})"
            )
        self._next_version(session, row)
        self._write_current(session, row, change.record, now=now)
        self._add_version(session, row, change_name)
        session.flush()
        return Applied(row.id, row.version - 1, row.version)

    def _insert_each(self, accepted: list[tuple[int, marc.Record]], outcome: ImportOutcome) -> None:
        with self._db.writer.begin() as session:
            now = self._now(session)
            for position, record in accepted:
                try:
                    with session.begin_nested():
                        self._insert(session, record, now)
                except (IntegrityError, DataError) as error:
                    # The savepoint is gone; the chunk goes on without this record.
                    logger.warning(
                        "record not stored", extra={"position": position, "error": error}
                    )
                    outcome.rejected.append(
                        marc.MarcProblem(
                            code="storage-refused",
                            message=f"the database refused the record: {error.orig}",
                            position=position,
                        )
                    )
                    continue
                outcome.created += 1


def _chunks(
    items: Iterator[marc.ParsedRecord | marc.MarcProblem], size: int
) -> Iterator[list[marc.ParsedRecord | marc.MarcProblem]]:
    chunk: list[marc.ParsedRecord | marc.MarcProblem] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
