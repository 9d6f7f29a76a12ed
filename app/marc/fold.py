"""Folding text for search: the same function when indexing and when querying."""

from __future__ import annotations

import unicodedata

# Kana voicing marks change the syllable (か/が), so they stay.
_KEPT_MARKS = frozenset("\u3099\u309a")


def _marks_table() -> dict[int, str | None]:
    """Code points fold() removes, or maps (đ → d): built once, so folding is one translate.

    Planes 0 and 1 hold every combining mark but the variation selectors of plane 14."""
    # Letters with a stroke do not decompose, so NFD alone would leave them: đ/Đ in
    # Vietnamese, and ð/Ð (U+00F0/U+00D0), which legacy Vietnamese data uses for Đ.
    table: dict[int, str | None] = {ord(k): v for k, v in (("đ", "d"), ("ð", "d"))}
    for code in (*range(0x20000), *range(0xE0000, 0xE1000)):
        char = chr(code)
        if char not in _KEPT_MARKS and unicodedata.category(char) in ("Mn", "Me"):
            table[code] = None
    return table


_TABLE = _marks_table()


def fold(text: str) -> str:
    """Return text as the search index stores it: NFC, lower case, no tone marks, đ → d.

    Nonspacing and enclosing combining marks are removed (Vietnamese tones and vowel marks,
    Latin accents, Hebrew points); letters of every script stay, so Cyrillic, Hebrew and CJK
    remain searchable. Idempotent: fold(fold(s)) == fold(s).
    """
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return unicodedata.normalize("NFC", decomposed.translate(_TABLE)).casefold()
