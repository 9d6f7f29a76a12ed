"""Byte streams for the readers: a peekable head for format detection, a sliding window."""

from __future__ import annotations

from typing import BinaryIO

CHUNK_SIZE = 64 * 1024


class PrefixedStream:
    """A read-only stream that replays bytes already read from another stream, then goes on."""

    def __init__(self, head: bytes, rest: BinaryIO | PrefixedStream) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        """Read up to size bytes (all that is left when size is negative)."""
        if size < 0:
            data, self._head = self._head + self._rest.read(), b""
            return data
        if self._head:
            data, self._head = self._head[:size], self._head[size:]
            if len(data) < size:
                data += self._rest.read(size - len(data))
            return data
        return self._rest.read(size)

    def readline(self, size: int = -1) -> bytes:
        """Read one line, b"\\n" included, as BinaryIO.readline does."""
        if self._head:
            newline = self._head.find(b"\n")
            if newline >= 0:
                line, self._head = self._head[: newline + 1], self._head[newline + 1 :]
                return line
            line, self._head = self._head, b""
            return line + self._rest.readline()
        return self._rest.readline(size)


class Window:
    """A sliding window over a stream: look ahead, find bytes, drop what has been consumed.

    Offsets given to and returned by its methods are absolute offsets in the stream, so the
    readers can report where each record starts without keeping what came before.
    """

    def __init__(self, stream: BinaryIO | PrefixedStream) -> None:
        self._stream = stream
        self._data = bytearray()
        self._base = 0
        self.eof = False

    @property
    def end(self) -> int:
        """Absolute offset just past the bytes currently held."""
        return self._base + len(self._data)

    def fill_to(self, offset: int) -> bool:
        """Read until the window holds the bytes before offset; False if the stream ends first."""
        while self.end < offset and not self.eof:
            chunk = self._stream.read(max(CHUNK_SIZE, offset - self.end))
            if not chunk:
                self.eof = True
            else:
                self._data += chunk
        return self.end >= offset

    def byte_at(self, offset: int) -> int | None:
        """Return the byte at an absolute offset, or None past the end of the stream."""
        if not self.fill_to(offset + 1):
            return None
        return self._data[offset - self._base]

    def slice(self, start: int, stop: int) -> bytes:
        """Return the bytes between two absolute offsets (fewer at the end of the stream)."""
        self.fill_to(stop)
        return bytes(self._data[start - self._base : stop - self._base])

    def find(self, byte: bytes, start: int, limit: int) -> int:
        """Return the absolute offset of byte at or after start and before limit, or -1."""
        searched = start
        while True:
            found = self._data.find(byte, searched - self._base, limit - self._base)
            if found >= 0:
                return found + self._base
            searched = max(start, self.end)
            if searched >= limit or self.eof:
                return -1
            self.fill_to(min(self.end + CHUNK_SIZE, limit))

    def skip_past(self, byte: bytes, start: int) -> int:
        """Return the offset just after the next byte at or after start (-1 at the end).

        Unlike find(), it forgets what it has scanned, so a long run of junk costs no memory.
        """
        self.drop_before(start)
        while True:
            found = self._data.find(byte, max(start, self._base) - self._base)
            if found >= 0:
                return self._base + found + 1
            if self.eof:
                return -1
            self.drop_before(self.end)
            self.fill_to(self.end + CHUNK_SIZE)

    def skip_any(
        self, skipped: bytes, start: int, *, forget: bool, limit: int | None = None
    ) -> int:
        """Return the first offset at or after start whose byte is not in skipped: the end of
        the stream if there is none, or limit if that comes first.

        A chunk at a time, not a byte: a file padded with half a gigabyte of NUL is skipped in
        seconds. With forget, what it passes over is dropped as it goes, so it costs no memory.
        """
        while limit is None or start < limit:
            if not self.fill_to(start + 1):
                return start
            if self._data[start - self._base] not in skipped:
                return start  # the usual case, between records: no copy at all
            stop = min(self.end, start + CHUNK_SIZE, self.end if limit is None else limit)
            held = bytes(self._data[start - self._base : stop - self._base])
            rest = held.lstrip(skipped)
            start += len(held) - len(rest)
            if rest:
                return start
            if forget:
                self.drop_before(start)
        return limit

    def drop_before(self, offset: int) -> None:
        """Forget the bytes before an absolute offset."""
        keep_from = offset - self._base
        if keep_from <= 0:
            return
        del self._data[:keep_from]
        self._base = offset
