"""The request-size limit: no request body over ``[web] max_body_bytes`` is ever read whole.

It sits in front of routing, so it holds before any body is parsed and before anyone is
authenticated: an anonymous client cannot make the server buffer hundreds of megabytes. A
declared ``Content-Length`` over the limit is refused at once, unread; a body without one
(chunked) is counted as it arrives and refused at the first byte past the limit. Either way
the answer is 413 with ``Connection: close``, so the server stops reading the rest.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracker.web.errors import error_response

CLOSE = {"Connection": "close"}


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` at the first byte past the limit. An HTTPException, so that
    FastAPI's body parsing lets it through and the one error handler renders it."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes", headers=CLOSE)


class BodyLimit:
    """ASGI middleware enforcing ``max_bytes`` on every HTTP request body."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _declared_length(scope) > self.max_bytes:
            await self._refuse(scope, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if started:  # a handler read its body after answering: nothing left to say
                raise
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        exc = BodyTooLarge(self.max_bytes)
        response = error_response(Request(scope), 413, "TooLarge", exc.detail, headers=CLOSE)
        await response(scope, _no_body, send)


def _declared_length(scope: Scope) -> int:
    """The declared Content-Length; 0 when absent (the HTTP server refuses one that is not a
    number). Eighteen digits are plenty: a longer number is just "too large"."""
    value = Headers(scope=scope).get("content-length", "").strip()
    if not (value.isascii() and value.isdigit()):
        return 0
    return int(value) if len(value) <= 18 else 10**18


async def _no_body() -> Message:
    return {"type": "http.disconnect"}
