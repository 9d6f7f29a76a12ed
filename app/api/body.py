"""Request bodies: the size limit, applied while reading, and the raw body of a MARC upload."""

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import PayloadTooLarge
from app.api.problems import problem


class BodyLimitMiddleware:
    """Refuse bodies over the limit: at once when Content-Length says so, else while streaming."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, paths: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.paths = paths or {}  # paths with a limit of their own (file imports)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.paths.get(scope["path"].rstrip("/"), self.max_bytes)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            error = PayloadTooLarge(limit)
            response = problem(413, "payload-too-large", str(error), limit=limit)
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(limit)
            return message

        await self.app(scope, counting_receive, send)


async def raw_body(request: Request) -> bytes:
    """The whole request body; BodyLimitMiddleware has bounded it."""
    return await request.body()
