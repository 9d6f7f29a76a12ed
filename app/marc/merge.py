"""Comparing and merging two versions of a record, as an import does on a match."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from app.marc.marcjson import to_json
from app.marc.records import Record, copy_field, copy_record, insert_in_tag_order

# 005 changes on every write, 040 names who wrote it; the leader's record length and base
# address follow the content.
_IGNORED_TAGS = frozenset({"005", "040"})
# What a catalogue gives a record of its own: its number, its code, its time, its agencies.
# (canonical.stored_form fingerprints a record without them too.)
IDENTITY_TAGS = frozenset({"001", "003", "005", "040"})


def _comparable(record: Record, ignored: frozenset[str] = _IGNORED_TAGS) -> tuple[str, list[Any]]:
    as_json = to_json(record)
    leader: str = as_json["leader"]
    fields = [field for field in as_json["fields"] if next(iter(field)) not in ignored]
    return leader[5:12] + leader[17:], fields


def content_fingerprint(record: Record) -> str:
    """A digest of what a numbered record says, its 001, 003, 005 and 040 aside: two records
    with the same content under different numbers, written by different agencies, have the same
    fingerprint."""
    text = json.dumps(_comparable(record, IDENTITY_TAGS), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def same_content(first: Record, second: Record) -> bool:
    """Whether two records say the same thing: every field but 005 and 040, and the leader's
    codes."""
    return _comparable(first) == _comparable(second)


def tag_matches(tag: str, pattern: str) -> bool:
    """Whether a tag fits a pattern where X stands for any digit ("9XX", "59X", "590")."""
    return len(tag) == len(pattern) == 3 and all(
        p in "Xx" or p == t for t, p in zip(tag, pattern, strict=True)
    )


def keep_local_fields(incoming: Record, stored: Record, patterns: tuple[str, ...]) -> Record:
    """The incoming record with the stored record's fields whose tags fit `patterns` (a
    library's local fields, 9XX say) in place of its own fields with those tags."""

    def kept(tag: str) -> bool:
        return any(tag_matches(tag, pattern) for pattern in patterns)

    result = copy_record(incoming)
    result.fields = [field for field in result.fields if not kept(field.tag)]
    for field in stored.fields:
        if kept(field.tag):
            insert_in_tag_order(result, copy_field(field))
    return result
