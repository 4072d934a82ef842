"""The server-rendered pages: stories, one story, a diff, a version, its raw snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracker.errors import UsageError
from tracker.service import Tracker
from tracker.store import queries as q
from tracker.web.chart import activity_svg
from tracker.web.raw import raw_response
from tracker.web.security import get_tracker, require_read
from tracker.web.views import render

router = APIRouter(dependencies=[Depends(require_read)], include_in_schema=False)
FAILED_CHECKS_SHOWN = 20


@router.get("/", response_class=HTMLResponse)
@router.get("/stories", response_class=HTMLResponse)
def stories(
    request: Request,
    label: str | None = None,
    state: str | None = None,
    change_class: str | None = Query(None, alias="class"),
    search: str | None = Query(None, alias="q"),
    order: Literal["last_change", "url"] = "last_change",
    page: int = Query(1, ge=1),
    tracker: Tracker = Depends(get_tracker),
) -> HTMLResponse:
    size = tracker.settings.web.page_size
    filters = {
        "label": label or None,
        "state": state or None,
        "search": search or None,
        "change_class": change_class or None,
    }
    with tracker.factory() as session:
        rows = q.list_stories(session, **filters, order=order, limit=size, offset=(page - 1) * size)
        total = q.count_matching_stories(session, **filters)
        by_state = q.count_stories(session)
        labels = q.label_counts(session)
    params = {"label": label, "state": state, "class": change_class, "q": search, "order": order}
    return render(
        request,
        "stories.html",
        stories=rows,
        total=total,
        by_state=by_state,
        all_count=sum(by_state.values()),
        labels=labels,
        params=params,
        page=page,
        pages=max(1, -(-total // size)),
    )


@router.get("/stories/{story_id}", response_class=HTMLResponse)
def story(request: Request, story_id: int, tracker: Tracker = Depends(get_tracker)) -> HTMLResponse:
    with tracker.factory() as session:
        info = q.story_by_id(session, story_id)
        versions = q.versions(session, story_id)
        events = q.events(session, story_id)
        failed = q.checks(session, story_id, failed_only=True, limit=FAILED_CHECKS_SHOWN)
        failed_total = q.count_checks(session, story_id, failed_only=True)
    chart = activity_svg([(v.first_seen, v.change_class) for v in versions], end=tracker.clock())
    return render(
        request,
        "story.html",
        story=info,
        versions=list(reversed(versions)),
        events=events,
        failed=failed,
        failed_total=failed_total,
        chart=chart,
    )


@router.get("/stories/{story_id}/diff")
def diff_form(
    story_id: int,
    from_: int = Query(alias="from", ge=1),
    to: int = Query(ge=1),
    layout: Literal["inline", "side"] = "inline",
) -> RedirectResponse:
    """The compare form on the story page lands here; send it on to the permalink."""
    url = f"/stories/{story_id}/diff/{from_}/{to}"
    return RedirectResponse(url + ("?layout=side" if layout == "side" else ""), status_code=303)


@router.get("/stories/{story_id}/diff/{a}/{b}", response_class=HTMLResponse)
def diff(
    request: Request,
    story_id: int,
    a: int,
    b: int,
    layout: Literal["inline", "side"] = "inline",
    tracker: Tracker = Depends(get_tracker),
) -> HTMLResponse:
    from tracker import render as renderers

    with tracker.factory() as session:
        info = q.story_by_id(session, story_id)
        latest = q.version(session, story_id).number
    if a == b:
        raise UsageError("pick two different versions to compare")
    result = tracker.diff(info.url, a, b)
    body = renderers.render_html(result.report, result.meta, layout=layout)
    return render(
        request,
        "diff.html",
        story=info,
        a=a,
        b=b,
        latest=latest,
        layout=layout,
        report=result.report,
        meta=result.meta,
        body=body,
        from_time=datetime.fromisoformat(str(result.meta["from_time"])),
        to_time=datetime.fromisoformat(str(result.meta["to_time"])),
    )


@router.get("/stories/{story_id}/versions/{number}", response_class=HTMLResponse)
def version(
    request: Request, story_id: int, number: int, tracker: Tracker = Depends(get_tracker)
) -> HTMLResponse:
    with tracker.factory() as session:
        info = q.story_by_id(session, story_id)
        v = q.version(session, story_id, number)
        text = q.version_text(session, story_id, number)
        latest = q.version(session, story_id).number
    paragraphs = [p for p in text.split("\n\n") if p]
    return render(request, "version.html", story=info, v=v, paragraphs=paragraphs, latest=latest)


@router.get("/stories/{story_id}/versions/{number}/raw")
def version_raw(
    story_id: int,
    number: int,
    view: Literal["download", "text"] = "download",
    tracker: Tracker = Depends(get_tracker),
) -> Response:
    return raw_response(tracker, story_id, number, as_text=view == "text")
