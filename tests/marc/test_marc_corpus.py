"""Every real record in the corpus survives every format, and broken files are reported."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from lxml import etree

from app import marc

if TYPE_CHECKING:
    from conftest import Corpus

# Records read from each folder. pymarc counted 1153 in marcxml/: 23 of those are OAI-PMH
# Dublin Core "records" in traject's fixtures, which are not MARC and are refused here.
EXPECTED_RECORDS = {"iso2709": 8876, "marcxml": 1130, "json": 129, "mnemonic": 31, "vietnamese": 8}
# Records whose ISO 2709 form would pass 99,999 bytes (Stanford and Chicago serials in XML).
EXPECTED_TOO_LONG_FOR_MRC = {"iso2709": 0, "marcxml": 10, "json": 0, "mnemonic": 0, "vietnamese": 0}


@pytest.mark.parametrize("folder", sorted(EXPECTED_RECORDS))
def test_every_corpus_record_reads_back_identically_from_every_format(
    corpus: Corpus, marcxml_schema: etree.XMLSchema, folder: str
) -> None:
    walked = 0
    too_long_problems: list[tuple[marc.Format, str]] = []
    for corpus_file in corpus.in_folders(folder):
        for item in corpus.read(corpus_file.name):
            if not isinstance(item, marc.ParsedRecord):
                continue
            walked += 1
            expected = marc.to_json(item.record)
            assert marc.to_json(marc.normalize(item.record)[0]) == expected, corpus_file.name
            for fmt in marc.Format:
                try:
                    data = marc.write(item.record, fmt)
                except marc.RecordTooLong as exc:
                    too_long_problems.append((fmt, exc.problem.code))
                    continue
                if fmt is marc.Format.MARCXML:
                    document = etree.fromstring(data)
                    assert marcxml_schema.validate(document), (
                        corpus_file.name,
                        item.position,
                        str(marcxml_schema.error_log.last_error),
                    )
                back = marc.read_one(data, fmt)
                assert marc.to_json(back.record) == expected, (corpus_file.name, item.position, fmt)
                assert back.warnings == (), (corpus_file.name, item.position, fmt)
    assert walked == EXPECTED_RECORDS[folder]
    expected_too_long = [(marc.Format.MRC, "record-too-long")] * EXPECTED_TOO_LONG_FOR_MRC[folder]
    assert too_long_problems == expected_too_long


# Files in malformed/ that read without any problem, and why that is right.
CLEAN_MALFORMED = {
    # Only a line break after the last record; pymarc took it for a truncated record.
    "malformed/marc-perl/escape.mrc",
    # Only an EOF mark (0x1A) after the last record.
    "malformed/marc-perl/sample1eof.usmarc",
    # Valid MARC-8 whose Greek lacks a character set change: indistinguishable from intent.
    "malformed/marc4j/greekmissingcharsetchange.mrc",
    # Well-formed XML in valid UTF-8; "bad" only for Princeton's own pipeline.
    "malformed/princeton/three_records_one_bad_utf8.xml",
    # Valid UTF-8 under leader/09 "a"; pymarc's test is about its own error handling.
    "malformed/pymarc/utf8_errors.dat",
}
EXPECTED_MALFORMED_RECORDS = 664


def test_every_malformed_file_gives_problems_and_keeps_its_readable_records(
    corpus: Corpus,
) -> None:
    files = list(corpus.in_folders("malformed"))
    readable_total = 0
    silent = set()
    for corpus_file in files:
        items = corpus.read(corpus_file.name)
        readable = [i for i in items if isinstance(i, marc.ParsedRecord)]
        problems = [i for i in items if isinstance(i, marc.MarcProblem)]
        problems += [w for r in readable for w in r.warnings]
        readable_total += len(readable)
        if not problems:
            silent.add(corpus_file.name)
        # Never fewer records than pymarc managed to read from the same file.
        assert len(readable) >= corpus_file.records_ok, corpus_file.name
        assert [i.position for i in items] == list(range(len(items))), corpus_file.name
    assert len(files) == 81
    assert silent == CLEAN_MALFORMED
    assert readable_total == EXPECTED_MALFORMED_RECORDS


def test_the_corpus_validates_without_blocking_real_records(corpus: Corpus) -> None:
    blocked: dict[str, set[str]] = {}
    walked = 0
    for corpus_file in corpus.in_folders("iso2709", "marcxml", "json", "mnemonic", "vietnamese"):
        for record in corpus.records(corpus_file.name):
            walked += 1
            for problem in marc.validate(record):
                assert problem.position is None
                assert problem.tag is not None
                if problem.severity == "error":
                    blocked.setdefault(problem.code, set()).add(corpus_file.name)
    assert walked == sum(EXPECTED_RECORDS.values())
    # What blocks storing, and only where a librarian would agree it should.
    assert blocked == {
        # UNIMARC (title in 200), UKMARC (Talis) and fixtures cut down to a few fields.
        "missing-245": {
            "iso2709/marc4j/pride-and-prejudice-fixed.mrc",
            "iso2709/openlibrary/talis_740.mrc",
            "iso2709/openlibrary/talis_multi_work_tiles.mrc",
            "iso2709/openlibrary/talis_no_title.mrc",
            "iso2709/openlibrary/talis_no_title2.mrc",
            "iso2709/qa-catalogue/short.bnr.1993.mrc",
            "iso2709/ruby-marc/escaped_character_reference.marc8.marc",
            "marcxml/trln/duke/online_access.xml",
        },
        # One record in each: an ISBN with a wrong check digit in 020 $a, where 020 $z belongs.
        "isbn-check-digit": {
            "iso2709/evergreen/FSL.marc",
            "iso2709/marc4j/pride-and-prejudice-fixed.mrc",
            "iso2709/openlibrary/880_publisher_unlinked.mrc",
            "iso2709/traject/batch.dat",
            "marcxml/marc2bibframe2/nlm.xml",
        },
        # A YAZ fixture whose leader/06 is "0": not a MARC 21 record type.
        "record-type": {"marcxml/yaz/marc4.xml"},
    }


@pytest.mark.parametrize(
    ("name", "records"),
    [
        # Evergreen writes blank indicators as '#', FOLIO's JSON as backslashes (008 too), and
        # pymarc's regression file has a blank before the first subfield code.
        ("iso2709/evergreen/FSL.marc", 52),
        ("iso2709/evergreen/sample_acq_order.mrc", 10),
        ("iso2709/pymarc/regression45.dat", 12),
        ("json/folio/ChalmersFOLIOExamples.json", 62),
    ],
)
def test_signs_for_a_blank_are_read_as_blanks_without_blocking_the_record(
    corpus: Corpus, name: str, records: int
) -> None:
    parsed = corpus.read(name)
    accepted = [item for item in parsed if isinstance(item, marc.ParsedRecord)]
    assert len(accepted) == records
    for item in accepted:
        assert not [w for w in item.warnings if w.severity == "error"], (name, item.position)
        for field in item.record.fields:
            if field.control_field:
                if field.tag in {"006", "007", "008"}:
                    assert not set(field.data) & {"#", "\\"}
            else:
                assert set(field.indicators) <= set(" 0123456789abcdefghijklmnopqrstuvwxyz")
