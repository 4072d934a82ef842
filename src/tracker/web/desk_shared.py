"""The desk's shared channels: everyone sees what the team gets (``/desk/shared``, read-only,
URLs without their secrets); admins add, edit, test and remove them and set their rules on
``/desk/admin/shared``. The same checks as a person's destinations (``desk.destinations``:
kind, URL, the private-address guard) and rules (``desk_alerts.make_rules``); every write is
audited. ``api_shared`` calls the functions here too.
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from tracker.desk import accounts
from tracker.desk import destinations as dests
from tracker.errors import TrackerError, UsageError
from tracker.notify import people as notify_people
from tracker.store import desk as dk
from tracker.store import people
from tracker.store import shared as sh
from tracker.store.people import SessionRow, UserRow
from tracker.web import desk_auth as da
from tracker.web.desk_alerts import rules_of
from tracker.web.desk_routes import back, notice_of, page
from tracker.web.params import StoryId
from tracker.web.state import WebState, get_state

router = APIRouter(prefix="/desk", include_in_schema=False, dependencies=[Depends(da.desk_enabled)])
viewer = Depends(da.require("viewer"))
admin = Depends(da.require("admin"))
MAX_SHARED = 50
ADMIN_PAGE = "/desk/admin/shared"


def _page(
    request: Request,
    me: SessionRow,
    state: WebState,
    *,
    manage: bool,
    status: int = 200,
    problem: str | None = None,
) -> Response:
    rows = state.store.read(sh.shared_channels)
    recent = {
        c.destination.id: state.store.read(sh.shared_deliveries, c.destination.id) for c in rows
    }
    return page(
        request,
        "shared.html",
        me,
        status,
        channels=rows,
        recent=recent,
        manage=manage,
        shown=dests.shown,
        notice=notice_of(request),
        problem=problem,
    )


@router.get("/shared", response_class=HTMLResponse)
def shared(
    request: Request, me: SessionRow = viewer, state: WebState = Depends(get_state)
) -> Response:
    return _page(request, me, state, manage=False)


@router.get("/admin/shared", response_class=HTMLResponse)
def manage(
    request: Request, me: SessionRow = admin, state: WebState = Depends(get_state)
) -> Response:
    return _page(request, me, state, manage=True)


async def checked_channel(
    state: WebState, name: str, kind: str, url: str, timezone: str
) -> tuple[str, str]:
    """A shared channel's name and URL, checked like a person's destination, and its zone."""
    name = name.strip()[:128]
    if not name:
        raise UsageError("give the shared channel a name")
    accounts.check_timezone(timezone or "UTC")
    allow = state.web.desk_private_destinations
    return name, await run_in_threadpool(dests.check, kind, url, allow_private=allow)


def _audit(state: WebState, user: UserRow, action: str, name: str, detail: str) -> None:
    state.store.write(people.audit, user, action, name, now=state.clock(), detail=detail)


async def new_shared(
    state: WebState, user: UserRow, name: str, kind: str, url: str, timezone: str
) -> sh.SharedRow:
    """Add a shared channel (the caller has checked that ``user`` is an admin), audited."""
    if len(state.store.read(sh.shared_channels)) >= MAX_SHARED:
        raise UsageError(f"at most {MAX_SHARED} shared channels")
    name, url = await checked_channel(state, name, kind, url, timezone)
    tz = timezone or "UTC"
    row = state.store.write(
        sh.add_shared, name=name, kind=kind, url=url, timezone=tz, now=state.clock()
    )
    detail = f"id={row.destination.id} {kind} {dests.shown(url)} tz={tz}"
    _audit(state, user, "shared.add", name, detail)
    return row


def shared_rules(rules: dk.Rules) -> dk.Rules:
    """A shared channel follows nothing itself: its scope is its labels, or every story."""
    return replace(rules, followed=False)


def set_rules(state: WebState, user: UserRow, channel_id: int, rules: dk.Rules) -> sh.SharedRow:
    row = state.store.write(sh.set_shared_rules, channel_id, shared_rules(rules), state.clock())
    detail = f"id={channel_id} min_class={rules.min_class} labels={','.join(rules.labels)}"
    _audit(state, user, "shared.rules", row.destination.name, detail)
    return row


def remove(state: WebState, user: UserRow, channel_id: int) -> None:
    row = state.store.read(sh.shared_channel, channel_id)
    state.store.write(sh.remove_shared, channel_id)
    _audit(state, user, "shared.remove", row.destination.name, f"id={channel_id}")


async def send_test(state: WebState, user: UserRow, channel_id: int) -> tuple[bool, str]:
    """The sample change to a shared channel now; (delivered, what the service answered)."""
    d = state.store.read(sh.shared_channel, channel_id).destination
    settings = state.tracker.settings
    got = await run_in_threadpool(notify_people.send_test, settings, d, state.clock())
    verdict = "delivered" if got.ok else f"failed: {got.error}"
    answer = f"{verdict}. {got.response}".strip()
    state.store.write(sh.record_shared_test, channel_id, answer)
    _audit(state, user, "shared.test", d.name, f"id={channel_id} {verdict[:200]}")
    return got.ok, answer


@router.post("/admin/shared")
async def add(
    request: Request, me: SessionRow = admin, state: WebState = Depends(get_state)
) -> Response:
    form = await da.checked_form(request, me)
    f = {k: da.field(form, k) for k in ("name", "kind", "url", "timezone")}
    try:
        row = await new_shared(state, me.user, f["name"], f["kind"], f["url"], f["timezone"])
    except TrackerError as exc:
        return _page(request, me, state, manage=True, status=400, problem=str(exc))
    return back(ADMIN_PAGE, f"added {row.destination.name}: set its rules, send it a test")


@router.post("/admin/shared/{channel_id}/edit")
async def edit(
    request: Request,
    channel_id: StoryId,
    me: SessionRow = admin,
    state: WebState = Depends(get_state),
) -> Response:
    """Rename, repoint (an empty URL keeps the current one) or move to another time zone."""
    form = await da.checked_form(request, me)
    old = state.store.read(sh.shared_channel, channel_id)
    kind = da.field(form, "kind") or old.destination.kind
    url = da.field(form, "url") or old.destination.url
    tz = da.field(form, "timezone") or old.timezone
    try:
        name, url = await checked_channel(state, da.field(form, "name"), kind, url, tz)
    except TrackerError as exc:
        return _page(request, me, state, manage=True, status=400, problem=str(exc))
    state.store.write(sh.edit_shared, channel_id, name=name, kind=kind, url=url, timezone=tz)
    _audit(
        state, me.user, "shared.edit", name, f"id={channel_id} {kind} {dests.shown(url)} tz={tz}"
    )
    return back(ADMIN_PAGE, f"{name} saved")


@router.post("/admin/shared/{channel_id}/rules")
async def rules(
    request: Request,
    channel_id: StoryId,
    me: SessionRow = admin,
    state: WebState = Depends(get_state),
) -> Response:
    form = await da.checked_form(request, me)
    state.store.read(sh.shared_channel, channel_id)  # 404 before a form problem
    try:
        got = rules_of(form)
    except TrackerError as exc:
        return _page(request, me, state, manage=True, status=400, problem=str(exc))
    row = set_rules(state, me.user, channel_id, got)
    return back(ADMIN_PAGE, f"rules for {row.destination.name} saved")


@router.post("/admin/shared/{channel_id}/test")
async def test(
    request: Request,
    channel_id: StoryId,
    me: SessionRow = admin,
    state: WebState = Depends(get_state),
) -> Response:
    await da.checked_form(request, me)
    ok, _ = await send_test(state, me.user, channel_id)
    return back(ADMIN_PAGE, f"test: {'delivered' if ok else 'failed (see its answer)'}")


@router.post("/admin/shared/{channel_id}/remove")
async def remove_channel(
    request: Request,
    channel_id: StoryId,
    me: SessionRow = admin,
    state: WebState = Depends(get_state),
) -> Response:
    await da.checked_form(request, me)
    remove(state, me.user, channel_id)
    return back(ADMIN_PAGE, "shared channel removed")
