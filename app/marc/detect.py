"""Tell a MARC format from the first bytes of an upload."""

from __future__ import annotations

from app.marc.formats import Format

UTF8_BOM = b"\xef\xbb\xbf"
# Enough to get past a byte order mark and blank lines to the first significant byte.
HEAD_SIZE = 4096


def detect_format(head: bytes) -> Format | None:
    """Guess the format from the first bytes of an upload (a few hundred are plenty).

    A UTF-8 byte order mark and leading whitespace are skipped. "<" means MARCXML, "{" or "["
    MARC-in-JSON, "=" mnemonic text, five digits an ISO 2709 leader; anything else is None.
    UTF-16 is recognised only for XML, whose parser reads it.
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head[2:].decode("utf-16-le" if head[0] == 0xFF else "utf-16-be", errors="ignore")
        return Format.MARCXML if text.lstrip().startswith("<") else None
    data = head.removeprefix(UTF8_BOM).lstrip(b" \t\r\n\x00")
    if not data:
        return None
    first = data[:1]
    if first == b"<":
        return Format.MARCXML
    if first in (b"{", b"["):
        return Format.JSON
    if first == b"=":
        return Format.MRK
    if data[:5].isdigit():
        return Format.MRC
    return None
