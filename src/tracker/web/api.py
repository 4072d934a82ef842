"""The read side of the JSON API under ``/api``; every list is paginated.

Rows are shaped by :mod:`tracker.rowjson`, the same as ``--json`` and the exports; the
response models in ``schemas`` document them (and check them on the way out).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from tracker import rowjson
from tracker.service import Tracker
from tracker.store import Store
from tracker.store import queries as q
from tracker.web import schemas
from tracker.web.paging import Window, window
from tracker.web.params import StoryId, VersionNumber, story_filter, version_query
from tracker.web.raw import raw_response
from tracker.web.security import require_read
from tracker.web.state import get_store, get_tracker

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
    ever: str | None = Query(
        None,
        max_length=32,
        description="any change in the whole history: a class (major...), or correction, "
        "headline (changed) or unpublished",
    ),
    store: Store = Depends(get_store),
) -> dict[str, object]:
    """Tracked stories, filtered and sorted."""
    found = store.read(
        q.find_stories,
        label=label,
        state=state,
        search=search,
        change_class=change_class,
        order=order,
        limit=win.limit,
        offset=win.offset,
        ever=ever or None,
    )
    return win.page(request, [rowjson.story_json(s) for s in found.items], found.total)


@router.get("/stories/{story_id}", response_model=schemas.StoryDetail, responses=ERRORS)
def story(story_id: StoryId, store: Store = Depends(get_store)) -> dict[str, object]:
    """One story, with its lifecycle events and links to the rest of it."""
    detail = store.read(q.story_detail, story_id)
    base = f"/api/stories/{story_id}"
    return {
        **rowjson.story_json(detail.story),
        "events": [rowjson.event_json(*e) for e in detail.events],
        "links": {
            "versions": f"{base}/versions",
            "diff": f"{base}/diff",
            "checks": f"{base}/checks",
            "changes": f"/api/changes?story={story_id}",
            "html": f"/stories/{story_id}",
            "atom": f"/stories/{story_id}/changes.atom",
        },
    }


@router.get(
    "/stories/{story_id}/versions",
    response_model=schemas.Page[schemas.Version],
    responses=ERRORS,
)
def versions(
    request: Request,
    story_id: StoryId,
    win: Window = Depends(window),
    store: Store = Depends(get_store),
) -> dict[str, object]:
    """Every version of a story, oldest first, with the class and summary of its change."""
    found = store.read(q.story_versions, story_id)
    page = found.versions[win.offset : win.offset + win.limit]
    items = [rowjson.version_json(v, found.story.url) for v in page]
    return win.page(request, items, len(found.versions))


@router.get(
    "/stories/{story_id}/versions/{number}",
    response_model=schemas.VersionDetail,
    responses=ERRORS,
)
def version(
    story_id: StoryId, number: VersionNumber, store: Store = Depends(get_store)
) -> dict[str, object]:
    """One version: its text, metadata, hashes and stored response headers."""
    view = store.read(q.version_view, story_id, number)
    return rowjson.version_detail_json(view.version, view.story.url, view.text)


# GET, and HEAD for a download tool's size and type check (kept out of the schema: one
# operation per path there).
@router.api_route(
    "/stories/{story_id}/versions/{number}/raw",
    methods=["HEAD"],
    response_class=Response,
    include_in_schema=False,
)
@router.get(
    "/stories/{story_id}/versions/{number}/raw",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **ERRORS},
)
def version_raw(
    story_id: StoryId, number: VersionNumber, store: Store = Depends(get_store)
) -> Response:
    """The snapshot exactly as served, as a download (never rendered)."""
    return raw_response(store, story_id, number, as_text=False)


@router.get("/stories/{story_id}/diff", responses=ERRORS)
def diff(
    story_id: StoryId,
    from_: int | None = version_query(None, "default: to - 1", alias="from"),
    to: int | None = version_query(None, "default: the latest version"),
    store: Store = Depends(get_store),
    tracker: Tracker = Depends(get_tracker),
) -> dict[str, Any]:
    """The diff between two versions: the same JSON as ``tracker diff --format json``."""
    from tracker import render

    url = store.read(q.story_by_id, story_id).url
    result = tracker.diff(url, from_, to)
    return render.render_json(result.report, result.meta)


@router.get("/changes", response_model=schemas.ChangesPage, responses=ERRORS)
def changes(
    request: Request,
    win: Window = Depends(window),
    since: datetime | None = Query(None, description="only changes after this ISO time"),
    label: str | None = Query(None, description="only stories with this label"),
    story: int | None = story_filter("only this story id"),
    order: Literal["asc", "desc"] | None = Query(
        None, description="by time; default asc with since (for polling), else desc"
    ),
    store: Store = Depends(get_store),
) -> dict[str, object]:
    """Changes across stories. Poll with ``since`` = the previous answer's ``next_since``."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)  # a naive time means UTC, as everywhere else
    ascending = (order or ("asc" if since else "desc")) == "asc"
    found = store.read(
        q.change_listing,
        story_id=story,
        since=since,
        label=label,
        limit=win.limit,
        offset=win.offset,
        newest_first=not ascending,
    )
    page = win.page(request, [rowjson.change_json(c) for c in found.items], found.total)
    page["next_since"] = rowjson.iso(max((c.at for c in found.items), default=since))
    return page


@router.get(
    "/stories/{story_id}/checks",
    response_model=schemas.Page[schemas.Check],
    responses=ERRORS,
)
def checks(
    request: Request,
    story_id: StoryId,
    win: Window = Depends(window),
    failed: bool = Query(False, description="only failed checks and 404/410s"),
    store: Store = Depends(get_store),
) -> dict[str, object]:
    """Fetch attempts of a story, newest first."""
    found = store.read(
        q.check_listing, story_id, failed_only=failed, limit=win.limit, offset=win.offset
    )
    return win.page(request, [rowjson.check_json(c) for c in found.items], found.total)
