"""ETags of versions (of records, and of CIP requests) and the If-Match rules of the routes
that change them."""

import re

from app.api.errors import PreconditionRequired

_STRONG_ETAG = re.compile(r'(?<!W/)"v([1-9][0-9]{0,9})"')


def etag(version: int) -> str:
    """The ETag of a record at a version (the same for all its formats)."""
    return f'"v{version}"'


def expected_versions(if_match: str | None, *, required: bool) -> frozenset[int] | None:
    """The versions If-Match allows; None for "*" or no header (when allowed).

    Raises PreconditionRequired when the header is required and missing. RFC 9110 §13.1.1: a
    list matches if any entry strongly matches; a weak or foreign tag never does, so it leads
    to 412, not to an error about the header."""
    if if_match is None:
        if required:
            raise PreconditionRequired()
        return None
    if if_match.strip() == "*":
        return None
    return frozenset(int(v) for v in _STRONG_ETAG.findall(if_match))
