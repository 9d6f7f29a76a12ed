"""Refusals that only HTTP has: about the request itself, not about records."""


class HttpRefusal(Exception):
    """A request the API refuses before any use-case runs."""


class PayloadTooLarge(HttpRefusal):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than this service accepts ({limit} bytes).")
        self.limit = limit


class UnsupportedMediaType(HttpRefusal):
    def __init__(self, media_type: str, supported: list[str]) -> None:
        super().__init__(
            f"Content-Type {media_type!r} is not a MARC format this service reads; "
            f"send one of {', '.join(supported)}, or none to have the format detected."
        )


class NotAcceptable(HttpRefusal):
    def __init__(self, accept: str, offered: list[str]) -> None:
        super().__init__(
            f"None of Accept {accept!r} can be produced; this resource is offered as "
            f"{', '.join(offered)}."
        )


class PreconditionRequired(HttpRefusal):
    def __init__(self) -> None:
        super().__init__(
            "Changing a record needs If-Match with the ETag you read it with, so that a change "
            "made by someone else in between is not overwritten."
        )


class BadCursor(HttpRefusal):
    def __init__(self) -> None:
        super().__init__("The cursor is not one this service issued; start again without it.")


class BadQuery(HttpRefusal):
    def __init__(
        self, detail: str, *, parameter: str | None = None, position: int | None = None
    ) -> None:
        super().__init__(detail)
        self.parameter = parameter
        self.position = position
