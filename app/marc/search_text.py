"""What of a record search looks at: its words by part, its kind of material, its filing title."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from app.marc.records import Field, Record, first_field, indicators_of, leader_of

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_NAME = "abcdfgjklnpqtu"
# Which subfields of which tags feed each part. Relator terms and codes ($e $4), authority links
# ($0 $1) and sources ($2) are left out: they are not words a reader looks for.
_TITLE_CODES = {
    "245": "abfgknps",
    "130": "adfgklmnoprst",
    "240": "adfgklmnoprs",
    "243": "adfgklmnoprs",
    "246": "abfnp",
    "247": "abfnp",
    "210": "ab",
    "222": "ab",
    "730": "adfgklmnoprst",
    "740": "anp",
}
_AUTHOR_CODES = {
    "100": _NAME,
    "110": _NAME,
    "111": _NAME + "e",  # 111 $e is a subordinate unit, not a relator
    "700": _NAME,
    "710": _NAME,
    "711": _NAME + "e",
    "720": "a",
    "800": "abcdq",
    "810": "abcd",
    "811": "acdn",
}
_SERIES_CODES = {
    "440": "anp",
    "490": "a",
    "800": "tnp",
    "810": "tnp",
    "811": "tnp",
    "830": "anp",
}
_PUBLISHER_CODES = {"260": "b", "264": "b"}
_NOTES_CODES = {"250": "ab", "260": "a", "264": "a"}
# Subfields of a subject heading that are not part of what a reader sees (links, sources, relators).
SUBJECT_SKIPPED = "0123456789e"
_NOTE_SKIPPED = "0123456789u"

# Leader/06 (and /07 for language material) to the kinds a librarian filters by.
MATERIALS: dict[str, str] = {
    "a": "book",
    "t": "book",
    "c": "music",
    "d": "music",
    "j": "music",
    "i": "audio",
    "e": "map",
    "f": "map",
    "g": "video",
    "k": "image",
    "m": "computer",
    "o": "kit",
    "p": "mixed",
    "r": "object",
    "z": "authority",
    "w": "classification",
    "q": "community",
    "u": "holdings",
    "v": "holdings",
    "x": "holdings",
    "y": "holdings",
}
_SERIAL_LEVELS = frozenset("bis")
MATERIAL_NAMES: tuple[str, ...] = (*dict.fromkeys(MATERIALS.values()), "serial", "other")


@dataclass(frozen=True, slots=True)
class SearchText:
    """The words of a record by part, as written (not folded): one string per field occurrence."""

    title: tuple[str, ...]
    author: tuple[str, ...]
    subject: tuple[str, ...]
    series: tuple[str, ...]
    publisher: tuple[str, ...]
    notes: tuple[str, ...]


def material(record: Record) -> str:
    """Name the kind of material from leader/06-07: book, serial, map, music, video, …, other."""
    leader = leader_of(record)
    kind = MATERIALS.get(leader[6:7], "other")
    if leader[6:7] == "a" and leader[7:8] in _SERIAL_LEVELS:
        return "serial"
    return kind


def filing_title(record: Record) -> str | None:
    """The title as it files: 245 $a $b $n $p without the nonfiling characters of 245/ind2.

    "The Hobbit" with second indicator 4 files under "Hobbit"."""
    field = first_field(record, "245")
    if field is None or field.control_field:
        return None
    text = " ".join(
        sub.value.strip() for sub in field.subfields if sub.code in "abnp" and sub.value.strip()
    )
    skip = indicators_of(field)[1]
    if skip.isdigit() and 0 < int(skip) < len(text):
        text = text[int(skip) :]
    return text.strip() or None


def _linked_tag(field: Field) -> str | None:
    """The tag an 880 stands for, from its $6 ("245-01/$1")."""
    for sub in field.subfields:
        if sub.code == "6" and len(sub.value) >= 3 and sub.value[:3].isdigit():
            return sub.value[:3]
    return None


def _words(field: Field, codes: str) -> str | None:
    text = " ".join([value for code, value in field.subfields if code in codes and value])
    return text.strip() or None


_PART_TABLES = (
    ("title", _TITLE_CODES),
    ("author", _AUTHOR_CODES),
    ("series", _SERIES_CODES),
    ("publisher", _PUBLISHER_CODES),
    ("notes", _NOTES_CODES),
)
_SUBJECT_CODES = "".join(c for c in _LETTERS if c not in SUBJECT_SKIPPED)
_NOTE_CODES = "".join(c for c in _LETTERS if c not in _NOTE_SKIPPED)


@cache
def _parts_of(tag: str) -> tuple[tuple[str, str], ...]:
    """(part, subfield codes) of every part a field with this tag feeds, in the order found."""
    found = [(part, table[tag]) for part, table in _PART_TABLES if tag in table]
    if tag == "245":
        found.append(("author", "c"))
    if tag.startswith("6"):
        found.append(("subject", _SUBJECT_CODES))
    elif tag.startswith("5"):
        found.append(("notes", _NOTE_CODES))
    return tuple(found)


def search_text(record: Record) -> SearchText:
    """Collect a record's searchable words by part; 880 fields count as the field they render.

    title: 245, uniform and varying titles (130 240 243 246 247 210 222 730 740); author: 1XX,
    7XX names, 245 $c, series names of 800-811; subject: 6XX; series: 440 490 8XX titles;
    publisher: 260/264 $b; notes: 5XX, 250, place of publication."""
    parts: dict[str, list[str]] = {name: [] for name in SearchText.__slots__}
    for field in record.fields:
        if field.control_field:
            continue
        tag = _linked_tag(field) if field.tag == "880" else field.tag
        if tag is None:
            continue
        for part, codes in _parts_of(tag):
            words = _words(field, codes)
            if words:
                parts[part].append(words)
    return SearchText(**{name: tuple(values) for name, values in parts.items()})
