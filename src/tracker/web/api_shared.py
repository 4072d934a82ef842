"""The desk's shared channels in the API: anyone with a desk user's token reads them (URLs
without their secrets), admins add and remove them. The functions of the admin page
(``desk_shared``) run underneath: same checks, same audit log.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from tracker.desk.destinations import shown
from tracker.store import shared as sh
from tracker.store.people import UserRow
from tracker.web import desk_shared
from tracker.web.api_desk import ERRORS, Rules, token_user
from tracker.web.desk_alerts import make_rules
from tracker.web.params import StoryId
from tracker.web.security import Forbidden
from tracker.web.state import WebState, get_state

router = APIRouter(prefix="/api/shared-channels", tags=["desk"])


class SharedRules(Rules):
    followed: bool = Field(False, description="always false: a shared channel follows nothing")


class NewSharedChannel(BaseModel):
    name: str = Field(max_length=128)
    kind: str = Field(description="apprise or webhook")
    url: str = Field(max_length=2000, description="any Apprise URL, or an http(s) webhook")
    timezone: str = Field("UTC", max_length=64, description="the clock of quiet hours, digests")
    rules: SharedRules | None = Field(None, description="null: added without rules (gets nothing)")


class SharedChannel(BaseModel):
    id: int
    name: str
    kind: str
    where: str = Field(description="the URL's scheme, host and port (never its secrets)")
    timezone: str
    rules: SharedRules | None = Field(description="null: not subscribed, gets nothing")
    last_test: str | None


def _out(row: sh.SharedRow) -> SharedChannel:
    d, r = row.destination, row.rules
    rules = None
    if r is not None:
        rules = SharedRules(
            min_class=r.min_class,
            followed=False,
            labels=list(r.labels),
            keywords=list(r.keywords),
            quiet_hours=r.quiet_hours,
            digest=r.digest,
        )
    return SharedChannel(
        id=d.id,
        name=d.name,
        kind=d.kind,
        where=shown(d.url),
        timezone=row.timezone,
        rules=rules,
        last_test=d.last_test,
    )


def _admin(user: UserRow) -> None:
    if not user.can("admin"):
        raise Forbidden("shared channels are managed by admins")


@router.get("", response_model=list[SharedChannel], responses=ERRORS)
def shared_channels(
    user: UserRow = Depends(token_user), state: WebState = Depends(get_state)
) -> list[SharedChannel]:
    """The desk's shared channels and their rules (what the team gets)."""
    return [_out(row) for row in state.store.read(sh.shared_channels)]


@router.post("", status_code=201, response_model=SharedChannel, responses=ERRORS)
async def add_shared_channel(
    body: NewSharedChannel,
    user: UserRow = Depends(token_user),
    state: WebState = Depends(get_state),
) -> SharedChannel:
    """Add a shared channel (admins): validated like a person's destination, private
    addresses refused by default; with ``rules``, subscribed at once."""
    _admin(user)
    rules = make_rules(**body.rules.model_dump()) if body.rules else None
    row = await desk_shared.new_shared(state, user, body.name, body.kind, body.url, body.timezone)
    if rules is not None:
        row = desk_shared.set_rules(state, user, row.destination.id, rules)
    return _out(row)


@router.delete("/{channel_id}", status_code=204, responses=ERRORS)
def remove_shared_channel(
    channel_id: StoryId, user: UserRow = Depends(token_user), state: WebState = Depends(get_state)
) -> Response:
    """Remove a shared channel with its rules and the alerts still waiting for it (admins)."""
    _admin(user)
    desk_shared.remove(state, user, channel_id)
    return Response(status_code=204)
