"""What a record use-case can refuse, in the service's words (the API maps them to statuses)."""

from datetime import datetime


class ServiceError(Exception):
    """Base of the errors a use-case raises on purpose."""


class RecordNotFound(ServiceError):
    def __init__(self, record_id: int) -> None:
        super().__init__(f"There is no record {record_id}.")
        self.record_id = record_id


class VersionNotFound(ServiceError):
    def __init__(self, record_id: int, version: int) -> None:
        super().__init__(f"Record {record_id} has no version {version}.")
        self.record_id = record_id
        self.version = version


class RecordDeleted(ServiceError):
    def __init__(self, record_id: int, deleted_at: datetime) -> None:
        super().__init__(f"Record {record_id} was deleted at {deleted_at.isoformat()}.")
        self.record_id = record_id
        self.deleted_at = deleted_at


class VersionMismatch(ServiceError):
    def __init__(
        self,
        record_id: int,
        *,
        expected: frozenset[int],
        current: int | None,
        subject: str = "Record",
    ) -> None:
        named = ", ".join(str(v) for v in sorted(expected)) or "none that exists"
        now = f"is at version {current}" if current is not None else "has just changed"
        super().__init__(
            f"{subject} {record_id} {now}, not {named}: someone changed it since you read it. "
            "Fetch it again, reapply your change and send it with the new ETag."
        )
        self.record_id = record_id
        self.expected = expected
        self.current = current
