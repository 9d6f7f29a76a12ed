"""ISO 2709 (MARC transmission format, .mrc): a tolerant streaming reader and a strict writer.

The reader decodes the leader and directory itself and builds pymarc fields, so pymarc never
sees the raw bytes: it would warn (BadSubfieldCodeWarning), log, or give up on records that
a library can still use, and its warnings are process-global state in a threaded service.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from app.marc.detect import UTF8_BOM
from app.marc.legacy_text import legacy_hint
from app.marc.marc8 import decode_marc8
from app.marc.parsed import Decoded
from app.marc.problems import MarcProblem, RecordTooLong, error, warning
from app.marc.records import (
    LEADER_LENGTH,
    Field,
    Leader,
    Record,
    checked_data_field,
    control_field,
    data_field,
    field_from_parts,
    indicators_of,
    is_control_tag,
    leader_of,
    new_record,
    subfield,
)
from app.marc.slim import (
    CONTROL_TAG,
    DATA_TAG,
    FORBIDDEN_IN_ISO2709_DATA,
    INDICATORS,
    SUBFIELD_CODES,
    blank_signs_in,
    only_blanks,
)
from app.marc.streams import PrefixedStream, Window

RECORD_TERMINATOR = b"\x1d"
FIELD_TERMINATOR = b"\x1e"
SUBFIELD_DELIMITER = b"\x1f"
_DELIMITER = "\x1f"
MAX_RECORD_LENGTH = 99_999
MAX_FIELD_LENGTH = 9_999
# How far to look for a record terminator when the leader's length is wrong; real records
# never come near it, so a longer run is not a record at all.
MAX_SCAN = 1024 * 1024
_SKIPPED_BETWEEN_RECORDS = b" \t\r\n\x00\x1a\x1d\x1e"
_FILLER_LOOKAHEAD = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Frame:
    """The bytes of one record as cut from the stream, where it starts, and what was noticed
    while cutting it."""

    offset: int
    data: bytes
    notes: tuple[MarcProblem, ...] = ()


def read_iso2709(stream: BinaryIO | PrefixedStream) -> Iterator[Decoded | MarcProblem]:
    """Read ISO 2709 records one by one, reporting a broken record and going on.

    A record whose length is wrong is cut at the next record terminator (0x1D); one whose
    directory cannot be trusted is read field by field when that is unambiguous and reported
    otherwise. Problems carry no position (the caller numbers records) but their byte offset.
    """
    for frame in iso2709_frames(stream):
        if isinstance(frame, MarcProblem):
            yield frame
        else:
            yield decode_record(frame.data, offset=frame.offset, notes=list(frame.notes))


def iso2709_frames(stream: BinaryIO | PrefixedStream) -> Iterator[Frame | MarcProblem]:
    """Cut ISO 2709 records from a stream without decoding them (read_iso2709 decodes them).

    Cutting is a small part of reading: a bulk import cuts in one process and decodes the
    frames in others. The same damage is found, in the same order, as read_iso2709 reports."""
    window = Window(stream)
    start = 3 if window.slice(0, 3) == UTF8_BOM else 0
    read_any = False
    while True:
        # What came before start has been handed out: forgetting it keeps any padding cheap.
        record_start = window.skip_any(_SKIPPED_BETWEEN_RECORDS, start, forget=True)
        skipped, start = record_start - (start if read_any else 0), record_start
        if window.byte_at(start) is None:
            return
        window.drop_before(start)
        if not read_any and not _looks_like_leader(window.slice(start, start + LEADER_LENGTH)):
            yield error("unreadable-file", "the data is not ISO 2709 (MARC transmission format)")
            return
        read_any = True
        end, notes, problem = _record_end(window, start)
        if problem is not None:
            yield problem.at_byte(start)
            if end < 0:
                return
            start = end
            continue
        if skipped:
            message = f"{skipped} byte(s) of filler (line breaks, NUL, EOF marks, BOM) skipped"
            notes = [warning("filler-skipped", message), *notes]
        yield Frame(start, window.slice(start, end), tuple(notes))
        start = end


def _looks_like_leader(head: bytes) -> bool:
    """Tell a damaged leader from data that was never MARC: any of its fixed parts will do."""
    return head[:5].isdigit() or head[10:12] == b"22" or head[20:24] == b"4500"


def _record_end(window: Window, start: int) -> tuple[int, list[MarcProblem], MarcProblem | None]:
    """Find where the record at start ends: (end offset, warnings, or else an error)."""
    head = window.slice(start, start + 5)
    declared = int(head) if len(head) == 5 and head.isdigit() else 0
    if declared > LEADER_LENGTH:
        terminator = window.find(RECORD_TERMINATOR, start, start + declared)
        if terminator == start + declared - 1:
            return start + declared, [], None
        if terminator < 0 and _next_record_starts(window, start + declared):
            # The length is right but the terminator was never written.
            message = "no record terminator (0x1D); the leader's record length was used"
            return start + declared, [warning("missing-record-terminator", message)], None
    terminator = window.find(RECORD_TERMINATOR, start, start + MAX_SCAN)
    if terminator >= 0:
        size = terminator + 1 - start
        message = (
            f"leader/00-04 says {head.decode('ascii', 'replace')!r} but the record is {size} bytes"
        )
        return terminator + 1, [warning("record-length-mismatch", message)], None
    if window.byte_at(start + MAX_SCAN) is not None:
        problem = error(
            "no-record-terminator",
            f"no record terminator (0x1D) within {MAX_SCAN:,} bytes of byte {start}",
        )
        return window.skip_past(RECORD_TERMINATOR, start + MAX_SCAN), [], problem
    remaining = window.end - start
    if declared and remaining < declared:
        message = (
            f"truncated record at byte {start}: the leader says {declared} bytes, "
            f"only {remaining} remain"
        )
    else:
        message = f"truncated record at byte {start}: no record terminator (0x1D) before the end"
    return -1, [], error("truncated-record", message)


def _next_record_starts(window: Window, offset: int) -> bool:
    """Tell whether offset is the end of the data or the start of another record."""
    if window.byte_at(offset - 1) != FIELD_TERMINATOR[0]:
        return False
    # The record before offset is still to be cut, so nothing is forgotten: the look is
    # bounded instead, and that much padding says this record ended there.
    limit = offset + _FILLER_LOOKAHEAD
    following = window.skip_any(_SKIPPED_BETWEEN_RECORDS, offset, forget=False, limit=limit)
    if following >= limit or window.byte_at(following) is None:
        return True
    return _looks_like_leader(window.slice(following, following + LEADER_LENGTH))


def decode_record(
    raw: bytes, *, offset: int | None = None, notes: list[MarcProblem] | None = None
) -> Decoded | MarcProblem:
    """Decode one ISO 2709 record (terminator included) into a pymarc record, or a problem.

    notes are warnings the caller already has about the record (they come first).
    """
    where = f" at byte {offset}" if offset is not None else ""
    if len(raw) < LEADER_LENGTH + 2:
        message = f"record{where} is only {len(raw)} bytes long"
        return error("record-too-short", message).at_byte(offset)
    leader = raw[:LEADER_LENGTH].decode("ascii", errors="replace")
    warnings: list[MarcProblem] = list(notes or ())
    base = _base_address(raw, leader, warnings)
    if base is None:
        return error(
            "bad-directory",
            f"record{where}: cannot find where the directory ends (no 0x1E after whole "
            "12-byte entries, and leader/12-16 does not say)",
        ).at_byte(offset)
    directory = raw[LEADER_LENGTH : base - 1]
    data = raw[base:-1] if raw.endswith(RECORD_TERMINATOR) else raw[base:]
    entries = [directory[i : i + 12] for i in range(0, len(directory), 12)]
    located = _fields_by_directory(entries, data)
    if located is None:
        located = _fields_in_order(entries, data)
        if located is None:
            return error(
                "bad-directory",
                f"record{where}: the directory ({len(entries)} entries) does not match "
                f"the fields in the data ({data.count(FIELD_TERMINATOR)} field terminators)",
            ).at_byte(offset)
        warnings.append(
            warning(
                "directory-mismatch",
                "field lengths or positions in the directory do not match the data; "
                "fields were read in order",
            )
        )
    decoder = _text_decoder(leader, data, warnings)
    # The common case, UTF-8 text already clean and fields already well formed, is told once
    # for the record: normalize() then need not look at each field again.
    utf8 = decoder.encoding == "utf-8"
    normal = utf8 and _clean(data)
    fields = []
    for tag, body in located:
        made = _utf8_field(tag, body) if utf8 else None
        if made is None:
            normal = False
            fields.append(_decode_field(tag, body, decoder, warnings))
        else:
            field, well_formed = made
            normal = normal and well_formed
            fields.append(field)
    # The text is Unicode now, whatever leader/09 said: its disagreements were reported above.
    leader = leader[:9] + "a" + leader[10:]
    lengths = None
    field_bytes = None
    if normal:
        field_bytes = tuple(body + FIELD_TERMINATOR for _, body in located)
        base = LEADER_LENGTH + 12 * len(located) + 1
        lengths = (base + sum(len(body) for body in field_bytes) + 1, base)
    return Decoded(new_record(leader, fields), offset, tuple(warnings), lengths, field_bytes)


def _clean(data: bytes) -> bool:
    """Whether a record's data is UTF-8 text in NFC with no character MARCXML forbids."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if FORBIDDEN_IN_ISO2709_DATA.search(text):
        return False
    # The delimiters compose with nothing, so the whole is NFC exactly when every piece is.
    return text.isascii() or unicodedata.is_normalized("NFC", text)


