"""An uploaded file read back from the database piece by piece, and opened through its
compression (gzip, zip) whatever process reads it."""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Callable, Iterator
from typing import BinaryIO

PIECE_BYTES = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"


class UploadStream(io.RawIOBase):
    """A seekable binary stream over numbered pieces of PIECE_BYTES (the last may be shorter),
    fetched one at a time with `piece(seq)`; only the current piece is held in memory."""

    def __init__(self, piece: Callable[[int], bytes | None], size: int) -> None:
        self._piece = piece
        self._size = size
        self._position = 0
        self._current: tuple[int, bytes] | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if self._position >= self._size:
            return 0
        seq, start = divmod(self._position, PIECE_BYTES)
        if self._current is None or self._current[0] != seq:
            data = self._piece(seq)
            if data is None:
                raise OSError(f"piece {seq} of the upload is missing")
            self._current = (seq, data)
        data = self._current[1][start : start + len(buffer)]
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)


def record_streams(upload: BinaryIO) -> Iterator[tuple[str | None, BinaryIO]]:
    """The record files inside an upload, with their names inside a zip: the upload itself,
    its gzip content, or each member of a zip in order (folders and macOS resource forks left
    out)."""
    head = upload.read(4)
    upload.seek(0)
    if head.startswith(GZIP_MAGIC):
        yield None, gzip.GzipFile(fileobj=upload, mode="rb")  # type: ignore[misc]
        return
    if head.startswith(ZIP_MAGIC):
        with zipfile.ZipFile(upload) as archive:
            for member in archive.infolist():
                if member.is_dir() or member.filename.startswith("__MACOSX/"):
                    continue
                with archive.open(member) as stream:
                    yield member.filename, stream  # type: ignore[misc]
        return
    yield None, upload
