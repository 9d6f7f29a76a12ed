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
from app.search.query import Expr, positive_texts
from app.search.words import exact_tokens_of, tokens_of

PART_WEIGHTS = (("title", 8), ("author", 4), ("subject", 3), ("series", 2), ("publisher", 2))
NOTES_WEIGHT = 1
WHOLE_TITLE_BONUS = 4
_WEIGHT_OF = {**dict(PART_WEIGHTS), "notes": NOTES_WEIGHT}


@dataclass(frozen=True, slots=True)
class _Wanted:
    needle: str
    exact: str | None  # None when typed without diacritics: nothing to prefer
    parts: tuple[tuple[str, int], ...]  # where to look, best first, with the weight of each


def _needle(tokens: tuple[str, ...], prefix: bool) -> str:
    """What to look for in " "-padded token text: the tokens on token boundaries.

    " a b " finds the phrase "a b" as whole tokens; " a b" (no closing space) lets the last
    token run on, which is right truncation."""
    return " " + " ".join(tokens) + ("" if prefix else " ")


class Ranker:
    """Scores search documents for one query; higher sorts first."""

    def __init__(self, expr: Expr) -> None:
        self._wanted: list[_Wanted] = []
        words: list[str] = []
        for text in positive_texts(expr):
            tokens = tuple(tokens_of(text))
            exact = tuple(exact_tokens_of(text))
            words.extend(tokens)
            self._wanted.append(
                _Wanted(
                    needle=_needle(tokens, text.prefix),
                    exact=_needle(exact, text.prefix)
                    if exact != tokens and len(exact) == len(tokens)
                    else None,
                    parts=(*PART_WEIGHTS, ("notes", NOTES_WEIGHT))
                    if text.field is None
                    else ((text.field.value, _WEIGHT_OF[text.field.value]),),
                )
            )
        self._whole = _needle(tuple(words), False) if len(self._wanted) > 1 else None
        # What score() reads: a document needs no more (the exact words are most of it).
        self.parts = frozenset(
            {name for wanted in self._wanted for name, _ in wanted.parts}
            | ({"exact"} if any(wanted.exact is not None for wanted in self._wanted) else set())
            | ({"title"} if self._whole is not None else set())
        )

    def score(self, document: SearchDocument) -> tuple[int, int]:
        """(exact forms found, weight of where the words are found)."""
        padded: dict[str, str] = {}

        def part(name: str) -> str:
            if name not in padded:
                padded[name] = f" {document.part(name)} "
            return padded[name]

        exact = 0
        weight = 0
        for wanted in self._wanted:
            if wanted.exact is not None and wanted.exact in part("exact"):
                exact += 1
            for name, part_weight in wanted.parts:
                if wanted.needle in part(name):
                    weight += part_weight
                    break
        if self._whole is not None and self._whole in part("title"):
            weight += WHOLE_TITLE_BONUS
        return exact, weight
