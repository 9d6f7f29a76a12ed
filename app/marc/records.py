"""Building, copying and ordering pymarc records without pymarc's side effects."""

from __future__ import annotations

from collections.abc import Iterable

# app/marc is the one package allowed to import pymarc, and this module is its one door.
from pymarc import Field as Field
from pymarc import Indicators as Indicators
from pymarc import Leader as Leader
from pymarc import Record as Record
from pymarc import Subfield as Subfield

from app.marc.problems import MarcProblem, warning

_new_tuple = tuple.__new__
LEADER_LENGTH = 24
DEFAULT_LEADER = "00000nam a2200000   4500"


def is_control_tag(tag: str) -> bool:
    """Tell whether pymarc treats a field with this tag as a control field (001-009)."""
    return tag < "010" and tag.isdigit()


def leader_of(record: Record) -> str:
    """Return the record's leader as a plain string."""
    return str(record.leader)


def new_record(leader: str, fields: Iterable[Field] = ()) -> Record:
    """Build a record with exactly this leader (cut or padded to 24 characters) and fields.

    pymarc's Record(leader=...) silently overwrites leader/10-11 and /20-23; repairs of the
    leader belong to normalize(), which reports them, so the leader is set after construction.
    """
    record = Record()
    # Leader() refuses any other length; normalize() reports one before it gets here.
    record.leader = Leader(leader[:LEADER_LENGTH].ljust(LEADER_LENGTH))
    record.fields = list(fields)
    return record


def control_field(tag: str, data: str) -> Field:
    """Build a control field."""
    return Field(tag=tag, data=data)


def data_field(tag: str, ind1: str, ind2: str, subfields: Iterable[tuple[str, str]]) -> Field:
    """Build a data field from (code, value) pairs."""
    return Field(
        tag=tag,
        indicators=Indicators(ind1, ind2),
        subfields=[Subfield(code=code, value=value) for code, value in subfields],
    )


def subfield(code: str, value: str) -> Subfield:
    """Build a subfield (a plain named tuple, made without NamedTuple's Python-level __new__)."""
    return _new_tuple(Subfield, (code, value))


def checked_data_field(tag: str, ind1: str, ind2: str, subfields: list[Subfield]) -> Field:
    """Build a data field from parts a reader has already checked: a three-character tag
    pymarc holds as a data field, one-character indicators, and Subfields (the list is kept).

    The same field as data_field() gives, without Field()'s checks and copies: readers build
    a million of them in a bulk import."""
    field: Field = Field.__new__(Field)
    field.tag = tag
    field.data = None
    field.control_field = False
    field.subfields = subfields
    field.indicators = Indicators(ind1, ind2)
    return field


def copy_field(field: Field) -> Field:
    """Return an independent copy of a field."""
    if field.control_field:
        return control_field(field.tag, field.data or "")
    first, second = indicators_of(field)
    return data_field(field.tag, first, second, field.subfields)


def copy_record(record: Record) -> Record:
    """Return an independent copy of a record, leader included."""
    return new_record(leader_of(record), (copy_field(f) for f in record.fields))


def indicators_of(field: Field) -> tuple[str, str]:
    """Return a data field's two indicators, blank where pymarc holds none."""
    indicators = field.indicators
    if indicators is None:
        return " ", " "
    if len(indicators) == 2:
        return indicators[0], indicators[1]
    first = indicators[0] if len(indicators) > 0 else " "
    second = indicators[1] if len(indicators) > 1 else " "
    return first, second


def insert_in_tag_order(record: Record, field: Field) -> None:
    """Insert a field before the first field with a greater tag, after any with the same tag."""
    insert_by_tag(record.fields, field)


def insert_by_tag(fields: list[Field], field: Field) -> None:
    """Insert a field in a list of fields as insert_in_tag_order inserts it in a record."""
    for index, existing in enumerate(fields):
        if existing.tag > field.tag:
            fields.insert(index, field)
            return
    fields.append(field)


def first_field(record: Record, tag: str) -> Field | None:
    """Return the first field with this tag, or None."""
    for field in record.fields:
        if field.tag == tag:
            return field
    return None


def subfield_values(field: Field, code: str) -> list[str]:
    """Return the values of every subfield with this code, in order."""
    return [sub.value for sub in field.subfields if sub.code == code]


def fit_leader(leader: str, warnings: list[MarcProblem]) -> str:
    """Return a leader of exactly 24 characters, reporting a change of length."""
    if len(leader) == LEADER_LENGTH:
        return leader
    fitted = (leader.rstrip() if len(leader) > LEADER_LENGTH else leader)[:LEADER_LENGTH]
    fitted = fitted.ljust(LEADER_LENGTH)
    warnings.append(
        warning(
            "leader-length",
            f"leader has {len(leader)} characters; read as {fitted!r}",
            tag="LDR",
        )
    )
    return fitted


def unicode_leader(leader: str) -> str:
    """Set a blank leader/09 to "a": text formats hold Unicode whatever MARC-8 they declare."""
    return leader[:9] + "a" + leader[10:] if leader[9:10] == " " else leader


def field_from_parts(
    tag: str,
    *,
    data: str | None = None,
    indicators: tuple[str, str] = (" ", " "),
    subfields: list[tuple[str, str]] | None = None,
    warnings: list[MarcProblem],
) -> Field:
    """Build a field from what a reader found, when the tag and the content may disagree.

    A control tag (001-009) with subfields keeps them as text ("$acode$bmore"); a data tag
    with plain data keeps it as $a. Both are reported, and so is a tag of one or two digits,
    which pymarc pads with zeros.
    """
    if tag.isdigit() and len(tag) < 3:
        warnings.append(warning("tag-padded", f"tag {tag!r} read as {tag.zfill(3)}", tag=tag))
        tag = tag.zfill(3)
    if subfields is None:
        if is_control_tag(tag):
            return control_field(tag, data or "")
        warnings.append(
            warning("bad-field", f"{tag} is a data field but holds plain text; kept as $a", tag=tag)
        )
        return data_field(tag, " ", " ", [("a", data or "")])
    if is_control_tag(tag):
        text = "".join(f"${code}{value}" for code, value in subfields)
        warnings.append(
            warning(
                "invalid-tag",
                f"{tag} is a control field but had subfields; kept as text {text[:40]!r}",
                tag=tag,
            )
        )
        return control_field(tag, text)
    return data_field(tag, indicators[0], indicators[1], subfields)
