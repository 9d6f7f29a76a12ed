"""Resumption tokens that carry their whole state, so they never expire and any process resumes.

A token is compact JSON in base64url (no padding): the list's verb and arguments, the keyset
position reached (updated_at to the microsecond, id), the cursor and completeListSize. Only
what this module writes is read back: a token is decoded, checked field by field, then encoded
again, and must come out the same.
"""

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.services.harvest import MAX_RECORD_ID, Position

VERSION = 1
MAX_LENGTH = 2000
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+\Z")
_KEYS = ("v", "k", "m", "s", "f", "u", "t", "i", "c", "n")
_MAX_COUNT = 2**63 - 1


class BadToken(ValueError):
    """A resumptionToken this repository did not issue, or cannot continue."""


@dataclass(frozen=True, slots=True)
class ResumptionState:
    """Where an incomplete list stands and what it lists."""

    verb: str
    metadata_prefix: str
    set_spec: str | None
    from_: str | None
    until: str | None
    after: Position  # the last record given so far
    cursor: int  # how many records were given before the next response's first one
    complete_list_size: int


def encode(state: ResumptionState) -> str:
    """The token of a state."""
    document = {
        "v": VERSION,
        "k": state.verb,
        "m": state.metadata_prefix,
        "s": state.set_spec,
        "f": state.from_,
        "u": state.until,
        "t": state.after.updated_at.astimezone(UTC).isoformat(),
        "i": state.after.id,
        "c": state.cursor,
        "n": state.complete_list_size,
    }
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=True)
    return base64.urlsafe_b64encode(text.encode("ascii")).rstrip(b"=").decode("ascii")


def _text(document: dict[str, Any], key: str, *, optional: bool = False) -> str | None:
    value = document[key]
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise BadToken(f"field {key} is not a string")
    return value


def _count(document: dict[str, Any], key: str, low: int, high: int) -> int:
    value = document[key]
    # bool is an int to Python, not to JSON.
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise BadToken(f"field {key} is not a number from {low} to {high}")
    return value


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadToken("field t is not a time") from None
    if moment.utcoffset() is None or moment.utcoffset() != UTC.utcoffset(None):
        raise BadToken("field t is not in UTC")
    return moment


def decode(token: str) -> ResumptionState:
    """The state a token carries. Raises BadToken for anything encode() did not write."""
    if len(token) > MAX_LENGTH or not _BASE64URL.match(token) or len(token) % 4 == 1:
        raise BadToken("not a token of this repository")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        document = json.loads(raw.decode("ascii"))
    except (binascii.Error, ValueError):
        raise BadToken("not a token of this repository") from None
    if not isinstance(document, dict) or tuple(document) != _KEYS:
        raise BadToken("not a token of this repository")
    if document["v"] != VERSION or isinstance(document["v"], bool):
        raise BadToken("a token of another version of this repository")
    state = ResumptionState(
        verb=str(_text(document, "k")),
        metadata_prefix=str(_text(document, "m")),
        set_spec=_text(document, "s", optional=True),
        from_=_text(document, "f", optional=True),
        until=_text(document, "u", optional=True),
        after=Position(
            updated_at=_moment(str(_text(document, "t"))),
            id=_count(document, "i", 1, MAX_RECORD_ID),
        ),
        cursor=_count(document, "c", 0, _MAX_COUNT),
        complete_list_size=_count(document, "n", 0, _MAX_COUNT),
    )
    if encode(state) != token:
        raise BadToken("not a token of this repository")
    return state
