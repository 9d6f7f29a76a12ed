"""Read uploads in any of the four formats: one streaming entry point, one strict one."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import BinaryIO

from app.marc.detect import HEAD_SIZE, detect_format
from app.marc.formats import Format
from app.marc.iso2709 import decode_record, iso2709_frames, read_iso2709
from app.marc.marcjson import read_json
from app.marc.marcxml import read_marcxml
from app.marc.mnemonic import read_mnemonic
from app.marc.normalize import CONTROL_FIELD_ORDER, normalize_shared
from app.marc.parsed import Decoded, ParsedRecord, RawRecord
from app.marc.problems import MarcProblem, UnreadableRecord, error
from app.marc.streams import PrefixedStream

Reader = Callable[[PrefixedStream], Iterator[Decoded | MarcProblem]]
READERS: dict[Format, Reader] = {
    Format.MRC: read_iso2709,
    Format.MARCXML: read_marcxml,
    Format.JSON: read_json,
    Format.MRK: read_mnemonic,
}


def read(
    source: bytes | BinaryIO, fmt: Format | None = None
) -> Iterator[ParsedRecord | MarcProblem]:
    """Read records one at a time, normalised, each bad one reported as a problem.

    The format is detected from the first bytes when fmt is None. Records and problems carry
    their position in the upload (from 0; a problem takes the place of the record it stands
    for). A file that cannot be read at all yields a single "unreadable-file" problem.
    Nothing but the current record is held in memory.
    """
    for item in read_pieces(source, fmt):
        yield parse(item) if isinstance(item, RawRecord) else item


def read_pieces(
    source: bytes | BinaryIO | PrefixedStream, fmt: Format | None = None
) -> Iterator[RawRecord | ParsedRecord | MarcProblem]:
    """Like read(), but ISO 2709 records come cut from the file and not yet decoded.

    parse() decodes each as read() would, wherever the caller likes: a bulk import cuts
    records in one process and decodes them in others."""
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    head = stream.read(HEAD_SIZE)
    if not head:
        return
    if fmt is None:
        fmt = detect_format(head)
        if fmt is None:
            yield error(
                "unreadable-file",
                "not a MARC format we read (ISO 2709, MARCXML, MARC-in-JSON, .mrk)",
            ).at(0)
            return
    if fmt is Format.MRC:
        for position, frame in enumerate(iso2709_frames(PrefixedStream(head, stream))):
            if isinstance(frame, MarcProblem):
                yield frame.at(position)
                continue
            yield RawRecord(frame.data, position, frame.offset, frame.notes)
        return
    for position, item in enumerate(READERS[fmt](PrefixedStream(head, stream))):
        yield item.at(position) if isinstance(item, MarcProblem) else _parsed(item, position)


def parse(raw: RawRecord) -> ParsedRecord | MarcProblem:
    """Decode and normalise one record cut by read_pieces(), exactly as read() does."""
    decoded = decode_record(raw.data, offset=raw.offset, notes=list(raw.notes))
    if isinstance(decoded, MarcProblem):
        return decoded.at(raw.position)
    return _parsed(decoded, raw.position)


def _parsed(item: Decoded, position: int) -> ParsedRecord:
    record, repairs = normalize_shared(item.record, normal_lengths=item.normal_lengths)
    warnings = tuple(w.at(position) for w in (*item.warnings, *repairs))
    return ParsedRecord(record, position, item.offset, warnings, _field_bytes(item, repairs))


def _field_bytes(item: Decoded, repairs: tuple[MarcProblem, ...]) -> tuple[bytes, ...] | None:
    """The decoded fields' bytes, while the normalised record's fields are the decoded ones in
    their order: normalize() moves control fields first, and says so."""
    if item.field_bytes is None or any(r.code == CONTROL_FIELD_ORDER for r in repairs):
        return None
    return item.field_bytes


def read_one(data: bytes, fmt: Format | None = None) -> ParsedRecord:
    """Read exactly one record.

    Raises UnreadableRecord with the reader's problem when the record cannot be read, and
    with code "not-one-record" when the data holds no record or more than one.
    """
    items: list[ParsedRecord | MarcProblem] = []
    for item in read(data, fmt):
        items.append(item)
        if len(items) > 1:
            break
    for item in items:
        if isinstance(item, MarcProblem):
            raise UnreadableRecord(item)
    if len(items) != 1:
        found = "none" if not items else "more than one"
        raise UnreadableRecord(error("not-one-record", f"expected one record, found {found}"))
    only = items[0]
    assert isinstance(only, ParsedRecord)
    return only
