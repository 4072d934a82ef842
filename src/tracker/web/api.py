"""The read side of the JSON API under ``/api``; every list is paginated."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from tracker.service import Tracker
from tracker.store import queries as q
from tracker.web import schemas
from tracker.web.paging import Window, window
from tracker.web.raw import raw_response
from tracker.web.security import get_tracker, require_read

router = APIRouter(prefix="/api", dependencies=[Depends(require_read)], tags=["read"])
Order = Literal["last_change", "url", "id"]
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": schemas.ErrorOut, "description": "unknown story or version"},
    400: {"model": schemas.ErrorOut, "description": "bad arguments"},
}


@router.get("/stories", response_model=schemas.Page[schemas.Story])
def list_stories(
    request: Request,
    win: Window = Depends(window),
    label: str | None = Query(None, description="only stories with this label"),
    state: str | None = Query(None, description="developing, settled, gone, archived or paused"),
    change_class: str | None = Query(
        None, alias="class", description="class of the last change: cosmetic ... major"
    ),
    search: str | None = Query(None, alias="q", description="substring of URL or title"),
    order: Order = Query("last_change", description="last_change (newest first), url or id"),
    tracker: Tracker = Depends(get_tracker),
) -> dict[str, object]:
    """Tracked stories, filtered and sorted."""
    filters = {"label": label, "state": state, "search": search, "change_class": change_class}
    with tracker.factory() as session:
        rows = q.list_stories(session, **filters, order=order, limit=win.limit, offset=win.offset)
        total = q.count_matching_stories(session, **filters)
    return win.page(request, [schemas.Story.of(s) for s in rows], total)


@router.get("/stories/{story_id}", response_model=schemas.StoryDetail, responses=ERRORS)
def story(story_id: int, tracker: Tracker = Depends(get_tracker)) -> schemas.StoryDetail:
    """One story, with its lifecycle events and links to the rest of it."""
    with tracker.factory() as session:
        info = q.story_by_id(session, story_id)
        events = q.events(session, story_id)
    base = f"/api/stories/{story_id}"
    return schemas.StoryDetail(
        **schemas.Story.of(info).model_dump(),
        events=[{"at": at, "kind": kind, "detail": detail} for at, kind, detail in events],
        links={
            "versions": f"{base}/versions",
            "diff": f"{base}/diff",
            "checks": f"{base}/checks",
            "changes": f"/api/changes?story={story_id}",
            "html": f"/stories/{story_id}",
            "atom": f"/stories/{story_id}/changes.atom",
        },
    )


@router.get(
    "/stories/{story_id}/versions",
    response_model=schemas.Page[schemas.Version],
    responses=ERRORS,
)
def versions(
    request: Request,
    story_id: int,
    win: Window = Depends(window),
    tracker: Tracker = Depends(get_tracker),
) -> dict[str, object]:
    """Every version of a story, oldest first, with the class and summary of its change."""
    with tracker.factory() as session:
        q.story_by_id(session, story_id)
        rows = q.versions(session, story_id)
    page = rows[win.offset : win.offset + win.limit]
    return win.page(request, [schemas.Version.of(v) for v in page], len(rows))


@router.get(
    "/stories/{story_id}/versions/{number}",
    response_model=schemas.VersionDetail,
    responses=ERRORS,
)
def version(
    story_id: int, number: int, tracker: Tracker = Depends(get_tracker)
) -> schemas.VersionDetail:
    """One version: its text, metadata, hashes and stored response headers."""
    with tracker.factory() as session:
        v = q.version(session, story_id, number)
        text = q.version_text(session, story_id, number)
    return schemas.VersionDetail.with_text(v, text)


@router.get(
    "/stories/{story_id}/versions/{number}/raw",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **ERRORS},
)
def version_raw(story_id: int, number: int, tracker: Tracker = Depends(get_tracker)) -> Response:
    """The snapshot exactly as served, as a download (never rendered)."""
    return raw_response(tracker, story_id, number, as_text=False)


@router.get("/stories/{story_id}/diff", responses=ERRORS)
def diff(
    story_id: int,
    from_: int | None = Query(None, alias="from", ge=1, description="default: to - 1"),
    to: int | None = Query(None, ge=1, description="default: the latest version"),
    tracker: Tracker = Depends(get_tracker),
) -> dict[str, Any]:
    """The diff between two versions: the same JSON as ``tracker diff --format json``."""
    from tracker import render

    with tracker.factory() as session:
        url = q.story_by_id(session, story_id).url
    result = tracker.diff(url, from_, to)
    return render.render_json(result.report, result.meta)  # type: ignore[no-any-return]


@router.get("/changes", response_model=schemas.ChangesPage, responses=ERRORS)
def changes(
    request: Request,
    win: Window = Depends(window),
    since: datetime | None = Query(None, description="only changes after this ISO time"),
    label: str | None = Query(None, description="only stories with this label"),
    story: int | None = Query(None, description="only this story id"),
    order: Literal["asc", "desc"] | None = Query(
        None, description="by time; default asc with since (for polling), else desc"
    ),
    tracker: Tracker = Depends(get_tracker),
) -> dict[str, object]:
    """Changes across stories. Poll with ``since`` = the previous answer's ``next_since``."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)  # a naive time means UTC, as everywhere else
    ascending = (order or ("asc" if since else "desc")) == "asc"
    with tracker.factory() as session:
        rows = q.changes(
            session,
            story_id=story,
            since=since,
            label=label,
            limit=win.limit,
            offset=win.offset,
            newest_first=not ascending,
        )
        total = q.count_changes(session, story_id=story, since=since, label=label)
    page = win.page(request, [schemas.Change.of(c) for c in rows], total)
    page["next_since"] = max((c.at for c in rows), default=since)
    return page


@router.get(
    "/stories/{story_id}/checks",
    response_model=schemas.Page[schemas.Check],
    responses=ERRORS,
)
def checks(
    request: Request,
    story_id: int,
    win: Window = Depends(window),
    failed: bool = Query(False, description="only failed checks and 404/410s"),
    tracker: Tracker = Depends(get_tracker),
) -> dict[str, object]:
    """Fetch attempts of a story, newest first."""
    with tracker.factory() as session:
        q.story_by_id(session, story_id)
        rows = q.checks(session, story_id, failed_only=failed, limit=win.limit, offset=win.offset)
        total = q.count_checks(session, story_id, failed_only=failed)
    return win.page(request, [schemas.Check.of(c) for c in rows], total)
