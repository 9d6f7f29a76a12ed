"""The few facts about a record that lists, search results and the database columns show."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app.marc.records import Field, Record, indicators_of, leader_of, subfield_values
from app.marc.search_text import SUBJECT_SKIPPED, material
from app.marc.standard_numbers import normalize_isbn, normalize_issn, normalize_lccn

_AUTHORITY_OR_HOLDINGS = frozenset("zxyuvqw")
_MAIN_ENTRY_CODES = {"100": "abcqd", "110": "abcdn", "111": "andc", "130": "anp"}
_TITLE_CODES = "abnp"
_SUBDIVISION_CODES = "vxyz"
_YEAR = re.compile(r"(?<![0-9])([0-9]{4})(?![0-9])")
_LANGUAGE = re.compile(r"[a-z]{3}\Z")
# ISBD separators that end a subfield (" /", " :", " ;", " =", ",") and blanks.
_TRAILING_SEPARATORS = re.compile(r"[\s/:;=,]+\Z")
_INITIAL_BEFORE_PERIOD = re.compile(r"(?:^|[\s.])\w\.\Z")
_ByTag = dict[str, list[Field]]  # a record's fields by tag, in record order


@dataclass(frozen=True, slots=True)
class RecordSummary:
    """What a record is about, in plain values (see summarize for where each comes from)."""

    title: str | None
    responsibility: str | None
    main_entry: str | None
    isbns: tuple[str, ...]
    issns: tuple[str, ...]
    lccn: str | None
    control_numbers: tuple[str, ...]
    year: int | None
    language: str | None
    publisher: str | None
    place: str | None
    ddc: str | None
    record_type: str
    material: str
    edition: str | None
    extent: str | None
    subjects: tuple[str, ...]
    control_number: str | None
    control_number_org: str | None
    # 020 $z, valid ones as ISBN-13: numbers the book no longer carries (a CIP record's ISBN
    # changed at printing, a misprint) that a library may still search by.
    cancelled_isbns: tuple[str, ...] = ()


def trim_punctuation(text: str) -> str:
    """Remove the ISBD punctuation that ends a MARC subfield: " /", " :", ";", ",", "=", ".".

    A final period is kept after an initial or a one-letter abbreviation ("Smith, John W.",
    "289 p."), where it belongs to the word.
    """
    text = _TRAILING_SEPARATORS.sub("", text.strip())
    while (
        text.endswith(".") and not text.endswith("...") and not _INITIAL_BEFORE_PERIOD.search(text)
    ):
        text = _TRAILING_SEPARATORS.sub("", text[:-1])
    return text


def _joined(field: Field, codes: str) -> str | None:
    parts = [
        sub.value.strip() for sub in field.subfields if sub.code in codes and sub.value.strip()
    ]
    if not parts:
        return None
    return trim_punctuation(" ".join(parts)) or None


def _first_value(by_tag: _ByTag, tag: str, code: str) -> str | None:
    for field in by_tag.get(tag, ()):
        if not field.control_field:
            for value in subfield_values(field, code):
                if value.strip():
                    return value.strip()
    return None


def _control(by_tag: _ByTag, tag: str, *, strip: bool = True) -> str | None:
    fields = by_tag.get(tag)
    if not fields or not fields[0].control_field:
        return None
    data = fields[0].data or ""
    # Positions matter in fixed fields; identifiers are compared without their padding.
    return (data.strip() if strip else data) or None


def _publication_fields(by_tag: _ByTag) -> list[Field]:
    published = [
        f for f in by_tag.get("264", ()) if not f.control_field and indicators_of(f)[1] == "1"
    ]
    return published or [f for f in by_tag.get("260", ()) if not f.control_field]


def _first_in(fields: list[Field], code: str) -> str | None:
    for field in fields:
        for value in subfield_values(field, code):
            trimmed = trim_punctuation(value)
            if trimmed:
                return trimmed
    return None


def _year(publication: list[Field], fixed: str | None, is_bibliographic: bool) -> int | None:
    if is_bibliographic and fixed and len(fixed) >= 11:
        date = fixed[7:11]
        if date.isdigit() and date != "0000":
            return int(date)
    for field in publication:
        for value in subfield_values(field, "c"):
            match = _YEAR.search(value)
            if match:
                return int(match.group(1))
    return None


def _language(by_tag: _ByTag, fixed: str | None, is_bibliographic: bool) -> str | None:
    if is_bibliographic and fixed and len(fixed) >= 38:
        code = fixed[35:38].lower()
        if _LANGUAGE.match(code):
            return code
    value = _first_value(by_tag, "041", "a")
    if value and _LANGUAGE.match(value[:3].lower()):
        return value[:3].lower()
    return None


def subject_heading(field: Field) -> str | None:
    """A subject or place heading as people write it: the main part, then its subdivisions
    ($v $x $y $z) after " -- "; relator terms and linking subfields left out."""
    heading: list[str] = []
    parts: list[str] = []
    for sub in field.subfields:
        value = sub.value.strip()
        if not value or sub.code in SUBJECT_SKIPPED:
            continue
        if sub.code in _SUBDIVISION_CODES:
            parts.append(trim_punctuation(value))
        elif parts:
            parts[-1] = f"{parts[-1]} {value}"
        else:
            heading.append(value)
    if heading:
        parts.insert(0, trim_punctuation(" ".join(heading)))
    parts = [part for part in parts if part]
    return " -- ".join(parts) or None


def _valid_numbers(
    by_tag: _ByTag,
    tag: str,
    code: str,
    normalize: Callable[[str], str | None],
) -> list[str]:
    """The valid standard numbers in one subfield of a tag, each in its normal form."""
    return [
        number
        for field in by_tag.get(tag, ())
        if not field.control_field
        for value in subfield_values(field, code)
        if (number := normalize(value))
    ]


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def control_numbers(fields: Iterable[Field]) -> tuple[str, ...]:
    """The system control numbers (035 $a) among these fields, as RecordSummary lists them."""
    return _unique(
        [
            value.strip()
            for field in fields
            if field.tag == "035" and not field.control_field
            for value in subfield_values(field, "a")
            if value.strip()
        ]
    )


def summarize(record: Record) -> RecordSummary:
    """Summarise a record for lists, search results and the database's columns.

    title: 245 $a $b $n $p; main_entry: 1XX; isbns: valid 020 $a as ISBN-13 (cancelled_isbns:
    020 $z); issns: valid 022 $a; lccn: 010 $a by LC's rules; year: 008/07-10, else 264 _1 $c
    or 260 $c;
    language: 008/35-37, else 041 $a; material: see search_text.material; publisher and
    place: 264 _1, else 260; subjects: 6XX as "heading -- subdivision". Trailing ISBD
    punctuation is trimmed; missing values are None.
    """
    leader = leader_of(record)
    is_bibliographic = leader[6:7] not in _AUTHORITY_OR_HOLDINGS
    # One pass over the fields; every look-up below is then by tag.
    by_tag: _ByTag = {}
    main_entry_field = None
    subject_fields = []
    for field in record.fields:
        tag = field.tag
        by_tag.setdefault(tag, []).append(field)
        if tag.startswith("6") and not field.control_field:
            subject_fields.append(field)
        elif main_entry_field is None and tag in _MAIN_ENTRY_CODES and not field.control_field:
            main_entry_field = field
    fixed = _control(by_tag, "008", strip=False)
    title_field = by_tag["245"][0] if "245" in by_tag else None
    main_entry = (
        _joined(main_entry_field, _MAIN_ENTRY_CODES[main_entry_field.tag])
        if main_entry_field is not None
        else None
    )
    isbns = _valid_numbers(by_tag, "020", "a", normalize_isbn)
    cancelled = _valid_numbers(by_tag, "020", "z", normalize_isbn)
    issns = _valid_numbers(by_tag, "022", "a", normalize_issn)
    lccn_text = _first_value(by_tag, "010", "a")
    subjects = [subject for field in subject_fields if (subject := subject_heading(field))]
    publication = _publication_fields(by_tag)
    edition = _first_value(by_tag, "250", "a")
    extent = _first_value(by_tag, "300", "a")
    ddc = _first_value(by_tag, "082", "a")
    return RecordSummary(
        title=_joined(title_field, _TITLE_CODES) if title_field else None,
        responsibility=_joined(title_field, "c") if title_field else None,
        main_entry=main_entry,
        isbns=_unique(isbns),
        issns=_unique(issns),
        lccn=normalize_lccn(lccn_text) if lccn_text else None,
        control_numbers=control_numbers(by_tag.get("035", ())),
        year=_year(publication, fixed, is_bibliographic),
        language=_language(by_tag, fixed, is_bibliographic),
        publisher=_first_in(publication, "b"),
        place=_first_in(publication, "a"),
        ddc=ddc,
        record_type=leader[6:8],
        material=material(record),
        # "2nd ed." keeps its period: editions are abbreviations far more often than not.
        edition=_TRAILING_SEPARATORS.sub("", edition) or None if edition else None,
        extent=trim_punctuation(extent) if extent else None,
        subjects=_unique(subjects),
        control_number=_control(by_tag, "001"),
        control_number_org=_control(by_tag, "003"),
        cancelled_isbns=tuple(n for n in _unique(cancelled) if n not in isbns),
    )
