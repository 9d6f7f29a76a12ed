"""How an import treats a record that matches one the catalogue holds."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum


class MatchPoint(StrEnum):
    """What an incoming record is matched on, in the order given."""

    CONTROL = "001"  # its 001 with its 003: this catalogue's number, or another's kept in 035
    SYSTEM = "035"  # any of its 035 $a system numbers
    ISBN = "isbn"
    ISSN = "issn"
    LCCN = "lccn"


class Action(StrEnum):
    """What happens to a record that matches exactly one stored record."""

    SKIP = "skip"  # leave the stored record; report a duplicate
    OVERLAY = "overlay"  # replace it (the old version stays in its history)
    MERGE = "merge"  # replace it, keeping the stored record's local fields (`keep`)
    ADD = "add"  # always store as a new record, matched or not


DEFAULT_MATCH = (
    MatchPoint.CONTROL,
    MatchPoint.SYSTEM,
    MatchPoint.ISBN,
    MatchPoint.ISSN,
    MatchPoint.LCCN,
)
DEFAULT_KEEP = ("9XX",)
_TAG_PATTERN = re.compile(r"^[0-9Xx]{3}$")


class OptionError(ValueError):
    """An import option that means nothing; `name` is the option."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """Match points (the first that finds something decides), the action on a match, the
    stored record's local fields a merge keeps, and whether to write anything at all."""

    match: tuple[MatchPoint, ...] = DEFAULT_MATCH
    action: Action = Action.SKIP
    keep: tuple[str, ...] = DEFAULT_KEEP
    dry_run: bool = False

    @classmethod
    def parse(
        cls,
        *,
        match: str | None = None,
        action: str | None = None,
        keep: str | None = None,
        dry_run: bool = False,
    ) -> ImportOptions:
        """Options as people write them ("isbn,001", "overlay", "9XX,590"). Raises OptionError."""
        points: tuple[MatchPoint, ...] = DEFAULT_MATCH
        if match is not None and match.strip():
            names = [name.strip().lower() for name in match.split(",") if name.strip()]
            aliases = {"001+003": "001", "control": "001"}
            try:
                points = tuple(dict.fromkeys(MatchPoint(aliases.get(n, n)) for n in names))
            except ValueError:
                known = ", ".join(point.value for point in MatchPoint)
                raise OptionError("match", f"{match!r}: match points are {known}") from None
        chosen = Action.SKIP
        if action is not None and action.strip():
            try:
                chosen = Action(action.strip().lower())
            except ValueError:
                known = ", ".join(a.value for a in Action)
                raise OptionError("action", f"{action!r}: actions are {known}") from None
        tags: tuple[str, ...] = DEFAULT_KEEP
        if keep is not None and keep.strip():
            tags = tuple(tag.strip().upper() for tag in keep.split(",") if tag.strip())
            wrong = [tag for tag in tags if not _TAG_PATTERN.match(tag)]
            if wrong:
                raise OptionError("keep", f"{', '.join(wrong)}: a tag is 3 digits, X for any")
        return cls(match=points, action=chosen, keep=tags, dry_run=dry_run)

    def to_json(self) -> str:
        return json.dumps(
            {
                "match": [point.value for point in self.match],
                "action": self.action.value,
                "keep": list(self.keep),
            }
        )

    @classmethod
    def from_json(cls, text: str, *, dry_run: bool) -> ImportOptions:
        data = json.loads(text)
        return cls(
            match=tuple(MatchPoint(point) for point in data["match"]),
            action=Action(data["action"]),
            keep=tuple(data["keep"]),
            dry_run=dry_run,
        )
