"""Simple Dublin Core from MARC 21, after the Library of Congress crosswalk.

The crosswalk is LC's "MARC to Dublin Core Crosswalk" (2008 revision, unqualified part,
https://www.loc.gov/marc/marc2dc.html). Where this module departs from it, it says why:

- Main entries (100 110 111) are dc:creator and added entries (700 710 711 720) dc:contributor.
  The crosswalk puts every name in dc:contributor and leaves dc:creator unused; DC defines the
  creator as the entity primarily responsible, which is what a MARC main entry records, LC's own
  MARC21slim2OAIDC.xsl writes dc:creator, and harvesters look for authors there.
- 264 with second indicator 1 (RDA's publication statement, defined after 2008) counts as 260.
- An 880 counts as the field it renders (its $6), so titles and names in their original script
  are carried too.
- ISBNs and ISSNs are written as URNs (urn:isbn:, RFC 3187; urn:issn:, RFC 3044), ISBNs as
  ISBN-13 when valid, so a harvester can tell one identifier from another.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator

from app.marc.records import Field, Record, first_field, indicators_of, leader_of, subfield_values
from app.marc.slim import FORBIDDEN_CHARACTERS
from app.marc.standard_numbers import normalize_isbn, normalize_issn
from app.marc.summary import subject_heading, trim_punctuation

ELEMENTS: tuple[str, ...] = (
    "title",
    "creator",
    "subject",
    "description",
    "publisher",
    "contributor",
    "date",
    "type",
    "format",
    "identifier",
    "source",
    "language",
    "relation",
    "coverage",
    "rights",
)

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_NOT_BIBLIOGRAPHIC = frozenset("zxyuvqw")  # authority, holdings, classification, community
# Leader/06 to the DCMI Type Vocabulary, as the crosswalk's leader table has it; m o p r and
# the non-bibliographic kinds get no type from the leader.
_LEADER_TYPES = {
    "a": "Text",
    "c": "Text",
    "d": "Text",
    "t": "Text",
    "e": "Image",
    "f": "Image",
    "g": "Image",
    "k": "Image",
    "i": "Sound",
    "j": "Sound",
}
_COLLECTION_LEVELS = frozenset("cs")  # leader/07: collection, serial
_NAME_CODES = {
    "100": "abcdq",
    "110": "abcdgn",
    "111": "acdegnq",
    "700": "abcdq",
    "710": "abcdgn",
    "711": "acdegnq",
    "720": "a",
}
_NOTE_SKIPPED = "u"  # URIs in notes are not description
_LANGUAGE_CODES = "abdefghj"

Pairs = Iterator[tuple[str, str]]


def _clean(text: str) -> str:
    return FORBIDDEN_CHARACTERS.sub("\ufffd", unicodedata.normalize("NFC", text))


def _among(code: str, codes: str) -> bool:
    # `in` on strings would take an empty or two-letter code for a match.
    return len(code) == 1 and code in codes


def _joined(field: Field, codes: str, separator: str = " ") -> str | None:
    parts = [
        sub.value.strip()
        for sub in field.subfields
        if _among(sub.code, codes) and sub.value.strip()
    ]
    if not parts:
        return None
    return trim_punctuation(separator.join(parts)) or None


def _each(field: Field, codes: str) -> Iterator[str]:
    for sub in field.subfields:
        if _among(sub.code, codes):
            value = trim_punctuation(sub.value)
            if value:
                yield value


def _one(element: str, value: str | None) -> Pairs:
    if value:
        yield element, value


def _title(tag: str) -> Callable[[Field], Pairs]:
    codes = "abfgknps" if tag == "245" else "abfnp"
    return lambda field: _one("title", _joined(field, codes))


def _name(tag: str) -> Callable[[Field], Pairs]:
    element = "creator" if tag.startswith("1") else "contributor"
    return lambda field: _one(element, _joined(field, _NAME_CODES[tag]))


def _subject_heading(field: Field) -> Pairs:
    return _one("subject", subject_heading(field))


def _uncontrolled_terms(field: Field) -> Pairs:
    for value in _each(field, "a"):
        yield "subject", value


def _classification(field: Field) -> Pairs:
    return _one("subject", _joined(field, "ab"))


def _coverage_heading(field: Field) -> Pairs:
    return _one("coverage", subject_heading(field))


def _place_hierarchy(codes: str) -> Callable[[Field], Pairs]:
    return lambda field: _one("coverage", _joined(field, codes, " -- "))


def _note(element: str) -> Callable[[Field], Pairs]:
    codes = "".join(c for c in _LETTERS if c != _NOTE_SKIPPED)
    return lambda field: _one(element, _joined(field, codes))


def _publication(field: Field, tag: str) -> Pairs:
    if tag == "264" and indicators_of(field)[1] != "1":
        return
    yield from _one("publisher", _joined(field, "ab"))
    for value in _each(field, "cg" if tag == "260" else "c"):
        yield "date", value


def _standard_number(
    normalize: Callable[[str], str | None], scheme: str
) -> Callable[[Field], Pairs]:
    """020 or 022: a valid number as urn:isbn:/urn:issn:, any other as written."""

    def pairs(field: Field) -> Pairs:
        for value in subfield_values(field, "a"):
            number = normalize(value)
            if number:
                yield "identifier", f"urn:{scheme}:{number}"
            elif value.strip():
                yield "identifier", trim_punctuation(value)

    return pairs


def _other_identifier(field: Field) -> Pairs:
    for value in subfield_values(field, "a"):
        if value.strip():
            yield "identifier", value.strip()


def _electronic_location(field: Field) -> Pairs:
    for value in subfield_values(field, "u"):
        if value.strip():
            yield "identifier", value.strip()
    for value in subfield_values(field, "q"):
        if value.strip():
            yield "format", value.strip()


def _languages(field: Field) -> Pairs:
    for sub in field.subfields:
        if not _among(sub.code, _LANGUAGE_CODES):
            continue
        text = sub.value.strip().lower()
        # Older records run several codes together in one subfield ("engfre").
        if text.isalpha() and text.isascii() and len(text) % 3 == 0:
            for start in range(0, len(text), 3):
                yield "language", text[start : start + 3]


def _linking_entry(element: str) -> Callable[[Field], Pairs]:
    return lambda field: _one(element, _joined(field, "to"))


def _rules() -> dict[str, Callable[[Field], Pairs]]:
    rules: dict[str, Callable[[Field], Pairs]] = {
        "245": _title("245"),
        "246": _title("246"),
        "653": _uncontrolled_terms,
        "651": _coverage_heading,
        "662": _place_hierarchy("abcdfgh"),
        "751": lambda field: _one("coverage", _joined(field, "a")),
        "752": _place_hierarchy("abcdfgh"),
        "260": lambda field: _publication(field, "260"),
        "264": lambda field: _publication(field, "264"),
        "655": lambda field: _one("type", subject_heading(field)),
        "340": _note("format"),
        "020": _standard_number(normalize_isbn, "isbn"),
        "022": _standard_number(normalize_issn, "issn"),
        "024": _other_identifier,
        "856": _electronic_location,
        "041": _languages,
        "546": _note("language"),
        "506": _note("rights"),
        "540": _note("rights"),
        "530": _note("relation"),
        "534": lambda field: _one("source", _joined(field, "t")),
        "786": _linking_entry("source"),
    }
    rules.update({tag: _name(tag) for tag in _NAME_CODES})
    rules.update(dict.fromkeys(("600", "610", "611", "630", "650"), _subject_heading))
    rules.update(dict.fromkeys(("050", "060", "080", "082"), _classification))
    for number in range(760, 788):
        rules.setdefault(str(number), _linking_entry("relation"))
    # The other notes are description; 506 540 (rights), 530 (relation), 546 (language) are not.
    for number in range(500, 600):
        rules.setdefault(str(number), _note("description"))
    return rules


_RULES = _rules()


def _linked_tag(field: Field) -> str | None:
    """The tag an 880 stands for, from its $6 ("245-01/$1")."""
    for value in subfield_values(field, "6"):
        if len(value) >= 3 and value[:3].isdigit():
            return value[:3]
    return None


def _fixed_fields(record: Record) -> Pairs:
    leader = leader_of(record)
    kind = _LEADER_TYPES.get(leader[6:7])
    if kind:
        yield "type", kind
    if leader[7:8] in _COLLECTION_LEVELS:
        yield "type", "Collection"
    fixed = first_field(record, "008")
    data = (fixed.data or "") if fixed is not None and fixed.control_field else ""
    if data[7:11].isdigit():
        yield "date", data[7:11]
    language = data[35:38].lower()
    if len(language) == 3 and language.isalpha() and language.isascii():
        yield "language", language


def _pairs(record: Record) -> Pairs:
    if leader_of(record)[6:7] in _NOT_BIBLIOGRAPHIC:
        return
    yield from _fixed_fields(record)
    for field in record.fields:
        if field.control_field:
            continue
        tag = _linked_tag(field) if field.tag == "880" else field.tag
        rule = _RULES.get(tag) if tag else None
        if rule is not None:
            yield from rule(field)


def dublin_core(record: Record) -> tuple[tuple[str, str], ...]:
    """Describe a record in simple Dublin Core: (element, value) pairs, in ELEMENTS order.

    Elements are the 15 of DCMES 1.1 (title, creator, …, rights); values keep the record's
    order within an element, are NFC with the record's text otherwise untouched (no folding,
    no transliteration), lose the ISBD punctuation that ends a MARC subfield, and repeat
    nothing (the same subject from LCSH and FAST is given once). The crosswalk describes
    bibliographic records: authority, holdings, classification and community records
    (leader/06 z x y u v w q) give no pairs."""
    order = {name: index for index, name in enumerate(ELEMENTS)}
    seen: set[tuple[str, str]] = set()
    found: list[tuple[str, str]] = []
    for element, value in _pairs(record):
        pair = (element, _clean(value))
        if pair not in seen:
            seen.add(pair)
            found.append(pair)
    return tuple(sorted(found, key=lambda pair: order[pair[0]]))
