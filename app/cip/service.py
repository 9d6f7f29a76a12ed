"""The CIP workflow: a publisher's request becomes a prepublication record, cataloguers review
it, approve it into the catalogue or return it; every step is kept with who took it."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from app import marc
from app.cip.block import CipBlock, cip_block
from app.db.cip import CipRepository
from app.db.engine import Database
from app.db.models import CipEvent, CipRequest
from app.services.access import Caller, NotAllowed, Permission
from app.services.errors import ServiceError, VersionMismatch
from app.services.records import CIP, FoundRecord, RecordService

logger = logging.getLogger(__name__)


class CipStatus(StrEnum):
    """Where a request stands. The publisher may change it while it is pending or returned."""

    PENDING = "cip-pending"  # in the cataloguers' queue
    IN_REVIEW = "in-review"  # a cataloguer has worked on its record
    RETURNED = "returned"  # back with the publisher, with a message
    APPROVED = "approved"  # its record is in the catalogue as a CIP record (status cip)
    PUBLISHED = "published"  # the book is out: its record was upgraded to a full one


# Requests whose ISBNs are not in the catalogue yet, but are taken all the same.
_IN_PROGRESS = (CipStatus.PENDING.value, CipStatus.IN_REVIEW.value, CipStatus.RETURNED.value)


class CipNotFound(ServiceError):
    def __init__(self, request_id: int) -> None:
        super().__init__(f"There is no CIP request {request_id}.")


class CipConflict(ServiceError):
    """The request is not at a step where this can be done (HTTP 409)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)


