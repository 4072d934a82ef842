"""A person's alerts: destinations (validated, guarded, tested) and the rules of each.

Every destination and subscription query takes the logged-in user's id, so an id typed into
a form by hand reaches only the person's own rows (404 otherwise).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from tracker import vocab
from tracker.desk import destinations as dests
from tracker.errors import TrackerError, UsageError
from tracker.notify import people as notify_people
from tracker.notify import timing
from tracker.notify.digest import cron_trigger
from tracker.patterns import compile_user_pattern
from tracker.store import desk as dk
from tracker.store import people
from tracker.store.people import SessionRow
from tracker.web import desk_auth as da
from tracker.web.desk_edit import labels_of
from tracker.web.desk_routes import back, notice_of, page
from tracker.web.params import StoryId
from tracker.web.state import WebState, get_state

router = APIRouter(prefix="/desk", include_in_schema=False, dependencies=[Depends(da.desk_enabled)])
viewer = Depends(da.require("viewer"))
MAX_DESTINATIONS = 20
MAX_KEYWORDS = 20


def _page(
    request: Request, me: SessionRow, state: WebState, status: int = 200, problem: str | None = None
) -> Response:
    store = state.store
    mine = store.read(dk.destinations, me.user.id)
    subs = {s.destination.id: s for s in store.read(dk.subscriptions, me.user.id)}
    recent = {d.id: store.read(dk.recent_deliveries, me.user.id, d.id) for d in mine}
    return page(
        request,
        "alerts.html",
        me,
        status,
        destinations=mine,
        rules=subs,
        recent=recent,
        shown=dests.shown,
        notice=notice_of(request),
        problem=problem,
    )


@router.get("/alerts", response_class=HTMLResponse)
def alerts(
    request: Request, me: SessionRow = viewer, state: WebState = Depends(get_state)
) -> Response:
    return _page(request, me, state)


@router.post("/destinations")
async def add_destination(
    request: Request, me: SessionRow = viewer, state: WebState = Depends(get_state)
) -> Response:
    form = await da.checked_form(request, me)
    name, kind, url = da.field(form, "name"), da.field(form, "kind"), da.field(form, "url")
    try:
        await new_destination(state, me.user, name, kind, url)
    except TrackerError as exc:
        return _page(request, me, state, 400, str(exc))
    return back("/desk/alerts", f"added {name[:128]}: send it a test")


async def new_destination(
    state: WebState, user: people.UserRow, name: str, kind: str, url: str
) -> dk.DestinationRow:
    """A destination for ``user``, checked (kind, URL, the address guard) and audited."""
    name = name.strip()[:128]
    if not name:
        raise UsageError("give the destination a name")
    if len(state.store.read(dk.destinations, user.id)) >= MAX_DESTINATIONS:
        raise UsageError(f"at most {MAX_DESTINATIONS} destinations each")
    allow = state.web.desk_private_destinations
    url = await run_in_threadpool(dests.check, kind, url, allow_private=allow)
    now = state.clock()
    d = state.store.write(dk.add_destination, user.id, name=name, kind=kind, url=url, now=now)
    detail = f"id={d.id} {kind} {dests.shown(url)}"
    state.store.write(people.audit, user, "destination.add", name, now=now, detail=detail)
    return d


@router.post("/destinations/{destination_id}/test")
async def send_test(
    request: Request,
    destination_id: StoryId,
    me: SessionRow = viewer,
    state: WebState = Depends(get_state),
) -> Response:
    """Send the sample change now and keep what the service answered, to show it."""
    await da.checked_form(request, me)
    d = state.store.read(dk.destination, me.user.id, destination_id)
    settings = state.tracker.settings
    delivery = await run_in_threadpool(notify_people.send_test, settings, d, state.clock())
    verdict = "delivered" if delivery.ok else f"failed: {delivery.error}"
    answer = f"{verdict}. {delivery.response}".strip()
    state.store.write(dk.record_test, me.user.id, d.id, answer)
    return back("/desk/alerts", f"test to {d.name}: {verdict}")


@router.post("/destinations/{destination_id}/remove")
async def remove_destination(
    request: Request,
    destination_id: StoryId,
    me: SessionRow = viewer,
    state: WebState = Depends(get_state),
) -> Response:
    await da.checked_form(request, me)
    d = state.store.read(dk.destination, me.user.id, destination_id)
    state.store.write(dk.remove_destination, me.user.id, d.id)
    state.store.write(
        people.audit, me.user, "destination.remove", d.name, now=state.clock(), detail=f"id={d.id}"
    )
    return back("/desk/alerts", f"removed {d.name}")


def rules_of(form: da.Form) -> dk.Rules:
    """The rules a form asks for (see ``make_rules``)."""
    return make_rules(
        min_class=da.field(form, "min_class") or "substantive",
        followed=bool(da.field(form, "followed")),
        labels=labels_of(da.field(form, "labels")),
        keywords=[k for k in da.field(form, "keywords").splitlines() if k.strip()],
        quiet_hours=da.field(form, "quiet_hours"),
        digest=da.field(form, "digest"),
    )


def make_rules(
    *,
    min_class: str,
    followed: bool,
    labels: list[str],
    keywords: list[str],
    quiet_hours: str,
    digest: str,
) -> dk.Rules:
    """Subscription rules, each checked: a class, RE2 keywords, a quiet window, a cron."""
    if min_class not in vocab.CHANGE_CLASSES:
        raise UsageError(f"unknown class {min_class!r}")
    keywords = [k.strip() for k in keywords if k.strip()]
    if len(keywords) > MAX_KEYWORDS or any(len(k) > 200 for k in keywords):
        raise UsageError(f"at most {MAX_KEYWORDS} keywords of at most 200 characters")
    for k in keywords:
        compile_user_pattern(k, "keywords", ignore_case=True)  # UsageError names the bad one
    try:
        timing.parse_quiet_hours(quiet_hours)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    digest = " ".join(digest.split())
    if digest:
        try:
            cron_trigger(digest)
        except ValueError as exc:
            raise UsageError(f"digest: bad cron {digest!r}: {exc}") from None
    return dk.Rules(
        min_class=min_class,
        followed=followed,
        labels=tuple(labels),
        keywords=tuple(keywords),
        quiet_hours=quiet_hours.strip(),
        digest=digest,
    )


@router.post("/destinations/{destination_id}/rules")
async def subscribe(
    request: Request,
    destination_id: StoryId,
    me: SessionRow = viewer,
    state: WebState = Depends(get_state),
) -> Response:
    form = await da.checked_form(request, me)
    d = state.store.read(dk.destination, me.user.id, destination_id)
    try:
        rules = rules_of(form)
    except TrackerError as exc:
        return _page(request, me, state, 400, str(exc))
    state.store.write(dk.subscribe, me.user.id, d.id, rules, state.clock())
    state.store.write(
        people.audit,
        me.user,
        "subscription.set",
        d.name,
        now=state.clock(),
        detail=f"id={d.id} min_class={rules.min_class}",
    )
    return back("/desk/alerts", f"rules for {d.name} saved")


@router.post("/destinations/{destination_id}/unsubscribe")
async def unsubscribe(
    request: Request,
    destination_id: StoryId,
    me: SessionRow = viewer,
    state: WebState = Depends(get_state),
) -> Response:
    await da.checked_form(request, me)
    d = state.store.read(dk.destination, me.user.id, destination_id)
    state.store.write(dk.unsubscribe, me.user.id, d.id)
    return back("/desk/alerts", f"{d.name}: unsubscribed")
