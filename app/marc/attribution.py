"""Who catalogued a record and who holds it, in the fields MARC 21 has for that: 040 and 852."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.marc.records import (
    Record,
    Subfield,
    copy_record,
    data_field,
    first_field,
    insert_in_tag_order,
    subfield_values,
)


@dataclass(frozen=True, slots=True)
class HeldCopy:
    """One institution's holding of the book: its code, and its own call number and note."""

    code: str
    call_number: str | None = None
    note: str | None = None


def attribute(record: Record, agency: str, *, created: bool) -> Record:
    """Return a copy of the record with `agency` named in 040, as MARC 21 practice asks.

    On creation the agency becomes the original cataloguing agency ($a, and $c, transcribing)
    unless the record already names one, as a copy from another catalogue does: then, as on
    any modification, the agency is appended as a modifying agency ($d), once in a row."""
    result = copy_record(record)
    field = first_field(result, "040")
    if field is None or field.control_field:
        codes = [("a", agency), ("c", agency)] if created else [("d", agency)]
        insert_in_tag_order(result, data_field("040", " ", " ", codes))
        return result
    if created and not any(value.strip() for value in subfield_values(field, "a")):
        field.subfields = [Subfield(code="a", value=agency), *field.subfields]
        return result
    modifiers = [value.strip() for value in subfield_values(field, "d")]
    if not modifiers or modifiers[-1] != agency:
        field.add_subfield("d", agency)
    return result


def with_holdings(record: Record, copies: Iterable[HeldCopy]) -> Record:
    """Return a copy of the record with an 852 (location) per held copy, after its own.

    $a names the institution, $h its call number, $z a public note."""
    result = copy_record(record)
    for copy in copies:
        codes = [("a", copy.code)]
        if copy.call_number:
            codes.append(("h", copy.call_number))
        if copy.note:
            codes.append(("z", copy.note))
        insert_in_tag_order(result, data_field("852", " ", " ", codes))
    return result
