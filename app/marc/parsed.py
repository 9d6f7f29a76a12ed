"""A record as it came out of an upload."""

from __future__ import annotations

from dataclasses import dataclass

from app.marc.problems import MarcProblem
from app.marc.records import Record
from app.plain_data import PlainData


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    """A readable record from an upload, already normalised, with what was repaired on the way.

    position is the record's index in its upload (from 0, counting unreadable records too);
    offset is the byte offset where it starts, when the format lets us know it. warnings holds
    every repair made on the way; those that lost information (a dropped field, a replaced
    character, undecodable bytes) have severity "error" and must stop the record being stored.
    """

    record: Record
    position: int
    offset: int | None
    warnings: tuple[MarcProblem, ...]
    # Each of record.fields as ISO 2709 (its terminator included), in order, where the record
    # was read from ISO 2709 needing no repair: the bytes as read, which writing the field gives
    # again (see marc.stored_form). Only while record.fields is as it was read.
    field_bytes: tuple[bytes, ...] | None = None


@dataclass(frozen=True, slots=True)
class Decoded:
    """A record as a format reader decoded it, before normalisation and numbering.

    `normal_lengths` is (record length, base address) of its ISO 2709 form when the reader has
    checked that no field needs any repair of normalize()'s, None when it has not; then
    `field_bytes` holds each field's bytes as read (see ParsedRecord)."""

    record: Record
    offset: int | None
    warnings: tuple[MarcProblem, ...] = ()
    normal_lengths: tuple[int, int] | None = None
    field_bytes: tuple[bytes, ...] | None = None


@dataclass(frozen=True, slots=True)
class RawRecord(PlainData):
    """One ISO 2709 record as cut from its upload, not decoded yet (see reading.parse).

    Cutting is cheap and decoding is not, so a bulk import cuts records in one process and
    decodes them in others: this is what travels between them."""

    data: bytes
    position: int
    offset: int
    notes: tuple[MarcProblem, ...] = ()