@dataclass(frozen=True, slots=True)
class CipInfo:
    """A request as its parties see it; ORM rows stay in their transaction."""

    id: int
    status: CipStatus
    institution: str | None
    title: str
    expected_date: str
    data: dict[str, Any]
    record: marc.Record
    message: str | None
    record_id: int | None
    record_status: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    warnings: tuple[marc.MarcProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class CipStep:
    at: datetime
    actor: str
    action: str
    status: CipStatus
    data: dict[str, Any]
    record: marc.Record
    message: str | None


def data_from_json(value: dict[str, Any]) -> marc.CipData:
    """The CipData a request stored as JSON stands for."""
    fields = dict(value)
    fields["contributors"] = tuple(marc.Contributor(**c) for c in fields.get("contributors", ()))
    for name in ("isbns", "languages", "keywords"):
        if name in fields:
            fields[name] = tuple(fields[name])
    return marc.CipData(**fields)


def _month_passed(expected: str, today: date) -> bool:
    year, _, month = expected.strip().partition("-")
    return (int(year), int(month or 12)) < (today.year, today.month)


def _warning(code: str, message: str, *, tag: str) -> marc.MarcProblem:
    return marc.MarcProblem(code=code, message=message, tag=tag, severity="warning")


def _isbn_keys(data: dict[str, Any]) -> dict[str, str]:
    """The ISBNs of a stored request, as typed, each with its ISBN-13 (the invalid left out)."""
    return {n: key for n in data.get("isbns", ()) if (key := marc.normalize_isbn(n)) is not None}


def _check_version(row: CipRequest, expected: frozenset[int] | None) -> None:
    """If-Match: the request must still be at a version its caller read (None: any)."""
    if expected is not None and row.version not in expected:
        raise VersionMismatch(row.id, expected=expected, current=row.version, subject="CIP request")


def _requests_named(
    ids: list[int], owners: dict[int, int | None], viewer: Caller, institution_id: int | None
) -> str:
    """ "CIP request 12, 15" as the viewer may see them; "another publisher's CIP request"
    for those a publisher may not (`owners`: each request's institution)."""
    if viewer.may(Permission.CIP_REVIEW):
        return "CIP request " + ", ".join(str(n) for n in ids[:5])
    own = [n for n in ids if owners.get(n) == institution_id]
    named = ["CIP request " + ", ".join(str(n) for n in own[:5])] if own else []
    if len(own) < len(ids):
        named.append("another publisher's CIP request")
    return " and ".join(named)


def _record(text: str) -> marc.Record:
    return marc.from_stored_json(text)


def _json(record: marc.Record) -> str:
    return json.dumps(marc.to_json(record), ensure_ascii=False)


class CipService:
    """Use-cases of the CIP workflow; each is one transaction."""

    def __init__(
        self,
        database: Database,
        records: RecordService,
        *,
        agency: str,
        heading: str,
        clock: Callable[[], datetime],
    ) -> None:
        self._db = database
        self._records = records
        self._agency = agency
        self._heading = heading
        self._clock = clock

    # -- the publisher's side -----------------------------------------------------------------

    def submit(self, data: marc.CipData, *, author: Caller) -> CipInfo:
        """Take a request and queue its prepublication record for the cataloguers.

        Raises InvalidCipData (nothing stored) for a request with errors: a bad ISBN check
        digit, no title, an expected date that is not YYYY-MM."""
        now = self._clock()
        record = marc.prepublication_record(data, agency=self._agency, created=now)
        with self._db.writer.begin() as session:
            row = CipRequest(
                institution_id=author.institution_id,
                status=CipStatus.PENDING.value,
                title=data.title,
                expected_date=data.expected_date,
                data=json.dumps(asdict(data), ensure_ascii=False),
                marc_json=_json(record),
                version=1,
                created_at=now,
                updated_at=now,
            )
            CipRepository(session).add(row)
            self._step(session, row, author, "submitted")
            return self._info(session, row, author)

    def change(
        self,
        request_id: int,
        data: marc.CipData,
        *,
        author: Caller,
        expected_versions: frozenset[int] | None = None,
    ) -> CipInfo:
        """The publisher changes its request while it waits (or was returned); the record is
        built again from it and goes back to the queue. `expected_versions`: see
        _check_version."""
        now = self._clock()
        record = marc.prepublication_record(data, agency=self._agency, created=now)
        with self._db.writer.begin() as session:
            row = self._visible(session, request_id, author)
            _check_version(row, expected_versions)
            if row.status not in (CipStatus.PENDING, CipStatus.RETURNED):
                raise CipConflict(
                    f"CIP request {request_id} is {row.status}: the publisher may change it only "
                    "while it waits for review or after it was returned."
                )
            action = "resubmitted" if row.status == CipStatus.RETURNED else "changed"
            row.status = CipStatus.PENDING.value
            row.title = data.title
            row.expected_date = data.expected_date
            row.data = json.dumps(asdict(data), ensure_ascii=False)
            row.marc_json = _json(record)
            row.message = None
            self._step(session, row, author, action)
            return self._info(session, row, author)

    # -- the cataloguers' side ----------------------------------------------------------------

    def catalogue(
        self,
        request_id: int,
        record: marc.Record,
        *,
        author: Caller,
        expected_versions: frozenset[int] | None = None,
    ) -> CipInfo:
        """A cataloguer's version of the prepublication record (class number, subjects,
        authorised headings). It must stay prepublication (leader/17 '8') and valid."""
        self._require(author, Permission.CIP_REVIEW)
        if not marc.is_prepublication(record):
            raise CipConflict("A CIP record keeps leader/17 '8' (prepublication) until published.")
        problems = marc.validate(record)
        if any(p.severity == "error" for p in problems):
            raise marc.InvalidRecord(problems)
        with self._db.writer.begin() as session:
            row = self._row(session, request_id)
            _check_version(row, expected_versions)
            self._under_review(row)
            row.status = CipStatus.IN_REVIEW.value
            row.marc_json = _json(record)
            self._step(session, row, author, "catalogued")
            return self._info(session, row, author)

    def send_back(
        self,
        request_id: int,
        message: str,
        *,
        author: Caller,
        expected_versions: frozenset[int] | None = None,
    ) -> CipInfo:
        """Return the request to its publisher, saying what to change."""
        self._require(author, Permission.CIP_REVIEW)
        with self._db.writer.begin() as session:
            row = self._row(session, request_id)
            _check_version(row, expected_versions)
            self._under_review(row)
            row.status = CipStatus.RETURNED.value
            row.message = message
            self._step(session, row, author, "returned", message)
            return self._info(session, row, author)

    def approve(
        self,
        request_id: int,
        *,
        author: Caller,
        expected_versions: frozenset[int] | None = None,
    ) -> CipInfo:
        """Put the record in the catalogue as a CIP record (searchable with status=cip), in the
        same transaction as the request's step."""
        self._require(author, Permission.CIP_REVIEW)
        with self._db.reader() as session:
            row = self._row(session, request_id)
            _check_version(row, expected_versions)
            self._under_review(row)
            record = _record(row.marc_json)
            version = row.version
        if not any(field.tag == "082" for field in record.fields):
            # The printed block carries the class number; it cannot be added after printing.
            raise CipConflict(
                f"CIP request {request_id} has no class number (082) yet: catalogue it "
                "(PUT …/record with 082 and subjects) before approving."
            )

        def approved(session: Session, record_id: int) -> None:
            current = self._row(session, request_id)
            if current.version != version:
                raise CipConflict(f"CIP request {request_id} changed meanwhile; approve it again.")
            current.status = CipStatus.APPROVED.value
            current.record_id = record_id
            # From now on the request shows its record as the catalogue holds it (001, 005, 040).
            current.marc_json = CipRepository(session).record_json(record_id) or current.marc_json
            self._step(session, current, author, "approved")

        found = self._records.add(record, author=author, status=CIP, then=approved)
        logger.info("CIP request approved", extra={"request": request_id, "record_id": found.id})
        return self.get(request_id, viewer=author)

    def publish(
        self,
        record_id: int,
        facts: marc.PublicationFacts,
        *,
        author: Caller,
        expected_versions: frozenset[int] | None,
    ) -> FoundRecord:
        """Upgrade a CIP record once the book is printed (RecordService.publish); the request
        it came from, if any, records the step and stands as published."""

        def published(session: Session, found: FoundRecord) -> None:
            row = CipRepository(session).for_record(found.id)
            if row is None:  # a CIP record loaded from elsewhere, not made from a request
                return
            row.status = CipStatus.PUBLISHED.value
            row.marc_json = _json(found.record)
            self._step(session, row, author, "published")

        return self._records.publish(
            record_id, facts, author=author, expected_versions=expected_versions, then=published
        )

    # -- reading ------------------------------------------------------------------------------

    def get(self, request_id: int, *, viewer: Caller) -> CipInfo:
        """One request, with what to check about it (see _warnings)."""
        with self._db.reader() as session:
            return self._info(session, self._visible(session, request_id, viewer), viewer)

    def _warnings(
        self, session: Session, rows: Sequence[CipRequest], viewer: Caller
    ) -> dict[int, tuple[marc.MarcProblem, ...]]:
        """What each request should be checked for, though nothing stops it: check_cip_data's
        warnings, an expected month already past (while the book is not out), and ISBNs that
        a live record of the catalogue (other than the request's own) or another request in
        progress already carries. Another publisher's request is not named to a publisher."""
        repository = CipRepository(session)
        wanted = {row.id: _isbn_keys(json.loads(row.data)) for row in rows}
        keys = {key for numbers in wanted.values() for key in numbers.values()}
        holders = repository.live_records_with_isbns(keys)
        requested: dict[str, set[int]] = {}
        owners: dict[int, int | None] = {}
        for other, institution_id, stored in repository.open_requests(_IN_PROGRESS) if keys else ():
            owners[other] = institution_id
            for key in keys.intersection(_isbn_keys(json.loads(stored)).values()):
                requested.setdefault(key, set()).add(other)
        today = self._clock().date()
        found: dict[int, tuple[marc.MarcProblem, ...]] = {}
        for row in rows:
            data = data_from_json(json.loads(row.data))
            problems = [p for p in marc.check_cip_data(data) if p.severity == "warning"]
            if row.status != CipStatus.PUBLISHED and _month_passed(data.expected_date, today):
                message = f"the expected date {data.expected_date} has passed; is the book out?"
                problems.append(_warning("cip-expected-date-passed", message, tag="263"))
            for number, key in wanted[row.id].items():
                records = sorted(holders.get(key, set()) - {row.record_id})
                if records:
                    listed = ", ".join(str(n) for n in records[:5])
                    message = f"ISBN {number} is already in the catalogue: record {listed}"
                    problems.append(_warning("cip-isbn-in-catalogue", message, tag="020"))
                others = sorted(requested.get(key, set()) - {row.id})
                if others:
                    problems.append(
                        _warning(
                            "cip-isbn-in-request",
                            f"ISBN {number} is also in "
                            + _requests_named(others, owners, viewer, row.institution_id),
                            tag="020",
                        )
                    )
            found[row.id] = tuple(problems)
        return found

    def requests(
        self,
        *,
        viewer: Caller,
        status: CipStatus | None = None,
        overdue: bool = False,
        limit: int = 100,
        before: int | None = None,
    ) -> list[CipInfo]:
        """Requests the viewer may see, newest first: a publisher its own, cataloguers all.

        `overdue`: approved ones whose expected month has passed while their record is still
        a CIP record, so cataloguers can chase the publisher for the printed book."""
        institution = None if viewer.may(Permission.CIP_REVIEW) else viewer.institution_id
        if institution is None and not viewer.may(Permission.CIP_REVIEW):
            return []
        with self._db.reader() as session:
            rows = CipRepository(session).requests(
                institution_id=institution,
                status=CipStatus.APPROVED.value if overdue else (status.value if status else None),
                record_status=CIP if overdue else None,
                expected_before=self._clock().date() if overdue else None,
                before=before,
                limit=limit,
            )
            return self._infos(session, rows, viewer)

    def history(self, request_id: int, *, viewer: Caller) -> list[CipStep]:
        """Every step of a request, oldest first, each with all of it as it then stood."""
        with self._db.reader() as session:
            self._visible(session, request_id, viewer)
            return [
                CipStep(
                    at=event.at,
                    actor=event.actor,
                    action=event.action,
                    status=CipStatus(event.status),
                    data=json.loads(event.data),
                    record=_record(event.marc_json),
                    message=event.message,
                )
                for event in CipRepository(session).events(request_id)
            ]

    def block(self, request_id: int, *, viewer: Caller) -> CipBlock:
        """The CIP block to print in the book, from the record as it stands in the catalogue."""
        info = self.get(request_id, viewer=viewer)
        if info.record_id is None:
            raise CipConflict(
                f"CIP request {request_id} is {info.status}: its block exists once it is approved."
            )
        found = self._records.get(info.record_id)
        return cip_block(found.record, heading=self._heading)

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _require(author: Caller, permission: Permission) -> None:
        if not author.may(permission):
            raise NotAllowed(f"A {author.role} key may not do this; it needs {permission}.")

    @staticmethod
    def _row(session: Session, request_id: int) -> CipRequest:
        row = CipRepository(session).get(request_id)
        if row is None:
            raise CipNotFound(request_id)
        return row

    def _visible(self, session: Session, request_id: int, viewer: Caller) -> CipRequest:
        row = self._row(session, request_id)
        if viewer.may(Permission.CIP_REVIEW):
            return row
        if viewer.institution_id is None or row.institution_id != viewer.institution_id:
            raise CipNotFound(request_id)  # another publisher's request does not exist for you
        return row

    @staticmethod
    def _under_review(row: CipRequest) -> None:
        if row.status not in (CipStatus.PENDING, CipStatus.IN_REVIEW):
            raise CipConflict(
                f"CIP request {row.id} is {row.status}: only a request waiting for review or "
                "under review can be catalogued, returned or approved."
            )

    def _step(
        self,
        session: Session,
        row: CipRequest,
        author: Caller,
        action: str,
        message: str | None = None,
    ) -> None:
        now = self._clock()
        if action != "submitted":
            row.version += 1
        row.updated_at = now
        CipRepository(session).add_event(
            CipEvent(
                request_id=row.id,
                at=now,
                actor=author.name,
                api_key_id=author.key_id,
                action=action,
                status=row.status,
                data=row.data,
                marc_json=row.marc_json,
                message=message,
            )
        )

    def _info(self, session: Session, row: CipRequest, viewer: Caller) -> CipInfo:
        return self._infos(session, [row], viewer)[0]

    def _infos(self, session: Session, rows: Sequence[CipRequest], viewer: Caller) -> list[CipInfo]:
        repository = CipRepository(session)
        warnings = self._warnings(session, rows, viewer)
        return [
            CipInfo(
                id=row.id,
                status=CipStatus(row.status),
                institution=repository.institution_code(row.institution_id),
                title=row.title,
                expected_date=row.expected_date,
                data=json.loads(row.data),
                record=_record(row.marc_json),
                message=row.message,
                record_id=row.record_id,
                record_status=repository.record_status(row.record_id),
                version=row.version,
                created_at=row.created_at,
                updated_at=row.updated_at,
                warnings=warnings[row.id],
            )
            for row in rows
        ]
