"""The search document of a record: its folded words by part, and its exact words for ranking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app import marc
from app.search.text import exact_tokens, folded_tokens

# Put between two fields so that a phrase never matches across them. A private-use character
# is no letter or digit, so no query ever produces it.
BOUNDARY = "\ue000"
# A note of a megabyte would make an index row the engines refuse (PostgreSQL: 1 MB tsvector),
# and PostgreSQL counts positions only to 16,383: six parts of this many stay below it, so a
# phrase matches alike on both engines.
MAX_TOKENS_PER_PART = 2_500
PARTS = ("title", "author", "subject", "series", "publisher", "notes")


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """What the index holds for one record: space-separated tokens, fields split by BOUNDARY."""

    record_id: int
    title: str
    author: str
    subject: str
    series: str
    publisher: str
    notes: str
    exact: str

    def part(self, name: str) -> str:
        """The tokens of one part by name (one of PARTS, or "exact")."""
        text: str = getattr(self, name)
        return text


def _join(values: tuple[str, ...], tokenize: Callable[[str], list[str]]) -> str:
    tokens: list[str] = []
    for value in values:
        found = tokenize(value)
        if found:
            tokens.extend([BOUNDARY, *found] if tokens else found)
    return " ".join(tokens[:MAX_TOKENS_PER_PART])


def search_document(record_id: int, record: marc.Record) -> SearchDocument:
    """Build the search document of a record (see marc.search_text for what each part holds)."""
    text = marc.search_text(record)
    every = (*text.title, *text.author, *text.subject, *text.series, *text.publisher, *text.notes)
    return SearchDocument(
        record_id=record_id,
        title=_join(text.title, folded_tokens),
        author=_join(text.author, folded_tokens),
        subject=_join(text.subject, folded_tokens),
        series=_join(text.series, folded_tokens),
        publisher=_join(text.publisher, folded_tokens),
        notes=_join(text.notes, folded_tokens),
        exact=_join(every, exact_tokens),
    )
