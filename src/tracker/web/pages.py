"""The server-rendered pages: stories, one story, a diff, a version, its raw snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracker.errors import UsageError
from tracker.store import Store
from tracker.store import queries as q
from tracker.web.chart import activity_svg
from tracker.web.paging import PAGE_MAX
from tracker.web.params import StoryId, VersionNumber, version_query
from tracker.web.raw import raw_response
from tracker.web.security import require_read
from tracker.web.state import WebState, get_state, get_store
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
    page: int = Query(1, ge=1, le=PAGE_MAX),
    ever: str | None = Query(None, max_length=32),
    web: WebState = Depends(get_state),
) -> HTMLResponse:
    size = web.web.page_size
    found = web.store.read(
        q.stories_overview,
        label=label or None,
        state=state or None,
        search=search or None,
        change_class=change_class or None,
        order=order,
        limit=size,
        offset=(page - 1) * size,
        ever=ever or None,
    )
    total = found.stories.total
    params = {"label": label, "state": state, "class": change_class, "q": search, "order": order}
    params["ever"] = ever
    return render(
        request,
        "stories.html",
        stories=found.stories.items,
        total=total,
        by_state=found.by_state,
        all_count=sum(found.by_state.values()),
        labels=found.labels,
        params=params,
        page=page,
        pages=max(1, -(-total // size)),
    )


@router.get("/stories/{story_id}", response_class=HTMLResponse)
def story(
    request: Request,
    story_id: StoryId,
    show: str | None = Query(None, max_length=32),
    web: WebState = Depends(get_state),
) -> HTMLResponse:
    from tracker.web.timeline import SHOW, timeline  # issue 13: notes and filters

    view = web.store.read(q.story_overview, story_id, failed_limit=FAILED_CHECKS_SHOWN)
    chart = activity_svg([(v.first_seen, v.change_class) for v in view.versions], end=web.clock())
    shown, notes = timeline(view.versions, web.store.read(q.change_reports, story_id), show)
    return render(
        request,
        "story.html",
        story=view.story,
        show=show,
        show_choices=SHOW,
        notes=notes,
        all_versions=list(reversed(view.versions)),
        versions=shown,
        events=view.events,
        failed=view.failed,
        failed_total=view.failed_total,
        chart=chart,
    )


@router.get("/stories/{story_id}/diff")
def diff_form(
    story_id: StoryId,
    from_: int = version_query(..., alias="from"),
    to: int = version_query(...),
    layout: Literal["inline", "side"] = "inline",
) -> RedirectResponse:
    """The compare form on the story page lands here; send it on to the permalink."""
    url = f"/stories/{story_id}/diff/{from_}/{to}"
    return RedirectResponse(url + ("?layout=side" if layout == "side" else ""), status_code=303)


@router.get("/stories/{story_id}/diff/{a}/{b}", response_class=HTMLResponse)
def diff(
    request: Request,
    story_id: StoryId,
    a: VersionNumber,
    b: VersionNumber,
    layout: Literal["inline", "side"] = "inline",
    web: WebState = Depends(get_state),
) -> HTMLResponse:
    from tracker import render as renderers
    from tracker.cards import alt_text
    from tracker.web.cards import card_url

    head = web.store.read(q.story_head, story_id)
    if a == b:
        raise UsageError("pick two different versions to compare")
    result = web.tracker.diff(head.story.url, a, b)
    body = renderers.render_html(result.report, result.meta, layout=layout)
    return render(
        request,
        "diff.html",
        story=head.story,
        a=a,
        b=b,
        latest=head.latest,
        layout=layout,
        report=result.report,
        meta=result.meta,
        body=body,
        from_time=datetime.fromisoformat(str(result.meta["from_time"])),
        to_time=datetime.fromisoformat(str(result.meta["to_time"])),
        card_url=card_url(request, web, story_id, a, b),
        card_alt=alt_text(result.report, result.meta),
    )


@router.get("/stories/{story_id}/versions/{number}", response_class=HTMLResponse)
def version(
    request: Request, story_id: StoryId, number: VersionNumber, store: Store = Depends(get_store)
) -> HTMLResponse:
    view = store.read(q.version_view, story_id, number)
    paragraphs = [p for p in view.text.split("\n\n") if p]
    return render(
        request,
        "version.html",
        story=view.story,
        v=view.version,
        paragraphs=paragraphs,
        latest=view.latest,
    )


@router.api_route("/stories/{story_id}/versions/{number}/raw", methods=["GET", "HEAD"])
def version_raw(
    story_id: StoryId,
    number: VersionNumber,
    view: Literal["download", "text"] = "download",
    store: Store = Depends(get_store),
) -> Response:
    return raw_response(store, story_id, number, as_text=view == "text")
