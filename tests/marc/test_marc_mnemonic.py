"""MARC mnemonic text (.mrk) as MarcEdit and LC's MARCBreaker write it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app import marc

from support import windows_1258

if TYPE_CHECKING:
    from conftest import Corpus

MARCEDIT = (
    "\ufeff=LDR  00000nam\\\\2200000\\a\\4500\r\n"
    "=001  VN{bsol}001\\\r\n"
    "=008  150721s2015\\\\\\\\vm\\\\\\\\\\\\000\\0\\vie\\d\r\n"
    "=020  \\\\$a9786041234567 ({dollar}5.00)\r\n"
    "=245  10$aPhóng sự {lcub}tập 1{rcub} :$blý thuyết /$cNguyễn Quang Hòa.\r\n"
    "=500  \\\\$aPath C:\\tmp, {U+1EA0}nh s{acute}ach\r\n"
    "\r\n"
    "=LDR  00000nam\\\\2200000\\a\\4500\r\n"
    "=245  00$aMột\r\n"
    "   hai ba\r\n"
)


def test_marcedit_text_reads_with_its_escapes() -> None:
    items = list(marc.read(MARCEDIT.encode()))
    assert len(items) == 2
    first, second = items
    assert isinstance(first, marc.ParsedRecord)
    assert isinstance(second, marc.ParsedRecord)
    record = first.record
    assert str(record.leader) == "00250nam a2200085 a 4500"
    assert record["001"].data == "VN\\001 "
    assert record["008"].data == "150721s2015    vm      000 0 vie d"
    assert record["020"]["a"] == "9786041234567 ($5.00)"
    assert record["245"].indicators == marc.Indicators("1", "0")
    assert record["245"]["a"] == "Phóng sự {tập 1} :"
    assert record["500"]["a"] == "Path C:\\tmp, Ạnh sách"
    assert first.warnings == ()
    assert first.offset == 3
    assert second.record["245"]["a"] == "Một   hai ba"
    assert second.offset == len(MARCEDIT.encode().split(b"\r\n\r\n")[0]) + 4


def test_lc_marcbreaker_mnemonics_read_as_the_marc8_original(corpus: Corpus) -> None:
    from_text = corpus.records("mnemonic/marc4j/brkrtest.mrk")
    from_marc8 = corpus.records("iso2709/marc4j/brkrtest.mrc")
    assert len(from_text) == len(from_marc8) == 8
    assert [marc.to_json(r) for r in from_text] == [marc.to_json(r) for r in from_marc8]


def test_qa_catalogue_files_with_000_leaders_and_wrapped_lines_read(corpus: Corpus) -> None:
    record = corpus.records("mnemonic/qa-catalogue/02.marcmaker")[0]
    assert record["245"]["c"] == (
        "by John W. Smith III ; with an introduction and commentary by Spencer Yarborough."
    )
    assert str(record.leader)[5:12] == "nam a22"


def test_a_line_that_is_no_field_makes_the_file_unreadable() -> None:
    items = list(marc.read(b"Hello, this is not MARC\n=245  00$aX\n", marc.Format.MRK))
    assert len(items) == 1
    assert isinstance(items[0], marc.MarcProblem)
    assert items[0].code == "unreadable-file"


def _field(tag: str, ind: str, *subfields: tuple[str, str]) -> marc.Field:
    return marc.Field(
        tag=tag,
        indicators=marc.Indicators(ind[0], ind[1]),
        subfields=[marc.Subfield(code, value) for code, value in subfields],
    )


def test_mnemonic_lines_escape_what_the_format_reserves() -> None:
    assert marc.to_mnemonic_line(_field("245", "10", ("a", "Title /"), ("c", "Author."))) == (
        "=245  10$aTitle /$cAuthor."
    )
    assert marc.to_mnemonic_line(_field("020", "  ", ("c", "$5 {tạm} C:\\x"))) == (
        "=020  \\\\$c{dollar}5 {lcub}tạm{rcub} C:{bsol}x"
    )
    assert marc.to_mnemonic_line(marc.Field(tag="008", data="150721s2015    vm \\")) == (
        "=008  150721s2015\\\\\\\\vm\\{bsol}"
    )
    assert marc.to_mnemonic_line(_field("500", " 1", ("a", "dòng 1\r\ndòng 2"))) == (
        "=500  \\1$adòng 1{0D}{0A}dòng 2"
    )


def test_a_written_record_is_crlf_text_ending_in_a_blank_line() -> None:
    record = marc.Record()
    record.leader = marc.Record(leader="00000nam a2200000 i 4500").leader
    record.add_field(marc.Field(tag="001", data="vn 1"), _field("245", "10", ("a", "Sách")))
    data = marc.write(record, marc.Format.MRK)
    assert data.decode("utf-8") == (
        "=LDR  00065nam\\a2200049\\i\\4500\r\n=001  vn\\1\r\n=245  10$aSách\r\n\r\n"
    )
    both = b"".join(marc.write_collection([record, record], marc.Format.MRK))
    assert [i.record["001"].data for i in marc.read(both) if isinstance(i, marc.ParsedRecord)] == [
        "vn 1",
        "vn 1",
    ]


def test_text_that_looks_like_mnemonics_survives_a_round_trip() -> None:
    record = marc.Record()
    record.leader = "00000nam a2200000 i 4500"
    tricky = "{acute}e {U+0041} {dollar} $a \\ {bsol} {{}} {0A}"
    record.add_field(
        marc.Field(tag="001", data="\\ {bsol} $"),
        _field("500", "  ", ("a", tricky), ("$", "dollar code"), ("{", "brace code")),
    )
    back = marc.read_one(marc.write(record, marc.Format.MRK), marc.Format.MRK).record
    assert back["001"].data == "\\ {bsol} $"
    assert [(s.code, s.value) for s in back["500"].subfields] == [
        ("a", tricky),
        ("$", "dollar code"),
        ("{", "brace code"),
    ]


def test_a_windows_1258_line_is_shown_as_that_encoding_reads_it() -> None:
    text = "=LDR  00000nam a2200000 i 4500\n=245  10$aTruyện Kiều\n"
    legacy = text.replace("Truyện Kiều", "@").encode().replace(b"@", windows_1258("Truyện Kiều"))
    (problem,) = [w for w in marc.read_one(legacy).warnings if w.code == "invalid-utf8"]
    assert "as Windows-1258 they read '=245  10$aTruyện Kiều': convert the file" in problem.message
