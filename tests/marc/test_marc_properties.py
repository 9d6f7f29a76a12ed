"""Properties: every format reads back what it wrote; normalize and fold are idempotent."""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from app import marc

VIETNAMESE = "ăâđêôơưĂÂĐÊÔƠƯảãạấầẩẫậắằẳẵặẻẽẹếềểễệỉĩịỏõọốồổỗộớờởỡợủũụứừửữựỳỷỹỵ"
# What MARC reserves, what XML forbids, what .mrk escapes, and decomposed Vietnamese.
AWKWARD = "$\\{}\x1d\x1e\x1f\x00\x0b\r\n\t \ufffe\ufffd\ud800" + unicodedata.normalize(
    "NFD", "Việt"
)

text = st.text(
    st.sampled_from(VIETNAMESE) | st.characters(exclude_categories=("Cc", "Cs")),
    min_size=1,
    max_size=40,
)
awkward_text = st.text(
    st.sampled_from(VIETNAMESE + AWKWARD) | st.characters(), min_size=0, max_size=30
)
tags = st.sampled_from(["010", "020", "100", "245", "260", "500", "650", "880", "9XX", "abc"])
indicators = st.sampled_from(list("0123456789 a")) | st.characters(max_codepoint=0x17F)
codes = st.sampled_from(list("abcdefz0123456$")) | st.characters(max_codepoint=0x17F)
leader_chars = st.sampled_from(list("0123456789 anmcz^|#")) | st.characters(max_codepoint=0x7F)


@st.composite
def records(draw: st.DrawFn, values: st.SearchStrategy[str] = text) -> marc.Record:
    """Records with control and data fields, Vietnamese text, and now and then junk."""
    record = marc.Record()
    record.leader = "".join(draw(st.lists(leader_chars, min_size=24, max_size=24)))
    record.add_field(marc.Field(tag="001", data=draw(values)))
    if draw(st.booleans()):
        record.add_field(marc.Field(tag="008", data=draw(values)))
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        subfields = draw(st.lists(st.tuples(codes, values), min_size=0, max_size=4))
        record.add_field(
            marc.Field(
                tag=draw(tags),
                indicators=marc.Indicators(draw(indicators), draw(indicators)),
                subfields=[marc.Subfield(code, value) for code, value in subfields],
            )
        )
    return record


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(record=records(), fmt=st.sampled_from(list(marc.Format)))
def test_every_format_reads_back_what_it_wrote(record: marc.Record, fmt: marc.Format) -> None:
    expected = marc.normalize(record)[0]
    data = marc.write(record, fmt)
    assert marc.detect_format(data) is fmt
    parsed = marc.read_one(data, fmt)
    assert marc.to_json(parsed.record) == marc.to_json(expected)
    assert parsed.warnings == ()


@PROPERTY
@given(record=records(awkward_text), fmt=st.sampled_from(list(marc.Format)))
def test_even_awkward_records_read_back_from_every_format(
    record: marc.Record, fmt: marc.Format
) -> None:
    expected = marc.to_json(marc.normalize(record)[0])
    assert marc.to_json(marc.read_one(marc.write(record, fmt), fmt).record) == expected


@PROPERTY
@given(record=records(awkward_text))
def test_marcxml_output_is_always_schema_valid(
    record: marc.Record, marcxml_schema: etree.XMLSchema
) -> None:
    assert marcxml_schema.validate(etree.fromstring(marc.write(record, marc.Format.MARCXML)))


@PROPERTY
@given(record=records(awkward_text))
def test_normalize_is_idempotent(record: marc.Record) -> None:
    once, _ = marc.normalize(record)
    twice, warnings = marc.normalize(once)
    assert warnings == ()
    assert marc.to_json(twice) == marc.to_json(once)
    assert marc.validate(once) == marc.validate(twice)
    assert not [p for p in marc.validate(once) if p.code.startswith("invalid-")]


@PROPERTY
@given(value=st.text() | text)
def test_fold_is_idempotent(value: str) -> None:
    assert marc.fold(marc.fold(value)) == marc.fold(value)


@PROPERTY
@given(value=st.text(st.sampled_from(VIETNAMESE + " abcdefghiklmnopqrstuvxy"), max_size=30))
def test_folded_vietnamese_is_plain_ascii(value: str) -> None:
    assert marc.fold(value).isascii()
    assert marc.fold(value) == marc.fold(unicodedata.normalize("NFD", value.upper()))
