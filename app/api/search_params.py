"""The search parameters of GET /records and /records/export, as a SearchQuery."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from fastapi import Query

from app import marc
from app.api.errors import BadQuery
from app.search.form import FormError, SearchForm
from app.search.query import SearchQuery, Status

MaterialType = StrEnum(  # type: ignore[misc]  # built from the domain's list, one place
    "MaterialType", {name.upper(): name for name in marc.MATERIAL_NAMES}
)

_KEYWORDS = (
    "Words to find in title, authors, subjects, series, publisher and notes. Diacritics and "
    'case do not matter (thu vien finds Thư viện); "quoted phrases", OR, NOT or -word, '
    "word* (right truncation), parentheses, and title:, author:, subject:, publisher: prefixes."
)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise BadQuery("updated_since needs a time zone, e.g. 2026-11-25T00:00:00Z")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise BadQuery("updated_since is out of range") from None


def search_query(
    q: Annotated[str | None, Query(description=_KEYWORDS, max_length=1000)] = None,
    title: Annotated[
        str | None, Query(description="Words of the title (same syntax as q)", max_length=1000)
    ] = None,
    author: Annotated[
        str | None,
        Query(description="Words of an author or the statement of responsibility", max_length=1000),
    ] = None,
    subject: Annotated[
        str | None, Query(description="Words of a subject heading", max_length=1000)
    ] = None,
    publisher: Annotated[
        str | None, Query(description="Words of the publisher's name", max_length=1000)
    ] = None,
    isbn: Annotated[str | None, Query(description="ISBN-10 or -13, hyphens or not")] = None,
    issn: Annotated[str | None, Query(description="ISSN, hyphen or not")] = None,
    lccn: Annotated[str | None, Query(description="Library of Congress control number")] = None,
    control_number: Annotated[
        str | None, Query(description="001 of this catalogue, or a 035 such as (OCoLC)12345")
    ] = None,
    ddc: Annotated[
        str | None,
        Query(description="Dewey class number prefix: 959.7 finds 959.704", max_length=100),
    ] = None,
    language: Annotated[
        str | None,
        Query(description="MARC language code (vie, eng, fre, …)", pattern="^[A-Za-z]{3}$"),
    ] = None,
    year_from: Annotated[int | None, Query(ge=0, le=9999, description="Published in or after")] = (
        None
    ),
    year_to: Annotated[int | None, Query(ge=0, le=9999, description="Published in or before")] = (
        None
    ),
    type: Annotated[
        MaterialType | None, Query(description="Kind of material, from leader/06-07")
    ] = None,
    status: Annotated[
        Status | None, Query(description="active (default), deleted (tombstones) or any")
    ] = None,
    include_deleted: Annotated[
        bool, Query(description="Also list tombstones: the same as status=any")
    ] = False,
    updated_since: Annotated[
        datetime | None, Query(description="Only records changed at or after this time")
    ] = None,
    held_by: Annotated[
        str | None,
        Query(description="Only records this institution holds (its code)", max_length=40),
    ] = None,
) -> SearchQuery:
    """Build the query of a request; BadQuery says which parameter is wrong and where."""
    form = SearchForm(
        q=q,
        title=title,
        author=author,
        subject=subject,
        publisher=publisher,
        isbn=isbn,
        issn=issn,
        lccn=lccn,
        control_number=control_number,
        ddc=ddc,
        language=language,
        year_from=year_from,
        year_to=year_to,
        material=type.value if type is not None else None,
        status=status or (Status.ANY if include_deleted else Status.ACTIVE),
        updated_since=_utc(updated_since) if updated_since is not None else None,
        held_by=held_by,
    )
    try:
        return form.query()
    except FormError as error:
        raise BadQuery(str(error), parameter=error.parameter, position=error.position) from error
