"""ISO 2709: offsets, resynchronisation after damage, encodings, and the 99,999-byte limit."""

from __future__ import annotations

import io
import tracemalloc
import unicodedata
from typing import TYPE_CHECKING

import pytest

from app import marc

from support import windows_1258

if TYPE_CHECKING:
    from conftest import Corpus


def _record(*fields: marc.Field, leader: str = "00000nam a2200000 i 4500") -> marc.Record:
    record = marc.Record()
    record.leader = marc.Record(leader=leader).leader
    record.fields = list(fields)
    return record


def _title(text: str) -> marc.Field:
    return marc.Field(
        tag="245", indicators=marc.Indicators("1", "0"), subfields=[marc.Subfield("a", text)]
    )


def _note(tag: str, text: str) -> marc.Field:
    return marc.Field(
        tag=tag, indicators=marc.Indicators(" ", " "), subfields=[marc.Subfield("a", text)]
    )


def test_offsets_are_the_byte_positions_where_records_start(corpus: Corpus) -> None:
    data = corpus.file("iso2709/pymarc/test.dat").path.read_bytes()
    items = list(marc.read(data))
    assert len(items) == 10
    offsets = [item.offset for item in items if isinstance(item, marc.ParsedRecord)]
    starts = [0, *[i + 1 for i, byte in enumerate(data) if byte == 0x1D][:-1]]
    assert offsets == starts
    assert [item.position for item in items] == list(range(10))


def test_a_record_with_a_broken_directory_is_reported_and_reading_goes_on(
    corpus: Corpus,
) -> None:
    data = corpus.file("iso2709/pymarc/test.dat").path.read_bytes()
    ends = [i + 1 for i, byte in enumerate(data) if byte == 0x1D]
    second = ends[0]
    broken = bytearray(data)
    broken[second + 24 : second + 40] = b"garbage!garbage!"
    items = list(marc.read(bytes(broken)))
    assert len(items) == 10
    problem = items[1]
    assert isinstance(problem, marc.MarcProblem)
    assert (problem.code, problem.position, problem.severity) == ("bad-directory", 1, "error")
    third = items[2]
    assert isinstance(third, marc.ParsedRecord)
    assert third.offset == ends[1]
    assert marc.to_json(third.record) == marc.to_json(marc.read_one(data[ends[1] : ends[2]]).record)


def test_a_wrong_record_length_is_repaired_at_the_next_terminator(corpus: Corpus) -> None:
    data = corpus.file("iso2709/pymarc/test.dat").path.read_bytes()
    broken = b"99999" + data[5:]
    items = list(marc.read(broken))
    assert len(items) == 10
    first = items[0]
    assert isinstance(first, marc.ParsedRecord)
    assert [w.code for w in first.warnings] == ["record-length-mismatch"]
    assert all(isinstance(item, marc.ParsedRecord) for item in items)


def test_a_truncated_last_record_is_reported_after_the_good_ones(corpus: Corpus) -> None:
    data = corpus.file("iso2709/pymarc/test.dat").path.read_bytes()
    items = list(marc.read(data[:-100]))
    assert len(items) == 10
    assert all(isinstance(item, marc.ParsedRecord) for item in items[:9])
    last = items[9]
    assert isinstance(last, marc.MarcProblem)
    assert (last.code, last.position) == ("truncated-record", 9)


def test_bytes_that_are_not_iso_2709_give_one_problem() -> None:
    items = list(marc.read(b"%PDF-1.4 \x1d\x1e not a record \x1d more", marc.Format.MRC))
    assert len(items) == 1
    assert isinstance(items[0], marc.MarcProblem)
    assert items[0].code == "unreadable-file"


def test_reading_streams_instead_of_loading_the_upload(corpus: Corpus) -> None:
    data = corpus.file("iso2709/folio/5000.mrc").path.read_bytes()

    class CountingStream(io.BytesIO):
        consumed = 0

        def read(self, size: int | None = -1) -> bytes:
            chunk = super().read(size)
            self.consumed += len(chunk)
            return chunk

    stream = CountingStream(data)
    records = marc.read(stream)
    first = next(records)
    assert isinstance(first, marc.ParsedRecord)
    assert len(data) > 2_000_000
    assert stream.consumed < 200_000


def test_marc8_records_become_utf8_with_leader_09_a(corpus: Corpus) -> None:
    parsed = marc.read_one(corpus.file("iso2709/pymarc/marc8.dat").path.read_bytes())
    assert corpus.file("iso2709/pymarc/marc8.dat").path.read_bytes()[9:10] == b" "
    assert str(parsed.record.leader)[9] == "a"
    assert parsed.record["240"]["a"] == "De la solitude à la communauté."
    utf8 = marc.read_one(corpus.file("iso2709/pymarc/utf8_with_leader_flag.dat").path.read_bytes())
    assert marc.to_json(parsed.record) == marc.to_json(utf8.record)
    assert parsed.warnings == ()


