"""The write side of the API: every endpoint needs ``Authorization: Bearer <[web] token>``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from tracker import rowjson
from tracker.service import Tracker
from tracker.store import Store
from tracker.store import queries as q
from tracker.web import schemas
from tracker.web.params import StoryId
from tracker.web.security import require_write
from tracker.web.state import WebState, get_state, get_tracker

router = APIRouter(prefix="/api", dependencies=[Depends(require_write)], tags=["write"])
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": schemas.ErrorOut, "description": "missing or wrong token"},
    403: {"model": schemas.ErrorOut, "description": "no token configured: read-only"},
    404: {"model": schemas.ErrorOut, "description": "unknown story"},
}


def _url(store: Store, story_id: int) -> str:
    return store.read(q.story_by_id, story_id).url


@router.post("/stories", status_code=201, response_model=list[schemas.Added], responses=AUTH_ERRORS)
def add_stories(
    body: schemas.AddStories, tracker: Tracker = Depends(get_tracker)
) -> list[schemas.Added]:
    """Track URLs (adding one twice merges its labels)."""
    added = tracker.add(body.urls, labels=body.labels, interval=body.interval, origin="api")
    return [
        schemas.Added(
            id=a.story_id, url=a.url, created=a.created, interval=a.interval_s, notice=a.notice
        )
        for a in added
    ]


@router.post("/stories/{story_id}/pause", response_model=schemas.Story, responses=AUTH_ERRORS)
def pause(story_id: StoryId, state: WebState = Depends(get_state)) -> dict[str, object]:
    """Stop checking a story for now; its history stays."""
    url = _url(state.store, story_id)
    return rowjson.story_json(state.tracker.set_paused(url, True))


@router.post("/stories/{story_id}/resume", response_model=schemas.Story, responses=AUTH_ERRORS)
def resume(story_id: StoryId, state: WebState = Depends(get_state)) -> dict[str, object]:
    """Check a paused story again (it is due at once)."""
    url = _url(state.store, story_id)
    return rowjson.story_json(state.tracker.set_paused(url, False))


@router.delete("/stories/{story_id}", response_model=schemas.Story, responses=AUTH_ERRORS)
def remove(
    story_id: StoryId, purge: bool = False, state: WebState = Depends(get_state)
) -> dict[str, object]:
    """Stop tracking a story; its history stays (state `removed`). With `?purge=true`,
    delete the story and its whole history instead. Returns the story as it was left."""
    url = _url(state.store, story_id)
    if purge:
        return rowjson.story_json(state.tracker.purge(url))
    return rowjson.story_json(state.tracker.remove(url))


@router.post("/feeds", status_code=201, response_model=schemas.FeedOut, responses=AUTH_ERRORS)
def add_feed(body: schemas.AddFeed, state: WebState = Depends(get_state)) -> JSONResponse:
    """Follow an RSS/Atom feed or news sitemap: matching new items become stories."""
    from tracker.feeds import add_feed as add

    info, created = add(
        state.store,
        body.url,
        now=state.clock(),
        labels=tuple(body.labels),
        match=body.match,
        interval=body.interval,
    )
    out = schemas.FeedOut(
        id=info.id,
        url=info.url,
        match=info.match,
        labels=list(info.labels),
        interval_seconds=info.interval_s,
        created=created,
    )
    return JSONResponse(out.model_dump(mode="json"), status_code=201 if created else 200)
