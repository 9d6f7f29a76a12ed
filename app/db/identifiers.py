"""The look-up keys a record is found by, and the same keys computed from a query."""

import re
from collections.abc import Iterator

from app import marc

CANCELLED_ISBN = "isbn-z"  # 020 $z: found by an ISBN search, never matched on import
CONTENT_KEY = "content"  # scheme of a record's content fingerprint (app.marc.content_fingerprint)
# A 035 with no "(ORG)" (a 001 that came without 003) with the record's title: see titled_number.
TITLED_NUMBER = "035t"

# (OCoLC)ocm00012345, (OCoLC)on1234567890 and 12345 are all OCLC number 12345.
_ORG_PREFIX = re.compile(r"^\s*\(([^)]*)\)\s*")
_OCLC_PREFIX = re.compile(r"^(ocm|ocn|on)", re.IGNORECASE)


def control_number_key(text: str) -> str:
    """Return the bare number of a control number: no (ORG) prefix, no OCLC prefix, no zeros."""
    bare = _ORG_PREFIX.sub("", text).strip()
    bare = _OCLC_PREFIX.sub("", bare)
    stripped = bare.lstrip("0")
    return stripped if stripped else bare


def org_of(text: str) -> str | None:
    """Return the organization code of "(ORG)number", or None."""
    found = _ORG_PREFIX.match(text)
    return found.group(1).strip() if found else None


def title_key(title: str | None) -> str:
    """A title as two records must share it for a number of nobody's in particular to match:
    folded, letters and digits only, so that a corrected diacritic or ISBD punctuation does not
    break the match of a record sent again. Stored (in TITLED_NUMBER rows): changing it needs a
    migration that rewrites them."""
    return "".join(character for character in marc.fold(title or "") if character.isalnum())


def titled_number(number: str, title: str | None) -> str | None:
    """The TITLED_NUMBER value of a control number without "(ORG)", or None for no title.

    Such a number is nobody's in particular: two libraries' Koha biblionumbers collide, and
    FOLIO writes "FOLIOstorage" in every record. With its title it names one record again; a
    record with no title to tell it apart is matched on it by nothing."""
    key = title_key(title)
    return f"{number.strip()}\x1f{key}"[:300] if key else None


def identifier_pairs(summary: marc.RecordSummary) -> Iterator[tuple[str, str]]:
    """Yield the (scheme, value) rows a stored record is found by."""
    for isbn in summary.isbns:
        yield "isbn", isbn
    for isbn in summary.cancelled_isbns:
        yield CANCELLED_ISBN, isbn
    for issn in summary.issns:
        yield "issn", issn
    if summary.lccn:
        yield "lccn", summary.lccn
    for number in summary.control_numbers:
        yield "035", marc.normalize_system_number(number)[:300]
        yield "ctrl", control_number_key(number)[:300]
        if (titled := bare_number_key(number, summary.title)) is not None:
            yield TITLED_NUMBER, titled


def system_number_key(number: str, title: str | None) -> tuple[str, str] | None:
    """The key an import matches a system number (035 $a) by: the number in its comparable
    form when it names its organization, else (nobody's in particular) the number with the
    title (see titled_number); None when there is neither."""
    normalized = marc.normalize_system_number(number)
    if org_of(normalized) is not None:
        return "035", normalized[:300]
    titled = titled_number(normalized, title)
    return (TITLED_NUMBER, titled) if titled else None


def bare_number_key(number: str, title: str | None) -> str | None:
    """The TITLED_NUMBER value stored for a system number that names no organization."""
    key = system_number_key(number, title)
    return key[1] if key is not None and key[0] == TITLED_NUMBER else None
