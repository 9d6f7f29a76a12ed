"""The query model every search front end compiles into: keywords, CQL (SRU), the CLI.

A query is a boolean expression over words and phrases (`Expr`) plus filters on facts the
catalogue stores in columns (`Filters`). Words are kept as the user typed them; folding happens
when a backend compiles the expression, so the ranking can still see the diacritics typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class SearchField(StrEnum):
    """The parts of a record a word can be restricted to; None in a Text means any part.

    Series and notes are searched as part of "any" but cannot be asked for alone: PostgreSQL's
    four weights go to title, author, subject and the rest, and publisher has its own column."""

    TITLE = "title"
    AUTHOR = "author"
    SUBJECT = "subject"
    PUBLISHER = "publisher"


@dataclass(frozen=True, slots=True)
class Text:
    """One word (one item in `words`) or a phrase, as typed; `prefix` truncates the last word."""

    words: tuple[str, ...]
    field: SearchField | None = None
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class And:
    """Every item matches."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """At least one item matches."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """The item does not match; only meaningful inside an And beside something positive."""

    item: Expr


Expr = Text | And | Or | Not


class Status(StrEnum):
    """Which records a search sees: the live ones (default, CIP records included), the
    tombstones, the CIP records only, or all."""

    ACTIVE = "active"
    DELETED = "deleted"
    CIP = "cip"  # live records made before publication, not yet upgraded
    ANY = "any"


@dataclass(frozen=True, slots=True)
class Filters:
    """Conditions on stored facts, all of which a record must meet."""

    isbn: str | None = None  # normalised ISBN-13
    issn: str | None = None  # normalised ISSN
    lccn: str | None = None  # normalised LCCN
    control_number: str | None = None  # as given: "(ORG)123" or a bare number
    ddc: str | None = None  # class number prefix, "959.7" finds 959.704
    language: str | None = None  # MARC language code, "vie"
    year_from: int | None = None
    year_to: int | None = None
    material: str | None = None  # see app.marc.MATERIALS
    status: Status = Status.ACTIVE
    updated_since: datetime | None = None  # inclusive
    updated_before: datetime | None = None  # exclusive
    held_by: str | None = None  # an institution's code: records it holds


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What to find: an expression (None: every record the filters allow) and filters."""

    text: Expr | None = None
    filters: Filters = field(default_factory=Filters)


def positive_texts(expr: Expr) -> list[Text]:
    """The words and phrases a matching record contains (those under a Not are left out)."""
    if isinstance(expr, Text):
        return [expr]
    if isinstance(expr, Not):
        return []
    return [text for item in expr.items for text in positive_texts(item)]


def has_positive(expr: Expr) -> bool:
    """Whether the expression names what to find everywhere, not only what to leave out.

    Every branch of an Or, every item of an And that is no exclusion, and what each exclusion
    excludes must be positive, and an And needs at least one such item: "a OR -b" would match
    nearly every record, and no full-text engine can look a record up by what it lacks."""
    if isinstance(expr, Text):
        return True
    if isinstance(expr, Not):
        return False
    if isinstance(expr, Or):
        return all(has_positive(item) for item in expr.items)
    kept = [item for item in expr.items if not isinstance(item, Not)]
    left_out = [item.item for item in expr.items if isinstance(item, Not)]
    return bool(kept) and all(has_positive(item) for item in (*kept, *left_out))


def in_titles(expr: Expr) -> Expr:
    """The expression with every word that may be anywhere looked for in titles only.

    Exclusions stay as they are: a word excluded is excluded from the whole record."""
    if isinstance(expr, Text):
        return expr if expr.field is not None else Text(expr.words, SearchField.TITLE, expr.prefix)
    if isinstance(expr, Not):
        return expr
    items = tuple(in_titles(item) for item in expr.items)
    return And(items) if isinstance(expr, And) else Or(items)
