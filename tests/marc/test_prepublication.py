"""CIP requests as prepublication records, and their upgrade once the book is out."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pytest
from lxml import etree

from app import marc

if TYPE_CHECKING:
    from collections.abc import Callable

CREATED = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
AGENCY = "VN-NLV"
ISBN = "978-604-62-1234-8"  # check digit computed: 9786046212348 is a valid ISBN-13
BOOK = marc.CipData(
    title="Lịch sử Thư viện Việt Nam",
    subtitle="từ khởi thủy đến năm 1945",
    parallel_title="A history of libraries in Vietnam",
    contributors=(
        marc.Contributor("Nguyễn Thị Hường", "author"),
        marc.Contributor("Đặng Văn Đức", "translator"),
        marc.Contributor("Lê Thị Ánh Tuyết", "illustrator"),
    ),
    edition="Tái bản lần thứ 2",
    series="Tủ sách Thư viện học",
    series_number="3",
    publisher="Nxb. Đại học Quốc gia Hà Nội",
    place="Hà Nội",
    expected_date="2025-09",
    isbns=(ISBN,),
    pages=320,
    size_cm=21,
    languages=("vie", "eng"),
    summary="Trình bày lịch sử các thư viện ở Việt Nam từ thời phong kiến đến năm 1945.",
    keywords=("Thư viện học", "Lịch sử", "Việt Nam"),
    audience="Sinh viên ngành thông tin – thư viện",
)


def _record(data: marc.CipData = BOOK) -> marc.Record:
    return marc.prepublication_record(data, agency=AGENCY, created=CREATED)


def _lines(record: marc.Record, *tags: str) -> list[str]:
    return [marc.to_mnemonic_line(f) for f in record.fields if not tags or f.tag in tags]


def _codes(problems: tuple[marc.MarcProblem, ...]) -> list[tuple[str, str | None, str]]:
    return [(p.code, p.tag, p.severity) for p in problems]


def test_a_complete_request_has_no_problem() -> None:
    assert marc.check_cip_data(BOOK) == ()


def test_the_leader_says_prepublication_level_unicode_and_isbd() -> None:
    leader = str(_record().leader)
    assert (leader[5], leader[6], leader[7], leader[9], leader[17], leader[18]) == (
        "n",
        "a",
        "m",
        "a",
        "8",
        "i",
    )
    assert marc.is_prepublication(_record())


def test_fixed_data_holds_the_date_entered_the_year_the_place_and_the_language() -> None:
    (fixed,) = [f.data or "" for f in _record().fields if f.tag == "008"]
    assert fixed == "250304s2025    vm a          ||| | vie  "
    assert len(fixed) == 40
    assert fixed[18:22] == "a   "  # an illustrator is named: illustrated


@pytest.mark.parametrize(
    ("place", "code"),
    [("Tp. Hồ Chí Minh", "vm "), ("Huế", "vm "), ("Ha Noi", "vm "), ("Paris", "xx ")],
)
def test_008_place_code_is_vietnam_only_for_a_vietnamese_place(place: str, code: str) -> None:
    record = _record(dataclasses.replace(BOOK, place=place))
    (fixed,) = [f.data or "" for f in record.fields if f.tag == "008"]
    assert fixed[15:18] == code


def test_every_field_carries_its_content_with_isbd_punctuation() -> None:
    assert _lines(_record())[1:] == [
        "=020  \\\\$a9786046212348",
        "=040  \\\\$aVN-NLV$bvie$erda$cVN-NLV",
        "=041  1\\$avie$aeng",
        "=100  0\\$aNguyễn Thị Hường,$etác giả.$4aut",
        "=245  10$aLịch sử Thư viện Việt Nam =$bA history of libraries in Vietnam :"
        " từ khởi thủy đến năm 1945 /$cNguyễn Thị Hường ; Dịch: Đặng Văn Đức ;"
        " Minh hoạ: Lê Thị Ánh Tuyết.",
        "=246  31$aA history of libraries in Vietnam",
        "=250  \\\\$aTái bản lần thứ 2.",
        "=263  \\\\$a202509",
        "=264  \\1$aHà Nội :$bNxb. Đại học Quốc gia Hà Nội,$c2025.",
        # Illustrated (an illustrator is named); a full stop before the series area.
        "=300  \\\\$a320 tr. :$bminh hoạ ;$c21 cm.",
        # In the language of cataloguing, 040 $b vie.
        "=336  \\\\$avăn bản$btxt$2rdacontent/vie",
        "=337  \\\\$akhông qua thiết bị$bn$2rdamedia/vie",
        "=338  \\\\$atập$bnc$2rdacarrier/vie",
        "=490  0\\$aTủ sách Thư viện học ;$v3",
        "=520  \\\\$aTrình bày lịch sử các thư viện ở Việt Nam từ thời phong kiến đến năm 1945.",
        "=521  \\\\$aSinh viên ngành thông tin – thư viện.",
        "=653  \\0$aThư viện học",
        "=653  \\0$aLịch sử",
        "=653  \\0$aViệt Nam",
        "=700  0\\$aĐặng Văn Đức,$edịch.$4trl",
        "=700  0\\$aLê Thị Ánh Tuyết,$eminh hoạ.$4ill",
    ]


def test_without_an_author_the_title_is_the_main_entry() -> None:
    edited = dataclasses.replace(
        BOOK,
        subtitle=None,
        parallel_title=None,
        contributors=(marc.Contributor("Trần Văn Bình", "editor"),),
    )
    record = _record(edited)
    assert _lines(record, "100", "245", "700") == [
        "=245  00$aLịch sử Thư viện Việt Nam /$cTrần Văn Bình (ch.b.).",
        "=700  0\\$aTrần Văn Bình,$echủ biên.$4edt",
    ]


def test_an_inverted_name_gets_surname_indicator_and_later_authors_go_to_700() -> None:
    english = dataclasses.replace(
        BOOK,
        contributors=(
            marc.Contributor("Smith, John"),
            marc.Contributor("Nguyễn Văn An"),
        ),
        languages=("eng",),
        subtitle=None,
        parallel_title=None,
    )
    record = _record(english)
    assert _lines(record, "041", "100", "245", "700") == [
        "=100  1\\$aSmith, John,$etác giả.$4aut",
        "=245  10$aLịch sử Thư viện Việt Nam /$cSmith, John, Nguyễn Văn An.",
        "=700  0\\$aNguyễn Văn An,$etác giả.$4aut",
    ]


def test_a_year_alone_is_a_projected_date_with_unknown_month() -> None:
    record = _record(dataclasses.replace(BOOK, expected_date="2026"))
    assert _lines(record, "263") == ["=263  \\\\$a2026--"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"isbns": ("978-604-62-1234-5",)}, ("isbn-check-digit", "020", "error")),
        ({"isbns": ("978-0-11-000000-8",)}, ("isbn-not-vietnamese", "020", "warning")),
        ({"isbns": ("không có",)}, ("isbn-format", "020", "error")),
        ({"isbns": ()}, ("cip-isbn-missing", "020", "warning")),
        ({"title": "  "}, ("cip-title-missing", "245", "error")),
        ({"expected_date": "2025-13"}, ("cip-expected-date", "263", "error")),
        ({"expected_date": "09/2025"}, ("cip-expected-date", "263", "error")),
        ({"languages": ("vi",)}, ("cip-language", "041", "error")),
        ({"pages": 0}, ("cip-pages", "300", "error")),
        ({"size_cm": -21}, ("cip-size", "300", "error")),
        ({"publisher": None}, ("cip-publisher-missing", "264", "warning")),
        ({"series": None}, ("cip-series-number", "490", "warning")),
        ({"contributors": (marc.Contributor(" "),)}, ("cip-contributor-name", "700", "error")),
    ],
)
def test_each_problem_of_a_request_is_reported_with_its_field(
    change: dict[str, object], expected: tuple[str, str, str]
) -> None:
    data = dataclasses.replace(BOOK, **change)  # type: ignore[arg-type]  # fields vary per case
    assert _codes(marc.check_cip_data(data)) == [expected]


def test_a_bad_check_digit_blocks_the_record() -> None:
    bad = dataclasses.replace(BOOK, isbns=("9786046212345",))
    with pytest.raises(marc.InvalidCipData) as caught:
        _record(bad)
    assert _codes(caught.value.problems) == [("isbn-check-digit", "020", "error")]
    assert "9786046212345: bad check digit" in str(caught.value)


def test_a_non_vietnamese_isbn_is_only_a_warning() -> None:
    record = _record(dataclasses.replace(BOOK, isbns=("0-306-40615-2",)))
    assert _lines(record, "020") == ["=020  \\\\$a9780306406157"]  # ISBN-10 written as 13


def test_the_record_is_valid_marc_and_reads_back_from_iso2709_and_marcxml(
    marcxml_schema: etree.XMLSchema,
) -> None:
    record = _record()
    assert marc.validate(record) == ()
    expected = marc.to_json(marc.normalize(record)[0])
    for fmt in (marc.Format.MRC, marc.Format.MARCXML):
        data = marc.write(record, fmt)
        parsed = marc.read_one(data, fmt)
        assert parsed.warnings == ()
        assert marc.to_json(parsed.record) == expected
        assert str(parsed.record.leader)[17] == "8"
        if fmt is marc.Format.MARCXML:
            marcxml_schema.assertValid(etree.fromstring(data))
    published = marc.publish_record(record, FACTS)
    assert marc.validate(published) == ()
    assert marc.to_json(marc.read_one(marc.write(published, marc.Format.MRC)).record) == (
        marc.to_json(marc.normalize(published)[0])
    )


FACTS = marc.PublicationFacts(
    date=date(2025, 11, 20), pages=336, height_cm=24, isbns=("978-604-315-678-2",)
)


def test_publishing_makes_the_record_full_from_the_facts() -> None:
    record = _record()
    before = _lines(record)
    published = marc.publish_record(record, FACTS)
    leader = str(published.leader)
    assert (leader[5], leader[17]) == ("c", " ")
    assert not marc.is_prepublication(published)
    assert _lines(published, "008", "020", "263", "264", "300") == [
        "=008  " + "250304s2025    vm a          ||| | vie  ".replace(" ", "\\"),
        "=020  \\\\$a9786043156782",
        # The CIP ISBN the book did not get: cancelled, kept so that it still matches.
        "=020  \\\\$z9786046212348",
        "=264  \\1$aHà Nội :$bNxb. Đại học Quốc gia Hà Nội,$c2025.",
        "=300  \\\\$a336 tr. :$bminh hoạ ;$c24 cm.",
    ]
    untouched = ("040", "100", "245", "250", "490", "520", "653", "700")
    assert _lines(published, *untouched) == _lines(record, *untouched)
    assert _lines(record) == before  # the prepublication record is not changed


def test_publishing_with_the_cip_isbn_keeps_it_once_and_cancels_nothing() -> None:
    facts = dataclasses.replace(FACTS, isbns=(ISBN, ISBN))
    assert _lines(marc.publish_record(_record(), facts), "020") == ["=020  \\\\$a9786046212348"]


def test_publishing_in_another_year_updates_008_and_264_and_keeps_isbns_when_none_given() -> None:
    facts = marc.PublicationFacts(date=2026, pages=300, height_cm=21)
    published = marc.publish_record(_record(), facts)
    (fixed,) = [f.data or "" for f in published.fields if f.tag == "008"]
    assert fixed[:11] == "250304s2026"
    assert _lines(published, "020", "264") == [
        "=020  \\\\$a9786046212348",
        "=264  \\1$aHà Nội :$bNxb. Đại học Quốc gia Hà Nội,$c2026.",
    ]


def test_publishing_a_record_without_264_adds_one() -> None:
    record = _record(dataclasses.replace(BOOK, place=None, publisher=None))
    assert _lines(record, "264") == ["=264  \\1$c2025."]
    record.fields = [f for f in record.fields if f.tag != "264"]
    assert _lines(marc.publish_record(record, FACTS), "264") == ["=264  \\1$c2025."]


@pytest.mark.parametrize(
    "make_full",
    [
        lambda record: marc.publish_record(record, FACTS),
        lambda record: marc.normalize(marc.publish_record(record, FACTS))[0],
    ],
)
def test_only_a_prepublication_record_can_be_published(
    make_full: Callable[[marc.Record], marc.Record],
) -> None:
    full = make_full(_record())
    with pytest.raises(marc.NotPrepublication) as caught:
        marc.publish_record(full, FACTS)
    assert (caught.value.problem.code, caught.value.problem.tag) == ("not-prepublication", "LDR")


def test_impossible_facts_are_refused() -> None:
    facts = marc.PublicationFacts(date=2025, pages=0, height_cm=21, isbns=("9786046212345",))
    with pytest.raises(marc.InvalidCipData) as caught:
        marc.publish_record(_record(), facts)
    assert _codes(caught.value.problems) == [
        ("cip-pages", "300", "error"),
        ("isbn-check-digit", "020", "error"),
    ]


@pytest.mark.parametrize(
    ("audience", "code"),
    [
        ("Thiếu nhi", "j"),
        ("thieu nhi tu 6 den 11 tuoi", "j"),
        ("Học sinh tiểu học", "b"),
        ("Thanh thiếu niên", "d"),
        ("Trẻ mẫu giáo", "a"),
        ("Người lớn", "e"),
        ("Bạn đọc phổ thông", "g"),
        ("Cán bộ nghiên cứu chuyên ngành", "f"),
        ("Sinh viên ngành thông tin – thư viện", " "),
        (None, " "),
    ],
)
def test_the_audience_is_coded_in_008_22(audience: str | None, code: str) -> None:
    record = _record(dataclasses.replace(BOOK, audience=audience))
    (fixed,) = [f.data or "" for f in record.fields if f.tag == "008"]
    assert fixed[22] == code


def test_a_translation_names_its_original_language_in_041_h() -> None:
    translated = dataclasses.replace(BOOK, languages=("vie",), original_language="eng")
    assert _lines(_record(translated), "041") == ["=041  1\\$avie$heng"]
    wrong = dataclasses.replace(BOOK, original_language="English")
    assert ("cip-language", "041", "error") in _codes(marc.check_cip_data(wrong))


def test_without_illustrator_or_series_the_extent_is_pages_and_size() -> None:
    plain = dataclasses.replace(
        BOOK, contributors=(marc.Contributor("Nguyễn Thị Hường", "author"),), series=None
    )
    assert _lines(_record(plain), "300") == ["=300  \\\\$a320 tr. ;$c21 cm"]
