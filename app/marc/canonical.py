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
from app.marc.iso2709 import FIELD_TERMINATOR, assemble, encode_field
from app.marc.marcjson import field_json_text
from app.marc.merge import IDENTITY_TAGS
from app.marc.problems import RecordTooLong
from app.marc.records import Record, leader_of
from app.marc.summary import control_numbers

_NUMBER = "001"
_TIME = "005"
_quoted = json.encoder.encode_basestring  # json.dumps of a str, with ensure_ascii=False


@dataclass(frozen=True, slots=True)
class StoredForm:
    """A record numbered by this catalogue (see assign_identity), but for the values of its 001
    and 005: its MARC-in-JSON around them, its ISO 2709 field by field, and what does not
    depend on them. Plain data, cheap to send to another process."""

    json_parts: tuple[str, str, str]  # MARC-in-JSON before the 001 value, up to 005's, after
    leader: str
    tags: tuple[str, ...]
    bodies: tuple[bytes, ...]  # ISO 2709 of each field; 001's and 005's are empty here
    fingerprint: str  # content_fingerprint of the numbered record
    control_numbers: tuple[str, ...]  # its 035 $a, as RecordSummary.control_numbers

    def json(self, control_number: str, stamp: str) -> str:
        """The record's MARC-in-JSON text with this number and 005 (see format_005)."""
        head, middle, tail = self.json_parts
        return f"{head}{_quoted(control_number)}{middle}{_quoted(stamp)}{tail}"

    def iso2709(self, control_number: str, stamp: str) -> bytes | None:
        """The record's ISO 2709 with this number and 005; None when it is too long for it."""
        bodies = list(self.bodies)
        for index, tag in enumerate(self.tags):
            if tag == _NUMBER:
                bodies[index] = control_number.encode("utf-8") + FIELD_TERMINATOR
            elif tag == _TIME:
                bodies[index] = stamp.encode("utf-8") + FIELD_TERMINATOR
        try:
            return assemble(self.leader, list(self.tags), bodies)
        except RecordTooLong:
            return None


def stored_form(record: Record, *, org_code: str) -> StoredForm:
    """Make the stored forms of a record as read() returns it (normalised), numbered for this
    catalogue: StoredForm.json(n, t) is the MARC-in-JSON of assign_identity(record, n, org_code,
    t), and StoredForm.iso2709(n, t) its ISO 2709 as write() makes it."""
    fields = numbered_fields(record, control_number="", org_code=org_code, stamp="")
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
    comparable = f"[{_quoted(leader[5:12] + leader[17:])}, [{content}]]"
    return StoredForm(
        json_parts=(
            f'{{"leader": {_quoted(leader)}, "fields": [{head}{{"{_NUMBER}": ',
            f'}}{middle}, {{"{_TIME}": ',
            f"}}{tail}]}}",
        ),
        leader=leader,
        tags=tuple(tags),
        bodies=tuple(
            b"" if tag in (_NUMBER, _TIME) else encode_field(field)
            for tag, field in zip(tags, fields, strict=True)
        ),
        fingerprint=hashlib.sha256(comparable.encode()).hexdigest(),
        control_numbers=control_numbers(fields),
    )
