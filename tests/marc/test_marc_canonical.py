"""Stored forms made before a record has its number, and records cut before they are decoded:
the same as numbering, writing and reading each record the plain way, on the whole corpus."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from app import marc

if TYPE_CHECKING:
    from conftest import Corpus

NOW = datetime(2026, 11, 25, 8, 30, 12, 345678, tzinfo=UTC)


def test_stored_forms_are_those_of_the_numbered_record(corpus: Corpus) -> None:
    stamp = marc.format_005(NOW)
    walked = 0
    as_read = 0
    for corpus_file in corpus.files:
        for item in corpus.read(corpus_file.name):
            if not isinstance(item, marc.ParsedRecord):
                continue
            origin = marc.summarize(item.record).control_number_org
            as_read += item.field_bytes is not None
            # Our own code keeps the old 001 out of 035; another's (or none) moves it there.
            # Each field encoded again, and (for a record read from clean ISO 2709) as read.
            for org_code, number, width, field_bytes in (
                ("VN-TEST", "7", 1, None),
                ("VN-TEST", "7", 1, item.field_bytes),
                # Made for a number of another width: the directory is made again.
                (origin or "VN-TEST", "1234567890", 1, item.field_bytes),
                (origin or "VN-TEST", "1234567890", 10, None),
            ):
                form = marc.stored_form(
                    item.record, org_code=org_code, number_width=width, field_bytes=field_bytes
                )
                numbered = marc.assign_identity(
                    item.record, control_number=number, org_code=org_code, timestamp=NOW
                )
                expected = json.dumps(marc.to_json(numbered), ensure_ascii=False)
                assert form.json(number, stamp) == expected, corpus_file.name
                try:
                    iso: bytes | None = marc.write(numbered, marc.Format.MRC)
                except marc.RecordTooLong:
                    iso = None
                assert form.iso2709(number, stamp) == iso, corpus_file.name
                assert form.fingerprint == marc.content_fingerprint(numbered)
                assert form.control_numbers == marc.summarize(numbered).control_numbers
            walked += 1
    assert walked > 10_000
    assert as_read > 5_000


def _numbered_iso2709(record: marc.Record, number: str) -> bytes | None:
    numbered = marc.assign_identity(
        record, control_number=number, org_code="VN-TEST", timestamp=NOW
    )
    try:
        return marc.write(numbered, marc.Format.MRC)
    except marc.RecordTooLong:
        return None


def _record_with_notes(lengths: list[int]) -> marc.Record:
    fields: list[dict[str, object]] = [
        {"245": {"ind1": "1", "ind2": "0", "subfields": [{"a": "Sách dày"}]}}
    ]
    fields += [{"500": {"ind1": " ", "ind2": " ", "subfields": [{"a": "x" * n}]}} for n in lengths]
    data = json.dumps({"leader": "00000nam a2200000 i 4500", "fields": fields})
    return marc.read_one(data.encode(), marc.Format.JSON).record


def test_a_record_at_the_length_limit_is_written_for_a_short_number_only() -> None:
    # Eleven notes of 9,000 bytes and one to fill: 99,999 bytes with a one-digit number.
    lengths = [9_000] * 11 + [100]
    written = _numbered_iso2709(_record_with_notes(lengths), "7")
    assert written is not None
    lengths[-1] += 99_999 - len(written)
    record = _record_with_notes(lengths)
    assert len(_numbered_iso2709(record, "7") or b"") == 99_999
    for number_width in (1, 2, 6):
        form = marc.stored_form(record, org_code="VN-TEST", number_width=number_width)
        stamp = marc.format_005(NOW)
        for number in ("7", "77", "777777"):
            assert form.iso2709(number, stamp) == _numbered_iso2709(record, number)
        assert form.iso2709("7", stamp) is not None
        assert form.iso2709("77", stamp) is None


def test_records_cut_then_decoded_are_the_records_read(corpus: Corpus) -> None:
    walked = 0
    for corpus_file in corpus.files:
        if corpus_file.format is not marc.Format.MRC:
            continue
        data = corpus_file.path.read_bytes()
        pieces = list(marc.read_pieces(data, marc.Format.MRC))
        read = list(marc.read(data, marc.Format.MRC))
        assert len(pieces) == len(read), corpus_file.name
        for piece, item in zip(pieces, read, strict=True):
            parsed = marc.parse(piece) if isinstance(piece, marc.RawRecord) else piece
            if isinstance(item, marc.MarcProblem):
                assert parsed == item
                continue
            assert isinstance(parsed, marc.ParsedRecord)
            assert (parsed.position, parsed.offset, parsed.warnings) == (
                item.position,
                item.offset,
                item.warnings,
            )
            assert marc.to_json(parsed.record) == marc.to_json(item.record)
            walked += 1
    assert walked > 9_000


def test_problems_say_at_which_byte_their_record_starts(corpus: Corpus) -> None:
    data = corpus.file("malformed/pymarc/bad_records.mrc").path.read_bytes()
    starts = [0, *[i + 1 for i, byte in enumerate(data) if byte == 0x1D]]
    problems = [item for item in marc.read(data) if isinstance(item, marc.MarcProblem)]
    assert [(p.position, p.offset) for p in problems] == [(3, starts[3]), (4, starts[4])]
    cut = corpus.file("iso2709/pymarc/test.dat").path.read_bytes()[:-100]
    last = list(marc.read(cut))[-1]
    assert isinstance(last, marc.MarcProblem)
    assert last.code == "truncated-record"
    assert last.offset == [i + 1 for i, byte in enumerate(cut) if byte == 0x1D][-1]
