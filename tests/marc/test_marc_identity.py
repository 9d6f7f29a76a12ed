"""assign_identity(), stamp() and diff() on real records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from app import marc

if TYPE_CHECKING:
    from conftest import Corpus

WHEN = datetime(2026, 11, 24, 9, 30, 15, 456_789, tzinfo=UTC)
HANOI = timezone(timedelta(hours=7))


def _lines(record: marc.Record) -> list[str]:
    return [marc.to_mnemonic_line(field) for field in record.fields]


def test_assign_identity_keeps_the_incoming_number_as_035(corpus: Corpus) -> None:
    (record,) = corpus.records("iso2709/pymarc/one.dat")
    before = _lines(record)
    result = marc.assign_identity(
        record, control_number="VN0000042", org_code="VN-NLV", timestamp=WHEN
    )
    lines = _lines(result)
    assert lines[:5] == [
        "=001  VN0000042",
        "=003  VN-NLV",
        "=005  20261124093015.4",
        "=008  000107s2000\\\\\\\\nyua\\\\\\\\\\\\\\\\\\\\001\\0\\eng\\\\",
        "=010  \\\\$a   00020737 ",
    ]
    assert "=035  \\\\$a(IMchF)fol05731351" in lines
    assert (
        lines.index("=035  \\\\$a(IMchF)fol05731351")
        == lines.index("=020  \\\\$a0471383147 (paper/cd-rom : alk. paper)") + 1
    )
    assert _lines(record) == before


def test_a_035_is_not_duplicated_and_a_record_without_003_gets_no_prefix(corpus: Corpus) -> None:
    (record,) = corpus.records("vietnamese/cornell-9220704-phong-su-bao-chi.mrc")
    result = marc.assign_identity(record, control_number="VN1", org_code="VN-NLV", timestamp=WHEN)
    numbers = [f["a"] for f in result.get_fields("035")]
    assert numbers == ["9220704", "(OCoLC)965475081"]  # "9220704" was already there
    assert result["001"].data == "VN1"
    assert result["003"].data == "VN-NLV"


def test_our_own_number_is_not_kept_as_035() -> None:
    record = marc.Record()
    record.leader = "00000nam a2200000 i 4500"
    record.add_field(marc.Field(tag="001", data="VN1"), marc.Field(tag="003", data="VN-NLV"))
    result = marc.assign_identity(record, control_number="VN2", org_code="VN-NLV", timestamp=WHEN)
    assert _lines(result) == ["=001  VN2", "=003  VN-NLV", "=005  20261124093015.4"]


def test_stamp_writes_005_in_utc_tenths() -> None:
    record = marc.Record()
    record.leader = "00000nam a2200000 i 4500"
    record.add_field(marc.Field(tag="001", data="VN1"), marc.Field(tag="005", data="old"))
    stamped = marc.stamp(record, datetime(2026, 1, 1, 6, 0, 0, 999_999, tzinfo=HANOI))
    assert _lines(stamped) == ["=001  VN1", "=005  20251231230000.9"]
    assert record["005"].data == "old"


def test_diff_of_two_variants_of_one_lc_record(corpus: Corpus) -> None:
    (catalogued,) = corpus.records("json/folio-copycat/marc1.json")
    (edited,) = corpus.records("json/folio-copycat/marc1a.json")
    assert marc.diff(catalogued, edited) == (
        marc.FieldChange(
            "changed",
            "245",
            "=245  04$aThe Computer Bible /$cJ. Arthur Baird, David Noel Freedman, editors.",
            "=245  04$aThe Computer Bible FILE/$cJ. Arthur Baird, David Noel Freedman, editors.",
        ),
        marc.FieldChange("added", "999", None, "=999  ff$iINSTANCEID"),
    )
    assert marc.diff(catalogued, catalogued) == ()
    # The same LC record as FOLIO and YAZ export it: equal once read (leader/09 aside).
    (folio,) = corpus.records("json/folio-copycat/marc7.json")
    (yaz,) = corpus.records("json/yaz/marc7.json")
    assert marc.diff(folio, yaz) == ()


def test_diff_pairs_repeated_fields_and_reports_the_leader(corpus: Corpus) -> None:
    (old,) = corpus.records("vietnamese/cornell-9220704-phong-su-bao-chi.mrc")
    new = marc.normalize(old)[0]
    subject = marc.Field(
        tag="650",
        indicators=marc.Indicators(" ", "7"),
        subfields=[marc.Subfield("a", "Báo chí"), marc.Subfield("z", "Việt Nam.")],
    )
    new.fields.insert([f.tag for f in new.fields].index("650") + 2, subject)
    new.remove_fields("504")
    new.leader = str(new.leader)[:5] + "n" + str(new.leader)[6:]
    assert marc.diff(old, new) == (
        marc.FieldChange(
            "changed",
            "LDR",
            "=LDR  01328cam\\a2200337\\i\\4500",
            "=LDR  01328nam\\a2200337\\i\\4500",
        ),
        marc.FieldChange(
            "removed",
            "504",
            "=504  \\\\$aIncludes bibliographical references (pages 273-276).",
            None,
        ),
        marc.FieldChange("added", "650", None, "=650  \\7$aBáo chí$zViệt Nam."),
    )
