"""Opaque page cursors: the last row's sort keys as JSON, base64url-encoded."""

import base64
import binascii
import json
from typing import Any

from app.api.errors import BadCursor


def encode_cursor(key: dict[str, Any]) -> str:
    """Encode the sort keys of a page's last row."""
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """Decode a cursor from encode_cursor into its keys. Raises BadCursor for anything else.

    Only the shape is checked here; the searcher checks the keys against the sort asked for."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (ValueError, binascii.Error) as error:
        # json and base64 fail with ValueError subclasses (UnicodeDecodeError among them).
        raise BadCursor() from error
    if not isinstance(key, dict):
        raise BadCursor()
    return key
