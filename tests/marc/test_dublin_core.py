"""dublin_core(): the Library of Congress MARC to Dublin Core crosswalk, on real records."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from hypothesis import given, settings
from hypothesis import strategies as st

from app import marc

if TYPE_CHECKING:
    from conftest import Corpus

SAMPLES = Path(__file__).resolve().parents[2] / "sample_records"
# The fifteen elements of DCMES 1.1, in the order the oai_dc examples list them.
DC_ELEMENTS = (
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
# Records read from the corpus's readable folders (as tests/marc/test_marc_corpus.py counts).
CORPUS_RECORDS = 10174
NOT_BIBLIOGRAPHIC_RECORDS = 6101  # LC and FOLIO authority files, a few holdings records


def sample(name: str) -> list[marc.Record]:
    with (SAMPLES / name).open("rb") as stream:
        return [i.record for i in marc.read(stream) if isinstance(i, marc.ParsedRecord)]


def values(pairs: tuple[tuple[str, str], ...], element: str) -> list[str]:
    return [value for name, value in pairs if name == element]


def test_the_vietnamese_cornell_record(corpus: Corpus) -> None:
    (record,) = corpus.records("vietnamese/cornell-9220704-phong-su-bao-chi.mrc")

    assert marc.dublin_core(record) == (
        ("title", "Phóng sự báo chí : lý thuyết, kỹ năng và kinh nghiệm"),
        ("creator", "Nguyễn, Quang Hòa"),
        ("subject", "PN4781 .N594 2015"),  # 050
        ("subject", "Reporters and reporting"),  # LCSH and FAST alike: given once
        ("subject", "Journalism -- Authorship"),
        ("description", "At head of title: Học viện Báo chí và tuyên truyền"),
        ("description", "Includes bibliographical references (pages 273-276)"),
        ("publisher", "Hà Nội : Nhà xuất bản Thông tin và truyền thông"),  # 264 _1 $a $b
        ("contributor", "Học viện Báo chí và tuyên truyền"),  # 710 without its relator
        ("date", "2015"),  # 008/07-10 and 264 $c "2015." are one date
        ("type", "Text"),
        ("language", "vie"),
    )


def test_vietnamese_text_comes_out_nfc_whatever_the_input() -> None:
    decomposed = unicodedata.normalize("NFD", "Truyện Kiều")
    assert decomposed != "Truyện Kiều"
    record = marc.Record()
    record.leader = "00000nam a2200000 i 4500"
    record.add_field(
        marc.Field(
            tag="245",
            indicators=marc.Indicators("1", "0"),
            subfields=[marc.Subfield("a", decomposed + " /"), marc.Subfield("c", "Nguyễn Du.")],
        ),
        marc.Field(
            tag="100",
            indicators=marc.Indicators("0", " "),
            subfields=[marc.Subfield("a", unicodedata.normalize("NFD", "Nguyễn\x1fDu,"))],
        ),
    )

    assert marc.dublin_core(record) == (
        ("title", "Truyện Kiều"),
        ("creator", "Nguyễn\ufffdDu"),  # what XML cannot carry is replaced, not dropped
        ("type", "Text"),
    )


def test_an_lc_book_record(corpus: Corpus) -> None:
    (record,) = corpus.records("iso2709/pymarc/one.dat")

    assert marc.dublin_core(record) == (
        ("title", "ActivePerl with ASP and ADO"),
        ("creator", "Martinsson, Tobias, 1976-"),
        ("subject", "QA76.73.P22 M33 2000"),
        ("subject", "005.13/3"),
        ("subject", "Perl (Computer program language)"),
        ("subject", "Active server pages"),
        ("subject", "ActiveX"),
        ("description", '"Wiley Computer Publishing."'),
        ("publisher", "New York : John Wiley & Sons"),
        ("date", "2000"),
        ("type", "Text"),
        ("identifier", "urn:isbn:9780471383147"),  # 020 $a 0471383147 (paper/cd-rom ...)
        ("language", "eng"),
    )


def test_vietnamese_records_made_here_keep_every_term() -> None:
    first = marc.dublin_core(sample("vietnamese-made-here.mrk")[0])

    assert values(first, "title") == ["Kim Vân Kiều truyện", "Truyện Kiều"]  # 245, 246
    assert values(first, "creator") == ["Nguyễn Du, 1765-1820"]  # $e tác giả left out
    assert values(first, "contributor") == ["Trương Vĩnh Ký, 1837-1898"]
    # 082, three 650s, and the three $a of one 653, each a subject of its own.
    assert values(first, "subject") == [
        "895.9221",
        "Văn học Việt Nam",
        "Thơ",
        "Truyện thơ Nôm",
        "Truyện Kiều",
        "Thúy Kiều",
        "Lục bát",
    ]
    assert values(first, "publisher") == ["Sài Gòn : Bản in Nhà nước"]
    assert values(first, "date") == ["1875"]


def test_a_serial_is_text_and_collection_with_its_issn_and_relations() -> None:
    (record,) = sample("traject-nature-serial.mrc")
    pairs = marc.dublin_core(record)

    assert values(pairs, "type") == ["Text", "Collection"]  # leader/06 a, leader/07 s
    assert values(pairs, "identifier") == ["urn:issn:0028-0836"]
    assert values(pairs, "relation") == ["Nature. Physical science", "Nature. New biology"]
    assert values(pairs, "date") == ["1869"]
    assert "Science -- Periodicals" in values(pairs, "subject")
    # 510 citation notes are notes like any other 5XX.
    assert "Chemical abstracts 0009-2258" in values(pairs, "description")


def test_a_sound_recording_and_its_web_address() -> None:
    (record,) = sample("marc4j-freewheelin-dylan.json")
    pairs = marc.dublin_core(record)

    assert values(pairs, "type") == ["Sound"]
    assert values(pairs, "identifier") == ["http://hdl.loc.gov/loc.mbrsrs/lp0001.dyln"]  # 856 $u
    assert values(pairs, "creator") == ["Dylan, Bob, 1941-"]
    assert values(pairs, "date") == ["1963", "[1963]"]  # 008/07-10, then 260 $c as written


def test_a_map_is_an_image_with_its_places_as_coverage() -> None:
    (record,) = sample("trln-duke-vietnam-chart.mrc")
    pairs = marc.dublin_core(record)

    assert values(pairs, "type") == ["Image"]  # leader/06 k
    assert values(pairs, "coverage") == [
        "Vietnam -- Administrative and political divisions -- Posters",
        "Vietnam -- Politics and government -- Posters",
    ]


def test_880_fields_give_their_original_script_too() -> None:
    (record,) = sample("yaz-chinese-880.mrc")
    pairs = marc.dublin_core(record)

    assert values(pairs, "title") == [
        "Yu zhou hang xing he shu li hua",
        "宇宙\u3000航行\u3000和\u3000数理化",
    ]
    assert values(pairs, "creator") == ["Shen, Guoliang", "沈\u3000国良"]


def test_authority_records_have_no_bibliographic_type_date_or_language() -> None:
    records = sample("vn-lc-subject-authorities.mrc")
    assert len(records) == 7

    # Their 008 is laid out otherwise, and they have no title, names or notes the crosswalk maps.
    assert [marc.dublin_core(record) for record in records] == [()] * 7


def test_every_corpus_record_gives_nfc_values_of_the_fifteen_elements(corpus: Corpus) -> None:
    walked = not_bibliographic = titled = 0
    for corpus_file in corpus.in_folders("iso2709", "marcxml", "json", "mnemonic", "vietnamese"):
        for record in corpus.records(corpus_file.name):
            walked += 1
            pairs = marc.dublin_core(record)
            if str(record.leader)[6] in "zxyuvqw":
                not_bibliographic += 1
                assert pairs == (), corpus_file.name
                continue
            assert len(set(pairs)) == len(pairs), corpus_file.name
            for element, value in pairs:
                assert element in DC_ELEMENTS
                assert value == value.strip() != "", (corpus_file.name, element)
                assert unicodedata.is_normalized("NFC", value), (corpus_file.name, element)
            if any(s.value.strip() for f in record.get_fields("245") for s in f.subfields):
                assert "title" in dict(pairs), corpus_file.name
                titled += 1
    assert walked == CORPUS_RECORDS
    assert not_bibliographic == NOT_BIBLIOGRAPHIC_RECORDS
    assert titled > 4000


VIETNAMESE = "ăâđêôơưĂÂĐÊÔƠƯảãạấầẩẫậắằẳẵặẻẽẹếềểễệỉĩịỏõọốồổỗộớờởỡợủũụứừửữựỳỷỹỵ"
awkward = st.text(
    st.sampled_from(VIETNAMESE + "\x00\x1f\ufffe /:;,.=$" + unicodedata.normalize("NFD", "Việt"))
    | st.characters(),
    max_size=20,
)


@st.composite
def records(draw: st.DrawFn) -> marc.Record:
    record = marc.Record()
    record.leader = draw(st.text(st.sampled_from("0123456789 acdeijkmnprstz"), min_size=24))[:24]
    if draw(st.booleans()):
        record.add_field(marc.Field(tag="008", data=draw(awkward)))
    for _ in range(draw(st.integers(0, 8))):
        tag = draw(st.sampled_from(["020", "041", "100", "245", "260", "264", "500", "650"]))
        subfields = draw(
            st.lists(st.tuples(st.sampled_from([*"abcdexz6", "", "ab"]), awkward), max_size=4)
        )
        record.add_field(
            marc.Field(
                tag=draw(st.sampled_from([tag, "880"])),
                indicators=marc.Indicators(" ", draw(st.sampled_from(" 01"))),
                subfields=[marc.Subfield(code, value) for code, value in subfields],
            )
        )
    return record


@settings(max_examples=150, deadline=None)
@given(record=records())
def test_any_record_gives_clean_distinct_pairs_in_element_order(record: marc.Record) -> None:
    pairs = marc.dublin_core(record)

    order = list(DC_ELEMENTS)
    assert [order.index(e) for e, _ in pairs] == sorted(order.index(e) for e, _ in pairs)
    assert len(set(pairs)) == len(pairs)
    for _, value in pairs:
        assert value
        assert unicodedata.is_normalized("NFC", value)
        assert not any(c in value for c in "\x00\x1f\ufffe")
