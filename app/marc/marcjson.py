"""MARC-in-JSON (the code4lib proposal pymarc, marc4j and MARC::Record speak).

The reader streams: a JSON array, a single object, or objects one after another (newline
delimited or not) are decoded one record at a time with json.JSONDecoder.raw_decode, so a
large upload is never held whole in memory.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import Any, BinaryIO, TypeGuard

from app.marc.parsed import Decoded
from app.marc.problems import MarcProblem, UnreadableRecord, error, warning
from app.marc.records import (
    DEFAULT_LEADER,
    LEADER_LENGTH,
    Field,
    Record,
    Subfield,
    checked_data_field,
    control_field,
    field_from_parts,
    fit_leader,
    indicators_of,
    is_control_tag,
    leader_of,
    new_record,
    subfield,
    unicode_leader,
)
from app.marc.streams import CHUNK_SIZE, PrefixedStream

_quoted = json.encoder.encode_basestring  # json.dumps of a str, with ensure_ascii=False
# One MARC record in JSON is a few kilobytes; a value this large is not a record.
MAX_VALUE_CHARS = 16 * 1024 * 1024
_WHITESPACE = " \t\r\n\ufeff"
_NOT_WHITESPACE = re.compile(f"[^{_WHITESPACE}]")


def to_json(record: Record) -> dict[str, Any]:
    """Return the record as a MARC-in-JSON dict: {"leader": ..., "fields": [{tag: ...}]}."""
    return {"leader": leader_of(record), "fields": [field_json(field) for field in record.fields]}


def field_json(field: Field) -> dict[str, Any]:
    """Return one field as MARC-in-JSON: {tag: data} or {tag: {ind1, ind2, subfields}}."""
    if field.control_field:
        return {field.tag: field.data or ""}
    first, second = indicators_of(field)
    subfields = [{code: value} for code, value in field.subfields]
    return {field.tag: {"ind1": first, "ind2": second, "subfields": subfields}}


def field_json_text(field: Field) -> str:
    """json.dumps(field_json(field), ensure_ascii=False), made about twice as fast."""
    names = _QUOTED_NAMES
    if field.control_field:
        return f"{{{names[field.tag]}: {_quoted(field.data or '')}}}"
    first, second = indicators_of(field)
    subfields = ", ".join(
        [f"{{{names[code]}: {_quoted(value)}}}" for code, value in field.subfields]
    )
    return (
        f'{{{names[field.tag]}: {{"ind1": {names[first]}, '
        f'"ind2": {names[second]}, "subfields": [{subfields}]}}}}'
    )


class _QuotedNames(dict[str, str]):
    """Tags, indicators and subfield codes as JSON strings: a few hundred of them, cached."""

    def __missing__(self, name: str) -> str:
        quoted = _quoted(name)
        if len(self) < 10_000:
            self[name] = quoted
        return quoted


_QUOTED_NAMES = _QuotedNames()


def encode_record(record: Record) -> bytes:
    """Serialise one record as a UTF-8 MARC-in-JSON object."""
    return json.dumps(to_json(record), ensure_ascii=False).encode("utf-8")


def from_json(value: object) -> Decoded | MarcProblem:
    """Build a record from one decoded MARC-in-JSON object, or say why it is not one."""
    if not isinstance(value, dict):
        return error("not-marc-json", f"expected a MARC-in-JSON object, found {_kind(value)}")
    fields_value = value.get("fields")
    if not isinstance(fields_value, list):
        return error("not-marc-json", 'a MARC-in-JSON record needs a "fields" list')
    warnings: list[MarcProblem] = []
    leader = value.get("leader")
    if not isinstance(leader, str):
        warnings.append(
            warning("missing-leader", f"no leader; assumed {DEFAULT_LEADER!r} (a book)", tag="LDR")
        )
        leader = DEFAULT_LEADER
    leader = unicode_leader(fit_leader(leader, warnings))
    fields: list[Field] = []
    for entry in fields_value:
        if not isinstance(entry, dict) or not entry:
            return error("bad-field", f"a field must be an object {{tag: value}}, found {entry!r}")
        if len(entry) > 1:
            warnings.append(warning("bad-field", f"several fields in one object: {list(entry)}"))
        for tag, content in entry.items():
            field = _field(str(tag), content, warnings)
            if isinstance(field, MarcProblem):
                return field
            fields.append(field)
    return Decoded(new_record(leader, fields), None, tuple(warnings))


def from_stored_json(text: str) -> Record:
    """Rebuild a record this service stored as MARC-in-JSON (already normalised), quickly.

    Skips the streaming reader and normalisation that untrusted input goes through, so the
    leader's lengths stay as stored; raises UnreadableRecord if the text is not MARC-in-JSON."""
    value = json.loads(text)
    record = _as_stored(value)
    if record is not None:
        return record
    decoded = from_json(value)
    if isinstance(decoded, MarcProblem):
        raise UnreadableRecord(decoded)
    return decoded.record