def test_a_blank_leader_09_over_utf8_bytes_is_read_as_utf8_with_a_warning(
    corpus: Corpus,
) -> None:
    lying = marc.read_one(
        corpus.file("iso2709/pymarc/utf8_without_leader_flag.dat").path.read_bytes()
    )
    honest = marc.read_one(
        corpus.file("iso2709/pymarc/utf8_with_leader_flag.dat").path.read_bytes()
    )
    assert [w.code for w in lying.warnings] == ["encoding-mismatch"]
    assert lying.warnings[0].severity == "warning"
    assert lying.warnings[0].position == 0
    assert lying.record["500"]["a"] == "Translation of De la solitude à la communauté."
    assert marc.to_json(lying.record) == marc.to_json(honest.record)


def test_invalid_utf8_under_leader_a_becomes_replacement_characters_with_a_warning() -> None:
    good = marc.write(_record(_title("Hà Nội")), marc.Format.MRC)
    broken = good.replace("Hà".encode(), b"H\xe0\xe0")
    parsed = marc.read_one(broken)
    assert parsed.record["245"]["a"] == "H\ufffd\ufffd Nội"
    assert [(w.code, w.tag) for w in parsed.warnings] == [("invalid-utf8", "245")]
    assert {p.code for p in marc.validate(parsed.record)} == {
        "missing-008",
        "replacement-character",
    }


def test_a_windows_1258_field_in_a_utf8_record_is_shown_as_that_encoding_reads_it() -> None:
    good = marc.write(_record(_title("Truyện Kiều")), marc.Format.MRC)
    legacy = good.replace("Truyện Kiều".encode(), windows_1258("Truyện Kiều"))
    # The record is shorter than its leader says, too: those repairs are warnings.
    (problem,) = [w for w in marc.read_one(legacy).warnings if w.severity == "error"]
    assert problem.code == "invalid-utf8"
    assert "as Windows-1258 they read 'Truyện Kiều': convert the file to UTF-8" in problem.message
    # MARC-8 under a leader that says UTF-8 (ANSEL's marks before their letter) is told apart.
    marc8 = good.replace("Truyện Kiều".encode(), b"Truy\xe3\xf2en Ki\xe3\xe1eu")
    (problem,) = [w for w in marc.read_one(marc8).warnings if w.severity == "error"]
    assert "as MARC-8 they read 'Truyện Kiều': leader/09 should be blank" in problem.message
    # Bytes that are not letters in Windows-1258 either get no such guess.
    garbage = good.replace("Truyện Kiều".encode(), b"Truy\x81\x8dn")
    (problem,) = [w for w in marc.read_one(garbage).warnings if w.severity == "error"]
    assert "Windows-1258" not in problem.message
    assert "MARC-8" not in problem.message


def test_the_vietnamese_cornell_record_is_nfc_and_folds_to_ascii(corpus: Corpus) -> None:
    raw = corpus.file("vietnamese/cornell-9220704-phong-su-bao-chi.mrc").path.read_bytes()
    assert not unicodedata.is_normalized("NFC", raw.decode("utf-8"))
    parsed = marc.read_one(raw)
    texts = [f.data or "" for f in parsed.record.fields if f.control_field]
    texts += [s.value for f in parsed.record.fields if not f.control_field for s in f.subfields]
    assert all(unicodedata.is_normalized("NFC", text) for text in texts)
    title = parsed.record["245"]
    assert title["a"] == "Phóng sự báo chí :"
    assert marc.fold(" ".join(title.get_subfields("a", "b"))) == (
        "phong su bao chi : ly thuyet, ky nang va kinh nghiem /"
    )
    assert marc.fold(parsed.record["710"]["a"]) == "hoc vien bao chi va tuyen truyen,"


def test_a_120_kb_record_is_too_long_for_iso_2709_but_not_for_the_other_formats() -> None:
    notes = [_note("505", "Chương " + "ươ" * 4_000 + f" {n}") for n in range(12)]
    record = _record(_title("Tuyển tập"), *notes)
    with pytest.raises(marc.RecordTooLong) as raised:
        marc.write(record, marc.Format.MRC)
    assert raised.value.problem.code == "record-too-long"
    assert "99,999" in raised.value.problem.message
    expected = marc.to_json(marc.normalize(record)[0])
    for fmt in (marc.Format.MARCXML, marc.Format.JSON, marc.Format.MRK):
        data = marc.write(record, fmt)
        assert len(data) > 120_000
        assert marc.to_json(marc.read_one(data, fmt).record) == expected


def test_a_field_over_9999_bytes_is_too_long_for_iso_2709() -> None:
    record = _record(_title("Tuyển tập"), _note("520", "x" * 10_000))
    with pytest.raises(marc.RecordTooLong) as raised:
        marc.write(record, marc.Format.MRC)
    assert raised.value.problem.code == "record-too-long"
    assert raised.value.problem.tag == "520"


def test_written_iso_2709_has_true_lengths_and_utf8_flag() -> None:
    data = marc.write(_record(_title("Đà Nẵng")), marc.Format.MRC)
    assert int(data[:5]) == len(data)
    assert data[9:10] == b"a"
    assert data.endswith(b"\x1e\x1d")
    assert int(data[12:17]) == 24 + 12 + 1


