"""Editors' desk pages: add stories, pause, resume, relabel, stop tracking, check now; feeds.

Each action is the same operation the CLI and the API run (``Tracker.add``, ``set_paused``,
``remove``, ``check``; ``feeds.add_feed``), then one audit row says who did what.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from tracker.errors import NotFound, TrackerError, UsageError
from tracker.store import desk as dk
from tracker.store import people
from tracker.store import queries as q
from tracker.store.people import SessionRow
from tracker.web import desk_auth as da
from tracker.web.desk_routes import back, notice_of, page
from tracker.web.params import StoryId
from tracker.web.state import WebState, get_state

router = APIRouter(prefix="/desk", include_in_schema=False, dependencies=[Depends(da.desk_enabled)])
editor = Depends(da.require("editor"))
MAX_URLS = 200
MAX_LABELS = 20


def labels_of(text: str) -> list[str]:
    """``"a, b"`` -> ``["a", "b"]``: trimmed, no empties, no duplicates, each at most 128."""
    found = [lb.strip() for lb in re.split(r"[,\n]", text) if lb.strip()]
    if len(found) > MAX_LABELS or any(len(lb) > 128 for lb in found):
        raise UsageError(f"at most {MAX_LABELS} labels of at most 128 characters")
    return list(dict.fromkeys(found))


def _audit(state: WebState, me: SessionRow, action: str, target: str, detail: str = "") -> None:
    state.store.write(people.audit, me.user, action, target, now=state.clock(), detail=detail)


@router.get("/add", response_class=HTMLResponse)
def add_form(request: Request, me: SessionRow = editor) -> Response:
    return page(request, "add.html", me, added=[], notice=notice_of(request))


@router.post("/stories")
async def add_stories(
    request: Request, me: SessionRow = editor, state: WebState = Depends(get_state)
) -> Response:
    form = await da.checked_form(request, me)
    urls = [u.strip() for u in da.field(form, "urls").splitlines() if u.strip()]
    try:
        if not urls or len(urls) > MAX_URLS:
            raise UsageError(f"paste 1 to {MAX_URLS} URLs, one a line")
        labels = labels_of(da.field(form, "labels"))
        added = state.tracker.add(
            urls,
            labels=labels,
            interval=da.field(form, "interval") or None,
            max_interval=da.field(form, "max_interval") or None,
            origin="desk",
        )
    except TrackerError as exc:
        return page(request, "add.html", me, 400, added=[], problem=str(exc))
    for a in added:
        _audit(state, me, "story.add", a.url, f"id={a.story_id} labels={','.join(labels)}")
        if da.field(form, "follow"):
            state.store.write(dk.follow, me.user.id, "story", str(a.story_id), state.clock())
    return page(request, "add.html", me, added=added, notice=f"{len(added)} added")


# What pause, resume and stop tracking run: the same Tracker operations as the CLI's.
STORY_ACTIONS = {
    "pause": lambda t, url: t.set_paused(url, True),
    "resume": lambda t, url: t.set_paused(url, False),
    "remove": lambda t, url: t.remove(url),
}


@router.post("/stories/{story_id}/labels")
async def relabel(
    request: Request,
    story_id: StoryId,
    me: SessionRow = editor,
    state: WebState = Depends(get_state),
) -> Response:
    form = await da.checked_form(request, me)
    labels = labels_of(da.field(form, "labels"))
    state.store.write(dk.set_story_labels, story_id, labels)
    _audit(state, me, "story.labels", str(story_id), ",".join(labels))
    return back("/desk", f"labels of story {story_id}: {', '.join(labels) or 'none'}")


@router.post("/stories/{story_id}/check")
async def check_now(
    request: Request,
    story_id: StoryId,
    me: SessionRow = editor,
    state: WebState = Depends(get_state),
) -> Response:
    """Check one story now (the CLI's ``check``); says what happened, failures included."""
    await da.checked_form(request, me)
    state.store.read(q.story_by_id, story_id)
    [outcome] = await run_in_threadpool(state.tracker.check, [story_id])
    _audit(state, me, "story.check", outcome.url, f"id={story_id} outcome={outcome.outcome}")
    said = outcome.outcome if not outcome.error else f"{outcome.outcome}: {outcome.error}"
    return back("/desk", f"checked {outcome.url}: {said}")


@router.post("/stories/{story_id}/{action}")
async def story_action(
    request: Request,
    story_id: StoryId,
    action: str,
    me: SessionRow = editor,
    state: WebState = Depends(get_state),
) -> Response:
    """Pause, resume or stop tracking (declared after the other story forms it would match)."""
    run = STORY_ACTIONS.get(action)
    if run is None:
        raise NotFound(f"no story action {action!r}")
    await da.checked_form(request, me)
    url = state.store.read(q.story_by_id, story_id).url
    run(state.tracker, url)
    _audit(state, me, f"story.{action}", url, f"id={story_id}")
    return back("/desk", f"{action}: {url}")


# ---------------------------------------------------------------- feeds


@router.get("/feeds", response_class=HTMLResponse)
def feeds(
    request: Request, me: SessionRow = editor, state: WebState = Depends(get_state)
) -> Response:
    return page(
        request, "feeds.html", me, feeds=state.store.read(q.list_feeds), notice=notice_of(request)
    )


@router.post("/feeds")
async def add_feed(
    request: Request, me: SessionRow = editor, state: WebState = Depends(get_state)
) -> Response:
    from tracker.feeds import add_feed as add

    form = await da.checked_form(request, me)
    try:
        info, created = add(
            state.store,
            da.field(form, "url"),
            now=state.clock(),
            labels=tuple(labels_of(da.field(form, "labels"))),
            match=da.field(form, "match") or "developing",
            interval=da.field(form, "interval") or "5m",
        )
    except TrackerError as exc:
        got = state.store.read(q.list_feeds)
        return page(request, "feeds.html", me, 400, feeds=got, problem=str(exc))
    _audit(state, me, "feed.add" if created else "feed.update", info.url, f"id={info.id}")
    return back("/desk/feeds", f"{'added' if created else 'updated'} feed {info.url}")


@router.post("/feeds/{feed_id}/remove")
async def remove_feed(
    request: Request,
    feed_id: StoryId,
    me: SessionRow = editor,
    state: WebState = Depends(get_state),
) -> Response:
    await da.checked_form(request, me)
    known = {f.id: f.url for f in state.store.read(q.list_feeds)}
    if feed_id not in known:
        raise NotFound(f"no feed {feed_id}")
    state.store.write(q.remove_feed, feed_id)
    _audit(state, me, "feed.remove", known[feed_id], f"id={feed_id}")
    return back("/desk/feeds", f"removed feed {known[feed_id]}")
