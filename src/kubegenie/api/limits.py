"""The request body limit of the REST API: a body over the limit gets 413 problem+json before any route reads
it, whether it announces its length or streams. Only `/api/` paths are limited; the web UI has its own rules.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kubegenie.api import problems

MAX_BODY_BYTES = 64 * 1024
"""A question fits in 2,000 characters; 64 KiB leaves room for JSON escaping and still refuses a megabyte."""


class _TooLarge(HTTPException):
    """Raised while a route reads a streamed body; an HTTPException so FastAPI's body parsing passes it on to the
    problem handler instead of turning it into a 400."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"The request body is larger than {max_bytes // 1024} KiB.")


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES, prefix: str = "/api/") -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        document = problems.problem(
            413, "content_too_large", f"The request body is larger than {self.max_bytes // 1024} KiB.",
            "Send a shorter question; a question fits in a few lines.", str(scope.get("path", "")))
        # Connection: close, because the rest of an unread body must not be taken for the next request.
        await problems.response(document, headers={"Connection": "close"})(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
