"""Cataloguing in publication (CIP): a publisher's request as a prepublication MARC 21 record.

A prepublication record is a book record built before the book exists, from what its
publisher expects: leader/17 "8" (prepublication level) and 263 (projected publication date)
say so. After publication, publish_record() turns it into a full record from the facts.

Conventions chosen here, for the Vietnamese National Library's catalogue:
* the description is in Vietnamese (040 $b vie), so the extent uses the Vietnamese
  abbreviations "tr." (trang, pages) and "cm", as the National Library writes "320 tr. ; 21 cm";
* relator terms are in the language of cataloguing: $e in Vietnamese ("tác giả", "chủ biên",
  "dịch", "minh hoạ"), with $4 the MARC relator code (aut, edt, trl, ill) that machines read
  whatever the language; the statement of responsibility (245 $c) is transcribed in
  Vietnamese: "X (ch.b.)" for an editor, "Dịch: X" for translators, "Minh hoạ: X" for
  illustrators. Tone marks go in the old place ("hoạ", not "họa"), one way throughout;
* a name written with a comma ("Smith, John") is a surname first (100/700 first indicator
  1); a name without one is in direct order (indicator 0): Vietnamese names ("Nguyễn Thị
  Hường") are never inverted;
* subfields carry ISBD punctuation (leader/18 "i").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from stdnum import isbn
from stdnum.exceptions import InvalidChecksum, ValidationError

from app.marc.fold import fold
from app.marc.problems import MarcError, MarcProblem, error, warning
from app.marc.records import (
    Field,
    Record,
    control_field,
    copy_record,
    data_field,
    indicators_of,
    insert_in_tag_order,
    leader_of,
    new_record,
)
from app.marc.standard_numbers import isbn_candidate

Role = Literal["author", "editor", "translator", "illustrator"]
ROLES: tuple[Role, ...] = ("author", "editor", "translator", "illustrator")

PREPUBLICATION_LEVEL = "8"
# Vietnam's registration group in ISBN-13 (978-604-...).
VIETNAMESE_ISBN_PREFIX = "978604"
# 05 n (new), 06 a (text), 07 m (monograph), 09 a (UCS/Unicode), 17 8, 18 i (ISBD).
_PREPUBLICATION_LEADER = "00000nam a22000008i 4500"
_EXPECTED_DATE = re.compile(r"([0-9]{4})(?:-(0[1-9]|1[0-2]))?\Z")
_LANGUAGE_CODE = re.compile(r"[a-z]{3}\Z")
_ENDS_SENTENCE = (".", "?", "!")
# Letters and marks only Vietnamese uses among the scripts a Vietnamese publisher cites:
# ơ ư đ, the hook above (ả) and the dot below (ạ); ê/ô/ă also occur in French or Romanian.
_VIETNAMESE_ONLY = frozenset("ơưđ\u0309\u0323")
_VIETNAMESE_PLACES = frozenset(
    {
        "viet nam",
        "vietnam",
        "ha noi",
        "hanoi",
        "h.",
        "ho chi minh",
        "tp. ho chi minh",
        "tp ho chi minh",
        "thanh pho ho chi minh",
        "tp. hcm",
        "tp hcm",
        "sai gon",
        "saigon",
        "hue",
        "da nang",
        "hai phong",
        "can tho",
        "nha trang",
        "da lat",
        "vinh",
    }
)
_STATEMENT_LABELS: dict[Role, str] = {"translator": "Dịch", "illustrator": "Minh hoạ"}
# $e and $4 of 100/700: the relator term in Vietnamese and the MARC code list's code.
_RELATORS: dict[Role, tuple[str, str]] = {
    "author": ("tác giả", "aut"),
    "editor": ("chủ biên", "edt"),
    "translator": ("dịch", "trl"),
    "illustrator": ("minh hoạ", "ill"),
}


# Words publishers use for their readers, folded, and the 008/22 code each stands for; the
# first match wins, so the narrower ages come before the general "thiếu nhi".
_AUDIENCES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("mau giao", "mam non", "nha tre"), "a"),  # preschool
    (("tieu hoc",), "b"),  # primary
    (("thieu nien", "trung hoc", "tuoi teen", "vi thanh nien"), "d"),  # adolescent
    (("thieu nhi", "tre em", "nhi dong"), "j"),  # juvenile
    (("chuyen mon", "chuyen nganh", "chuyen gia", "nghien cuu", "hoc thuat"), "f"),  # specialized
    (("nguoi lon", "truong thanh"), "e"),  # adult
    (("pho thong", "dai chung", "moi lua tuoi", "ban doc rong rai"), "g"),  # general
)


@dataclass(frozen=True, slots=True)
class Contributor:
    """A person named in a CIP request, with what they did (one of ROLES)."""

    name: str
    role: Role = "author"


@dataclass(frozen=True, slots=True, kw_only=True)
class CipData:
    """What a publisher sends for cataloguing in publication; check it with check_cip_data.

    expected_date is the month the book should appear, as "YYYY-MM" ("YYYY" when only the
    year is known): a month, not a day, because that is what 263 records and what a
    publisher can promise. languages are MARC language codes ("vie", "eng"), the first one
    the language of the text. pages is the expected number of pages; size_cm the expected
    height in whole centimetres, rounded up as cataloguers do. Text is taken as given,
    trimmed and made NFC.
    """

    title: str
    expected_date: str
    subtitle: str | None = None
    parallel_title: str | None = None
    contributors: tuple[Contributor, ...] = ()
    edition: str | None = None
    series: str | None = None
    series_number: str | None = None
    publisher: str | None = None
    place: str | None = None
    isbns: tuple[str, ...] = ()
    pages: int | None = None
    size_cm: int | None = None
    languages: tuple[str, ...] = ("vie",)
    summary: str | None = None
    keywords: tuple[str, ...] = ()
    audience: str | None = None
    original_language: str | None = None  # of a translation: 041 $h


@dataclass(frozen=True, slots=True, kw_only=True)
class PublicationFacts:
    """What a published book turned out to be: its date (a year or a full date), its number
    of pages, its height in whole centimetres and its ISBNs (empty: the record's stay)."""

    date: date | int
    pages: int
    height_cm: int
    isbns: tuple[str, ...] = ()


class InvalidCipData(MarcError):
    """Raised when a CIP request or publication facts have errors; carries every problem."""

    def __init__(self, problems: tuple[MarcProblem, ...]) -> None:
        errors = [p for p in problems if p.severity == "error"] or list(problems)
        super().__init__("; ".join(p.message for p in errors[:3]) or "invalid CIP data")
        self.problems = problems


class NotPrepublication(MarcError):
    """Raised when a record that is not a prepublication record is asked to be published."""

    def __init__(self, problem: MarcProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def is_prepublication(record: Record) -> bool:
    """Tell whether the record is at prepublication level (leader/17 "8")."""
    return leader_of(record)[17:18] == PREPUBLICATION_LEVEL


def check_cip_data(data: CipData) -> tuple[MarcProblem, ...]:
    """Check a CIP request; return its errors and warnings, each tagged with its MARC field.

    Errors (no record can be built): an empty title, an expected date not "YYYY-MM" or
    "YYYY", an ISBN with a bad check digit or that is no ISBN, a language that is not a
    three-letter code, a contributor without a name or with a role outside ROLES, a number
    of pages or a size that is not positive. Warnings: no ISBN, an ISBN outside Vietnam's
    978-604 group, no publisher or place, a series number without a series, no language.
    """
    problems: list[MarcProblem] = []
    if not _text(data.title):
        problems.append(error("cip-title-missing", "the request has no title", tag="245"))
    if not _EXPECTED_DATE.match(data.expected_date.strip()):
        message = f"expected date {data.expected_date!r} is not YYYY-MM or YYYY"
        problems.append(error("cip-expected-date", message, tag="263"))
    if not data.isbns:
        problems.append(warning("cip-isbn-missing", "the request has no ISBN", tag="020"))
    for number in data.isbns:
        problems.extend(_isbn_problems(number))
    for contributor in data.contributors:
        if not _text(contributor.name):
            problems.append(error("cip-contributor-name", "a contributor has no name", tag="700"))
        if contributor.role not in ROLES:
            message = f"{contributor.name}: role {contributor.role!r} is not one of {ROLES}"
            problems.append(error("cip-contributor-role", message, tag="700"))
    if not data.languages:
        message = "the request names no language; the record says undetermined (und)"
        problems.append(warning("cip-language-missing", message, tag="008"))
    original = data.original_language
    for code in (*data.languages, *([original] if original is not None else [])):
        if not _LANGUAGE_CODE.match(code):
            message = f"language {code!r} is not a MARC language code such as 'vie'"
            problems.append(error("cip-language", message, tag="041"))
    if data.pages is not None and data.pages <= 0:
        message = f"{data.pages} pages is not a number of pages"
        problems.append(error("cip-pages", message, tag="300"))
    if data.size_cm is not None and data.size_cm <= 0:
        problems.append(error("cip-size", f"{data.size_cm} cm is not a size", tag="300"))
    if not _text(data.publisher):
        message = "the request names no publisher"
        problems.append(warning("cip-publisher-missing", message, tag="264"))
    if not _text(data.place):
        problems.append(warning("cip-place-missing", "the request names no place", tag="264"))
    if _text(data.series_number) and not _text(data.series):
        message = f"series number {data.series_number!r} without a series; it is left out"
        problems.append(warning("cip-series-number", message, tag="490"))
    return tuple(problems)


def prepublication_record(data: CipData, *, agency: str, created: datetime) -> Record:
    """Build the prepublication MARC 21 record of a CIP request.

    agency is the cataloguing agency's MARC code, written to 040 $a and $c; created is when
    the record is made (008/00-05). The record has no 001/003/005: giving it its identity is
    assign_identity's job. Raises InvalidCipData when check_cip_data finds an error.
    """
    problems = check_cip_data(data)
    if any(p.severity == "error" for p in problems):
        raise InvalidCipData(problems)
    year, month = _expected_year_month(data.expected_date)
    languages = data.languages or ("und",)
    place = _text(data.place)
    publisher = _text(data.publisher)
    contributors = [
        Contributor(_text(c.name) or "", c.role) for c in data.contributors if _text(c.name)
    ]
    main = next((c for c in contributors if c.role == "author"), None)
    translated = any(c.role == "translator" for c in contributors)
    illustrated = any(c.role == "illustrator" for c in contributors)

    fields: list[Field] = [
        control_field(
            "008",
            _fixed_data(
                entered=created,
                year=year,
                place="vm " if place and _looks_vietnamese(place) else "xx ",
                illustrated=illustrated,
                audience=audience_code(data.audience),
                language=languages[0],
            ),
        )
    ]
    fields.extend(_isbn_field(number) for number in data.isbns)
    fields.append(
        data_field("040", " ", " ", [("a", agency), ("b", "vie"), ("e", "rda"), ("c", agency)])
    )
    original = data.original_language
    if len(languages) > 1 or translated or original:
        codes = _codes("a", languages) + ([("h", original)] if original else [])
        fields.append(data_field("041", "1" if translated or original else "0", " ", codes))
    if main is not None:
        fields.append(_name_field("100", main))
    fields.append(_title_field(data, contributors, has_main_entry=main is not None))
    parallel = _text(data.parallel_title)
    if parallel:
        fields.append(data_field("246", "3", "1", [("a", parallel)]))
    edition = _text(data.edition)
    if edition:
        fields.append(data_field("250", " ", " ", [("a", _end_sentence(edition))]))
    fields.append(data_field("263", " ", " ", [("a", f"{year}{month or '--'}")]))
    fields.append(_publication_field(place, publisher, str(year)))
    series = _text(data.series)
    if data.pages is not None or data.size_cm is not None:
        extent = _extent_field(
            data.pages, data.size_cm, illustrated=illustrated, series=series is not None
        )
        fields.append(extent)
    fields.extend(_rda_carrier_fields())
    if series:
        number = _text(data.series_number)
        subfields = [("a", f"{series} ;"), ("v", number)] if number else [("a", series)]
        fields.append(data_field("490", "0", " ", subfields))
    summary = _text(data.summary)
    if summary:
        fields.append(data_field("520", " ", " ", [("a", summary)]))
    audience = _text(data.audience)
    if audience:
        fields.append(data_field("521", " ", " ", [("a", _end_sentence(audience))]))
    for keyword in dict.fromkeys(k for k in map(_text, data.keywords) if k):
        fields.append(data_field("653", " ", "0", [("a", keyword)]))
    fields.extend(_name_field("700", c) for c in contributors if c is not main)
    return new_record(_PREPUBLICATION_LEADER, fields)


def check_publication_facts(facts: PublicationFacts) -> tuple[MarcProblem, ...]:
    """Check the facts of a published book: positive pages and height, valid ISBNs."""
    problems: list[MarcProblem] = []
    year = facts.date if isinstance(facts.date, int) else facts.date.year
    if not 1000 <= year <= 9999:
        message = f"{year} is not a year of publication"
        problems.append(error("publication-date", message, tag="264"))
    if facts.pages <= 0:
        message = f"{facts.pages} pages is not a number of pages"
        problems.append(error("cip-pages", message, tag="300"))
    if facts.height_cm <= 0:
        problems.append(error("cip-size", f"{facts.height_cm} cm is not a height", tag="300"))
    for number in facts.isbns:
        problems.extend(_isbn_problems(number))
    return tuple(problems)


def publish_record(record: Record, facts: PublicationFacts) -> Record:
    """Return a copy of a prepublication record made full from the published book's facts.

    Leader/17 becomes blank (full level) and leader/05 "c" (revised); 263 goes; 264 _1 $c,
    008/06-10 ("s" and the year), and 300 ("320 tr. ; 21 cm") come from the facts, as do the
    020 fields when the facts hold ISBNs: they come first, and an ISBN of the CIP record that
    the book does not carry stays as 020 $z (cancelled), so a library that had the CIP record by
    that number can still find it. 008/00-05, the date the record was entered, stays. Raises
    NotPrepublication when leader/17 is not "8", and InvalidCipData when
    check_publication_facts finds an error.
    """
    if not is_prepublication(record):
        level = leader_of(record)[17:18]
        message = f"leader/17 is {level!r}, not '8': the record is not a prepublication record"
        raise NotPrepublication(error("not-prepublication", message, tag="LDR"))
    problems = check_publication_facts(facts)
    if any(p.severity == "error" for p in problems):
        raise InvalidCipData(problems)
    year = str(facts.date if isinstance(facts.date, int) else facts.date.year)
    result = copy_record(record)
    leader = leader_of(result)
    result = new_record(
        leader[:5] + "c" + leader[6:17] + " " + leader[18:],
        [f for f in result.fields if f.tag not in ("263", "300")],
    )
    fixed = next((f for f in result.fields if f.tag == "008" and f.control_field), None)
    if fixed is not None and len(fixed.data or "") >= 11:
        fixed.data = (fixed.data or "")[:6] + "s" + year + (fixed.data or "")[11:]
    _set_publication_year(result, year)
    extent = _extent_field(
        facts.pages,
        facts.height_cm,
        illustrated=_is_illustrated(result),
        series=_has_series(result),
    )
    insert_in_tag_order(result, extent)
    if facts.isbns:
        printed = [_isbn_field(number) for number in dict.fromkeys(facts.isbns)]
        kept = {f.get_subfields("a")[0] for f in printed}
        cancelled = [
            data_field("020", " ", " ", [("z", number)])
            for f in result.fields
            if f.tag == "020"
            for number in f.get_subfields("a")
            if number not in kept
        ]
        result.fields = [f for f in result.fields if f.tag != "020"]
        for field in reversed(printed + cancelled):
            _insert_first_of_tag(result, field)
    return result


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    return unicodedata.normalize("NFC", value.strip()) or None


def _end_sentence(text: str) -> str:
    return text if text.endswith(_ENDS_SENTENCE) else text + "."


def _isbn_problems(number: str) -> list[MarcProblem]:
    candidate = isbn_candidate(number)
    if candidate is None:
        return [error("isbn-format", f"{number!r} is not an ISBN", tag="020")]
    try:
        isbn.validate(candidate)
    except InvalidChecksum:
        return [error("isbn-check-digit", f"ISBN {number}: bad check digit", tag="020")]
    except ValidationError as exc:
        return [error("isbn-format", f"ISBN {number}: not a valid ISBN ({exc})", tag="020")]
    if not isbn.to_isbn13(candidate).startswith(VIETNAMESE_ISBN_PREFIX):
        message = f"ISBN {number} is not in Vietnam's group (978-604)"
        return [warning("isbn-not-vietnamese", message, tag="020")]
    return []


def _isbn_field(number: str) -> Field:
    candidate = isbn_candidate(number) or number
    # MARC practice: the number alone, without hyphens; ISBN-13 since 2007.
    return data_field("020", " ", " ", [("a", isbn.to_isbn13(candidate))])


def _expected_year_month(text: str) -> tuple[int, str | None]:
    match = _EXPECTED_DATE.match(text.strip())
    if match is None:
        raise InvalidCipData((error("cip-expected-date", f"{text!r} is not YYYY-MM", tag="263"),))
    return int(match.group(1)), match.group(2)


def _looks_vietnamese(place: str) -> bool:
    decomposed = unicodedata.normalize("NFD", place.lower())
    if _VIETNAMESE_ONLY.intersection(decomposed):
        return True
    folded = fold(place).strip(" .,:;[]")
    return folded in _VIETNAMESE_PLACES or "viet nam" in folded or "vietnam" in folded


def audience_code(audience: str | None) -> str:
    """008/22 (target audience) for a publisher's words about its readers, blank (unknown)
    when they say nothing MARC 21 has a code for. Compared folded: "thieu nhi" is "Thiếu nhi"."""
    folded = fold(audience or "")
    for words, code in _AUDIENCES:
        if any(word in folded for word in words):
            return code
    return " "


def _fixed_data(
    *,
    entered: datetime,
    year: int,
    place: str,
    illustrated: bool,
    audience: str,
    language: str,
) -> str:
    """008 for books (40 characters); what a request cannot tell is coded "|" (not coded)."""
    return (
        entered.strftime("%y%m%d")  # 00-05 date entered on file
        + "s"  # 06 single known date
        + f"{year:04d}"  # 07-10 date 1
        + "    "  # 11-14 date 2
        + place  # 15-17 place of publication
        + ("a   " if illustrated else "    ")  # 18-21 illustrations
        + audience  # 22 target audience
        + " "  # 23 form of item: regular print
        + "    "  # 24-27 nature of contents
        + " "  # 28 not a government publication
        + "|||"  # 29-31 conference, festschrift, index: not coded
        + " "  # 32 undefined
        + "|"  # 33 literary form: not coded
        + " "  # 34 biography: none
        + language  # 35-37 language
        + " "  # 38 not modified
        + " "  # 39 cataloguing source: national bibliographic agency
    )


def _codes(code: str, values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(code, value) for value in dict.fromkeys(values)]


def _name_field(tag: str, contributor: Contributor) -> Field:
    first = "1" if "," in contributor.name else "0"
    name = contributor.name if contributor.name.endswith((",", "-")) else contributor.name + ","
    term, code = _RELATORS[contributor.role]
    return data_field(tag, first, " ", [("a", name), ("e", f"{term}."), ("4", code)])


def _responsibility(contributors: list[Contributor]) -> str | None:
    """245 $c in Vietnamese: authors and editors first, then "Dịch: …", then "Minh hoạ: …"."""
    first = [
        f"{c.name} (ch.b.)" if c.role == "editor" else c.name
        for c in contributors
        if c.role in ("author", "editor")
    ]
    statements = [", ".join(first)] if first else []
    for role, label in _STATEMENT_LABELS.items():
        names = [c.name for c in contributors if c.role == role]
        if names:
            statements.append(f"{label}: {', '.join(names)}")
    return " ; ".join(statements) or None


def _title_field(data: CipData, contributors: list[Contributor], *, has_main_entry: bool) -> Field:
    title = _text(data.title) or ""
    subtitle = _text(data.subtitle)
    parallel = _text(data.parallel_title)
    subfields: list[tuple[str, str]] = [("a", title)]
    if parallel:
        other = f"{parallel} : {subtitle}" if subtitle else parallel
        subfields = [("a", f"{title} ="), ("b", other)]
    elif subtitle:
        subfields = [("a", f"{title} :"), ("b", subtitle)]
    responsibility = _responsibility(contributors)
    if responsibility:
        code, value = subfields[-1]
        subfields[-1] = (code, f"{value} /")
        subfields.append(("c", responsibility))
    code, value = subfields[-1]
    subfields[-1] = (code, _end_sentence(value))
    # Vietnamese has no articles to skip when filing: nonfiling characters 0.
    return data_field("245", "1" if has_main_entry else "0", "0", subfields)


def _publication_field(place: str | None, publisher: str | None, year: str) -> Field:
    parts = [(code, value) for code, value in (("a", place), ("b", publisher)) if value]
    subfields: list[tuple[str, str]] = []
    for index, (code, value) in enumerate(parts):
        following = parts[index + 1][0] if index + 1 < len(parts) else "c"
        subfields.append((code, f"{value} :" if following == "b" else f"{value},"))
    subfields.append(("c", f"{year}."))  # the field ends the area: ISBD's full stop
    return data_field("264", " ", "1", subfields)


def _extent_field(
    pages: int | None, height_cm: int | None, *, illustrated: bool, series: bool
) -> Field:
    """300 in Vietnamese: "320 tr. :" $b "minh hoạ ;" $c "21 cm"; an unknown part is the bare
    unit, as LC writes "pages ; cm" in CIP. A series statement (490) follows as the next ISBD
    area, so the field then ends with a full stop."""
    extent = f"{pages} tr." if pages is not None else "tr."
    size = f"{height_cm} cm" if height_cm is not None else "cm"
    subfields = (
        [("a", f"{extent} :"), ("b", "minh hoạ ;")] if illustrated else [("a", f"{extent} ;")]
    )
    return data_field("300", " ", " ", [*subfields, ("c", f"{size}." if series else size)])


def _has_series(record: Record) -> bool:
    return any(field.tag == "490" for field in record.fields)


def _is_illustrated(record: Record) -> bool:
    fixed = next((f for f in record.fields if f.tag == "008" and f.control_field), None)
    codes = (fixed.data or "")[18:22] if fixed is not None else ""
    return bool(codes.strip(" |"))


def _rda_carrier_fields() -> list[Field]:
    # In the language of cataloguing (040 $b vie): the terms of the Vietnamese RDA
    # vocabularies, whose source codes carry the language ("rdacontent/vie").
    return [
        data_field("336", " ", " ", [("a", "văn bản"), ("b", "txt"), ("2", "rdacontent/vie")]),
        data_field(
            "337", " ", " ", [("a", "không qua thiết bị"), ("b", "n"), ("2", "rdamedia/vie")]
        ),
        data_field("338", " ", " ", [("a", "tập"), ("b", "nc"), ("2", "rdacarrier/vie")]),
    ]


def _set_publication_year(record: Record, year: str) -> None:
    published = next(
        (
            f
            for f in record.fields
            if f.tag == "264" and not f.control_field and indicators_of(f)[1] == "1"
        ),
        None,
    )
    if published is None:
        insert_in_tag_order(record, data_field("264", " ", "1", [("c", f"{year}.")]))
        return
    kept = [(s.code, s.value) for s in published.subfields if s.code != "c"]
    if kept:
        code, value = kept[-1]
        kept[-1] = (code, value.rstrip(" :;,") + ",")
    replacement = data_field("264", " ", "1", [*kept, ("c", f"{year}.")])
    record.fields[record.fields.index(published)] = replacement


def _insert_first_of_tag(record: Record, field: Field) -> None:
    for index, existing in enumerate(record.fields):
        if existing.tag >= field.tag:
            record.fields.insert(index, field)
            return
    record.fields.append(field)
