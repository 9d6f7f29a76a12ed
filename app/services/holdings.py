"""Holdings: which member libraries hold a book, set by each library for itself."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from app import marc
from app.db.engine import Database
from app.db.holdings import HoldingRepository
from app.db.members import MemberRepository
from app.db.models import Holding
from app.db.records import RecordRepository
from app.services.access import Caller, NotAllowed
from app.services.errors import RecordDeleted, RecordNotFound, ServiceError
from app.services.members import InstitutionNotFound


class HoldingNotFound(ServiceError):
    def __init__(self, record_id: int, code: str) -> None:
        super().__init__(f"{code} does not hold record {record_id}.")


@dataclass(frozen=True, slots=True)
class HoldingInfo:
    record_id: int
    institution: str
    institution_name: str
    call_number: str | None
    note: str | None
    created_at: datetime
    updated_at: datetime


def _info(row: Holding, code: str, name: str) -> HoldingInfo:
    return HoldingInfo(
        record_id=row.record_id,
        institution=code,
        institution_name=name,
        call_number=row.call_number,
        note=row.note,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _clean(text: str | None) -> str | None:
    return (text or "").strip() or None


class HoldingService:
    """Use-cases on holdings; each is one transaction."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime]) -> None:
        self._db = database
        self._clock = clock

    @staticmethod
    def _member(caller: Caller) -> tuple[int, str]:
        if caller.institution_id is None or caller.institution_code is None:
            raise NotAllowed("Holdings belong to an institution: use one of its API keys.")
        return caller.institution_id, caller.institution_code

    def set(
        self, record_id: int, caller: Caller, *, call_number: str | None, note: str | None
    ) -> tuple[HoldingInfo, bool]:
        """Say the caller's institution holds the record (or change its call number and note);
        return the holding and whether it is new."""
        institution_id, code = self._member(caller)
        with self._db.writer.begin() as session:
            record = RecordRepository(session).get(record_id)
            if record is None:
                raise RecordNotFound(record_id)
            if record.deleted_at is not None:
                raise RecordDeleted(record_id, record.deleted_at)
            repository = HoldingRepository(session)
            now = self._clock()
            row = repository.get(record_id, institution_id)
            created = row is None
            if row is None:
                row = Holding(record_id=record_id, institution_id=institution_id, created_at=now)
                row.updated_at = now
                row.call_number, row.note = _clean(call_number), _clean(note)
                repository.add(row)
            elif (row.call_number, row.note) != (_clean(call_number), _clean(note)):
                row.call_number, row.note = _clean(call_number), _clean(note)
                row.updated_at = now
            institution = MemberRepository(session).institution_by_id(institution_id)
            assert institution is not None  # the key's institution exists
            return _info(row, code, institution.name), created

    def unset(self, record_id: int, caller: Caller) -> None:
        """Say the caller's institution no longer holds the record."""
        institution_id, code = self._member(caller)
        with self._db.writer.begin() as session:
            if not HoldingRepository(session).remove(record_id, institution_id):
                raise HoldingNotFound(record_id, code)

    def of_record(self, record_id: int) -> list[HoldingInfo]:
        """Who holds the record, by institution code."""
        with self._db.reader() as session:
            if RecordRepository(session).get(record_id) is None:
                raise RecordNotFound(record_id)
            return [
                _info(row, code, name)
                for row, code, name in HoldingRepository(session).of_record(record_id)
            ]

    def _institution_id(self, code: str) -> tuple[int, str]:
        with self._db.reader() as session:
            institution = MemberRepository(session).institution(code)
            if institution is None:
                raise InstitutionNotFound(code)
            return institution.id, institution.name

    def of_institution(self, code: str, *, batch_size: int = 1000) -> Iterator[HoldingInfo]:
        """Every holding of an institution, by record number, one batch per transaction."""
        institution_id, name = self._institution_id(code)
        for info, _ in self._pages(institution_id, code, name, batch_size):
            yield info

    def export(self, code: str, *, batch_size: int = 1000) -> Iterator[bytes]:
        """An institution's held records as ISO 2709, each with an 852 for its holding.

        Checks the institution before the first byte; a record too long for ISO 2709 with its
        852 is left out, as in any .mrc export."""
        institution_id, name = self._institution_id(code)

        def records() -> Iterator[bytes]:
            for info, stored_json in self._pages(institution_id, code, name, batch_size):
                record = marc.from_stored_json(stored_json)
                held = marc.HeldCopy(code=code, call_number=info.call_number, note=info.note)
                try:
                    yield marc.write(marc.with_holdings(record, [held]), marc.Format.MRC)
                except marc.RecordTooLong:
                    continue

        return records()

    def _pages(
        self, institution_id: int, code: str, name: str, batch_size: int
    ) -> Iterator[tuple[HoldingInfo, str]]:
        """(holding, the record's MARC-in-JSON) of an institution, one batch per transaction."""
        after = 0
        while True:
            with self._db.reader() as session:
                page = [
                    (_info(row, code, name), stored_json)
                    for row, _, stored_json in HoldingRepository(session).of_institution(
                        institution_id, after_record=after, limit=batch_size
                    )
                ]
            yield from page
            if len(page) < batch_size:
                return
            after = page[-1][0].record_id
