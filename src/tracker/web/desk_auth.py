"""The desk's gatekeeping: who is logged in, what their role allows, forms and their CSRF token.

- The session is a cookie (``tracker_session``: HttpOnly, SameSite=Strict, Secure on HTTPS,
  with the session's expiry) holding 256 random bits; the store keeps its SHA-256.
- Every form carries the session's CSRF token (synchronizer pattern), compared in constant
  time; the login form, before any session exists, uses a double-submit cookie instead.
- Roles are checked here, on the server, for every request; a page never decides alone.
- With no desk user at all, every ``/desk`` page is 404: the UI is read-only as before.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import Response

from tracker.desk import accounts
from tracker.errors import NotFound, TrackerError
from tracker.store import people
from tracker.store.people import SessionRow
from tracker.web.security import SESSION_COOKIE, Forbidden
from tracker.web.state import get_state

LOGIN_CSRF_COOKIE = "tracker_login_csrf"
MAX_FORM_BYTES = 65_536


class LoginNeeded(TrackerError):
    """This page needs a desk login."""

    http_status = 401


Form = dict[str, list[str]]


def desk_enabled(request: Request) -> None:
    """Dependency of every desk page: 404 while no desk user exists."""
    if get_state(request).store.read(people.user_count) == 0:
        raise NotFound("the desk is off: no user exists (`tracker user add NAME --role admin`)")


def current(request: Request) -> SessionRow | None:
    """The logged-in session of this request, if any (read once per request)."""
    if not hasattr(request.state, "desk_session"):
        state = get_state(request)
        token = request.cookies.get(SESSION_COOKIE)
        request.state.desk_session = accounts.session(state.store, token, state.clock())
    found = request.state.desk_session
    return found if isinstance(found, SessionRow) else None


def require(role: str) -> Callable[[Request], SessionRow]:
    """A dependency: the session of a user with at least ``role``."""

    def dependency(request: Request) -> SessionRow:
        session = current(request)
        if session is None:
            raise LoginNeeded("log in first: /desk/login")
        if not session.user.can(role):
            raise Forbidden(f"this needs the {role} role; you are {session.user.role}")
        return session

    return dependency


async def read_form(request: Request) -> Form:
    """An ``application/x-www-form-urlencoded`` body, capped (no multipart on the desk)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise Forbidden("a desk form posts application/x-www-form-urlencoded")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise Forbidden("form too large")
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)


def field(form: Form, name: str, default: str = "") -> str:
    values = form.get(name)
    return values[0].strip() if values else default


def fields(form: Form, name: str) -> list[str]:
    return [v.strip() for v in form.get(name, []) if v.strip()]


def same(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


async def checked_form(request: Request, session: SessionRow) -> Form:
    """The form, if it carries this session's CSRF token; else 403."""
    form = await read_form(request)
    if not same(field(form, "csrf"), session.csrf):
        raise Forbidden("the form's CSRF token is missing or wrong: reload the page and retry")
    return form


def set_cookie(request: Request, resp: Response, name: str, value: str, max_age: int) -> None:
    resp.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
