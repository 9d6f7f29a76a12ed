"""Giving a record its identity in the union catalogue: 001, 003, 005, and 035 for the old one."""

from __future__ import annotations

from datetime import UTC, datetime

from app.marc.records import (
    Field,
    Record,
    control_field,
    copy_field,
    copy_record,
    data_field,
    first_field,
    insert_by_tag,
    insert_in_tag_order,
    leader_of,
    new_record,
    subfield_values,
)
from app.marc.standard_numbers import normalize_system_number

_IDENTITY = frozenset({"001", "003", "005"})


def format_005(timestamp: datetime) -> str:
    """Return a timestamp as 005 holds it: UTC, yyyymmddhhmmss.f (tenths of a second).

    A naive datetime is taken to be UTC already.
    """
    moment = timestamp.astimezone(UTC) if timestamp.tzinfo is not None else timestamp
    return moment.strftime("%Y%m%d%H%M%S") + f".{moment.microsecond // 100_000}"


def stamp(record: Record, timestamp: datetime) -> Record:
    """Return a copy of the record whose 005 (date of latest transaction) is timestamp."""
    result = copy_record(record)
    result.fields = [field for field in result.fields if field.tag != "005"]
    insert_in_tag_order(result, control_field("005", format_005(timestamp)))
    return result


def mark_deleted(record: Record, timestamp: datetime) -> Record:
    """Return a copy of the record as its tombstone: leader/05 'd' (deleted), 005 = timestamp.

    This is how MARC 21 says "deleted" to a system that downloads or harvests the record."""
    stamped = stamp(record, timestamp)
    leader = leader_of(stamped)
    return new_record(leader[:5] + "d" + leader[6:], stamped.fields)


def assign_identity(
    record: Record, *, control_number: str, org_code: str, timestamp: datetime
) -> Record:
    """Return a copy of the record numbered by this catalogue: 001, 003 and 005 replaced.

    An incoming 001 from another organisation (its 003 differs from org_code, or is
    missing) is kept as 035 $a "(ORG)number", or just "number" when there was no 003,
    unless that 035 $a is already there. New fields go where tag order puts them.
    """
    fields = numbered_fields(
        record, control_number=control_number, org_code=org_code, stamp=format_005(timestamp)
    )
    return new_record(leader_of(record), [copy_field(field) for field in fields])


def numbered_fields(
    record: Record, *, control_number: str, org_code: str, stamp: str
) -> list[Field]:
    """The fields of the record numbered as assign_identity numbers it (005 = stamp), in order.

    The record is left as it is, and so are the fields it shares with the result: for callers
    that only read the result (it costs no copy of the record)."""
    old_number = _control_data(record, "001")
    old_org = _control_data(record, "003")
    fields = [field for field in record.fields if field.tag not in _IDENTITY]
    if old_number and old_org != org_code:
        kept = f"({old_org}){old_number}" if old_org else old_number
        # The same number written otherwise ("(OCoLC)ocm00012345", "(OCoLC)12345") is one.
        existing = {
            normalize_system_number(value)
            for field in fields
            if field.tag == "035" and not field.control_field
            for value in subfield_values(field, "a")
        }
        if normalize_system_number(kept) not in existing:
            insert_by_tag(fields, data_field("035", " ", " ", [("a", kept)]))
    insert_by_tag(fields, control_field("001", control_number))
    insert_by_tag(fields, control_field("003", org_code))
    insert_by_tag(fields, control_field("005", stamp))
    return fields


def _control_data(record: Record, tag: str) -> str | None:
    field = first_field(record, tag)
    if field is None or not field.control_field:
        return None
    return (field.data or "").strip() or None