_STORED_HEAD = '{"leader": "'


def stored_json_as_written(text: str, iso2709: bytes) -> bytes | None:
    """What write(record, JSON) gives for a record this service stored, made from its two
    stored forms without decoding either: the MARC-in-JSON text with the leader's lengths
    (00-04 and 12-16) taken from the ISO 2709's leader. The stored JSON's were counted before
    the record got its 001, 003 and 005; write() counts them again, as the ISO 2709's were.

    None when the text does not begin as this service writes it or the leaders differ in
    anything else, for the caller to decode the record and write it."""
    start, end = len(_STORED_HEAD), len(_STORED_HEAD) + LEADER_LENGTH
    stored = text[start:end]
    if not text.startswith(_STORED_HEAD) or text[end : end + 1] != '"' or "\\" in stored:
        return None
    leader = iso2709[:LEADER_LENGTH].decode("ascii", errors="replace")
    if stored[5:12] != leader[5:12] or stored[17:] != leader[17:]:
        return None
    return f"{_STORED_HEAD}{leader}{text[end:]}".encode()


def _as_stored(value: object) -> Record | None:
    """The record of MARC-in-JSON shaped exactly as this service writes it, built without
    from_json's checks and reports; None at the first thing shaped otherwise, for from_json
    to read (the same record either way). A search result page decodes 20 records."""
    if not isinstance(value, dict) or len(value) != 2:
        return None
    leader, entries = value.get("leader"), value.get("fields")
    if not isinstance(leader, str) or len(leader) != LEADER_LENGTH or not isinstance(entries, list):
        return None
    fields: list[Field] = []
    for entry in entries:
        if not isinstance(entry, dict) or len(entry) != 1:
            return None
        ((tag, content),) = entry.items()
        if len(tag) != 3:
            return None
        if isinstance(content, str):
            if not is_control_tag(tag):
                return None
            fields.append(control_field(tag, content))
            continue
        if is_control_tag(tag) or not isinstance(content, dict) or len(content) != 3:
            return None
        first, second, listed = content.get("ind1"), content.get("ind2"), content.get("subfields")
        if not (_is_indicator(first) and _is_indicator(second) and isinstance(listed, list)):
            return None
        subfields: list[Subfield] = []
        for item in listed:
            if not isinstance(item, dict) or len(item) != 1:
                return None
            ((code, text),) = item.items()
            if not isinstance(text, str):
                return None
            subfields.append(subfield(code, text))
        fields.append(checked_data_field(tag, first, second, subfields))
    return new_record(unicode_leader(leader), fields)


