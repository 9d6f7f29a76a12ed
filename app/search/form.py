"""A search as people fill it in (HTTP parameters, CLI options), checked and turned into a query."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app import marc
from app.search.parser import QuerySyntaxError, parse_keywords
from app.search.query import And, Expr, Filters, SearchField, SearchQuery, Status, has_positive
from app.search.words import prune

_TEXT_FIELDS = (
    "q",
    "title",
    "author",
    "subject",
    "publisher",
    "isbn",
    "issn",
    "lccn",
    "control_number",
    "ddc",
    "language",
    "material",
)


class FormError(ValueError):
    """One parameter of a search is wrong; `position` is where in its text, when known."""

    def __init__(self, parameter: str, message: str, position: int | None = None) -> None:
        where = f" (at character {position + 1})" if position is not None else ""
        super().__init__(f"{parameter}: {message}{where}")
        self.parameter = parameter
        self.position = position


@dataclass(frozen=True, slots=True)
class SearchForm:
    """The fields of a search, as given; every one may be left empty."""

    q: str | None = None
    title: str | None = None
    author: str | None = None
    subject: str | None = None
    publisher: str | None = None
    isbn: str | None = None
    issn: str | None = None
    lccn: str | None = None
    control_number: str | None = None
    ddc: str | None = None
    language: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    material: str | None = None
    status: Status = Status.ACTIVE
    updated_since: datetime | None = None  # aware
    held_by: str | None = None

    def query(self) -> SearchQuery:
        """The query this form asks for. Raises FormError naming the parameter at fault."""
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if value is not None and any(ord(char) < 0x20 or char == "\x7f" for char in value):
                raise FormError(name, "contains a control character")
        parts: list[Expr] = []
        words = (
            ("q", self.q, None),
            ("title", self.title, SearchField.TITLE),
            ("author", self.author, SearchField.AUTHOR),
            ("subject", self.subject, SearchField.SUBJECT),
            ("publisher", self.publisher, SearchField.PUBLISHER),
        )
        for name, value, field in words:
            if value is not None and value.strip():
                parts.append(_parsed(name, value, field))
        text: Expr | None = None
        if parts:
            text = parts[0] if len(parts) == 1 else And(tuple(parts))
            named = next(name for name, value, _ in words if value and value.strip())
            pruned = prune(text)
            if pruned is None:
                raise FormError(named, "has no letter or digit to look for")
            if not has_positive(pruned):
                raise FormError(named, "only excludes; say what to look for as well")
        if self.material is not None and self.material not in marc.MATERIAL_NAMES:
            raise FormError(
                "type", f"{self.material!r} is none of {', '.join(marc.MATERIAL_NAMES)}"
            )
        if self.control_number is not None and not self.control_number.strip():
            raise FormError("control_number", "is empty")
        if self.language is not None and not (
            len(self.language) == 3 and self.language.isascii() and self.language.isalpha()
        ):
            raise FormError("language", "a MARC language code has three letters, e.g. vie")
        filters = Filters(
            isbn=_normalized("isbn", self.isbn, marc.normalize_isbn, "ISBN-10 or ISBN-13"),
            issn=_normalized("issn", self.issn, marc.normalize_issn, "ISSN"),
            lccn=_normalized("lccn", self.lccn, marc.normalize_lccn, "LCCN"),
            control_number=self.control_number.strip() if self.control_number else None,
            ddc=self.ddc.strip() if self.ddc and self.ddc.strip() else None,
            language=self.language.lower() if self.language else None,
            year_from=self.year_from,
            year_to=self.year_to,
            material=self.material,
            status=self.status,
            updated_since=self.updated_since,
            held_by=self.held_by.strip() if self.held_by and self.held_by.strip() else None,
        )
        return SearchQuery(text=text, filters=filters)


def _parsed(name: str, value: str, field: SearchField | None) -> Expr:
    try:
        return parse_keywords(value, field=field)
    except QuerySyntaxError as error:
        raise FormError(name, error.message, error.position) from error


def _normalized(
    name: str, value: str | None, normalize: Callable[[str], str | None], kind: str
) -> str | None:
    if value is None:
        return None
    normalized = normalize(value)
    if normalized is None:
        raise FormError(name, f"{value!r} is not a valid {kind}")
    return normalized


def is_search(query: SearchQuery) -> bool:
    """Whether a query searches (and so gets totals and facets) rather than lists everything."""
    return query.text is not None or query.filters != Filters()
