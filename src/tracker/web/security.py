"""Who may do what, and the headers every response carries.

Writes need ``Authorization: Bearer <[web] token>``; with no token configured the API is
read-only. Reads are open unless ``[web] read_token_required``; then the token may also come
from the cookie that ``/login`` sets, so a browser can read the pages.
"""

from __future__ import annotations

import hmac

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracker.errors import TrackerError
from tracker.web.state import get_web

COOKIE = "tracker_token"

# No scripts at all: the pages are server-rendered, and fetched text is hostile input.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class Unauthorized(TrackerError):
    """No token, or the wrong one."""

    http_status = 401
    headers = {"WWW-Authenticate": 'Bearer realm="tracker"'}


class Forbidden(TrackerError):
    """The request is well-formed but this server does not allow it."""

    http_status = 403


class SecurityHeaders:
    """ASGI middleware: adds ``SECURITY_HEADERS`` to every HTTP response, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in have]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def token_matches(presented: str | None, token: str) -> bool:
    """Constant-time comparison, so timing does not reveal how much of a guess was right."""
    if not presented or not token:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), token.encode("utf-8"))


def require_write(request: Request) -> None:
    """Dependency of every endpoint that changes something."""
    token = get_web(request).token
    if not token:
        raise Forbidden("the API is read-only: set [web] token in the config to allow writes")
    if not token_matches(_bearer(request), token):
        raise Unauthorized("this endpoint needs 'Authorization: Bearer <token>' ([web] token)")


def require_read(request: Request) -> None:
    """Dependency of every page and read endpoint; open unless read_token_required."""
    web = get_web(request)
    if not web.read_token_required:
        return
    if not web.token:
        raise Forbidden("[web] read_token_required is set but [web] token is empty")
    presented = _bearer(request) or request.cookies.get(COOKIE)
    if not token_matches(presented, web.token):
        raise Unauthorized("reading needs the token: 'Authorization: Bearer <token>' or /login")