def _base_address(raw: bytes, leader: str, warnings: list[MarcProblem]) -> int | None:
    """Find where the data starts: after the directory's 0x1E, or where the leader says."""
    declared = int(leader[12:17]) if leader[12:17].isdigit() else 0
    plausible = LEADER_LENGTH < declared < len(raw) and _is_directory(
        raw[LEADER_LENGTH : declared - 1]
    )
    if plausible and raw[declared - 1 : declared] == FIELD_TERMINATOR:
        return declared
    directory_end = raw.find(FIELD_TERMINATOR, LEADER_LENGTH)
    if directory_end >= 0 and _is_directory(raw[LEADER_LENGTH:directory_end]):
        if declared != directory_end + 1:
            message = (
                f"leader/12-16 says {leader[12:17]!r} but the data starts at {directory_end + 1}"
            )
            warnings.append(warning("base-address-mismatch", message))
        return directory_end + 1
    if plausible:
        found = raw[declared - 1 : declared]
        message = f"the directory ends with {found!r} instead of 0x1E; leader/12-16 used"
        warnings.append(warning("directory-terminator", message))
        return declared
    return None


def _is_directory(directory: bytes) -> bool:
    if len(directory) % 12:
        return False
    return all(directory[i + 3 : i + 12].isdigit() for i in range(0, len(directory), 12))


