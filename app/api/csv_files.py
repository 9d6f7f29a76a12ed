"""CSV downloads (import reports, statistics): one way of writing them.

UTF-8 with a byte-order mark first: Excel, where librarians open these files, reads a CSV
without one in the Windows code page and shows "Thư viện" as "ThÆ° viá»‡n". Python's
`utf-8-sig`, pandas and LibreOffice read the mark as what it is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
BYTE_ORDER_MARK = "\ufeff"
_ROWS_PER_CHUNK = 500
# A cell Excel would read as a formula: the text of a record (a title, a rejected record's 001)
# is anybody's, and "=HYPERLINK(…)" in it must stay text. OWASP's advice: a leading apostrophe.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_chunks(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    """The file in pieces of a few hundred rows, to stream; None is written as an empty cell,
    and text beginning as a formula does ("=", "+", "-", "@") after an apostrophe."""
    buffer = io.StringIO()
    buffer.write(BYTE_ORDER_MARK)
    writer = csv.writer(buffer)
    writer.writerow(header)
    for n, row in enumerate(rows):
        writer.writerow([_cell(value) for value in row])
        if n % _ROWS_PER_CHUNK == _ROWS_PER_CHUNK - 1:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _cell(value: Any) -> Any:
    """None as an empty cell, and text that Excel would take for a formula kept as text."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
