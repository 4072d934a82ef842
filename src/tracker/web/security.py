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
from tracker.store import people
from tracker.store.people import UserRow
from tracker.web.state import get_state, get_web

COOKIE = "tracker_token"
SESSION_COOKIE = "tracker_session"  # a desk login (tracker.web.desk_auth)

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


def desk_token_user(request: Request) -> UserRow | None:
    """The desk user a bearer token belongs to (``tracker user token``), if it is one."""
    from tracker.desk.accounts import bearer_user

    presented = _bearer(request)
    return bearer_user(get_state(request).store, presented) if presented else None


def require_write(request: Request) -> None:
    """Dependency of every endpoint that changes something: the ``[web] token``, or a desk
    user's token whose role is editor or admin (the write is then in the audit log)."""
    user = desk_token_user(request)
    if user is not None:
        if not user.can("editor"):
            raise Forbidden(f"{user.name}'s token has the {user.role} role: writing needs editor")
        state = get_state(request)
        what = f"{request.method} {request.url.path}"
        state.store.write(people.audit, user, "api", what, now=state.clock())
        return
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
    presented = _bearer(request) or request.cookies.get(COOKIE)
    if token_matches(presented, web.token) or _desk_reader(request):
        return
    if not web.token:
        raise Forbidden("[web] read_token_required is set but [web] token is empty")
    raise Unauthorized("reading needs the token: 'Authorization: Bearer <token>' or /login")


def _desk_reader(request: Request) -> bool:
    """A desk login or a desk user's token may read too (any role)."""
    from tracker.desk.accounts import session

    state = get_state(request)
    if session(state.store, request.cookies.get(SESSION_COOKIE), state.clock()) is not None:
        return True
    return desk_token_user(request) is not None
