"""Cursors decode to exactly what was encoded, and anything else is a bad-cursor refusal."""

from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from app.api.cursor import MAX_CURSOR_CHARS, decode_cursor, encode_cursor
from app.api.errors import BadCursor

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3),
    max_leaves=6,
)


# Keys as small as the cursors the searcher gives out (see MAX_CURSOR_CHARS).
@given(key=st.dictionaries(st.text(max_size=3), json_values, max_size=4))
def test_a_cursor_decodes_to_the_keys_it_was_made_of(key: dict[str, Any]) -> None:
    cursor = encode_cursor(key)
    assume(len(cursor) <= MAX_CURSOR_CHARS)
    assert decode_cursor(cursor) == key


@given(text=st.text(max_size=60))
def test_any_other_text_is_a_bad_cursor_or_a_mapping(text: str) -> None:
    try:
        key = decode_cursor(text)
    except BadCursor:
        return
    assert isinstance(key, dict)


@pytest.mark.parametrize("cursor", ["", "WzEsMl0", "WyJ4IiwgMV0", "%%%", "bnVsbA"])
def test_forged_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(BadCursor):
        decode_cursor(cursor)


def test_a_cursor_too_long_to_be_ours_is_refused_unread() -> None:
    with pytest.raises(BadCursor):
        decode_cursor(encode_cursor({"k": "x" * 1000}))
