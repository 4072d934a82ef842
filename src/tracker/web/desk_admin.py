"""Admins' desk pages: people (add with a one-time link, role, reset, remove) and the audit
log, on a page and exported as JSON lines."""

from __future__ import annotations

import json
from collections.abc import Iterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from tracker import rowjson
from tracker.desk import accounts
from tracker.errors import TrackerError, UsageError
from tracker.store import people
from tracker.store.people import ROLES, SessionRow
from tracker.web import desk_auth as da
from tracker.web.desk_routes import back, notice_of, page
from tracker.web.params import StoryId
from tracker.web.state import WebState, get_state

router = APIRouter(
    prefix="/desk/admin", include_in_schema=False, dependencies=[Depends(da.desk_enabled)]
)
admin = Depends(da.require("admin"))


def _users_page(
    request: Request, me: SessionRow, state: WebState, status: int = 200, **ctx: object
) -> Response:
    ctx.setdefault("link", None)
    ctx.setdefault("link_for", None)
    users = state.store.read(people.list_users)
    return page(request, "users.html", me, status, users=users, ROLES=ROLES, **ctx)


def _user(state: WebState, user_id: int) -> people.UserRow:
    return state.store.read(people.user_by_id, user_id)


@router.get("/users", response_class=HTMLResponse)
def users(
    request: Request, me: SessionRow = admin, state: WebState = Depends(get_state)
) -> Response:
    return _users_page(request, me, state, notice=notice_of(request))


@router.post("/users")
async def add_user(
    request: Request, me: SessionRow = admin, state: WebState = Depends(get_state)
) -> Response:
    form = await da.checked_form(request, me)
    try:
        user, token = accounts.add_user(
            state.store,
            da.field(form, "name"),
            da.field(form, "role"),
            now=state.clock(),
            display_name=da.field(form, "display_name")[:128],
            timezone=da.field(form, "timezone") or "UTC",
        )
    except TrackerError as exc:
        return _users_page(request, me, state, 400, problem=str(exc))
    state.store.write(
        people.audit, me.user, "user.add", user.name, now=state.clock(), detail=f"role={user.role}"
    )
    link = accounts.link_url(state.web.base_url, token or "")
    return _users_page(request, me, state, link=link, link_for=user.name)


@router.post("/users/{user_id}/role")
async def set_role(
    request: Request, user_id: StoryId, me: SessionRow = admin, state: WebState = Depends(get_state)
) -> Response:
    form = await da.checked_form(request, me)
    target = _user(state, user_id)
    role = accounts.check_role(da.field(form, "role"))
    if target.id == me.user.id and role != "admin":
        raise UsageError("an admin cannot demote themselves (ask another admin)")
    state.store.write(people.set_role, target.name, role)
    state.store.write(
        people.audit, me.user, "user.set-role", target.name, now=state.clock(), detail=role
    )
    return back("/desk/admin/users", f"{target.name} is now {role}")


@router.post("/users/{user_id}/reset")
async def reset(
    request: Request, user_id: StoryId, me: SessionRow = admin, state: WebState = Depends(get_state)
) -> Response:
    await da.checked_form(request, me)
    target = _user(state, user_id)
    token = accounts.reset(state.store, target.name, now=state.clock())
    state.store.write(people.audit, me.user, "user.reset", target.name, now=state.clock())
    link = accounts.link_url(state.web.base_url, token or "")
    return _users_page(request, me, state, link=link, link_for=target.name)


@router.post("/users/{user_id}/remove")
async def remove(
    request: Request, user_id: StoryId, me: SessionRow = admin, state: WebState = Depends(get_state)
) -> Response:
    await da.checked_form(request, me)
    target = _user(state, user_id)
    if target.id == me.user.id:
        raise UsageError("an admin cannot remove themselves")
    state.store.write(people.remove_user, target.name)
    state.store.write(people.audit, me.user, "user.remove", target.name, now=state.clock())
    return back("/desk/admin/users", f"removed {target.name}")


@router.get("/audit", response_class=HTMLResponse)
def audit(
    request: Request, me: SessionRow = admin, state: WebState = Depends(get_state)
) -> Response:
    return page(request, "audit.html", me, rows=state.store.read(people.audit_log, limit=500))


@router.get("/audit.jsonl")
def audit_export(me: SessionRow = admin, state: WebState = Depends(get_state)) -> Response:
    """The whole audit log, newest first, one JSON object a line."""
    rows = state.store.read(people.audit_log, limit=None)

    def lines() -> Iterator[bytes]:
        for a in rows:
            yield (json.dumps(rowjson.audit_json(a), ensure_ascii=False) + "\n").encode()

    headers = {"Content-Disposition": 'attachment; filename="audit.jsonl"'}
    return StreamingResponse(lines(), media_type="application/x-ndjson", headers=headers)
