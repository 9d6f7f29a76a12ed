r"""MARC mnemonic text (.mrk), as MarcEdit's MarcBreaker and LC's MARCBreaker write it.

    =LDR  01328cam\a2200337\i\4500
    =008  151030s2015\\\\vm\a\\\\\b\\\\000\0\vie\d
    =245  10$aPhóng sự báo chí :$blý thuyết /$cNguyễn Quang Hòa.

Blanks in the leader, control fields and indicators are written as a backslash. In the
data, "$", "{", "}" and "\" are written {dollar}, {lcub}, {rcub} and {bsol}; LF and CR as
{0A} and {0D}. Records end with a blank line; lines end with CRLF, as MarcEdit writes them.
The reader also takes LF or CRLF, a UTF-8 byte order mark, "=000" for the leader, lines
wrapped onto continuation lines, {U+XXXX}, two-digit hex {XX}, and LC's MARC-8 character
mnemonics ({acute}e, {Dstrok}, {esc}(N… for Cyrillic), putting combining marks after the
letter they sit on as Unicode wants.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from app.marc.iso2709 import stored_parts
from app.marc.legacy_text import legacy_hint
from app.marc.marc8 import ansel_char, decode_marc8
from app.marc.parsed import Decoded
from app.marc.problems import MarcProblem, error, warning
from app.marc.records import (
    DEFAULT_LEADER,
    Field,
    Record,
    control_field,
    data_field,
    fit_leader,
    indicators_of,
    is_control_tag,
    leader_of,
    new_record,
    unicode_leader,
)
from app.marc.streams import PrefixedStream

LINE_END = "\r\n"

# LC's MARCMaker/MARCBreaker character mnemonics, as MARC-8 code points.
_MARC8_NAMES: dict[str, int] = {
    "esc": 0x1B, "dollar": 0x24, "curren": 0x24, "bsol": 0x5C, "lcub": 0x7B, "rcub": 0x7D,
    "lsqb": 0x5B, "rsqb": 0x5D, "verbar": 0x7C, "joiner": 0x8D, "nonjoin": 0x8E,
    "Lstrok": 0xA1, "Ostrok": 0xA2, "Dstrok": 0xA3, "THORN": 0xA4, "AElig": 0xA5,
    "OElig": 0xA6, "softsign": 0xA7, "middot": 0xA8, "flat": 0xA9, "reg": 0xAA,
    "plusmn": 0xAB, "Ohorn": 0xAC, "Uhorn": 0xAD, "mlrhring": 0xAE, "mllhring": 0xB0,
    "lstrok": 0xB1, "ostrok": 0xB2, "dstrok": 0xB3, "thorn": 0xB4, "aelig": 0xB5,
    "oelig": 0xB6, "hardsign": 0xB7, "inodot": 0xB8, "pound": 0xB9, "eth": 0xBA,
    "ohorn": 0xBC, "uhorn": 0xBD, "deg": 0xC0, "scriptl": 0xC1, "phono": 0xC2,
    "copy": 0xC3, "sharp": 0xC4, "iquest": 0xC5, "iexcl": 0xC6, "eszett": 0xC7,
    "euro": 0xC8, "hooka": 0xE0, "grave": 0xE1, "acute": 0xE2, "circ": 0xE3,
    "tilde": 0xE4, "macr": 0xE5, "breve": 0xE6, "dot": 0xE7, "diaer": 0xE8, "uml": 0xE8,
    "caron": 0xE9, "ring": 0xEA, "llig": 0xEB, "rlig": 0xEC, "rcommaa": 0xED,
    "dblac": 0xEE, "candra": 0xEF, "cedil": 0xF0, "ogon": 0xF1, "dotb": 0xF2,
    "dbldotb": 0xF3, "ringb": 0xF4, "dblunder": 0xF5, "under": 0xF6, "commab": 0xF7,
    "rcedil": 0xF8, "breveb": 0xF9, "ldbltil": 0xFA, "rdbltil": 0xFB, "commaa": 0xFE,
}  # fmt: skip
_TOKEN = re.compile(r"\{([A-Za-z0-9+]{1,10})\}")
_HEX = re.compile(r"[0-9A-Fa-f]{2}\Z")
_CODEPOINT = re.compile(r"U\+([0-9A-Fa-f]{4,6})\Z")
_ESCAPES = {"$": "{dollar}", "{": "{lcub}", "}": "{rcub}", "\\": "{bsol}"}
_ESCAPES |= {"\n": "{0A}", "\r": "{0D}"}
_DATA_ESCAPE = re.compile(r"[${}\\\n\r]")


def _marc8_char(code: int) -> tuple[str, bool] | None:
    if code < 0x80:
        return chr(code), False
    return ansel_char(code)


def to_mnemonic_line(field: Field) -> str:
    """Return one field as a .mrk line without line ending, e.g. "=245  10$aTitle /$cAuthor."."""
    if field.control_field:
        return f"={field.tag}  {_blanks_out(_escape(field.data or ''))}"
    first, second = indicators_of(field)
    indicators = _blanks_out(first + second)
    subfields = "".join(f"${_escape(sub.code)}{_escape(sub.value)}" for sub in field.subfields)
    return f"={field.tag}  {indicators}{subfields}"


def leader_line(record: Record) -> str:
    """Return the record's leader as a .mrk line."""
    return f"=LDR  {_blanks_out(leader_of(record))}"