def _fields_by_directory(entries: list[bytes], data: bytes) -> list[tuple[str, bytes]] | None:
    fields = []
    for entry in entries:
        length, start = entry[3:7], entry[7:12]
        if not (length.isdigit() and start.isdigit()):
            return None
        begin, size = int(start), int(length)
        body = data[begin : begin + size]
        if size < 1 or len(body) != size or FIELD_TERMINATOR in body[:-1]:
            return None
        if not body.endswith(FIELD_TERMINATOR):
            return None
        fields.append((_tag(entry), body[:-1]))
    return fields


def _fields_in_order(entries: list[bytes], data: bytes) -> list[tuple[str, bytes]] | None:
    """Pair directory entries with the data's fields when only lengths or offsets are wrong."""
    pieces = data.split(FIELD_TERMINATOR)
    if pieces and pieces[-1] == b"":
        pieces.pop()
    if len(pieces) != len(entries):
        return None
    order = list(range(len(entries)))
    if all(entry[7:12].isdigit() for entry in entries):
        # Offsets counted in characters instead of bytes are wrong but still in data order.
        order.sort(key=lambda i: int(entries[i][7:12]))
    bodies: list[bytes] = [b""] * len(entries)
    for piece, index in zip(pieces, order, strict=True):
        bodies[index] = piece
    return [(_tag(entry), body) for entry, body in zip(entries, bodies, strict=True)]


