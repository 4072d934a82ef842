"""The desk's pages: logging in and out, the one-time link, my stories, follows, profile.

Editing stories and feeds is ``desk_edit``; alerts are ``desk_alerts``; people and the audit
log are ``desk_admin``. Every POST reads its form through ``desk_auth.checked_form`` (CSRF)
and every page takes its session through ``desk_auth.require(role)``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from tracker.desk import accounts
from tracker.desk.throttle import FailureWindow
from tracker.errors import NotFound, TrackerError, UsageError
from tracker.store import desk as dk
from tracker.store import people
from tracker.store import queries as q
from tracker.store.people import SessionRow
from tracker.web import desk_auth as da
from tracker.web.state import WebState, get_state
from tracker.web.views import render

router = APIRouter(prefix="/desk", include_in_schema=False, dependencies=[Depends(da.desk_enabled)])
viewer = Depends(da.require("viewer"))
MAX_MINE = 500
IP_FAILURES = 20  # wrong logins from one address (any accounts) per window ...
IP_WINDOW = timedelta(minutes=10)  # ... before it waits


def local_clock(tz: str) -> Callable[[datetime | None], str]:
    """Times on desk pages: the person's time zone (stored UTC)."""
    zone = ZoneInfo(tz)

    def at(value: datetime | None) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if value else "-"

    return at


def page(
    request: Request, name: str, me: SessionRow | None, status: int = 200, **ctx: Any
) -> HTMLResponse:
    tz = me.user.timezone if me else "UTC"
    ctx.setdefault("notice", None)
    ctx.setdefault("problem", None)
    return render(request, f"desk/{name}", status_code=status, me=me, at=local_clock(tz), **ctx)


def back(path: str, notice: str = "") -> RedirectResponse:
    """After a POST: see the result with a GET (a reload does not post again)."""
    from urllib.parse import quote

    suffix = f"?notice={quote(notice[:300])}" if notice else ""
    return RedirectResponse(f"{path}{suffix}", status_code=303)


def notice_of(request: Request) -> str | None:
    return request.query_params.get("notice")


# ---------------------------------------------------------------- logging in and out


def _login_page(request: Request, status: int = 200, problem: str | None = None) -> Response:
    token = request.cookies.get(da.LOGIN_CSRF_COOKIE) or accounts.new_secret()
    resp = page(request, "login.html", None, status, login_csrf=token, problem=problem)
    da.set_cookie(request, resp, da.LOGIN_CSRF_COOKIE, token, 3600)
    return resp


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    if da.current(request) is not None:
        return back("/desk")
    return _login_page(request)


@router.post("/login")
async def login(request: Request, state: WebState = Depends(get_state)) -> Response:
    form = await da.read_form(request)
    if not da.same(da.field(form, "csrf"), request.cookies.get(da.LOGIN_CSRF_COOKIE)):
        return _login_page(request, 403, "the form expired: try again")
    name, password = da.field(form, "name"), (form.get("password") or [""])[0]
    address, ips = request.client.host if request.client else "?", _addresses(request)
    wait = ips.blocked(address, state.clock())
    if wait > 0:
        return _throttled(request, accounts.LoginThrottled(wait))
    try:
        # The KDF takes a while (by design): off the event loop.
        started = await run_in_threadpool(
            accounts.login, state.store, state.web, name, password, state.clock()
        )
    except accounts.LoginThrottled as exc:
        return _throttled(request, exc)
    except accounts.LoginRefused as exc:
        ips.failed(address, state.clock())
        return _login_page(request, 401, str(exc))
    # A new session id on every login, whatever cookie came in (no fixation).
    resp = back("/desk")
    lifetime = int(state.web.session_lifetime)
    da.set_cookie(request, resp, da.SESSION_COOKIE, started.token, lifetime)
    resp.delete_cookie(da.LOGIN_CSRF_COOKIE, path="/")
    return resp


def _addresses(request: Request) -> FailureWindow:
    """This app's failed logins per client address (made on first use)."""
    app_state = request.app.state
    if not hasattr(app_state, "desk_login_failures"):
        app_state.desk_login_failures = FailureWindow(IP_FAILURES, IP_WINDOW)
    found = app_state.desk_login_failures
    assert isinstance(found, FailureWindow)
    return found


def _throttled(request: Request, exc: accounts.LoginThrottled) -> Response:
    resp = _login_page(request, 429, str(exc))
    resp.headers["Retry-After"] = str(int(exc.retry_after) + 1)
    return resp


@router.post("/logout")
async def logout(
    request: Request, me: SessionRow = viewer, state: WebState = Depends(get_state)
) -> Response:
    await da.checked_form(request, me)
    accounts.logout(state.store, request.cookies.get(da.SESSION_COOKIE))
    resp = back("/desk/login")
    resp.delete_cookie(da.SESSION_COOKIE, path="/")
    return resp


@router.get("/welcome", response_class=HTMLResponse)
def welcome_form(request: Request, token: str = "") -> Response:
    login_csrf = request.cookies.get(da.LOGIN_CSRF_COOKIE) or accounts.new_secret()
    resp = page(request, "welcome.html", None, token=token[:100], login_csrf=login_csrf)
    da.set_cookie(request, resp, da.LOGIN_CSRF_COOKIE, login_csrf, 3600)
    return resp