def encode_record(record: Record) -> bytes:
    """Serialise one record as .mrk text (UTF-8, CRLF), ending with the blank separator line."""
    lines = [leader_line(record), *(to_mnemonic_line(field) for field in record.fields), ""]
    return (LINE_END.join(lines) + LINE_END).encode("utf-8")


def stored_record(iso2709: bytes) -> bytes | None:
    """encode_record() of a record this service stored, made from its stored ISO 2709
    (normalised, UTF-8) without building the record: the same bytes. None for anything not
    as this service stores records, for the caller to decode."""
    stored = stored_parts(iso2709)
    if stored is None:
        return None
    leader, fields = stored
    lines = [f"=LDR  {_blanks_out(leader)}"]
    for tag, data, subfields in fields:
        if subfields is None:
            lines.append(f"={tag}  {_blanks_out(_escape(data))}")
            continue
        text = "".join(f"${_escape(code)}{_escape(value)}" for code, value in subfields)
        lines.append(f"={tag}  {_blanks_out(data)}{text}")
    lines.append("")
    return (LINE_END.join(lines) + LINE_END).encode("utf-8")


def _blanks_out(text: str) -> str:
    return text.replace(" ", "\\")


def _escape(text: str) -> str:
    return _DATA_ESCAPE.sub(lambda match: _ESCAPES[match.group()], text)


def unescape(text: str, *, control: bool = False) -> tuple[str, tuple[str, ...]]:
    """Decode mnemonics in one value; return the text and what could not be decoded.

    In control fields (and the leader) a backslash is a blank. A value using {esc} is
    MARC-8 written in mnemonics and goes through the MARC-8 decoder whole.
    """
    if "{esc}" in text and text.isascii():
        return _unescape_marc8(text, control=control)
    out: list[str] = []
    pending: list[str] = []

    def emit(char: str, combining: bool) -> None:
        if combining:
            pending.append(char)
            return
        out.append(char)
        if pending:
            out.extend(pending)
            pending.clear()

    position = 0
    for match in _TOKEN.finditer(text):
        for char in text[position : match.start()]:
            emit(" " if control and char == "\\" else char, False)
        position = match.end()
        decoded = _decode_token(match.group(1))
        if decoded is None:
            # An unknown name is text that happens to be in braces, e.g. "{text}".
            for char in match.group():
                emit(char, False)
        else:
            emit(*decoded)
    for char in text[position:]:
        emit(" " if control and char == "\\" else char, False)
    out.extend(pending)
    return "".join(out), ()


def _decode_token(name: str) -> tuple[str, bool] | None:
    code = _MARC8_NAMES.get(name)
    if code is not None:
        return _marc8_char(code)
    if _HEX.match(name):
        value = int(name, 16)
        return _marc8_char(value) or (chr(value), False)
    codepoint = _CODEPOINT.match(name)
    if codepoint:
        value = int(codepoint.group(1), 16)
        if value <= 0x10FFFF:
            return chr(value), False
    return None


def _unescape_marc8(text: str, *, control: bool) -> tuple[str, tuple[str, ...]]:
    raw = bytearray()
    position = 0
    for match in _TOKEN.finditer(text):
        raw += _blanks(text[position : match.start()], control).encode("ascii")
        position = match.end()
        name = match.group(1)
        code = _MARC8_NAMES.get(name)
        if code is None and _HEX.match(name):
            code = int(name, 16)
        if code is None:
            raw += match.group().encode("ascii")
        else:
            raw.append(code)
    raw += _blanks(text[position:], control).encode("ascii")
    return decode_marc8(bytes(raw))


def _blanks(text: str, control: bool) -> str:
    return text.replace("\\", " ") if control else text


class _RecordLines:
    """The raw lines of one record as they are collected, with where the record starts."""

    def __init__(self, offset: int) -> None:
        self.offset = offset
        self.leader: str | None = None
        self.fields: list[str] = []
        self.warnings: list[MarcProblem] = []


