"""normalize(): one repaired shape every writer writes and every reader reads back."""

from __future__ import annotations

import unicodedata

from app import marc


def _record(*fields: marc.Field, leader: str = "00000nam a2200000 i 4500") -> marc.Record:
    record = marc.Record()
    record.leader = leader  # callers may set a plain string; normalize() copes
    record.fields = list(fields)
    return record


def _field(tag: str, ind: tuple[str, str], *subfields: tuple[str, str]) -> marc.Field:
    return marc.Field(
        tag=tag,
        indicators=marc.Indicators(*ind),
        subfields=[marc.Subfield(code, value) for code, value in subfields],
    )


def _codes(problems: tuple[marc.MarcProblem, ...]) -> list[str]:
    return [p.code for p in problems]


def test_a_clean_record_is_copied_not_changed() -> None:
    record = _record(marc.Field(tag="001", data="vn1"), _field("245", ("1", "0"), ("a", "Sách")))
    normalized, warnings = marc.normalize(record)
    assert warnings == ()
    assert normalized is not record
    assert normalized.fields[1] is not record.fields[1]
    assert marc.to_json(normalized)["fields"] == marc.to_json(record)["fields"]
    assert str(normalized.leader) == "00064nam a2200049 i 4500"


def test_text_becomes_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Thư viện Quốc gia")
    normalized, warnings = marc.normalize(_record(_field("245", ("1", "0"), ("a", nfd))))
    assert normalized["245"]["a"] == "Thư viện Quốc gia"
    assert unicodedata.is_normalized("NFC", normalized["245"]["a"])
    assert warnings == ()


def test_forbidden_characters_and_delimiters_become_replacement_characters() -> None:
    record = _record(
        marc.Field(tag="001", data="a\x1db"),
        _field("245", ("1", "0"), ("a", "x\x00y\x1fz\ufffe\ud801 tab\tok\nline")),
    )
    normalized, warnings = marc.normalize(record)
    assert normalized["001"].data == "a\ufffdb"
    assert normalized["245"]["a"] == "x\ufffdy\ufffdz\ufffd\ufffd tab\tok\nline"
    assert _codes(warnings) == ["forbidden-character", "forbidden-character"]
    assert [w.tag for w in warnings] == ["001", "245"]
    assert "U+001F" in warnings[1].message


def test_the_leader_is_repaired_position_by_position() -> None:
    record = _record(_field("245", ("1", "0"), ("a", "Sách")), leader="12345 ^m^ 23abcde^|?4501")
    normalized, warnings = marc.normalize(record)
    assert str(normalized.leader) == "00048 am a2200037   4500"
    assert _codes(warnings) == ["leader-repaired"]
    message = warnings[0].message
    assert "/06 '^' → 'a'" in message
    assert "/09 ' ' → 'a'" in message
    assert "/11 '3' → '2'" in message
    assert "/23 '1' → '0'" in message


def test_indicators_and_subfield_codes_outside_marcxml_are_repaired() -> None:
    record = _record(
        _field("245", ("A", "#"), ("a", "Tựa"), ("|", "tiếp"), (" ", "b phụ đề"), ("á", "x")),
    )
    normalized, warnings = marc.normalize(record)
    field = normalized["245"]
    assert field.indicators == marc.Indicators("a", " ")
    assert [(s.code, s.value) for s in field.subfields] == [
        ("a", "Tựa|tiếp"),
        ("b", " phụ đề"),
        ("a", "x"),
    ]
    assert (
        _codes(warnings)
        == ["invalid-indicator", "invalid-indicator"] + ["invalid-subfield-code"] * 3
    )


def test_signs_for_a_blank_are_warnings_and_any_other_sign_an_error() -> None:
    record = _record(
        marc.Field(tag="008", data="200101s2020\\\\vm ###"),
        _field("245", ("!", "0"), ("a", "Tựa")),
        _field("650", ("#", "\\"), ("a", "Thư viện")),
        _field("651", ("\u00a0", "7"), ("a", "Hà Nội")),
    )
    normalized, problems = marc.normalize(record)
    assert normalized["008"].data == "200101s2020  vm    "
    assert normalized["650"].indicators == marc.Indicators(" ", " ")
    assert normalized["651"].indicators == marc.Indicators(" ", "7")
    assert [(p.tag, p.code, p.severity) for p in problems] == [
        ("008", "blank-sign", "warning"),
        ("245", "invalid-indicator", "error"),
        ("650", "invalid-indicator", "warning"),
        ("650", "invalid-indicator", "warning"),
        ("651", "invalid-indicator", "warning"),
    ]


def test_fields_marcxml_cannot_hold_are_dropped_with_a_warning() -> None:
    record = _record(
        _field("245", ("1", "0"), ("a", "Sách")),
        _field("0 2", (" ", " "), ("a", "bad tag")),
        _field(
            "650",
            (" ", "0"),
        ),
        marc.Field(tag="000", data="x"),
    )
    normalized, warnings = marc.normalize(record)
    assert [f.tag for f in normalized.fields] == ["245"]
    assert _codes(warnings) == ["invalid-tag", "empty-field", "invalid-tag"]


def test_control_fields_go_before_data_fields() -> None:
    record = _record(_field("042", (" ", " "), ("a", "dc")), marc.Field(tag="001", data="vn1"))
    normalized, warnings = marc.normalize(record)
    assert [f.tag for f in normalized.fields] == ["001", "042"]
    assert _codes(warnings) == ["control-field-order"]


def test_normalize_is_idempotent_and_leaves_its_input_alone() -> None:
    record = _record(
        marc.Field(tag="008", data="x\x01"),
        _field("245", ("Z", "0"), ("a", unicodedata.normalize("NFD", "Đà Lạt\x1e"))),
        leader="     nam  22     a 4500",
    )
    before = marc.to_json(record)
    once, warnings = marc.normalize(record)
    twice, again = marc.normalize(once)
    assert warnings
    assert again == ()
    assert marc.to_json(twice) == marc.to_json(once)
    assert marc.to_json(record) == before


def test_every_repair_names_a_code_and_only_lossy_ones_are_errors() -> None:
    record = _record(_field("245", ("!", "0"), ("%%", "a")), leader="xxxxxxxxxxxxxxxxxxxxxxxx")
    _, warnings = marc.normalize(record)
    assert warnings
    assert all(w.code and w.position is None for w in warnings)
    # Indicator "!" would be stored as a guessed blank; the leader repair loses nothing.
    assert {w.code for w in warnings if w.severity == "error"} == {"invalid-indicator"}
    assert "leader-repaired" in {w.code for w in warnings if w.severity == "warning"}