def _is_indicator(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and len(value) == 1


def _field(tag: str, content: object, warnings: list[MarcProblem]) -> Field | MarcProblem:
    if isinstance(content, str):
        return field_from_parts(tag, data=content, warnings=warnings)
    if not isinstance(content, dict):
        kind = _kind(content)
        return error("bad-field", f"{tag}: expected text or an object, found {kind}", tag=tag)
    raw_subfields = content.get("subfields")
    if not isinstance(raw_subfields, list):
        return error("bad-field", f'{tag}: a data field needs a "subfields" list', tag=tag)
    subfields: list[tuple[str, str]] = []
    for sub in raw_subfields:
        if not isinstance(sub, dict) or not sub:
            message = f"{tag}: a subfield must be {{code: text}}, found {sub!r}"
            return error("bad-field", message, tag=tag)
        for code, text in sub.items():
            if not isinstance(text, str):
                message = f"{tag} ${code}: expected text, found {_kind(text)}"
                return error("bad-field", message, tag=tag)
            subfields.append((str(code), text))
    indicators = []
    for key in ("ind1", "ind2"):
        indicator = content.get(key)
        if not isinstance(indicator, str) or len(indicator) != 1:
            message = f"{tag} {key} is {indicator!r}; set to blank"
            # Absent or empty is read as blank, as MARC-in-JSON writers intend; any other value
            # would be replaced by a guess, so the record must be fixed first.
            report = warning if indicator in (None, "") else error
            warnings.append(report("missing-indicator", message, tag=tag))
            indicator = " "
        indicators.append(indicator)
    extra = sorted(set(content) - {"ind1", "ind2", "subfields"})
    if extra:
        warnings.append(warning("bad-field", f"{tag}: ignored keys {extra}", tag=tag))
    return field_from_parts(
        tag, indicators=(indicators[0], indicators[1]), subfields=subfields, warnings=warnings
    )


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "text"
    return repr(value)[:40]


class _TextStream:
    """Decoded UTF-8 text of a byte stream, with the byte offset of what has been consumed."""

    def __init__(self, stream: BinaryIO | PrefixedStream) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.text = ""
        self.pos = 0
        self.eof = False
        self.consumed_bytes = 0

    def more(self, size: int = CHUNK_SIZE) -> bool:
        """Read and decode more bytes, dropping consumed text; False at the end."""
        if self.eof:
            return False
        chunk = self._stream.read(size)
        if not chunk:
            self.eof = True
            self.text = self.text[self.pos :] + self._decoder.decode(b"", final=True)
        else:
            self.text = self.text[self.pos :] + self._decoder.decode(chunk)
        self.pos = 0
        return True

    def skip_whitespace(self) -> str | None:
        """Skip whitespace; return the next character without consuming it (None at the end)."""
        while True:
            # A run at a time, not a character: a file padded with megabytes costs no time.
            found = _NOT_WHITESPACE.search(self.text, self.pos)
            self.advance((found.start() if found else len(self.text)) - self.pos)
            if found:
                return self.text[self.pos]
            if not self.more():
                return None

    def advance(self, chars: int) -> None:
        """Consume characters, keeping count of the bytes they came from."""
        self.consumed_bytes += len(
            self.text[self.pos : self.pos + chars].encode("utf-8", "replace")
        )
        self.pos += chars


def read_json(stream: BinaryIO | PrefixedStream) -> Iterator[Decoded | MarcProblem]:
    """Read MARC-in-JSON records one by one; after a JSON syntax error, report it and stop."""
    source = _TextStream(stream)
    first = source.skip_whitespace()
    if first is None:
        return
    in_array = first == "["
    if in_array:
        source.advance(1)
    if first not in "[{":
        yield error("unreadable-file", "the data is not JSON (MARC-in-JSON)")
        return
    read_any = False
    while True:
        char = source.skip_whitespace()
        if char is None:
            if in_array:
                yield error("invalid-json", "the JSON array is not closed: the data was cut short")
            return
        if in_array and char == "]":
            source.advance(1)
            if source.skip_whitespace() is not None:
                yield error("invalid-json", "unexpected data after the end of the JSON array")
            return
        if char == "," and read_any:
            source.advance(1)
            continue
        offset = source.consumed_bytes
        decode_warnings: list[MarcProblem] = []
        value = _decode_value(source, decode_warnings)
        if isinstance(value, MarcProblem):
            yield error("unreadable-file", value.message) if not read_any else value
            return
        read_any = True
        result = from_json(value)
        if isinstance(result, Decoded):
            result = Decoded(result.record, offset, (*decode_warnings, *result.warnings))
        yield result


_STRICT = json.JSONDecoder()
_LENIENT = json.JSONDecoder(strict=False)


def _decode_value(source: _TextStream, warnings: list[MarcProblem]) -> object | MarcProblem:
    read_size = CHUNK_SIZE
    decoder = _STRICT
    while True:
        try:
            value: object
            value, end = decoder.raw_decode(source.text, source.pos)
        except json.JSONDecodeError as exc:
            if decoder is _STRICT and exc.msg.startswith("Invalid control character"):
                # pymarc and others read raw tabs and line breaks inside strings; so do we.
                decoder = _LENIENT
                warnings.append(
                    warning(
                        "json-control-character",
                        "a JSON string holds a raw control character (not valid JSON); read as is",
                    )
                )
                continue
            cut_short = exc.pos >= len(source.text) - 8 or exc.msg.startswith("Unterminated")
            if (
                cut_short
                and len(source.text) - source.pos < MAX_VALUE_CHARS
                and source.more(read_size)
            ):
                read_size *= 2
                continue
            where = source.consumed_bytes + len(source.text[source.pos : exc.pos].encode())
            return error("invalid-json", f"invalid JSON near byte {where}: {exc.msg}")
        except RecursionError:
            # No MARC record nests deeper than three levels; a deep pile of brackets is an attack.
            return error("invalid-json", "JSON nested too deeply to be a MARC record")
        source.advance(end - source.pos)
        return value
