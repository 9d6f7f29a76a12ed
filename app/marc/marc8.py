"""MARC-8 to Unicode, with pymarc's code tables but our own handling of bad bytes.

pymarc's MARC8ToUnicode writes to stderr, turns unknown characters into spaces, drops
combining marks left at the end of a string and silently drops 0x80-0x9F (where MARC-8 keeps
the joiners and the non-sort marks). This translator reports each such thing instead.
"""

from __future__ import annotations

from pymarc import marc8_mapping

BASIC_LATIN = 0x42
ANSEL = 0x45
EACC = 0x31
_TECHNIQUE_1 = {ord("g"): 0x67, ord("b"): 0x62, ord("p"): 0x70, ord("s"): BASIC_LATIN}
_ESC = 0x1B
REPLACEMENT = "\ufffd"


def decode_marc8(data: bytes) -> tuple[str, tuple[str, ...]]:
    """Decode MARC-8 bytes; return the text (not yet NFC) and what could not be decoded.

    Each code set designation lasts to the end of `data`, so callers decode one subfield
    at a time, as MARC-8 resets to ASCII/ANSEL at every field and subfield.
    Characters that cannot be decoded become U+FFFD.
    """
    g0, g1 = BASIC_LATIN, ANSEL
    out: list[str] = []
    pending: list[str] = []
    issues: list[str] = []
    i, end = 0, len(data)
    while i < end:
        byte = data[i]
        if byte == _ESC:
            i, g0, g1 = _escape(data, i, g0, g1, issues)
            continue
        if g0 == EACC:
            if i + 3 > end:
                issues.append(f"incomplete East Asian character at byte {i}")
                out.append(REPLACEMENT)
                break
            code_point = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2]
            i += 3
            found = _lookup(EACC, code_point)
        else:
            code_point = byte
            i += 1
            if byte < 0x20 or byte == 0x7F:
                out.append(chr(byte))
                continue
            found = _lookup(g1 if byte >= 0x80 else g0, byte)
            if found is None:
                # Sets designated by technique 1 (sub/superscripts, Greek symbols) and the
                # non-Latin G0 sets leave space, digits and punctuation to ASCII and ANSEL.
                found = _lookup(ANSEL if byte >= 0x80 else BASIC_LATIN, byte)
        if found is None:
            issues.append(f"unknown MARC-8 character 0x{code_point:x}")
            found = (REPLACEMENT, False)
        char, combining = found
        if combining:
            pending.append(char)
        else:
            out.append(char)
            if pending:
                out.extend(pending)
                pending.clear()
    if pending:
        # A mark with nothing after it to sit on: keep it rather than lose it.
        out.extend(pending)
    return "".join(out), tuple(issues)


def _lookup(charset: int, code_point: int) -> tuple[str, bool] | None:
    table = marc8_mapping.CODESETS.get(charset)
    if table is None:
        return None
    entry = table.get(code_point)
    if entry is None and code_point < 0x100:
        # The tables key some sets by their G0 range and others by their G1 range.
        entry = table.get(code_point ^ 0x80)
    if entry is None:
        odd = marc8_mapping.ODD_MAP.get(code_point)
        return (chr(odd), False) if odd is not None else None
    return chr(entry[0]), bool(entry[1])


def _escape(data: bytes, i: int, g0: int, g1: int, issues: list[str]) -> tuple[int, int, int]:
    """Apply the escape sequence at data[i]; return the next index and the new G0 and G1."""
    rest = data[i + 1 : i + 5]
    if not rest:
        issues.append("escape character at the end of the text")
        return i + 1, g0, g1
    first = rest[0]
    if first in _TECHNIQUE_1:
        return i + 2, _TECHNIQUE_1[first], g1
    j = 1
    target = "g0"
    if first == ord("$"):
        if len(rest) > 1 and rest[1] in b",)-":
            target = "g0" if rest[1] == ord(",") else "g1"
            j = 2
    elif first in b"(,":
        target = "g0"
    elif first in b")-":
        target = "g1"
    else:
        issues.append(f"unknown escape sequence ESC 0x{first:x}")
        return i + 2, g0, g1
    if j < len(rest) and rest[j] == ord("!"):
        j += 1
    if j >= len(rest):
        issues.append("incomplete escape sequence")
        return i + 1 + len(rest), g0, g1
    final = rest[j]
    if final not in marc8_mapping.CODESETS:
        issues.append(f"unknown MARC-8 character set 0x{final:x}")
        return i + 2 + j, g0, g1
    if target == "g0":
        return i + 2 + j, final, g1
    return i + 2 + j, g0, final


def ansel_char(code: int) -> tuple[str, bool] | None:
    """Return the Unicode character for an ANSEL (MARC-8 G1) code and whether it combines."""
    return _lookup(ANSEL, code)
