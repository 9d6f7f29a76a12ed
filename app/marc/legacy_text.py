"""Bytes that are not UTF-8, read as the 8-bit encoding they more likely are, to say so.

MARC-8 (the other encoding leader/09 names) and Windows-1258 (that of Vietnamese files before
Unicode)."""

from __future__ import annotations

import unicodedata

from app.marc.marc8 import decode_marc8


def as_windows_1258(raw: bytes) -> str | None:
    """The text Windows-1258 reads in bytes that are not UTF-8, if it reads letters, else None.

    Vietnamese Windows software of the 1990s and 2000s wrote Windows-1258 (or TCVN3, which
    Python cannot read), and its exports may claim UTF-8: showing the text as Windows-1258
    reads it tells the cataloguer what the file is and that converting it will save it. It is
    a hint in a message, never a decoding: the bytes might be another encoding's."""
    try:
        text = unicodedata.normalize("NFC", raw.decode("cp1258"))
    except UnicodeDecodeError:
        return None
    return text if _letters(text) else None


def as_marc8(raw: bytes) -> str | None:
    """The text MARC-8 reads in bytes that are not UTF-8, if it reads all of them, else None."""
    decoded, issues = decode_marc8(raw)
    text = unicodedata.normalize("NFC", decoded)
    return text if not issues and _letters(text) else None


def _letters(text: str) -> bool:
    # Whether what is not ASCII reads as letters: else the bytes are not text in that encoding.
    return all(character.isalpha() for character in text if not character.isascii())


def legacy_hint(raw: bytes) -> str:
    """A parenthesis for a message about bytes that are not UTF-8: how MARC-8 (the likelier,
    in a MARC record whose leader/09 is wrong) or else Windows-1258 reads them, if either
    reads letters."""
    if (text := as_marc8(raw)) is not None:
        return f" (as MARC-8 they read {text.strip()[:40]!r}: leader/09 should be blank)"
    if (text := as_windows_1258(raw)) is not None:
        return f" (as Windows-1258 they read {text.strip()[:40]!r}: convert the file to UTF-8)"
    return ""