def read_mnemonic(stream: BinaryIO | PrefixedStream) -> Iterator[Decoded | MarcProblem]:
    """Read .mrk records one by one (a record ends at a blank line or at the next leader)."""
    current: _RecordLines | None = None
    # Stray lines between records are reported with the record that follows them.
    orphans: list[MarcProblem] = []
    offset = 0
    read_any = False
    first_line = True
    while True:
        raw = stream.readline()
        if not raw:
            break
        line_offset = offset
        offset += len(raw)
        if first_line and raw.startswith(b"\xef\xbb\xbf"):
            raw, line_offset = raw[3:], 3
        first_line = False
        try:
            line = raw.decode("utf-8")
            bad_bytes = False
        except UnicodeDecodeError:
            line, bad_bytes = raw.decode("utf-8", errors="replace"), True
            hint = legacy_hint(raw.rstrip(b"\r\n"))
        line = line.removesuffix("\n").removesuffix("\r")
        if not line.strip():
            if current is not None:
                yield _build(current)
                read_any, current = True, None
            continue
        is_leader = line.startswith(("=LDR", "=000"))
        if current is not None and is_leader and (current.leader is not None or current.fields):
            yield _build(current)
            read_any, current = True, None
        if current is None:
            if not line.startswith("="):
                if not read_any:
                    yield error("unreadable-file", "the data is not MARC mnemonic text (.mrk)")
                    return
                message = (
                    f"line at byte {line_offset} is not a field and was ignored: {line[:40]!r}"
                )
                orphans.append(warning("not-mnemonic", message))
                continue
            current = _RecordLines(line_offset)
            current.warnings.extend(orphans)
            orphans.clear()
        if bad_bytes:
            current.warnings.append(
                warning(
                    "invalid-utf8",
                    f"line at byte {line_offset} is not UTF-8{hint}; replaced by U+FFFD",
                )
            )
        if is_leader:
            current.leader = _strip_separator(line[4:])
        elif line.startswith("="):
            current.fields.append(line)
        elif current.fields:
            # A wrapped line continues the field above it, exactly as written.
            current.fields[-1] += line
        else:
            current.warnings.append(warning("not-mnemonic", f"text {line[:40]!r} ignored"))
    if current is not None:
        yield _build(current)


def _strip_separator(rest: str) -> str:
    if rest.startswith("  "):
        return rest[2:]
    return rest.removeprefix(" ")


def _build(lines: _RecordLines) -> Decoded | MarcProblem:
    warnings = lines.warnings
    if lines.leader is None:
        warnings.append(
            warning(
                "missing-leader", f"no =LDR line; assumed {DEFAULT_LEADER!r} (a book)", tag="LDR"
            )
        )
        leader = DEFAULT_LEADER
    else:
        leader, issues = unescape(lines.leader, control=True)
        _report(issues, "LDR", warnings)
        leader = fit_leader(leader, warnings)
    leader = unicode_leader(leader)
    fields = []
    for line in lines.fields:
        fields.append(_parse_field(line, warnings))
    return Decoded(new_record(leader, fields), lines.offset, tuple(warnings))


def _report(issues: tuple[str, ...], tag: str, warnings: list[MarcProblem]) -> None:
    for issue in issues:
        warnings.append(error("marc8-undecodable", f"{tag}: {issue}", tag=tag))


def _parse_field(line: str, warnings: list[MarcProblem]) -> Field:
    tag = line[1:4]
    rest = _strip_separator(line[4:])
    if is_control_tag(tag):
        data, issues = unescape(rest, control=True)
        _report(issues, tag, warnings)
        return control_field(tag, data)
    if rest.startswith("$"):
        warnings.append(
            warning("missing-indicator", f"{tag}: no indicators; set to blank", tag=tag)
        )
        indicators, rest = "  ", rest
    elif rest[1:2] == "$" or len(rest) < 2:
        warnings.append(
            warning("missing-indicator", f"{tag}: one indicator missing; set to blank", tag=tag)
        )
        indicators, rest = rest[:1].ljust(2), rest[1:]
    else:
        indicators, rest = rest[:2], rest[2:]
    indicators = indicators.replace("\\", " ")
    pieces = rest.split("$")
    if pieces[0]:
        text, issues = unescape(pieces[0])
        _report(issues, tag, warnings)
        warnings.append(
            warning(
                "data-before-subfield",
                f"{tag}: text {text[:40]!r} before the first $ kept as $a",
                tag=tag,
            )
        )
        pieces[0] = "a" + pieces[0]
    else:
        pieces.pop(0)
    subfields = []
    for piece in pieces:
        if not piece:
            warnings.append(
                warning("empty-subfield", f"{tag}: an empty subfield was dropped", tag=tag)
            )
            continue
        token = _TOKEN.match(piece)
        decoded = _decode_token(token.group(1)) if token else None
        if token and decoded is not None:
            code, value = decoded[0], piece[token.end() :]
        else:
            code, value = piece[0], piece[1:]
        text, issues = unescape(value)
        _report(issues, tag, warnings)
        subfields.append((code, text))
    return data_field(tag, indicators[0], indicators[1], subfields)
