"""Text in the 8-bit encoding Vietnamese files came in before Unicode, recognised to say so."""

from __future__ import annotations

import unicodedata


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
    if not all(character.isalpha() for character in text if not character.isascii()):
        return None  # not text in that encoding either
    return text


def windows_1258_hint(raw: bytes) -> str:
    """A parenthesis for a message about bytes that are not UTF-8 (see as_windows_1258)."""
    text = as_windows_1258(raw)
    if text is None:
        return ""
    return f" (as Windows-1258 they read {text.strip()[:40]!r}: convert the file to UTF-8)"
