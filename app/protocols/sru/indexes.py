"""The CQL indexes this catalogue answers: one list for SRU's explain, the CQL compiler and the
Z39.50 gateway's configuration, so the three can never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.search.query import SearchField

CONTEXT_SETS: dict[str, str] = {
    "cql": "info:srw/cql-context-set/1/cql-v1.2",
    "dc": "info:srw/cql-context-set/1/dc-v1.1",
    "bath": "http://zing.z3950.org/cql/bath/2.0/",
    "rec": "info:srw/cql-context-set/2/rec-1.1",
}
# Earlier identifiers of the same sets that clients still send in prefix assignments.
_ALSO_KNOWN_AS: dict[str, str] = {
    "info:srw/cql-context-set/1/cql-v1.1": "cql",
    "info:srw/cql-context-set/1/cql-v1.0": "cql",
    "info:srw/cql-context-set/1/dc-v1.0": "dc",
    "info:srw/cql-context-set/2/rec-1.0": "rec",
    "http://zing.z3950.org/cql/bath/2.0": "bath",
}
# Unprefixed index names are looked up in these sets, in this order.
DEFAULT_SET_ORDER = ("cql", "dc", "bath", "rec")


class IndexKind(StrEnum):
    """How an index is searched."""

    WORDS = "words"  # full text, optionally limited to one part of the record
    ISBN = "isbn"
    ISSN = "issn"
    IDENTIFIER = "identifier"  # ISBN, ISSN, LCCN or control number, whichever the term is
    YEAR = "year"  # year of publication
    RECORD_ID = "record-id"  # 001 of this catalogue, or a control number kept in 035
    MODIFIED = "modified"  # time of the last change
    ALL_RECORDS = "all-records"


@dataclass(frozen=True, slots=True)
class CqlIndex:
    """One index: its context set and name, a title for people, how it is searched, and the
    Bib-1 use attribute a Z39.50 client sends for it (None: not offered over Z39.50)."""

    context_set: str
    name: str
    title: str
    kind: IndexKind
    field: SearchField | None = None
    bib1: int | None = None

    @property
    def qualified(self) -> str:
        return f"{self.context_set}.{self.name}"


INDEXES: tuple[CqlIndex, ...] = (
    CqlIndex("cql", "anywhere", "Anywhere in the record", IndexKind.WORDS, bib1=1016),
    CqlIndex("cql", "serverChoice", "Keyword (anywhere)", IndexKind.WORDS),
    CqlIndex("cql", "keywords", "Keywords", IndexKind.WORDS),
    CqlIndex("cql", "allRecords", "All records (term 1)", IndexKind.ALL_RECORDS),
    CqlIndex("dc", "title", "Title", IndexKind.WORDS, SearchField.TITLE, bib1=4),
    CqlIndex("dc", "creator", "Author", IndexKind.WORDS, SearchField.AUTHOR, bib1=1003),
    CqlIndex("dc", "subject", "Subject", IndexKind.WORDS, SearchField.SUBJECT, bib1=21),
    CqlIndex("dc", "publisher", "Publisher", IndexKind.WORDS, SearchField.PUBLISHER, bib1=1018),
    CqlIndex("dc", "date", "Year of publication", IndexKind.YEAR, bib1=31),
    CqlIndex("dc", "identifier", "ISBN, ISSN, LCCN or control number", IndexKind.IDENTIFIER),
    # Not in the DC set, but the Library of Congress answers it and Koha's default SRU field
    # mapping sends it (author=dc.author).
    CqlIndex("dc", "author", "Author", IndexKind.WORDS, SearchField.AUTHOR),
    CqlIndex("bath", "isbn", "ISBN", IndexKind.ISBN, bib1=7),
    CqlIndex("bath", "issn", "ISSN", IndexKind.ISSN, bib1=8),
    CqlIndex("bath", "name", "Name (author)", IndexKind.WORDS, SearchField.AUTHOR, bib1=1002),
    CqlIndex("bath", "subject", "Subject", IndexKind.WORDS, SearchField.SUBJECT),
    CqlIndex("bath", "title", "Title", IndexKind.WORDS, SearchField.TITLE),
    CqlIndex(
        "bath",
        "standardIdentifier",
        "ISBN, ISSN, LCCN or control number",
        IndexKind.IDENTIFIER,
        bib1=1007,
    ),
    CqlIndex("rec", "id", "Record number (001)", IndexKind.RECORD_ID, bib1=12),
    CqlIndex("rec", "lastModificationDate", "Date of last change", IndexKind.MODIFIED, bib1=1012),
)

_BY_NAME: dict[tuple[str, str], CqlIndex] = {
    (index.context_set, index.name.lower()): index for index in INDEXES
}


def context_set_of(uri: str) -> str | None:
    """The short name of a context set this server knows by its URI, or None."""
    for name, known in CONTEXT_SETS.items():
        if known == uri:
            return name
    return _ALSO_KNOWN_AS.get(uri)


def find_index(name: str, *, context_set_uri: str | None = None) -> CqlIndex | None:
    """The index a query names ("dc.title", "title", "DC.Title"), or None if unknown.

    CQL names are case-insensitive. A prefix the query assigned a URI to is read as that set;
    an unprefixed name is looked up in the query's default set, else in DEFAULT_SET_ORDER."""
    prefix, dot, base = name.partition(".")
    if not dot:
        prefix, base = "", name
    base = base.lower()
    if context_set_uri is not None:
        known = context_set_of(context_set_uri)
        return _BY_NAME.get((known, base)) if known is not None else None
    if prefix:
        return _BY_NAME.get((prefix.lower(), base))
    for context_set in DEFAULT_SET_ORDER:
        if (found := _BY_NAME.get((context_set, base))) is not None:
            return found
    return None
