"""Folding text for search: the same function when indexing and when querying."""

from __future__ import annotations

import unicodedata

# Letters with a stroke do not decompose, so NFD alone would leave them: đ/Đ in Vietnamese,
# and ð/Ð (U+00F0/U+00D0), which legacy Vietnamese data uses for Đ.
_LETTERS = str.maketrans({"đ": "d", "ð": "d"})
# Kana voicing marks change the syllable (か/が), so they stay.
_KEPT_MARKS = frozenset("\u3099\u309a")


def fold(text: str) -> str:
    """Return text as the search index stores it: NFC, lower case, no tone marks, đ → d.

    Nonspacing and enclosing combining marks are removed (Vietnamese tones and vowel marks,
    Latin accents, Hebrew points); letters of every script stay, so Cyrillic, Hebrew and CJK
    remain searchable. Idempotent: fold(fold(s)) == fold(s).
    """
    decomposed = unicodedata.normalize("NFD", text.casefold())
    stripped = "".join(
        char
        for char in decomposed
        if char in _KEPT_MARKS or unicodedata.category(char) not in ("Mn", "Me")
    )
    return unicodedata.normalize("NFC", stripped.translate(_LETTERS)).casefold()
