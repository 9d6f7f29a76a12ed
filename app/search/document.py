"""The search document of a record: its folded words by part, and its exact words for ranking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from app import marc
from app.plain_data import PlainData
from app.search.text import exact_tokens, folded_tokens

# Put between two fields so that a phrase never matches across them. A private-use character
# is no letter or digit, so no query ever produces it.
BOUNDARY = "\ue000"
YEAR_MARK = "\ue001"  # begins the token of a year of publication (see year_token)
# A note of a megabyte would make an index row the engines refuse (PostgreSQL: 1 MB tsvector),
# and PostgreSQL counts positions only to 16,383: six parts of this many stay below it, so a
# phrase matches alike on both engines.
MAX_TOKENS_PER_PART = 2_500
PARTS = ("title", "author", "subject", "series", "publisher", "notes")
ALL_PARTS = (*PARTS, "exact")  # the indexed parts, and the exact words ranking reads
# Subject headings, names, publishers and places come back record after record: their tokens
# are cut once. A pure function of the value, so the cache changes nothing but the time. Sized
# for the import's preparing process: at 16,384 values the caches held ~15 MB there for no faster
# import than 4,096 (bench/imports.py, 100,000 records: 1,818 and 1,866 records/s).
_CACHED_VALUES = 4_096


@dataclass(frozen=True, slots=True)
class SearchDocument(PlainData):
    """What the index holds for one record: space-separated tokens, fields split by BOUNDARY."""

    record_id: int
    title: str
    author: str
    subject: str
    series: str
    publisher: str
    notes: str
    exact: str
    year: int | None = None  # of publication, as the record's column holds it

    def part(self, name: str) -> str:
        """The tokens of one part by name (one of PARTS, or "exact")."""
        text: str = getattr(self, name)
        return text

    @classmethod
    def of_parts(cls, record_id: int, values: dict[str, str]) -> SearchDocument:
        """A document with these parts (by name) and the others empty: what ranking reads."""
        part = values.get
        return cls(
            record_id,
            title=part("title", ""),
            author=part("author", ""),
            subject=part("subject", ""),
            series=part("series", ""),
            publisher=part("publisher", ""),
            notes=part("notes", ""),
            exact=part("exact", ""),
        )


# A value's tokens are kept joined, with their count: a part is then its values' texts joined,
# and only a part over MAX_TOKENS_PER_PART is cut token by token.
Tokens = tuple[str, int]


@lru_cache(maxsize=_CACHED_VALUES)
def _folded(value: str) -> Tokens:
    return _joined(folded_tokens(value))


def _exact(value: str) -> Tokens:
    # ASCII text folds to its lower case, which is also its exact form.
    return _folded(value) if value.isascii() else _exact_of(value)


@lru_cache(maxsize=_CACHED_VALUES)
def _exact_of(value: str) -> Tokens:
    return _joined(exact_tokens(value))


def _joined(tokens: list[str]) -> Tokens:
    return " ".join(tokens), len(tokens)


_BETWEEN_FIELDS = f" {BOUNDARY} "


def _join(values: tuple[str, ...], tokenize: Callable[[str], Tokens]) -> str:
    texts: list[str] = []
    count = -1  # tokens and boundaries: none before the first value
    for value in values:
        text, found = tokenize(value)
        if found:
            texts.append(text)
            count += found + 1
    joined = _BETWEEN_FIELDS.join(texts)
    if count <= MAX_TOKENS_PER_PART:
        return joined
    return " ".join(joined.split(" ")[:MAX_TOKENS_PER_PART])


def year_token(year: int) -> str:
    """The index token of a year of publication: a search for words in a range of years asks
    the index for both at once, rather than check the year of every record with the words.
    Its mark is no letter or digit, so no word typed ever finds it."""
    return f"{YEAR_MARK}{year}"


def search_document(record_id: int, record: marc.Record, *, year: int | None) -> SearchDocument:
    """Build the search document of a record (see marc.search_text for what each part holds);
    `year` is its year of publication (RecordSummary.year)."""
    text = marc.search_text(record)
    every = (*text.title, *text.author, *text.subject, *text.series, *text.publisher, *text.notes)
    return SearchDocument(
        record_id=record_id,
        title=_join(text.title, _folded),
        author=_join(text.author, _folded),
        subject=_join(text.subject, _folded),
        series=_join(text.series, _folded),
        publisher=_join(text.publisher, _folded),
        notes=_join(text.notes, _folded),
        exact=_join(every, _exact),
        year=year,
    )
