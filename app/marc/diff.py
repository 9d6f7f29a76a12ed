"""What changed between two versions of a record, field by field, as .mrk lines."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from app.marc.mnemonic import leader_line, to_mnemonic_line
from app.marc.records import Record, leader_of

ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field added, removed or changed; old and new are .mrk lines (None when absent)."""

    change: ChangeKind
    tag: str
    old: str | None
    new: str | None


def _comparable_leader(record: Record) -> str:
    # Record length and base address follow from the fields: they change with any edit.
    leader = leader_of(record)
    return leader[5:12] + leader[17:]


def diff(old: Record, new: Record) -> tuple[FieldChange, ...]:
    """Compare two records field by field; the leader is compared as tag "LDR".

    Leader/00-04 and /12-16 (lengths) are ignored. Repeated fields are paired by difflib
    over their .mrk lines, so inserting one 650 among several reports one addition, not a
    cascade of changes. Changes come in tag order, LDR first.
    """
    changes: list[FieldChange] = []
    if _comparable_leader(old) != _comparable_leader(new):
        changes.append(FieldChange("changed", "LDR", leader_line(old), leader_line(new)))
    old_lines = _lines_by_tag(old)
    new_lines = _lines_by_tag(new)
    for tag in sorted(set(old_lines) | set(new_lines)):
        changes.extend(_diff_tag(tag, old_lines.get(tag, []), new_lines.get(tag, [])))
    return tuple(changes)


def _lines_by_tag(record: Record) -> dict[str, list[str]]:
    lines: dict[str, list[str]] = {}
    for field in record.fields:
        lines.setdefault(field.tag, []).append(to_mnemonic_line(field))
    return lines


def _diff_tag(tag: str, old: list[str], new: list[str]) -> list[FieldChange]:
    changes: list[FieldChange] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if operation == "equal":
            continue
        removed = old[old_start:old_end]
        added = new[new_start:new_end]
        paired = min(len(removed), len(added))
        for before, after in zip(removed[:paired], added[:paired], strict=True):
            changes.append(FieldChange("changed", tag, before, after))
        for before in removed[paired:]:
            changes.append(FieldChange("removed", tag, before, None))
        for after in added[paired:]:
            changes.append(FieldChange("added", tag, None, after))
    return changes
