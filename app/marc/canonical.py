"""A record as this catalogue stores it, made before it has a number.

The stored forms (MARC-in-JSON and ISO 2709) and the content fingerprint are the costly part
of writing a record, and only 001 (its number) and 005 (the time) depend on the write: a bulk
import makes the rest in other processes, ahead of the writer, which fills those two in.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from app.marc.identity import numbered_fields
from app.marc.iso2709 import FIELD_TERMINATOR, assemble, encode_field, replace_bodies
from app.marc.marcjson import field_json_text
from app.marc.merge import IDENTITY_TAGS
from app.marc.problems import RecordTooLong
from app.marc.records import Record, leader_of
from app.marc.summary import control_numbers
from app.plain_data import PlainData

_NUMBER = "001"
_TIME = "005"
_STAMP_WIDTH = 16  # format_005: yyyymmddhhmmss.f
_quoted = json.encoder.encode_basestring  # json.dumps of a str, with ensure_ascii=False


@dataclass(frozen=True, slots=True)
class StoredForm(PlainData):
    """A record numbered by this catalogue (see assign_identity), but for the values of its 001
    and 005: its MARC-in-JSON around them, its ISO 2709 made for a number of a given width, and
    what does not depend on them. Plain data, cheap to send to another process."""

    json_parts: tuple[str, str, str]  # MARC-in-JSON before the 001 value, up to 005's, after
    # ISO 2709 with placeholders of `number_width` and 16 bytes at the two offsets: with a
    # number that wide it is the record but for two splices, without its directory made again.
    # None when the record cannot be written so even with a one-digit number.
    iso2709_template: bytes | None
    value_offsets: tuple[int, int]  # of the 001 and 005 values in the template
    number_width: int
    fingerprint: str  # content_fingerprint of the numbered record
    control_numbers: tuple[str, ...]  # its 035 $a, as RecordSummary.control_numbers

    def json(self, control_number: str, stamp: str) -> str:
        """The record's MARC-in-JSON text with this number and 005 (see format_005)."""
        head, middle, tail = self.json_parts
        return f"{head}{_quoted(control_number)}{middle}{_quoted(stamp)}{tail}"

    def iso2709(self, control_number: str, stamp: str) -> bytes | None:
        """The record's ISO 2709 with this number and 005; None when it is too long for it."""
        template = self.iso2709_template
        if template is None:
            return None
        number, time = control_number.encode("utf-8"), stamp.encode("utf-8")
        at_number, at_time = self.value_offsets
        if len(number) == self.number_width and len(time) == _STAMP_WIDTH:
            after_number = at_number + self.number_width
            return (
                template[:at_number]
                + number
                + template[after_number:at_time]
                + time
                + template[at_time + _STAMP_WIDTH :]
            )
        values = {_NUMBER: number + FIELD_TERMINATOR, _TIME: time + FIELD_TERMINATOR}
        try:
            return replace_bodies(template, values)
        except RecordTooLong:
            return None


def stored_form(
    record: Record,
    *,
    org_code: str,
    number_width: int = 1,
    field_bytes: tuple[bytes, ...] | None = None,
) -> StoredForm:
    """Make the stored forms of a record as read() returns it (normalised), numbered for this
    catalogue: StoredForm.json(n, t) is the MARC-in-JSON of assign_identity(record, n, org_code,
    t), and StoredForm.iso2709(n, t) its ISO 2709 as write() makes it, made quickest for a
    number `number_width` bytes long (any other costs the directory made again).

    `field_bytes`: the ISO 2709 of each of record.fields as read (ParsedRecord.field_bytes),
    which spares encoding them again (22 µs of a record's ~420 in a bulk import; one-off)."""
    fields = numbered_fields(record, control_number="", org_code=org_code, stamp="")
    read: dict[int, bytes] = {}
    if field_bytes is not None and len(field_bytes) == len(record.fields):
        # The numbered fields are the record's own, but for those numbering made.
        read = dict(zip(map(id, record.fields), field_bytes, strict=True))
    leader = leader_of(record)
    texts = [field_json_text(field) for field in fields]
    tags = [field.tag for field in fields]
    # numbered_fields puts one 001 and one 005, in that order: the JSON is cut at their values.
    number, time = tags.index(_NUMBER), tags.index(_TIME)
    head = "".join(f"{text}, " for text in texts[:number])
    middle = "".join(f", {text}" for text in texts[number + 1 : time])
    tail = "".join(f", {text}" for text in texts[time + 1 :])
    content = ", ".join(
        text for tag, text in zip(tags, texts, strict=True) if tag not in IDENTITY_TAGS
    )
    bodies = [read.get(id(field)) or encode_field(field) for field in fields]
    template, offsets, width = _iso2709_template(leader, tags, bodies, number_width)
    comparable = f"[{_quoted(leader[5:12] + leader[17:])}, [{content}]]"
    return StoredForm(
        json_parts=(
            f'{{"leader": {_quoted(leader)}, "fields": [{head}{{"{_NUMBER}": ',
            f'}}{middle}, {{"{_TIME}": ',
            f"}}{tail}]}}",
        ),
        iso2709_template=template,
        value_offsets=offsets,
        number_width=width,
        fingerprint=hashlib.sha256(comparable.encode()).hexdigest(),
        control_numbers=control_numbers(fields),
    )


def _iso2709_template(
    leader: str, tags: list[str], bodies: list[bytes], number_width: int
) -> tuple[bytes | None, tuple[int, int], int]:
    """StoredForm's ISO 2709 fields (template, value offsets, number width): the record with
    placeholders for the 001 and 005 values, for a number of `number_width` bytes or, when
    too long so, of one."""
    number, time = tags.index(_NUMBER), tags.index(_TIME)
    for width in dict.fromkeys((max(number_width, 1), 1)):
        bodies[number] = b"0" * width + FIELD_TERMINATOR
        bodies[time] = b"0" * _STAMP_WIDTH + FIELD_TERMINATOR
        try:
            template = assemble(leader, tags, bodies)
        except RecordTooLong:
            continue
        base = int(template[12:17])
        at_number = base + sum(len(body) for body in bodies[:number])
        at_time = base + sum(len(body) for body in bodies[:time])
        return template, (at_number, at_time), width
    return None, (0, 0), 0
