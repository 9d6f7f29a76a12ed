"""OAI-PMH UTCdatetimes: datestamps out at seconds granularity, from/until in at either."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_SECOND = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")


class BadDate(ValueError):
    """A from/until that is not a date this repository understands; the message says why."""


@dataclass(frozen=True, slots=True)
class Window:
    """The datestamps a from/until pair selects: [since, before), either end open."""

    since: datetime | None = None
    before: datetime | None = None


def datestamp(moment: datetime) -> str:
    """A moment as an OAI-PMH datestamp: UTC, to the second (fractions dropped, not rounded).

    Dropping the fraction keeps a record inside any from/until whose seconds show it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _bound(text: str, name: str) -> tuple[datetime, bool]:
    """The first moment a from/until names, and whether it names a whole day."""
    try:
        if _DAY.match(text):
            return datetime.combine(date.fromisoformat(text), time(), UTC), True
        if _SECOND.match(text):
            return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC), False
    except ValueError:
        raise BadDate(f"{name} is not a real date or time: {text}") from None
    raise BadDate(
        f"{name} must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ (UTC, whole seconds), not {text!r}"
    )


def window(from_: str | None, until: str | None) -> Window:
    """The selection of a from/until pair; `until` includes all of its day or second.

    Raises BadDate for a malformed value, two granularities, or from later than until."""
    since = before = None
    whole_days: set[bool] = set()
    if from_ is not None:
        since, day = _bound(from_, "from")
        whole_days.add(day)
    if until is not None:
        start, day = _bound(until, "until")
        whole_days.add(day)
        try:
            before = start + (timedelta(days=1) if day else timedelta(seconds=1))
        except OverflowError:
            before = None  # the end of 9999: nothing lies beyond it
    if len(whole_days) > 1:
        raise BadDate("from and until must have the same granularity (both days or both seconds)")
    if since is not None and before is not None and since >= before:
        raise BadDate(f"from ({from_}) is later than until ({until})")
    return Window(since, before)
