"""Bring any record to the one shape every writer can write and every reader reads back.

Choices made here (each repair is reported with a code and tag). A repair that loses
information is an error, so the record is refused rather than stored changed: a forbidden
character, a dropped field, an indicator replaced by a guess. The others are warnings.
* text: NFC; characters XML 1.0 forbids (C0 controls but tab, LF, CR; U+FFFE, U+FFFF; lone
  surrogates) and the ISO 2709 delimiters 0x1D-0x1F become U+FFFD (code "forbidden-character");
* leader: 24 characters; /00-04 and /12-16 are recomputed from the record's ISO 2709 form
  (00000 when it would not fit) without a warning; /09 "a", /10-11 "22", /20-23 "4500";
  /06 must be a letter or digit (default "a"); elsewhere anything but a letter, digit or
  space becomes a space (code "leader-repaired");
* tags: 1-2 digit tags are zero-padded ("tag-padded"); a field whose tag cannot be written as
  MARCXML (for instance "0 2", "000", or a data field tagged "00A") is dropped ("invalid-tag");
* control fields go before data fields, as MARCXML requires ("control-field-order");
* indicators: an uppercase letter becomes lowercase and a sign for a blank (slim.BLANK_SIGNS:
  '#', a backslash, a no-break space) a blank, warnings; anything else outside [0-9a-z ]
  becomes blank, an error, since that blank is a guess ("invalid-indicator");
* the fixed-length fields 006-008: signs for a blank become blanks ("blank-sign");
* subfield codes outside the MARCXML set: a blank or control code followed by a letter or
  digit is taken as a stray character before the real code; a letter with a diacritic loses
  it (á → a); otherwise the text joins the previous subfield, or becomes $a
  ("invalid-subfield-code");
* a data field with no subfields is dropped, since MARCXML cannot hold it ("empty-field").
"""

from __future__ import annotations

import unicodedata
from operator import itemgetter

from app.marc.iso2709 import set_iso2709_lengths
from app.marc.problems import MarcProblem, error, warning
from app.marc.records import (
    LEADER_LENGTH,
    Field,
    Record,
    control_field,
    copy_field,
    data_field,
    indicators_of,
    is_control_tag,
    leader_of,
    new_record,
)
from app.marc.slim import (
    BLANK_SIGNS,
    CONTROL_TAG,
    DATA_TAG,
    FORBIDDEN_CHARACTERS,
    INDICATORS,
    LEADER,
    LEADER_CHARACTERS,
    SUBFIELD_CODES,
    blank_signs_in,
    blanks_for_signs,
)

REPLACEMENT = "\ufffd"
_LINE = "\n"
_code = itemgetter(0)
_value = itemgetter(1)
_LEADER_FIXED = {9: "a", 10: "2", 11: "2", 20: "4", 21: "5", 22: "0", 23: "0"}

# The repair that moves control fields (00X) before the data fields: their order changes.
CONTROL_FIELD_ORDER = "control-field-order"


def normalize(record: Record) -> tuple[Record, tuple[MarcProblem, ...]]:
    """Return a new, repaired record and warnings describing each repair.

    The input is not modified. The result is NFC, valid against MARC21slim.xsd, writable as
    ISO 2709 unless too long, and reads back identically from every format; normalize() is
    idempotent (a second pass changes nothing and reports nothing).
    """
    return _normalize(leader_of(record), [copy_field(field) for field in record.fields])


def normalize_shared(
    record: Record, *, normal_lengths: tuple[int, int] | None = None
) -> tuple[Record, tuple[MarcProblem, ...]]:
    """Like normalize(), but unchanged fields are shared with the input, not copied.

    For callers that own the input (readers) or only serialise the result (writers). A reader
    that has checked every field needs no repair passes the record's ISO 2709 lengths as
    `normal_lengths` (see Decoded), and the fields are not looked at again.
    """
    return _normalize(leader_of(record), record.fields, normal_lengths)


def _normalize(
    leader: str, fields: list[Field], normal_lengths: tuple[int, int] | None = None
) -> tuple[Record, tuple[MarcProblem, ...]]:
    warnings: list[MarcProblem] = []
    controls: list[Field] = []
    datas: list[Field] = []
    out_of_order = False
    checked = normal_lengths is not None
    for field in fields:
        repaired = field if checked or _is_normal(field) else _normalize_field(field, warnings)
        if repaired is None:
            continue
        if repaired.control_field:
            out_of_order = out_of_order or bool(datas)
            controls.append(repaired)
        else:
            datas.append(repaired)
    if out_of_order:
        warnings.append(
            warning(
                CONTROL_FIELD_ORDER,
                "control fields (00X) moved before the data fields, as MARCXML requires",
            )
        )
    leader = _normalize_leader(leader, warnings)
    record = set_iso2709_lengths(new_record(leader, controls + datas), normal_lengths)
    return record, tuple(warnings)


def _is_clean(text: object) -> bool:
    if not isinstance(text, str) or FORBIDDEN_CHARACTERS.search(text):
        return False
    return text.isascii() or unicodedata.is_normalized("NFC", text)


def _is_normal(field: Field) -> bool:
    """Tell, quickly, that a field needs no repair (the common case)."""
    tag = field.tag
    if not isinstance(tag, str):
        return False
    if field.control_field:
        data = field.data
        return (
            bool(CONTROL_TAG.match(tag)) and _is_clean(data) and not blank_signs_in(tag, data or "")
        )
    subfields = field.subfields
    if not DATA_TAG.match(tag) or is_control_tag(tag) or not subfields:
        return False
    indicators = field.indicators
    if indicators is None or len(indicators) != 2:
        return False
    if indicators[0] not in INDICATORS or indicators[1] not in INDICATORS:
        return False
    if not SUBFIELD_CODES.issuperset(map(_code, subfields)):
        return False
    try:
        # One check of the whole field: a line feed is allowed text and composes with nothing,
        # so the values joined by it are clean exactly when each value is.
        return _is_clean(_LINE.join(map(_value, subfields)))
    except TypeError:  # a value that is not text
        return False


def _clean_text(text: str, *, where: str, tag: str, warnings: list[MarcProblem]) -> str:
    """Return text in NFC with forbidden characters replaced, reporting each replacement."""
    if FORBIDDEN_CHARACTERS.search(text):
        found = sorted({f"U+{ord(c):04X}" for c in FORBIDDEN_CHARACTERS.findall(text)})
        # An error: the character is lost, and a cataloguer must say what it should be.
        warnings.append(
            error(
                "forbidden-character",
                f"{where}: {', '.join(found)} cannot be stored in MARC/XML; replaced by U+FFFD",
                tag=tag,
            )
        )
        text = FORBIDDEN_CHARACTERS.sub(REPLACEMENT, text)
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def _normalize_field(field: Field, warnings: list[MarcProblem]) -> Field | None:
    tag = _normalize_tag(field, warnings)
    if tag is None:
        return None
    if field.control_field:
        data = _clean_text(field.data or "", where=tag, tag=tag, warnings=warnings)
        if not is_control_tag(tag):
            warnings.append(
                warning("invalid-tag", f"control data in field {tag} kept as $a", tag=tag)
            )
            return data_field(tag, " ", " ", [("a", data)])
        if blank_signs_in(tag, data):
            warnings.append(
                warning(
                    "blank-sign",
                    f"{tag}: '#', backslashes and no-break spaces read as blanks",
                    tag=tag,
                )
            )
            data = blanks_for_signs(data)
        return control_field(tag, data)
    if is_control_tag(tag):
        # A control tag holding subfields: MARCXML and ISO 2709 both want plain data.
        text = "".join(f"${sub.code}{sub.value}" for sub in field.subfields)
        warnings.append(
            warning(
                "invalid-tag",
                f"{tag} is a control field but had subfields; kept as text {text[:40]!r}",
                tag=tag,
            )
        )
        return control_field(tag, _clean_text(text, where=tag, tag=tag, warnings=warnings))
    first, second = indicators_of(field)
    ind1 = _normalize_indicator(first, tag, 1, warnings)
    ind2 = _normalize_indicator(second, tag, 2, warnings)
    subfields = _normalize_subfields(field, tag, warnings)
    if not subfields:
        warnings.append(warning("empty-field", f"{tag} has no subfields and was dropped", tag=tag))
        return None
    return data_field(tag, ind1, ind2, subfields)


def _normalize_tag(field: Field, warnings: list[MarcProblem]) -> str | None:
    tag = str(field.tag)
    if tag.isdigit() and len(tag) < 3:
        padded = tag.zfill(3)
        warnings.append(warning("tag-padded", f"tag {tag!r} read as {padded}", tag=padded))
        tag = padded
    if CONTROL_TAG.match(tag) or DATA_TAG.match(tag):
        return tag
    line = _describe(field)
    # An error: storing the record would lose the field.
    warnings.append(
        error(
            "invalid-tag",
            f"tag {tag!r} cannot be written as MARC 21; field dropped: {line}",
            tag=tag,
        )
    )
    return None