def _tag(entry: bytes) -> str:
    return entry[:3].decode("ascii", errors="replace")


class _TextDecoder:
    """Turns field bytes into text in the encoding the record really uses."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding

    def decode(self, raw: bytes, tag: str, warnings: list[MarcProblem]) -> str:
        """Decode one subfield's or control field's bytes, reporting what could not be."""
        if self.encoding == "marc8":
            text, issues = decode_marc8(raw)
            for issue in issues:
                warnings.append(error("marc8-undecodable", f"{tag}: {issue}", tag=tag))
            return text
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = raw[exc.start : exc.start + 4]
            # An error: the text is garbled, and storing it would spread the damage.
            warnings.append(
                error(
                    "invalid-utf8",
                    f"{tag}: bytes {bad!r} are not UTF-8{legacy_hint(raw)}; replaced by U+FFFD",
                    tag=tag,
                )
            )
            return raw.decode("utf-8", errors="replace")


def _text_decoder(leader: str, data: bytes, warnings: list[MarcProblem]) -> _TextDecoder:
    """Choose UTF-8 or MARC-8 from leader/09, unless the bytes plainly say otherwise."""
    coding = leader[9]
    if coding == "a":
        return _TextDecoder("utf-8")
    has_multibyte = any(byte >= 0x80 for byte in data)
    utf8 = has_multibyte and b"\x1b" not in data and _is_utf8(data)
    if coding == " ":
        if utf8:
            warnings.append(
                warning(
                    "encoding-mismatch",
                    "leader/09 says MARC-8 but the data is UTF-8; read as UTF-8",
                )
            )
            return _TextDecoder("utf-8")
        return _TextDecoder("marc8")
    chosen = "utf-8" if utf8 or not has_multibyte else "marc8"
    warnings.append(
        warning(
            "encoding-unknown",
            f"leader/09 {coding!r} is not a MARC 21 character coding; read as "
            f"{'UTF-8' if chosen == 'utf-8' else 'MARC-8'}",
        )
    )
    return _TextDecoder(chosen)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _utf8_field(tag: str, body: bytes) -> tuple[Field, bool] | None:
    """Decode a well-formed UTF-8 field with one decode and one split; None when it needs
    _decode_field's care (bad UTF-8, odd indicators, empty or non-ASCII subfield codes), which
    gives the same field for everything accepted here, and reports the rest.

    With the field, whether its tag, indicators and subfield codes are all as normalize()
    leaves them (its text is the caller's to check)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if is_control_tag(tag):
        if _DELIMITER in text:
            return None
        normal = CONTROL_TAG.match(tag) is not None and not blank_signs_in(tag, text)
        return control_field(tag, text), normal
    pieces = text.split(_DELIMITER)
    head = pieces[0]
    if len(head) != 2 or len(pieces) < 2 or not head.isascii():
        return None
    well_formed = (
        DATA_TAG.match(tag) is not None and head[0] in INDICATORS and head[1] in INDICATORS
    )
    subfields = []
    for piece in pieces[1:]:
        if not piece or piece[0] >= "\x80":
            return None
        well_formed = well_formed and piece[0] in SUBFIELD_CODES
        subfields.append(subfield(piece[0], piece[1:]))
    return checked_data_field(tag, head[0], head[1], subfields), well_formed


def _decode_field(
    tag: str, body: bytes, decoder: _TextDecoder, warnings: list[MarcProblem]
) -> Field:
    if is_control_tag(tag) and SUBFIELD_DELIMITER not in body:
        return control_field(tag, decoder.decode(body, tag, warnings))
    first_delimiter = body.find(SUBFIELD_DELIMITER)
    head = body if first_delimiter < 0 else body[:first_delimiter]
    indicators = head[:2].decode("ascii", errors="replace")
    if len(indicators) < 2:
        warnings.append(
            warning(
                "missing-indicator",
                f"{tag}: {2 - len(indicators)} indicator(s) missing; set to blank",
                tag=tag,
            )
        )
        indicators = indicators.ljust(2)
    if len(head) > 2 and first_delimiter < 0:
        # No delimiter at all: keep the text rather than lose the field.
        text = decoder.decode(head[2:], tag, warnings)
        warnings.append(
            warning(
                "no-subfield-delimiter",
                f"{tag}: no subfield delimiter; the text was kept as $a",
                tag=tag,
            )
        )
        return data_field(tag, indicators[0], indicators[1], [("a", text)])
    if len(head) > 2:
        lost = decoder.decode(head[2:], tag, warnings)
        # An error, like every repair that loses text: the record is refused, not stored cut.
        # Blanks lose nothing (a third indicator written as '\\', say).
        report = warning if only_blanks(lost) else error
        warnings.append(
            report(
                "data-before-subfield",
                f"{tag}: text {lost!r} before the first subfield was dropped",
                tag=tag,
            )
        )
    subfields: list[tuple[str, str]] = []
    pieces = [] if first_delimiter < 0 else body[first_delimiter + 1 :].split(SUBFIELD_DELIMITER)
    for piece in pieces:
        if not piece:
            warnings.append(
                warning("empty-subfield", f"{tag}: an empty subfield was dropped", tag=tag)
            )
            continue
        if piece[0] < 0x80:
            code, value = chr(piece[0]), decoder.decode(piece[1:], tag, warnings)
        else:
            # Not a code: a delimiter in the middle of multi-byte text. Keep the text;
            # normalize() reports and repairs the code.
            text = decoder.decode(piece, tag, warnings)
            code, value = text[:1], text[1:]
            warnings.append(
                warning(
                    "invalid-subfield-code",
                    f"{tag}: subfield code byte 0x{piece[0]:02X} is not ASCII; read as {code!r}",
                    tag=tag,
                )
            )
        subfields.append((code, value))
    # field_from_parts keeps subfields of a control tag (danMARC, UNIMARC 001) as text.
    return field_from_parts(
        tag, indicators=(indicators[0], indicators[1]), subfields=subfields, warnings=warnings
    )


def encode_record(record: Record) -> bytes:
    """Serialise a normalised record as UTF-8 ISO 2709.

    Raises RecordTooLong when the record exceeds 99,999 bytes or a field 9,999 bytes,
    the limits of the format's length fields; nothing is ever truncated.
    """
    fields = record.fields
    bodies = [encode_field(field) for field in fields]
    return assemble(leader_of(record), [field.tag for field in fields], bodies)


def assemble(leader: str, tags: list[str], bodies: list[bytes]) -> bytes:
    """Put a record together from its leader and its fields' tags and encoded bodies.

    Raises RecordTooLong as encode_record does."""
    directory = []
    offset = 0
    for tag, body in zip(tags, bodies, strict=True):
        directory.append(f"{tag}{len(body):04d}{offset:05d}")
        offset += len(body)
    base = LEADER_LENGTH + 12 * len(tags) + 1
    total = base + offset + 1
    if total > MAX_RECORD_LENGTH:
        raise RecordTooLong(
            error(
                "record-too-long",
                f"record is {total:,} bytes; ISO 2709 cannot hold more than "
                f"{MAX_RECORD_LENGTH:,} (write it as MARCXML or JSON)",
            )
        )
    for tag, body in zip(tags, bodies, strict=True):
        if len(body) > MAX_FIELD_LENGTH:
            raise RecordTooLong(
                error(
                    "record-too-long",
                    f"field {tag} is {len(body):,} bytes; ISO 2709 cannot hold a field "
                    f"longer than {MAX_FIELD_LENGTH:,} (write it as MARCXML or JSON)",
                    tag=tag,
                )
            )
    head = f"{total:05d}{leader[5:9]}a{leader[10:12]}{base:05d}{leader[17:]}{''.join(directory)}"
    return head.encode("ascii") + FIELD_TERMINATOR + b"".join(bodies) + RECORD_TERMINATOR


def replace_bodies(data: bytes, bodies: dict[str, bytes]) -> bytes:
    """A well-formed record (as assemble() makes it) with the first field of each tag in
    `bodies` given that body (its field terminator included), the directory made again.

    Raises RecordTooLong as assemble() does."""
    base = int(data[12:17])
    tags: list[str] = []
    parts: list[bytes] = []
    wanted = dict(bodies)
    for start in range(LEADER_LENGTH, base - 1, 12):
        entry = data[start : start + 12]
        tag = entry[:3].decode("ascii")
        offset = base + int(entry[7:12])
        tags.append(tag)
        parts.append(wanted.pop(tag) if tag in wanted else data[offset : offset + int(entry[3:7])])
    return assemble(data[:LEADER_LENGTH].decode("ascii"), tags, parts)


def encode_field(field: Field) -> bytes:
    """A field's bytes in ISO 2709, its field terminator included."""
    if field.control_field:
        return (field.data or "").encode("utf-8") + FIELD_TERMINATOR
    first, second = indicators_of(field)
    # One encode per field: the delimiters are ASCII, so this is the subfields encoded one by one.
    text = "".join([first, second, *[_DELIMITER + code + value for code, value in field.subfields]])
    return text.encode("utf-8") + FIELD_TERMINATOR


def iso2709_lengths(record: Record) -> tuple[int, int]:
    """Return (record length, base address) of the record's UTF-8 ISO 2709 form."""
    total = 0
    for field in record.fields:
        if field.control_field:
            total += _utf8_length(field.data or "") + 1
            continue
        subfields = field.subfields
        total += 3 + len(subfields)
        total += _utf8_length("".join([code + value for code, value in subfields]))
    base = LEADER_LENGTH + 12 * len(record.fields) + 1
    return base + total + 1, base


def set_iso2709_lengths(record: Record, lengths: tuple[int, int] | None = None) -> Record:
    """Set leader/00-04 and 12-16 to the record's ISO 2709 lengths ("00000" past the limit),
    so its leader tells the truth whatever was added or removed; returns the same record.

    `lengths` are iso2709_lengths(record), when the caller knows them already."""
    total, base = lengths if lengths is not None else iso2709_lengths(record)
    leader = leader_of(record)
    length = f"{total:05d}" if total <= MAX_RECORD_LENGTH else "00000"
    address = f"{base:05d}" if base <= MAX_RECORD_LENGTH else "00000"
    record.leader = Leader(length + leader[5:12] + address + leader[17:])
    return record


def _utf8_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


StoredField = tuple[str, str, list[tuple[str, str]] | None]


def stored_parts(data: bytes) -> tuple[str, list[StoredField]] | None:
    """The leader and fields of an ISO 2709 record this service stored (normalised, UTF-8,
    well formed), as plain text without building a record, for writers in a hurry: each field
    is (tag, data, None) for a control field, (tag, indicators, [(code, value)…]) for a data
    field. None for anything shaped otherwise, for the caller to decode the record."""
    leader = data[:LEADER_LENGTH]
    base = int(leader[12:17]) if leader[12:17].isdigit() else 0
    directory = data[LEADER_LENGTH : base - 1]
    if (
        leader[9:10] != b"a"
        or base <= LEADER_LENGTH
        or len(directory) % 12
        or data[base - 1 : base] != FIELD_TERMINATOR
        or not data.endswith(RECORD_TERMINATOR)
    ):
        return None
    entries = [directory[i : i + 12] for i in range(0, len(directory), 12)]
    located = _fields_by_directory(entries, data[base:-1])
    if located is None:
        return None
    fields: list[StoredField] = []
    try:
        for tag, body in located:
            text = body.decode("utf-8")
            if is_control_tag(tag):
                fields.append((tag, text, None))
                continue
            head, *pieces = text.split(_DELIMITER)
            if len(head) != 2 or not pieces or not all(pieces):
                return None
            fields.append((tag, head, [(piece[0], piece[1:]) for piece in pieces]))
        return leader.decode("ascii"), fields
    except UnicodeDecodeError:
        return None
