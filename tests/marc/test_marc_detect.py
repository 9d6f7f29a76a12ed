"""Format detection from the first bytes of an upload, and the Format enum's metadata."""

from __future__ import annotations

import pytest

from app import marc


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"01234nam a2200289 a 4500001", marc.Format.MRC),
        (b'<?xml version="1.0"?><collection', marc.Format.MARCXML),
        (b"\xef\xbb\xbf\r\n  <marc:record xmlns:marc=", marc.Format.MARCXML),
        ('<?xml version="1.0" encoding="UTF-16"?>'.encode("utf-16"), marc.Format.MARCXML),
        (b'{"leader": "01234nam', marc.Format.JSON),
        (b'\n[{"leader"', marc.Format.JSON),
        (b"\xef\xbb\xbf=LDR  00000nam", marc.Format.MRK),
        (b"=000  00000nam", marc.Format.MRK),
        (b"%PDF-1.7", None),
        (b"", None),
        (b"   \r\n", None),
    ],
)
def test_detect_format(head: bytes, expected: marc.Format | None) -> None:
    assert marc.detect_format(head) is expected


def test_formats_know_their_media_type_and_extension() -> None:
    assert [(f.value, f.media_type, f.extension) for f in marc.Format] == [
        ("mrc", "application/marc", "mrc"),
        ("marcxml", "application/marcxml+xml", "xml"),
        ("json", "application/marc+json", "json"),
        ("mrk", "text/x-marc-mnemonic", "mrk"),
    ]
    assert marc.Format("marcxml") is marc.Format.MARCXML


def test_an_upload_in_no_known_format_is_one_problem() -> None:
    items = list(marc.read(b"%PDF-1.7 binary"))
    assert [(i.code, i.position) for i in items if isinstance(i, marc.MarcProblem)] == [
        ("unreadable-file", 0)
    ]
    assert len(items) == 1


def test_read_one_wants_exactly_one_record() -> None:
    record = marc.Record()
    record.leader = "00000nam a2200000 i 4500"
    record.add_field(marc.Field(tag="001", data="vn1"))
    one = marc.write(record, marc.Format.MRC)
    assert marc.read_one(one).record["001"].data == "vn1"
    for data in (one + one, b""):
        with pytest.raises(marc.UnreadableRecord) as raised:
            marc.read_one(data)
        assert raised.value.problem.code == "not-one-record"
    with pytest.raises(marc.UnreadableRecord) as raised:
        marc.read_one(one[:-10])
    assert raised.value.problem.code == "truncated-record"


def test_collections_concatenate_records_in_mrc_and_mrk() -> None:
    records = []
    for n in range(3):
        record = marc.Record()
        record.leader = "00000nam a2200000 i 4500"
        record.add_field(marc.Field(tag="001", data=f"vn{n}"))
        records.append(record)
    for fmt in (marc.Format.MRC, marc.Format.MRK, marc.Format.JSON, marc.Format.MARCXML):
        data = b"".join(marc.write_collection(iter(records), fmt))
        numbers = [
            i.record["001"].data for i in marc.read(data) if isinstance(i, marc.ParsedRecord)
        ]
        assert numbers == ["vn0", "vn1", "vn2"], fmt
        assert list(marc.read(b"".join(marc.write_collection([], fmt)), fmt)) == [], fmt
    mrc = b"".join(marc.write_collection(records, marc.Format.MRC))
    assert mrc == b"".join(marc.write(r, marc.Format.MRC) for r in records)


@pytest.mark.parametrize("fmt", list(marc.Format))
def test_a_byte_order_mark_and_blank_lines_before_the_data_are_tolerated(
    fmt: marc.Format,
) -> None:
    record = marc.Record()
    record.leader = "00000nam a2200000 i 4500"
    record.add_field(marc.Field(tag="001", data="Đ1"))
    data = b"\xef\xbb\xbf\r\n\n" + marc.write(record, fmt)
    items = list(marc.read(data))
    assert len(items) == 1
    assert isinstance(items[0], marc.ParsedRecord)
    assert items[0].record["001"].data == "Đ1"
    # Counted from the file's first byte; a MARCXML record's from its start tag.
    assert items[0].offset == (data.index(b"<record") if fmt is marc.Format.MARCXML else 6)
