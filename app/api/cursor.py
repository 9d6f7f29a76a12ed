"""Opaque page cursors: the last row's sort keys as JSON, base64url-encoded."""

import base64
import binascii
import json
from datetime import UTC, datetime

from app.api.errors import BadCursor
from app.db.models import MAX_KEY
from app.db.records import PageKey


def encode_cursor(key: PageKey) -> str:
    """Encode the sort keys of a page's last row."""
    raw = json.dumps([key.updated_at.isoformat(), key.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> PageKey:
    """Decode a cursor from encode_cursor. Raises BadCursor for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        updated_at, record_id = json.loads(raw)
        moment = datetime.fromisoformat(updated_at)
        if moment.tzinfo is None or not isinstance(record_id, int) or isinstance(record_id, bool):
            raise ValueError("cursor keys of the wrong kind")
        if not 0 < record_id <= MAX_KEY:
            raise ValueError("record id out of range")
        return PageKey(updated_at=moment.astimezone(UTC), id=record_id)
    except (ValueError, TypeError, OverflowError, binascii.Error) as error:
        # json, base64 and fromisoformat fail with ValueError subclasses; unpacking with
        # TypeError (a JSON number where a list belongs); astimezone near year 1 or 9999 with
        # OverflowError.
        raise BadCursor() from error