def _describe(field: Field) -> str:
    if field.control_field:
        return (field.data or "")[:60]
    return "".join(f"${sub.code}{sub.value}" for sub in field.subfields)[:60]


def _normalize_indicator(value: str, tag: str, which: int, warnings: list[MarcProblem]) -> str:
    value = str(value)
    if value in INDICATORS and len(value) == 1:
        return value
    if value in BLANK_SIGNS:
        warnings.append(
            warning(
                "invalid-indicator", f"{tag} indicator {which} {value!r} read as a blank", tag=tag
            )
        )
        return " "
    repaired = value.lower() if len(value) == 1 and "A" <= value <= "Z" else " "
    # Lower-casing keeps the meaning; anything else would store a guess.
    report = warning if repaired != " " else error
    warnings.append(
        report(
            "invalid-indicator",
            f"{tag} indicator {which} {value!r} is not a MARC 21 indicator; set to {repaired!r}",
            tag=tag,
        )
    )
    return repaired


def _normalize_subfields(
    field: Field, tag: str, warnings: list[MarcProblem]
) -> list[tuple[str, str]]:
    result: list[tuple[str, str]] = []
    for sub in field.subfields:
        code = str(sub.code)
        value = _clean_text(str(sub.value), where=f"{tag} ${code}", tag=tag, warnings=warnings)
        if len(code) == 1 and code in SUBFIELD_CODES:
            result.append((code, value))
            continue
        repaired = _repair_code(code, value)
        if repaired is None:
            text = value if not code.isprintable() or code.isspace() else code + value
            text = _clean_text(text, where=tag, tag=tag, warnings=warnings)
            if result:
                previous_code, previous_value = result[-1]
                result[-1] = (previous_code, previous_value + text)
                how = f"joined to ${previous_code}"
            else:
                result.append(("a", text))
                how = "kept as $a"
        else:
            result.append(repaired)
            how = f"read as ${repaired[0]}"
        warnings.append(
            warning(
                "invalid-subfield-code",
                f"{tag}: subfield code {code!r} is not valid; {how}",
                tag=tag,
            )
        )
    return result


_LIKELY_CODES = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def _repair_code(code: str, value: str) -> tuple[str, str] | None:
    if not code or code.isspace() or not code.isprintable():
        # "\x1f a123": a stray character after the delimiter, then the real code and text;
        # "\x1f and so on" is not that, so the character after the code must not be a letter.
        candidate, after = value[:1], value[1:2]
        if candidate and candidate in _LIKELY_CODES and not ("a" <= after <= "z"):
            return candidate, value[1:]
    if len(code) == 1:
        base = unicodedata.normalize("NFD", code)[:1].lower()
        if base.isascii() and base.isalnum() and base != code:
            return base, value
    if len(code) > 1 and code[0] in SUBFIELD_CODES:
        # Several characters (JSON or XML input): the first is the code, the rest is text.
        return code[0], code[1:] + value
    return None


def _normalize_leader(leader: str, warnings: list[MarcProblem]) -> str:
    if LEADER.match(leader):
        return leader  # already what the loop below would make of it
    original = leader
    if len(leader) != LEADER_LENGTH:
        leader = leader.rstrip() if len(leader) > LEADER_LENGTH else leader
        leader = leader[:LEADER_LENGTH].ljust(LEADER_LENGTH)
    chars = list(leader)
    for position, char in enumerate(chars):
        if position in _LEADER_FIXED:
            chars[position] = _LEADER_FIXED[position]
        elif position < 5 or 12 <= position < 17:
            chars[position] = char if char.isascii() and char.isdigit() else "0"
        elif position == 6:
            chars[position] = char if char in LEADER_CHARACTERS else "a"
        elif char not in LEADER_CHARACTERS and char != " ":
            chars[position] = " "
    repaired = "".join(chars)
    changes = _leader_changes(original, repaired)
    if changes:
        warnings.append(warning("leader-repaired", f"leader repaired: {changes}", tag="LDR"))
    return repaired


def _leader_changes(original: str, repaired: str) -> str:
    if len(original) != LEADER_LENGTH:
        return f"{len(original)} characters {original!r} → {repaired!r}"
    changes = []
    for position, (before, after) in enumerate(zip(original, repaired, strict=True)):
        if before != after and not (position < 5 or 12 <= position < 17):
            changes.append(f"/{position:02d} {before!r} → {after!r}")
    return "; ".join(changes)
