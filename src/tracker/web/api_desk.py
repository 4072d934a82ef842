"""The desk's operations in the API (issue 18), for scripts with a user's bearer token
(``tracker user token NAME``): relabel, check now and remove feeds (editors); a person's
follows, stories, destinations and rules (anyone with a token, on their own rows only); the
audit log (admins). The same functions as the desk's forms run underneath.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tracker import rowjson
from tracker.store import desk as dk
from tracker.store import people
from tracker.store import queries as q
from tracker.store.people import UserRow
from tracker.web import schemas
from tracker.web.desk_alerts import make_rules, new_destination
from tracker.web.desk_edit import labels_of
from tracker.web.desk_routes import check_follow
from tracker.web.params import StoryId
from tracker.web.security import Forbidden, Unauthorized, desk_token_user, require_write
from tracker.web.state import WebState, get_state

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": schemas.ErrorOut, "description": "a value was refused"},
    401: {"model": schemas.ErrorOut, "description": "no desk user's token"},
    403: {"model": schemas.ErrorOut, "description": "the user's role does not allow it"},
    404: {"model": schemas.ErrorOut, "description": "unknown, or somebody else's"},
}
edit = APIRouter(prefix="/api", dependencies=[Depends(require_write)], tags=["write"])
me_router = APIRouter(prefix="/api/me", tags=["desk"])
admin_router = APIRouter(prefix="/api", tags=["desk"])


def token_user(request: Request) -> UserRow:
    """Dependency: the desk user whose bearer token came with the request."""
    user = desk_token_user(request)
    if user is None:
        raise Unauthorized("this needs a desk user's token: 'tracker user token NAME'")
    return user


class User(BaseModel):
    id: int
    name: str
    display_name: str
    role: str = Field(description="viewer, editor or admin")
    timezone: str
    has_password: bool
    created_at: schemas.Time


class Labels(BaseModel):
    labels: list[str] = Field(max_length=20, description="the story's labels, replacing its own")


class Follow(BaseModel):
    kind: str = Field(description="story, label or feed")
    target: str = Field(max_length=128, description="a story id, a label, or a feed id")


class NewDestination(BaseModel):
    name: str = Field(max_length=128)
    kind: str = Field(description="apprise or webhook")
    url: str = Field(max_length=2000, description="any Apprise URL, or an http(s) webhook")


class Rules(BaseModel):
    min_class: str = Field("substantive", description="cosmetic, minor, substantive or major")
    followed: bool = Field(True, description="stories I follow (directly, by label, by feed)")
    labels: list[str] = Field([], max_length=20, description="and stories with these labels")
    keywords: list[str] = Field([], max_length=20, description="RE2 regexes on changed text")
    quiet_hours: str = Field("", description="HH:MM-HH:MM in my time zone")
    digest: str = Field("", description="a 5-field cron in my time zone; empty = at once")


class Destination(BaseModel):
    id: int
    name: str
    kind: str
    rules: Rules | None = Field(description="null: not subscribed")
    last_test: str | None


class Sent(BaseModel):
    ok: bool
    response: str = Field(description="what the service answered")
    error: str | None


# ---------------------------------------------------------------- editors


@edit.post("/stories/{story_id}/labels", response_model=schemas.Story, responses=ERRORS)
def relabel(
    story_id: StoryId, body: Labels, state: WebState = Depends(get_state)
) -> dict[str, object]:
    """Replace a story's labels."""
    state.store.write(dk.set_story_labels, story_id, labels_of(",".join(body.labels)))
    return rowjson.story_json(state.store.read(q.story_by_id, story_id))


@edit.post("/stories/{story_id}/check", responses=ERRORS)
async def check_now(story_id: StoryId, state: WebState = Depends(get_state)) -> dict[str, object]:
    """Check one story now; the outcome as `tracker check --json` prints it."""
    state.store.read(q.story_by_id, story_id)
    [outcome] = await run_in_threadpool(state.tracker.check, [story_id])
    return rowjson.outcome_json(outcome)


@edit.delete("/feeds/{feed_id}", status_code=204, responses=ERRORS)
def remove_feed(feed_id: StoryId, state: WebState = Depends(get_state)) -> Response:
    """Stop following a feed (the stories it added stay)."""
    if feed_id not in {f.id for f in state.store.read(q.list_feeds)}:
        from tracker.errors import NotFound

        raise NotFound(f"no feed {feed_id}")
    state.store.write(q.remove_feed, feed_id)
    return Response(status_code=204)


# ---------------------------------------------------------------- one's own


@me_router.get("", response_model=User, responses=ERRORS)
def me(user: UserRow = Depends(token_user)) -> dict[str, object]:
    """The token's user."""
    return rowjson.user_json(user)


@me_router.get("/stories", response_model=list[schemas.Story], responses=ERRORS)
def my_stories(
    user: UserRow = Depends(token_user), state: WebState = Depends(get_state)
) -> list[dict[str, object]]:
    """The stories I follow: directly, through a label, or through a feed."""
    ids = state.store.read(dk.followed_story_ids, user.id)
    return [rowjson.story_json(state.store.read(q.story_by_id, sid)) for sid in ids]


