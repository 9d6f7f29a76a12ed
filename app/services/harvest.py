"""Harvest use-cases: the catalogue's records in the order they changed, tombstones included.

What OAI-PMH needs, and nothing of the protocol: each call is one short read transaction and
returns plain data, so a harvester's request never holds a lock while its answer is written.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app import marc
from app.db.engine import Database
from app.db.models import MAX_KEY
from app.db.records import ChangeRow, RecordRepository

Clock = Callable[[], datetime]
MAX_RECORD_ID = MAX_KEY  # the largest record number the database can hold


@dataclass(frozen=True, slots=True)
class Selection:
    """Which records a harvest lists: changed in [since, before), of one material if given."""

    since: datetime | None = None
    before: datetime | None = None
    material: str | None = None


@dataclass(frozen=True, slots=True)
class Position:
    """Where a harvest stands: the (updated_at, id) of the last record it was given.

    updated_at keeps its full precision, so records changed within the same second are neither
    given twice nor skipped."""

    updated_at: datetime
    id: int


@dataclass(frozen=True, slots=True)
class HarvestedRecord:
    """A record as a harvester sees it; `record` is None for a tombstone or when not asked for."""

    id: int
    updated_at: datetime
    deleted: bool
    material: str
    record: marc.Record | None

    @property
    def position(self) -> Position:
        """The position a harvest reaches once it has been given this record."""
        return Position(self.updated_at, self.id)


@dataclass(frozen=True, slots=True)
class HarvestPage:
    """One page of a harvest; `more` tells whether records follow its last one.

    `total` (how many records the whole selection holds) is given only when asked for."""

    items: tuple[HarvestedRecord, ...]
    more: bool
    total: int | None = None


class HarvestService:
    """The harvest use-cases over one database."""

    def __init__(self, database: Database, *, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    def now(self) -> datetime:
        """The service's clock (UTC): what a response is dated with."""
        return self._clock()

    def earliest_change(self) -> datetime | None:
        """When the record changed longest ago was last changed; None for an empty catalogue."""
        with self._db.reader() as session:
            return RecordRepository(session).earliest_change()

    def page(
        self,
        selection: Selection,
        *,
        after: Position | None,
        limit: int,
        with_records: bool,
        count: bool = False,
    ) -> HarvestPage:
        """Up to `limit` records of the selection after `after`, by (updated_at, id).

        A record changed while a harvest goes on moves to the end of the order, so a harvest
        that follows the pages meets it again and misses nothing. `with_records` decodes the
        live records (tombstones never carry one); `count` also counts the whole selection."""
        with self._db.reader() as session:
            repository = RecordRepository(session)
            rows = repository.changed_page(
                since=selection.since,
                before=selection.before,
                material=selection.material,
                after=(after.updated_at, after.id) if after is not None else None,
                limit=limit + 1,
            )
            shown = rows[:limit]
            stored: dict[int, bytes | str | None] = {}
            if with_records:
                live = [row[0] for row in shown if row[2] is None]
                stored = repository.stored_forms(live, iso=False)
            total = (
                repository.count_changed(
                    since=selection.since, before=selection.before, material=selection.material
                )
                if count
                else None
            )
        items = tuple(_harvested(row, stored.get(row[0])) for row in shown)
        return HarvestPage(items=items, more=len(rows) > limit, total=total)

    def get(self, record_id: int, *, with_record: bool = True) -> HarvestedRecord | None:
        """One record, tombstone or not, or None when the catalogue never had that number."""
        if not 1 <= record_id <= MAX_RECORD_ID:
            return None
        with self._db.reader() as session:
            repository = RecordRepository(session)
            row = repository.change_of(record_id)
            if row is None:
                return None
            stored = (
                repository.stored_forms([record_id], iso=False)
                if with_record and row[2] is None
                else {}
            )
        return _harvested(row, stored.get(record_id))


def _harvested(row: ChangeRow, stored_json: bytes | str | None) -> HarvestedRecord:
    record_id, updated_at, deleted_at, material = row
    return HarvestedRecord(
        id=record_id,
        updated_at=updated_at,
        deleted=deleted_at is not None,
        material=material,
        record=marc.from_stored_json(str(stored_json)) if isinstance(stored_json, str) else None,
    )
