"""validate(): what blocks storing a record, and what is only worth a warning."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app import marc

if TYPE_CHECKING:
    from conftest import Corpus

FIXED = "151030s2015    vm a     b    000 0 vie d"


def _book(*fields: marc.Field, leader: str = "00000nam a2200000 i 4500") -> marc.Record:
    record = marc.Record()
    record.leader = leader
    record.fields = [marc.Field(tag="008", data=FIXED), *fields]
    return record


def _field(tag: str, *subfields: tuple[str, str], ind: str = "  ") -> marc.Field:
    return marc.Field(
        tag=tag,
        indicators=marc.Indicators(ind[0], ind[1]),
        subfields=[marc.Subfield(code, value) for code, value in subfields],
    )


TITLE = _field("245", ("a", "Phóng sự báo chí"), ind="10")


def _found(record: marc.Record) -> list[tuple[str, str, str | None]]:
    return [(p.severity, p.code, p.tag) for p in marc.validate(record)]


def test_a_good_book_has_no_problems() -> None:
    assert _found(_book(_field("020", ("a", "9786041234567 (bìa mềm)")), TITLE)) == []


def test_a_book_without_245_is_an_error_but_authority_and_holdings_need_none() -> None:
    assert _found(_book()) == [("error", "missing-245", "245")]
    for leader in ("00000nz  a2200000n  4500", "00000ny  a2200000   4500"):
        record = _book(leader=leader)
        record.fields = [marc.Field(tag="008", data=FIXED[:32] if "y" in leader[6] else FIXED)]
        assert _found(record) == []


def test_a_bad_isbn_check_digit_in_020_a_is_an_error_but_020_z_is_fine() -> None:
    record = _book(_field("020", ("a", "978-604-0000-000"), ("z", "9786040000001")), TITLE)
    problems = marc.validate(record)
    assert [(p.severity, p.code, p.tag) for p in problems] == [("error", "isbn-check-digit", "020")]
    assert problems[0].message == "020 $a 9786040000000: bad check digit"
    assert problems[0].position is None


def test_an_020_a_without_any_isbn_is_only_a_warning() -> None:
    assert _found(_book(_field("020", ("a", "(bìa cứng)")), TITLE)) == [
        ("warning", "isbn-format", "020")
    ]


def test_a_bad_issn_check_digit_is_an_error() -> None:
    good = _book(_field("022", ("a", "0317-8471")), TITLE)
    bad = _book(_field("022", ("a", "0317-8472")), TITLE)
    assert _found(good) == []
    assert _found(bad) == [("error", "issn-check-digit", "022")]


def test_008_of_the_wrong_length_is_a_warning() -> None:
    record = _book(TITLE)
    record.fields[0] = marc.Field(tag="008", data=FIXED[:38])
    assert _found(record) == [("warning", "008-length", "008")]


def test_replacement_characters_are_a_warning() -> None:
    record = _book(_field("245", ("a", "Th\ufffd vi\ufffdn"), ind="10"))
    assert _found(record) == [("warning", "replacement-character", "245")]


def test_structure_marcxml_cannot_hold_is_an_error() -> None:
    record = _book(
        _field("245", ("a", "Sách"), ("@", "x"), ind="1#"),
        _field("0A1", ("a", "ok: an alphanumeric local tag")),
        _field("00A", ("a", "not ok")),
        leader="00000nam  2200000 i 4500",
    )
    assert sorted(_found(record), key=str) == sorted(
        [
            ("error", "invalid-leader", "LDR"),
            ("error", "invalid-indicator", "245"),
            ("error", "invalid-subfield-code", "245"),
            ("error", "invalid-tag", "00A"),
        ],
        key=str,
    )
    assert [p for p in marc.validate(marc.normalize(record)[0]) if p.severity == "error"] == []


def test_repeated_245_and_control_fields_are_warnings() -> None:
    record = _book(TITLE, TITLE)
    record.fields.insert(0, marc.Field(tag="001", data="a"))
    record.fields.insert(0, marc.Field(tag="001", data="b"))
    assert _found(record) == [
        ("warning", "repeated-245", "245"),
        ("warning", "repeated-field", "001"),
    ]


def test_records_as_read_find_the_same_problems_checked_as_normalised(corpus: Corpus) -> None:
    # Records read are normalised, so validate() need not check their structure again: it must
    # find exactly what the full check finds, on every readable record of the corpus.
    checked = with_replacements = 0
    for corpus_file in corpus.files:
        for item in corpus.read(corpus_file.name):
            if not isinstance(item, marc.ParsedRecord):
                continue
            full = marc.validate(item.record)
            assert marc.validate(item.record, normalized=True) == full, corpus_file.name
            checked += 1
            with_replacements += any(p.code == "replacement-character" for p in full)
    assert checked > 5000
    assert with_replacements > 0