@me_router.get("/follows", response_model=list[Follow], responses=ERRORS)
def follows(
    user: UserRow = Depends(token_user), state: WebState = Depends(get_state)
) -> list[Follow]:
    return [Follow(kind=f.kind, target=f.target) for f in state.store.read(dk.follows, user.id)]


@me_router.post("/follows", status_code=201, response_model=Follow, responses=ERRORS)
def follow(
    body: Follow, user: UserRow = Depends(token_user), state: WebState = Depends(get_state)
) -> Follow:
    """Follow a story (id), a label, or a feed (id)."""
    target = check_follow(state, body.kind, body.target.strip())
    state.store.write(dk.follow, user.id, body.kind, target, state.clock())
    return Follow(kind=body.kind, target=target)


@me_router.delete("/follows", status_code=204, responses=ERRORS)
def unfollow(
    kind: str,
    target: str,
    user: UserRow = Depends(token_user),
    state: WebState = Depends(get_state),
) -> Response:
    state.store.write(dk.unfollow, user.id, kind, target)
    return Response(status_code=204)


def _destination(d: dk.DestinationRow, subs: dict[int, dk.SubscriptionRow]) -> Destination:
    s = subs.get(d.id)
    rules = None
    if s is not None:
        r = s.rules
        rules = Rules(
            min_class=r.min_class,
            followed=r.followed,
            labels=list(r.labels),
            keywords=list(r.keywords),
            quiet_hours=r.quiet_hours,
            digest=r.digest,
        )
    return Destination(id=d.id, name=d.name, kind=d.kind, rules=rules, last_test=d.last_test)


@me_router.get("/destinations", response_model=list[Destination], responses=ERRORS)
def destinations(
    user: UserRow = Depends(token_user), state: WebState = Depends(get_state)
) -> list[Destination]:
    """My destinations and their rules (URLs are not shown: they often hold secrets)."""
    subs = {s.destination.id: s for s in state.store.read(dk.subscriptions, user.id)}
    return [_destination(d, subs) for d in state.store.read(dk.destinations, user.id)]


@me_router.post("/destinations", status_code=201, response_model=Destination, responses=ERRORS)
async def add_destination(
    body: NewDestination, user: UserRow = Depends(token_user), state: WebState = Depends(get_state)
) -> Destination:
    """Add an Apprise URL or a webhook (validated; private addresses refused by default)."""
    d = await new_destination(state, user, body.name, body.kind, body.url)
    return _destination(d, {})


@me_router.put("/destinations/{destination_id}/rules", response_model=Destination, responses=ERRORS)
def set_rules(
    destination_id: StoryId,
    body: Rules,
    user: UserRow = Depends(token_user),
    state: WebState = Depends(get_state),
) -> Destination:
    """Subscribe a destination, or replace its rules."""
    rules = make_rules(**body.model_dump())
    s = state.store.write(dk.subscribe, user.id, destination_id, rules, state.clock())
    state.store.write(
        people.audit,
        user,
        "subscription.set",
        s.destination.name,
        now=state.clock(),
        detail=f"id={destination_id}",
    )
    return _destination(s.destination, {s.destination.id: s})


@me_router.delete("/destinations/{destination_id}", status_code=204, responses=ERRORS)
def remove_destination(
    destination_id: StoryId,
    user: UserRow = Depends(token_user),
    state: WebState = Depends(get_state),
) -> Response:
    """Remove a destination with its rules and the alerts still waiting for it."""
    state.store.write(dk.remove_destination, user.id, destination_id)
    state.store.write(
        people.audit, user, "destination.remove", str(destination_id), now=state.clock()
    )
    return Response(status_code=204)


@me_router.post("/destinations/{destination_id}/test", response_model=Sent, responses=ERRORS)
async def send_test(
    destination_id: StoryId,
    user: UserRow = Depends(token_user),
    state: WebState = Depends(get_state),
) -> Sent:
    """Send a sample alert now; returns what the service answered."""
    from tracker.notify.people import send_test as send

    d = state.store.read(dk.destination, user.id, destination_id)
    got = await run_in_threadpool(send, state.tracker.settings, d, state.clock())
    verdict = "delivered" if got.ok else f"failed: {got.error}"
    state.store.write(dk.record_test, user.id, d.id, f"{verdict}. {got.response}".strip())
    return Sent(ok=got.ok, response=got.response, error=got.error)


# ---------------------------------------------------------------- admins


class AuditEntry(BaseModel):
    id: int
    at: schemas.Time
    actor: str
    action: str
    target: str
    detail: str


@admin_router.get("/audit", response_model=list[AuditEntry], responses=ERRORS)
def audit(
    limit: int = 200,
    offset: int = 0,
    user: UserRow = Depends(token_user),
    state: WebState = Depends(get_state),
) -> list[dict[str, object]]:
    """The audit log of writes, newest first (admins)."""
    if not user.can("admin"):
        raise Forbidden("the audit log is for admins")
    rows = state.store.read(people.audit_log, limit=max(1, min(limit, 1000)), offset=max(0, offset))
    return [rowjson.audit_json(a) for a in rows]