def test_records_whose_terminator_was_never_written_are_read_by_their_length() -> None:
    records = [_record(_title(f"Tập {n}")) for n in range(3)]
    written = [marc.write(r, marc.Format.MRC) for r in records]
    unterminated = b"".join(f"{len(w) - 1:05d}".encode() + w[5:-1] for w in written)
    items = list(marc.read(unterminated))
    assert [i.record["245"]["a"] for i in items if isinstance(i, marc.ParsedRecord)] == [
        "Tập 0",
        "Tập 1",
        "Tập 2",
    ]
    assert [[w.code for w in i.warnings] for i in items if isinstance(i, marc.ParsedRecord)] == [
        ["missing-record-terminator"]
    ] * 3


def test_marc8_cyrillic_uses_the_extended_set_for_serbian_letters(corpus: Corpus) -> None:
    (record,) = corpus.records("iso2709/marc-perl/cyrillic.marc")
    vernacular = [f for f in record.get_fields("880") if f["6"].startswith(("245", "780"))]
    assert [f.get_subfields("a", "t")[0] for f in vernacular] == [
        "Одлуке и решења Савезног уставног суда.",
        "Одлуке и мишљења Уставног суда Југославије",
    ]


def test_records_read_without_looking_at_each_field_again_come_out_as_normalize_makes_them() -> (
    None
):
    # The reader tells clean UTF-8 records whose fields need no repair once per record, and
    # normalize() then trusts it: on every ISO 2709 record of the corpus, damaged ones too, what
    # it makes must be what normalize() makes looking at every field.
    from app.marc.iso2709 import decode_record, iso2709_frames
    from app.marc.normalize import normalize_shared

    from support import CORPUS

    trusted = looked_at = 0
    for path in sorted(CORPUS.rglob("*.mrc")):
        with path.open("rb") as stream:
            for frame in iso2709_frames(stream):
                if isinstance(frame, marc.MarcProblem):
                    continue
                decoded = decode_record(frame.data, offset=frame.offset, notes=list(frame.notes))
                if isinstance(decoded, marc.MarcProblem):
                    continue
                if decoded.normal_lengths is None:
                    looked_at += 1
                    continue
                trusted += 1
                fast, fast_repairs = normalize_shared(
                    decoded.record, normal_lengths=decoded.normal_lengths
                )
                full, repairs = marc.normalize(decoded.record)
                assert fast_repairs == repairs, (path, frame.offset)
                assert marc.to_json(fast) == marc.to_json(full), (path, frame.offset)
                assert str(fast.leader) == str(full.leader), (path, frame.offset)
                if len(frame.data) < 99_999:
                    written = marc.write(full, marc.Format.MRC)
                    assert int(str(fast.leader)[:5]) == len(written), (path, frame.offset)
    assert trusted > 5000
    assert looked_at > 100  # MARC-8 records, odd indicators, damaged ones


def test_blanks_before_the_first_subfield_are_dropped_any_other_text_blocks() -> None:
    good = marc.write(_record(_title("Sách")), marc.Format.MRC)
    assert good.count(b"10\x1fa") == 1

    def before_first_subfield(extra: bytes) -> list[tuple[str, str]]:
        parsed = marc.read_one(good.replace(b"10\x1fa", b"10" + extra + b"\x1fa"))
        assert parsed.record["245"]["a"] == "Sách"
        return [
            (w.severity, w.message) for w in parsed.warnings if w.code == "data-before-subfield"
        ]

    # A third indicator written as a blank or a backslash loses nothing.
    assert before_first_subfield(b" ") == [
        ("warning", "245: text ' ' before the first subfield was dropped")
    ]
    assert before_first_subfield(b"\\") == [
        ("warning", "245: text '\\\\' before the first subfield was dropped")
    ]
    assert before_first_subfield(b"x") == [
        ("error", "245: text 'x' before the first subfield was dropped")
    ]


class _Padded(io.RawIOBase):
    """A record, `padding` NUL bytes made as they are read, and the record again."""

    def __init__(self, record: bytes, padding: int) -> None:
        self._parts = [record, padding, record]

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while self._parts:
            part = self._parts[0]
            if isinstance(part, int):
                size = min(part, len(buffer))
                if size == 0:
                    self._parts.pop(0)
                    continue
                buffer[:size] = bytes(size)
                self._parts[0] = part - size
                return size
            size = min(len(part), len(buffer))
            buffer[:size] = part[:size]
            self._parts[0] = part[size:]
            if not self._parts[0]:
                self._parts.pop(0)
            return size
        return 0


def test_padding_between_records_costs_no_memory() -> None:
    record = marc.write(_record(_title("Hà Nội")), marc.Format.MRC)
    padding = 50 * 1024 * 1024
    tracemalloc.start()
    try:
        read = list(marc.read(io.BufferedReader(_Padded(record, padding))))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [isinstance(item, marc.ParsedRecord) for item in read] == [True, True]
    second = read[1]
    assert isinstance(second, marc.ParsedRecord)
    assert second.offset == len(record) + padding
    assert [w.code for w in second.warnings] == ["filler-skipped"]
    assert peak < 5 * 1024 * 1024  # the padding is never held
