"""The look-up keys a record is found by, and the same keys computed from a query."""

import re
from collections.abc import Iterator

from app import marc

CANCELLED_ISBN = "isbn-z"  # 020 $z: found by an ISBN search, never matched on import
CONTENT_KEY = "content"  # scheme of a record's content fingerprint (app.marc.content_fingerprint)

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
        yield "035", number.strip()[:300]
        yield "ctrl", control_number_key(number)[:300]
