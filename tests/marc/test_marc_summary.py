"""summarize(), fold() and the standard numbers, on real records checked by hand."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

import pytest

from app import marc

if TYPE_CHECKING:
    from conftest import Corpus


def test_the_vietnamese_cornell_record_summarises(corpus: Corpus) -> None:
    (record,) = corpus.records("vietnamese/cornell-9220704-phong-su-bao-chi.mrc")
    assert marc.summarize(record) == marc.RecordSummary(
        title="Phóng sự báo chí : lý thuyết, kỹ năng và kinh nghiệm",
        responsibility="TS. Nguyễn Quang Hòa",
        main_entry="Nguyễn, Quang Hòa",
        isbns=(),
        issns=(),
        lccn=None,
        control_numbers=("9220704", "(OCoLC)965475081"),
        year=2015,
        language="vie",
        publisher="Nhà xuất bản Thông tin và truyền thông",
        place="Hà Nội",
        ddc=None,
        record_type="am",
        material="book",
        edition=None,
        extent="276 pages",
        subjects=("Reporters and reporting", "Journalism -- Authorship"),
        control_number="9220704",
        control_number_org=None,
    )


def test_an_lc_record_summarises(corpus: Corpus) -> None:
    (record,) = corpus.records("iso2709/pymarc/one.dat")
    summary = marc.summarize(record)
    assert summary.title == "ActivePerl with ASP and ADO"
    assert summary.responsibility == "Tobias Martinsson"
    assert summary.main_entry == "Martinsson, Tobias, 1976-"
    assert summary.isbns == ("9780471383147",)  # 020 $a 0471383147 (paper/cd-rom : alk. paper)
    assert summary.lccn == "00020737"  # 010 $a "   00020737 "
    assert (summary.year, summary.language) == (2000, "eng")
    assert (summary.place, summary.publisher) == ("New York", "John Wiley & Sons")
    assert summary.ddc == "005.13/3"
    assert summary.extent == "xxi, 289 p."
    assert summary.subjects == (
        "Perl (Computer program language)",
        "Active server pages",
        "ActiveX",
    )
    assert (summary.control_number, summary.control_number_org) == ("fol05731351", "IMchF")


def test_an_authority_record_has_no_year_or_language_from_its_008(corpus: Corpus) -> None:
    record = corpus.records("vietnamese/lc-subject-authorities-citing-vietnamese-works.mrc")[0]
    summary = marc.summarize(record)
    assert summary.record_type == "z "
    assert summary.year is None
    assert summary.language is None
    assert summary.title is None


def test_the_year_falls_back_to_264_then_260() -> None:
    record = marc.Record()
    record.leader = "00000nam a2200000 i 4500"
    record.add_field(
        marc.Field(tag="008", data="151030u20uu    vm            000 0 vie d"),
        marc.Field(
            tag="264",
            indicators=marc.Indicators(" ", "4"),
            subfields=[marc.Subfield("c", "©2014")],
        ),
        marc.Field(
            tag="264",
            indicators=marc.Indicators(" ", "1"),
            subfields=[marc.Subfield("b", "Kim Đồng,"), marc.Subfield("c", "[2015?]")],
        ),
    )
    summary = marc.summarize(record)
    assert (summary.year, summary.publisher, summary.language) == (2015, "Kim Đồng", "vie")
    record["008"].data = "151030s2014    vm            000 0 vie d"
    assert marc.summarize(record).year == 2014


@pytest.mark.parametrize(
    "text",
    ["Thư viện", unicodedata.normalize("NFD", "Thư viện"), "THƯ VIỆN", "thư viện", "thu vien"],
)
def test_fold_removes_tones_and_case(text: str) -> None:
    assert marc.fold(text) == "thu vien"


def test_fold_turns_every_d_with_stroke_into_d() -> None:
    assert marc.fold("Đà Nẵng đẹp") == "da nang dep"
    assert marc.fold("ÐÀ NẴNG ð") == "da nang d"  # U+00D0/U+00F0, legacy data's Đ


def test_fold_keeps_other_scripts_searchable() -> None:
    assert marc.fold("Москва ЁЖ") == "москва еж"
    assert marc.fold("שָׁלוֹם") == "שלום"
    assert marc.fold("東京大学 がっこう") == "東京大学 がっこう"
    assert marc.fold("Straße") == "strasse"


def test_standard_numbers_normalise() -> None:
    assert marc.normalize_isbn("9786041234567 (pbk.)") == "9786041234567"
    assert marc.normalize_isbn("ISBN 0-306-40615-2") == "9780306406157"
    assert marc.normalize_isbn("978 0 306 40615 7") == "9780306406157"
    assert marc.normalize_isbn("9786040000000") is None
    assert marc.normalize_isbn("(bìa mềm)") is None
    assert marc.normalize_issn("ISSN 0317-8471") == "0317-8471"
    assert marc.normalize_issn("2434561x") == "2434-561X"
    assert marc.normalize_issn("0317-8472") is None


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("   00020737 ", "00020737"),
        ("n  78890351 ", "n78890351"),
        ("   73209622 //r823", "73209622"),
        ("sh 85001589", "sh85001589"),
        ("2001-1114", "2001001114"),
        ("n78-890351", "n78890351"),
        ("not an lccn", None),
    ],
)
def test_lccns_normalise_by_lc_rules(written: str, normalised: str | None) -> None:
    assert marc.normalize_lccn(written) == normalised


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("(OCoLC)ocm00012345", "(OCoLC)12345"),
        ("(OCoLC) 12345 ", "(OCoLC)12345"),
        ("(ocolc)on1234567890", "(OCoLC)1234567890"),
        ("(OCoLC)ocn965475081", "(OCoLC)965475081"),
        ("ocm47971712", "(OCoLC)47971712"),  # OCLC's own prefix names OCLC
        ("(OCoLC)0", "(OCoLC)0"),
        ("(OCoLC)ocm1234x", "(OCoLC)ocm1234x"),  # not an OCLC number: kept as it is
        (" (DLC) 2001001114", "(DLC)2001001114"),
        ("(Sirsi) a337241", "(Sirsi)a337241"),
        ("(VN-NLV)000 12", "(VN-NLV)000 12"),  # only OCLC's zeros and blanks are known
        ("0012345", "0012345"),  # nobody's in particular: as it came
        ("ocmabc", "ocmabc"),
    ],
)
def test_system_numbers_normalise_oclc_forms_to_one(written: str, normalised: str) -> None:
    assert marc.normalize_system_number(written) == normalised
