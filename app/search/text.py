"""Words as the index stores them, produced alike when indexing and when querying.

The engines' own tokenizers differ (FTS5's unicode61, PostgreSQL's parser under the database's
locale), so words are cut here, once, and handed to both as space-separated tokens.
"""

from __future__ import annotations

import re
import unicodedata

from app import marc

_TOKEN = re.compile(r"[^\W_]+")
# Han, kana and CJK compatibility ideographs are written without spaces between words: each
# character becomes a token, and a word typed in a query becomes a phrase of them.
_UNSPACED = re.compile(
    r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f])"
)
# No word in any language is longer; longer runs are identifiers or noise and would only bloat
# the index (PostgreSQL refuses lexemes over 2,046 bytes).
MAX_TOKEN_CHARS = 100


def _split(text: str) -> list[str]:
    # Most text is ASCII once folded (Vietnamese included), and ASCII holds no CJK to space out.
    tokens = _TOKEN.findall(text if text.isascii() else _UNSPACED.sub(_spaced, text))
    if tokens and max(map(len, tokens)) > MAX_TOKEN_CHARS:
        return [token[:MAX_TOKEN_CHARS] for token in tokens]
    return tokens


def _spaced(match: re.Match[str]) -> str:
    return f" {match.group()} "


def folded_tokens(text: str) -> list[str]:
    """Cut text into index tokens: folded (no diacritics, đ → d, lower case), CJK per character."""
    return _split(marc.fold(text))


def exact_tokens(text: str) -> list[str]:
    """Cut text into tokens that keep their diacritics: NFC and lower case, for ranking only."""
    return _split(unicodedata.normalize("NFC", text).casefold())
