"""The four serialisations of MARC 21 that the catalogue reads and writes."""

from __future__ import annotations

from enum import StrEnum


class Format(StrEnum):
    """A MARC serialisation; the value is what the API and CLI accept as a format name."""

    MRC = "mrc"
    MARCXML = "marcxml"
    JSON = "json"
    MRK = "mrk"

    @property
    def media_type(self) -> str:
        """The media type to send this format with."""
        return _MEDIA_TYPES[self]

    @property
    def extension(self) -> str:
        """The usual file name extension, without the dot."""
        return _EXTENSIONS[self]


_MEDIA_TYPES = {
    Format.MRC: "application/marc",
    Format.MARCXML: "application/marcxml+xml",
    Format.JSON: "application/marc+json",
    Format.MRK: "text/x-marc-mnemonic",
}

_EXTENSIONS = {
    Format.MRC: "mrc",
    Format.MARCXML: "xml",
    Format.JSON: "json",
    Format.MRK: "mrk",
}
