"""Write records in any of the four formats, normalised first so every output reads back."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from lxml import etree

from app.marc import iso2709, marcjson, marcxml, mnemonic
from app.marc.formats import Format
from app.marc.normalize import normalize_shared
from app.marc.records import Record

ENCODERS: dict[Format, Callable[[Record], bytes]] = {
    Format.MRC: iso2709.encode_record,
    Format.MARCXML: marcxml.encode_record,
    Format.JSON: marcjson.encode_record,
    Format.MRK: mnemonic.encode_record,
}


def write(record: Record, fmt: Format) -> bytes:
    """Serialise one record: ISO 2709, a standalone MARCXML document, a JSON object, or .mrk.

    The record is normalised first (see normalize); the repairs are not reported here.
    Raises RecordTooLong for ISO 2709 when the record exceeds 99,999 bytes or a field 9,999.
    """
    normalized, _ = normalize_shared(record)
    return ENCODERS[fmt](normalized)


def write_stored_collection(
    stored: Iterable[tuple[bytes | None, str]], fmt: Format
) -> Iterator[bytes]:
    """write_collection() of records this service stored, each given as its stored ISO 2709
    (None when too long for it) and MARC-in-JSON: the same bytes, but most records are written
    from those forms without being decoded, normalised and encoded again. Not for ISO 2709,
    whose stored form is the record as written already."""
    written = (_stored_as_written(iso, text, fmt) for iso, text in stored)
    if fmt is Format.JSON:
        yield from json_array(written)
    elif fmt is Format.MARCXML:
        yield from marcxml.collection(written)
    else:
        yield from written


def _stored_as_written(iso2709: bytes | None, text: str, fmt: Format) -> bytes:
    if iso2709 is not None:
        made = _FROM_STORED[fmt](iso2709, text)
        if made is not None:
            return made
    record, _ = normalize_shared(marcjson.from_stored_json(text))
    return marcxml.collection_record(record) if fmt is Format.MARCXML else ENCODERS[fmt](record)


_FROM_STORED: dict[Format, Callable[[bytes, str], bytes | None]] = {
    Format.JSON: lambda iso2709, text: marcjson.stored_json_as_written(text, iso2709),
    Format.MARCXML: lambda iso2709, _: marcxml.stored_collection_record(iso2709),
    Format.MRK: lambda iso2709, _: mnemonic.stored_record(iso2709),
}


def json_array(objects: Iterable[bytes]) -> Iterator[bytes]:
    """A JSON array of serialised objects, one to a line: write_collection's JSON framing."""
    yield b"["
    separator = b"\n"
    for text in objects:
        yield separator + text
        separator = b",\n"
    yield b"\n]\n"


def marcxml_element(record: Record) -> etree._Element:
    """The MARCXML <record> element (MARC21/slim namespace) of a record, normalised first, for
    protocols that embed records in their own XML (SRU recordData, OAI-PMH metadata)."""
    normalized, _ = normalize_shared(record)
    return marcxml.record_element(normalized)


def write_collection(records: Iterable[Record], fmt: Format) -> Iterator[bytes]:
    """Serialise records as one document, yielding it piece by piece.

    MARCXML is a <collection>, JSON an array, ISO 2709 and .mrk records one after another.
    ISO 2709 raises RecordTooLong at the first record it cannot hold, after yielding the
    records before it; callers exporting ISO 2709 should check with write() first if they
    must not stop half-way.
    """
    normalized = (normalize_shared(record)[0] for record in records)
    if fmt is Format.MARCXML:
        yield from marcxml.encode_collection(normalized)
        return
    if fmt is Format.JSON:
        yield from json_array(marcjson.encode_record(record) for record in normalized)
        return
    encode = ENCODERS[fmt]
    for record in normalized:
        yield encode(record)
