"""Read uploads in any of the four formats: one streaming entry point, one strict one."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import BinaryIO

from app.marc.detect import HEAD_SIZE, detect_format
from app.marc.formats import Format
from app.marc.iso2709 import read_iso2709
from app.marc.marcjson import read_json
from app.marc.marcxml import read_marcxml
from app.marc.mnemonic import read_mnemonic
from app.marc.normalize import normalize_shared
from app.marc.parsed import Decoded, ParsedRecord
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
    for position, item in enumerate(READERS[fmt](PrefixedStream(head, stream))):
        if isinstance(item, MarcProblem):
            yield item.at(position)
        else:
            record, repairs = normalize_shared(item.record)
            warnings = tuple(w.at(position) for w in (*item.warnings, *repairs))
            yield ParsedRecord(record, position, item.offset, warnings)


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
