"""What can be wrong with a record, and the exceptions that carry it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class MarcProblem:
    """One thing wrong with a record, located precisely enough to fix it."""

    code: str
    message: str
    position: int | None = None
    tag: str | None = None
    severity: Severity = "error"
    # Where the record starts in its file, when the format lets us know it (ISO 2709).
    offset: int | None = None

    def at(self, position: int) -> MarcProblem:
        """Return a copy of this problem located at the given record position."""
        return dataclasses.replace(self, position=position)

    def at_byte(self, offset: int | None) -> MarcProblem:
        """Return a copy of this problem about the record starting at this byte offset."""
        return dataclasses.replace(self, offset=offset)


def warning(code: str, message: str, *, tag: str | None = None) -> MarcProblem:
    """Build a warning: something was repaired or looks wrong, but the record can be stored."""
    return MarcProblem(code=code, message=message, tag=tag, severity="warning")


def error(code: str, message: str, *, tag: str | None = None) -> MarcProblem:
    """Build an error: the record cannot be read or must not be stored as it is."""
    return MarcProblem(code=code, message=message, tag=tag, severity="error")


class MarcError(Exception):
    """Base class of the MARC domain's exceptions."""


class UnreadableRecord(MarcError):
    """Raised when bytes do not hold exactly one readable record."""

    def __init__(self, problem: MarcProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class InvalidRecord(MarcError):
    """Raised when a readable record breaks rules that block storing it."""

    def __init__(self, problems: tuple[MarcProblem, ...]) -> None:
        errors = [p for p in problems if p.severity == "error"] or list(problems)
        super().__init__("; ".join(p.message for p in errors[:3]) or "invalid record")
        self.problems = problems


class RecordTooLong(MarcError):
    """Raised when a record cannot be ISO 2709: over 99,999 bytes, or a field over 9,999."""

    def __init__(self, problem: MarcProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem
