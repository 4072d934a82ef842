"""The write side of the API: every endpoint needs ``Authorization: Bearer <[web] token>``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from tracker.service import Tracker
from tracker.store import queries as q
from tracker.web import schemas
from tracker.web.security import get_tracker, require_write

router = APIRouter(prefix="/api", dependencies=[Depends(require_write)], tags=["write"])
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": schemas.ErrorOut, "description": "missing or wrong token"},
    403: {"model": schemas.ErrorOut, "description": "no token configured: read-only"},
    404: {"model": schemas.ErrorOut, "description": "unknown story"},
}


def _url(tracker: Tracker, story_id: int) -> str:
    with tracker.factory() as session:
        return q.story_by_id(session, story_id).url


@router.post("/stories", status_code=201, response_model=list[schemas.Added], responses=AUTH_ERRORS)
def add_stories(
    body: schemas.AddStories, tracker: Tracker = Depends(get_tracker)
) -> list[schemas.Added]:
    """Track URLs (adding one twice merges its labels)."""
    added = tracker.add(body.urls, labels=body.labels, interval=body.interval, origin="api")
    return [schemas.Added(id=a.story_id, url=a.url, created=a.created) for a in added]


@router.post("/stories/{story_id}/pause", response_model=schemas.Story, responses=AUTH_ERRORS)
def pause(story_id: int, tracker: Tracker = Depends(get_tracker)) -> schemas.Story:
    """Stop checking a story for now; its history stays."""
    return schemas.Story.of(tracker.set_paused(_url(tracker, story_id), True))


@router.post("/stories/{story_id}/resume", response_model=schemas.Story, responses=AUTH_ERRORS)
def resume(story_id: int, tracker: Tracker = Depends(get_tracker)) -> schemas.Story:
    """Check a paused story again (it is due at once)."""
    return schemas.Story.of(tracker.set_paused(_url(tracker, story_id), False))


@router.delete("/stories/{story_id}", response_model=schemas.Story, responses=AUTH_ERRORS)
def remove(story_id: int, tracker: Tracker = Depends(get_tracker)) -> schemas.Story:
    """Stop tracking a story and delete its history; returns what was removed."""
    return schemas.Story.of(tracker.remove(_url(tracker, story_id)))


@router.post("/feeds", status_code=201, response_model=schemas.FeedOut, responses=AUTH_ERRORS)
def add_feed(body: schemas.AddFeed, tracker: Tracker = Depends(get_tracker)) -> JSONResponse:
    """Follow an RSS/Atom feed or news sitemap: matching new items become stories."""
    from tracker.feeds import add_feed as add

    info, created = add(
        tracker, body.url, labels=tuple(body.labels), match=body.match, interval=body.interval
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
