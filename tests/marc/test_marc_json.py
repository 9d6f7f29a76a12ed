"""MARC-in-JSON: one object, an array, or one object per line; broken JSON stops reading."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from app import marc
from app.marc import marcjson
from app.marc.marcjson import from_json

if TYPE_CHECKING:
    from conftest import Corpus


def _object(title: str) -> dict[str, Any]:
    return {
        "leader": "00000nam a2200000 i 4500",
        "fields": [
            {"001": f"vn-{title}"},
            {"245": {"ind1": "1", "ind2": "0", "subfields": [{"a": title}, {"c": "Nguyễn Du."}]}},
        ],
    }


def _titles(items: list[marc.ParsedRecord | marc.MarcProblem]) -> list[str]:
    return [i.record["245"]["a"] for i in items if isinstance(i, marc.ParsedRecord)]


def test_an_object_an_array_and_newline_delimited_objects_all_read() -> None:
    one = json.dumps(_object("Truyện Kiều"), ensure_ascii=False).encode()
    array = json.dumps([_object("Một"), _object("Hai")]).encode()
    lines = b"\n".join(json.dumps(_object(t)).encode() for t in ("Một", "Hai", "Ba")) + b"\n"
    assert _titles(list(marc.read(one))) == ["Truyện Kiều"]
    assert _titles(list(marc.read(array))) == ["Một", "Hai"]
    items = list(marc.read(b"\xef\xbb\xbf" + lines))
    assert _titles(items) == ["Một", "Hai", "Ba"]
    offsets = [i.offset for i in items if isinstance(i, marc.ParsedRecord)]
    assert offsets[0] == 3
    assert offsets[1] == 3 + lines.index(b"\n") + 1


def test_invalid_json_after_good_records_yields_them_then_a_problem() -> None:
    data = json.dumps([_object("Một"), _object("Hai"), _object("Ba")]).encode()
    broken = data[: data.rindex(b'"Ba"')] + b"Ba, oops"
    items = list(marc.read(broken))
    assert _titles(items) == ["Một", "Hai"]
    last = items[-1]
    assert isinstance(last, marc.MarcProblem)
    assert (last.code, last.position) == ("invalid-json", 2)


def test_an_array_cut_short_is_reported() -> None:
    data = json.dumps([_object("Một"), _object("Hai")]).encode()
    items = list(marc.read(data[:-1]))
    assert _titles(items) == ["Một", "Hai"]
    assert isinstance(items[-1], marc.MarcProblem)
    assert items[-1].code == "invalid-json"


def test_an_element_that_is_not_a_record_is_reported_and_reading_goes_on() -> None:
    data = json.dumps([_object("Một"), {"hello": "world"}, ["x"], _object("Bốn")]).encode()
    items = list(marc.read(data))
    kinds = [i.code if isinstance(i, marc.MarcProblem) else "record" for i in items]
    assert kinds == ["record", "not-marc-json", "not-marc-json", "record"]
    assert [i.position for i in items] == [0, 1, 2, 3]


def test_javascript_object_literals_are_one_problem(corpus: Corpus) -> None:
    items = corpus.read("malformed/marc4j/summerland-marc-json.json")
    assert [(i.code, i.position) for i in items if isinstance(i, marc.MarcProblem)] == [
        ("unreadable-file", 0)
    ]
    assert len(items) == 1


def test_raw_control_characters_in_strings_are_read_with_a_warning(corpus: Corpus) -> None:
    items = corpus.read("malformed/marc4j/illegal-marc-in-json.json")
    assert len(items) == 1
    parsed = items[0]
    assert isinstance(parsed, marc.ParsedRecord)
    assert [w.code for w in parsed.warnings] == ["json-control-character"]
    assert parsed.record["245"]["h"].startswith("\n")


def test_marc_in_json_blanks_written_as_backslashes_become_blanks(corpus: Corpus) -> None:
    parsed = corpus.read("json/folio/ChalmersFOLIOExamples.json")
    first = parsed[0]
    assert isinstance(first, marc.ParsedRecord)
    assert first.record["041"].indicators == marc.Indicators("1", " ")
    # FOLIO writes the blanks of 008 as backslashes too; they are blanks, not data.
    assert "\\" not in first.record["008"].data
    assert {w.code for w in first.warnings} == {"invalid-indicator", "blank-sign"}
    assert not any(w.severity == "error" for w in first.warnings)
    accepted = [p for p in parsed if isinstance(p, marc.ParsedRecord)]
    assert len(accepted) == 62
    assert not any(w.severity == "error" for p in accepted for w in p.warnings)


def test_to_json_is_the_code4lib_shape() -> None:
    record = marc.read_one(json.dumps(_object("Truyện Kiều")).encode()).record
    assert marc.to_json(record) == {
        "leader": "00103nam a2200049 i 4500",
        "fields": [
            {"001": "vn-Truyện Kiều"},
            {
                "245": {
                    "ind1": "1",
                    "ind2": "0",
                    "subfields": [{"a": "Truyện Kiều"}, {"c": "Nguyễn Du."}],
                }
            },
        ],
    }
    written = json.loads(marc.write(record, marc.Format.JSON))
    assert written == marc.to_json(record)


def test_a_json_collection_is_one_array() -> None:
    records = [marc.read_one(json.dumps(_object(t)).encode()).record for t in ("Một", "Hai")]
    data = b"".join(marc.write_collection(records, marc.Format.JSON))
    parsed = json.loads(data)
    assert isinstance(parsed, list)
    assert [marc.to_json(r) for r in records] == parsed
    assert b"".join(marc.write_collection([], marc.Format.JSON)) == b"[\n]\n"
    assert json.loads(b"".join(marc.write_collection([], marc.Format.JSON))) == []


def test_stored_json_is_read_back_as_written(corpus: Corpus) -> None:
    records = corpus.records("json/folio/ChalmersFOLIOExamples.json")
    assert len(records) >= 3
    for record in records:
        stored = json.dumps(marc.to_json(record), ensure_ascii=False)
        assert marc.to_json(marc.from_stored_json(stored)) == marc.to_json(record)
    with pytest.raises(marc.UnreadableRecord):
        marc.from_stored_json('["not", "a", "record"]')


def _checked(value: object) -> dict[str, object]:
    """What the checked MARC-in-JSON decoder (no normalisation, as for stored records) makes of
    one object."""
    decoded = from_json(value)
    assert not isinstance(decoded, marc.MarcProblem)
    return marc.to_json(decoded.record)


def test_stored_json_reads_as_the_checked_reader_reads_it(corpus: Corpus) -> None:
    """The quick path for stored records builds, for every record of the corpus, the record the
    checked decoder builds; odd shapes (not as this service writes them) go the checked way."""
    compared = 0
    for corpus_file in corpus.in_folders("iso2709", "vietnamese", "json", "marcxml"):
        for record in corpus.records(corpus_file.name):
            stored = marc.to_json(record)
            text = json.dumps(stored, ensure_ascii=False)
            assert marcjson._as_stored(stored) is not None  # the quick path, not a fallback
            assert marc.to_json(marc.from_stored_json(text)) == _checked(stored)
            compared += 1
    assert compared > 5_000
    marc8_declared = {
        "leader": "00000nam  2200000 a 4500",
        "fields": [{"245": {"ind1": "1", "ind2": "0", "subfields": [{"a": "Thư viện"}]}}],
    }
    quick = marc.from_stored_json(json.dumps(marc8_declared))
    assert marc.to_json(quick) == _checked(marc8_declared)
    assert str(quick.leader)[9] == "a"  # the text is Unicode, whatever leader/09 said
    odd_shapes: list[dict[str, object]] = [
        {"leader": "00000nam a22", "fields": [{"001": "x"}]},  # short leader
        {
            "leader": "00000nam a2200000 a 4500",
            "fields": [{"245": {"ind1": "1", "subfields": [{"a": "no second indicator"}]}}],
        },
        {
            "leader": "00000nam a2200000 a 4500",
            "fields": [{"245": {"ind1": "1", "ind2": "0", "subfields": [{"a": "x"}], "extra": 1}}],
        },
        {
            "leader": "00000nam a2200000 a 4500",
            "fields": [{"20": {"ind1": " ", "ind2": " ", "subfields": [{"a": "9786040000000"}]}}],
        },  # a two-digit tag
        {"leader": "00000nam a2200000 a 4500", "fields": [{"245": "plain text"}]},
        {
            "leader": "00000nam a2200000 a 4500",
            "fields": [
                {
                    "001": {
                        "ind1": " ",
                        "ind2": " ",
                        "subfields": [{"a": "subfields in a control field"}],
                    }
                }
            ],
        },
        {"leader": "00000nam a2200000 a 4500", "fields": [{"001": "1", "003": "two in one"}]},
    ]
    for value in odd_shapes:
        assert marcjson._as_stored(value) is None
        assert marc.to_json(marc.from_stored_json(json.dumps(value))) == _checked(value), value


def test_padding_between_records_is_skipped_and_counted_in_bytes() -> None:
    one = json.dumps(_object("Truyện Kiều"), ensure_ascii=False).encode()
    padding = b" \r\n\t" * (1024 * 1024)
    read = list(marc.read(b"\xef\xbb\xbf[" + one + b"," + padding + one + b"]"))
    assert [item.offset for item in read] == [4, 4 + len(one) + 1 + len(padding)]
    assert all(isinstance(item, marc.ParsedRecord) for item in read)


def test_stored_json_takes_its_lengths_from_the_iso_2709_and_nothing_else() -> None:
    record = marc.read_one(json.dumps(_object("Thư viện")).encode()).record
    iso = marc.write(record, marc.Format.MRC)
    counted_before = '{"leader": "00000' + iso[5:12].decode() + "00000" + iso[17:24].decode()
    text = counted_before + json.dumps(marc.to_json(record), ensure_ascii=False)[36:]
    assert marcjson.stored_json_as_written(text, iso) == marc.write(record, marc.Format.JSON)
    # A leader that says something else (here leader/05, deleted) is not the same record's.
    assert marcjson.stored_json_as_written(text, iso[:5] + b"d" + iso[6:]) is None
    assert marcjson.stored_json_as_written('{"fields": [], "leader": "x"}', iso) is None
