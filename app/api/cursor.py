"""Opaque page cursors: the last row's sort keys as JSON, base64url-encoded."""

import base64
import binascii
import json
from typing import Any

from app.api.errors import BadCursor

# Ours are a few dozen characters; a long one is forged, and JSON nesting costs recursion.
MAX_CURSOR_CHARS = 500


def encode_cursor(key: dict[str, Any]) -> str:
    """Encode the sort keys of a page's last row."""
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """Decode a cursor from encode_cursor into its keys. Raises BadCursor for anything else.

    Only the shape is checked here; the searcher checks the keys against the sort asked for."""
    if len(cursor) > MAX_CURSOR_CHARS:
        raise BadCursor()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (ValueError, binascii.Error, RecursionError) as error:
        # json and base64 fail with ValueError subclasses (UnicodeDecodeError among them);
        # json recurses once per nested array.
        raise BadCursor() from error
    if not isinstance(key, dict):
        raise BadCursor()
    return key
