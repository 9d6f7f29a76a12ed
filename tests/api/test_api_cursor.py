"""Cursors decode to exactly what was encoded, and anything else is a bad-cursor refusal."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.api.cursor import decode_cursor, encode_cursor
from app.api.errors import BadCursor
from app.db.records import PageKey

moments = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


@given(updated_at=moments, record_id=st.integers(min_value=1, max_value=2**62))
def test_a_cursor_decodes_to_the_keys_it_was_made_of(updated_at: datetime, record_id: int) -> None:
    key = PageKey(updated_at=updated_at, id=record_id)
    assert decode_cursor(encode_cursor(key)) == key


@given(text=st.text(max_size=60))
def test_any_other_text_is_a_bad_cursor_or_a_valid_key(text: str) -> None:
    try:
        key = decode_cursor(text)
    except BadCursor:
        return
    assert key.updated_at.tzinfo is not None


@pytest.mark.parametrize(
    "cursor", ["", "e30", "WzEsMl0", "WyIyMDI2LTExLTI1IiwgMV0", "WyJ4IiwgMV0", "%%%"]
)
def test_forged_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(BadCursor):
        decode_cursor(cursor)