@router.post("/welcome")
async def welcome(request: Request, state: WebState = Depends(get_state)) -> Response:
    form = await da.read_form(request)
    if not da.same(da.field(form, "csrf"), request.cookies.get(da.LOGIN_CSRF_COOKIE)):
        return _login_page(request, 403, "the form expired: open the link again")
    token, password = da.field(form, "token"), (form.get("password") or [""])[0]
    try:
        user = await run_in_threadpool(
            accounts.use_link, state.store, token, password, state.clock()
        )
    except (accounts.LoginRefused, UsageError) as exc:
        login_csrf = request.cookies.get(da.LOGIN_CSRF_COOKIE, "")
        return page(
            request,
            "welcome.html",
            None,
            400,
            token=token[:100],
            login_csrf=login_csrf,
            problem=str(exc),
        )
    state.store.write(people.audit, user, "user.password", user.name, now=state.clock())
    return back("/desk/login", "password set: log in")


# ---------------------------------------------------------------- my stories and follows


@router.get("", response_class=HTMLResponse)
def home(
    request: Request, me: SessionRow = viewer, state: WebState = Depends(get_state)
) -> Response:
    store = state.store
    mine = store.read(dk.followed_story_ids, me.user.id)[:MAX_MINE]
    stories = [store.read(q.story_by_id, sid) for sid in mine]
    # Why a story fails: its last failed check, for the stories failing now.
    why = {
        s.id: failed[0]
        for s in stories
        if s.consecutive_failures
        and (failed := store.read(q.checks, s.id, failed_only=True, limit=1))
    }
    follows = store.read(dk.follows, me.user.id)
    return page(
        request,
        "home.html",
        me,
        stories=stories,
        why=why,
        follows=follows,
        follow_names=_follow_names(state, follows),
        followed=set(mine),
        all_stories=store.read(q.list_stories)[:MAX_MINE],
        notice=notice_of(request),
    )


def _follow_names(state: WebState, follows: list[dk.FollowRow]) -> dict[tuple[str, str], str]:
    names: dict[tuple[str, str], str] = {}
    feeds = {str(f.id): f.url for f in state.store.read(q.list_feeds)}
    for f in follows:
        if f.kind == "story":
            try:
                s = state.store.read(q.story_by_id, int(f.target))
                names[(f.kind, f.target)] = s.title or s.url
            except NotFound:
                names[(f.kind, f.target)] = f"story {f.target} (gone)"
        elif f.kind == "feed":
            names[(f.kind, f.target)] = feeds.get(f.target, f"feed {f.target} (gone)")
    return names


def check_follow(state: WebState, kind: str, target: str) -> str:
    """A follow's target as stored: an existing story or feed id, or a label."""
    if kind not in dk.FOLLOW_KINDS:
        raise UsageError("follow a story, a label or a feed")
    if kind == "label":
        if not target or len(target) > 128:
            raise UsageError("a label has 1 to 128 characters")
        return target
    if not target.isdigit() or len(target) > 18:
        raise UsageError(f"a {kind} is followed by its id (a number)")
    if kind == "story":
        state.store.read(q.story_by_id, int(target))
    elif int(target) not in {f.id for f in state.store.read(q.list_feeds)}:
        raise NotFound(f"no feed {target}")
    return str(int(target))


@router.post("/follow")
async def follow(
    request: Request, me: SessionRow = viewer, state: WebState = Depends(get_state)
) -> Response:
    form = await da.checked_form(request, me)
    kind = da.field(form, "kind")
    target = check_follow(state, kind, da.field(form, "target"))
    state.store.write(dk.follow, me.user.id, kind, target, state.clock())
    return back("/desk", f"following {kind} {target}")


@router.post("/unfollow")
async def unfollow(
    request: Request, me: SessionRow = viewer, state: WebState = Depends(get_state)
) -> Response:
    form = await da.checked_form(request, me)
    kind, target = da.field(form, "kind"), da.field(form, "target")
    state.store.write(dk.unfollow, me.user.id, kind, target)
    return back("/desk", f"no longer following {kind} {target}")


@router.get("/profile", response_class=HTMLResponse)
def profile_form(request: Request, me: SessionRow = viewer) -> Response:
    return page(request, "profile.html", me, notice=notice_of(request))


@router.post("/profile")
async def profile(
    request: Request, me: SessionRow = viewer, state: WebState = Depends(get_state)
) -> Response:
    """Only one's own name and time zone: the role is not a field here (and never read)."""
    form = await da.checked_form(request, me)
    name = da.field(form, "display_name")[:128] or me.user.name
    try:
        tz = accounts.check_timezone(da.field(form, "timezone") or "UTC")
    except TrackerError as exc:
        return page(request, "profile.html", me, 400, problem=str(exc))
    state.store.write(people.set_profile, me.user.id, display_name=name, timezone=tz)
    return back("/desk/profile", "saved")
