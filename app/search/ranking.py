"""Relevance, computed the same way whatever the engine: from the record and the query alone.

Scores depend on nothing but the record and the query (no corpus statistics), so a record
keeps its place while others are added, and a cursor over a ranked list stays valid. The order:
first the records holding more of the words with the diacritics typed ("mà" before "ma", "má"),
then by where the words are (title over author over subject over series or publisher over
notes, all words together in the title as a phrase best), then newest first.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.search.document import SearchDocument
from app.search.query import Expr, SearchField, positive_texts
from app.search.words import exact_tokens_of, tokens_of

PART_WEIGHTS = (("title", 8), ("author", 4), ("subject", 3), ("series", 2), ("publisher", 2))
NOTES_WEIGHT = 1
WHOLE_TITLE_BONUS = 4
_WEIGHT_OF = {**dict(PART_WEIGHTS), "notes": NOTES_WEIGHT}
_FIELD_PART = {
    SearchField.TITLE: "title",
    SearchField.AUTHOR: "author",
    SearchField.SUBJECT: "subject",
    SearchField.PUBLISHER: "publisher",
}


@dataclass(frozen=True, slots=True)
class _Wanted:
    tokens: tuple[str, ...]
    exact: tuple[str, ...] | None  # None when typed without diacritics: nothing to prefer
    part: str | None
    prefix: bool


def _contains(haystack: list[str], tokens: tuple[str, ...], prefix: bool) -> bool:
    last = len(tokens) - 1
    for start in range(len(haystack) - last):
        for offset, token in enumerate(tokens):
            found = haystack[start + offset]
            if not (found == token or (prefix and offset == last and found.startswith(token))):
                break
        else:
            return True
    return False


class Ranker:
    """Scores search documents for one query; higher sorts first."""

    def __init__(self, expr: Expr) -> None:
        self._wanted: list[_Wanted] = []
        for text in positive_texts(expr):
            tokens = tuple(tokens_of(text))
            exact = tuple(exact_tokens_of(text))
            self._wanted.append(
                _Wanted(
                    tokens=tokens,
                    exact=exact if exact != tokens and len(exact) == len(tokens) else None,
                    part=_FIELD_PART[text.field] if text.field else None,
                    prefix=text.prefix,
                )
            )
        words = [token for wanted in self._wanted for token in wanted.tokens]
        self._whole = tuple(words) if len(self._wanted) > 1 else None

    def score(self, document: SearchDocument) -> tuple[int, int]:
        """(exact forms found, weight of where the words are found)."""
        parts = {name: document.part(name).split(" ") for name, _ in PART_WEIGHTS}
        parts["notes"] = document.notes.split(" ")
        exact_text = document.exact.split(" ")
        exact = 0
        weight = 0
        for wanted in self._wanted:
            if wanted.exact is not None and _contains(exact_text, wanted.exact, wanted.prefix):
                exact += 1
            if wanted.part is None:
                candidates = [*PART_WEIGHTS, ("notes", NOTES_WEIGHT)]
            else:
                candidates = [(wanted.part, _WEIGHT_OF[wanted.part])]
            for name, part_weight in candidates:
                if _contains(parts[name], wanted.tokens, wanted.prefix):
                    weight += part_weight
                    break
        if self._whole is not None and _contains(parts["title"], self._whole, False):
            weight += WHOLE_TITLE_BONUS
        return exact, weight
