"""Full-text search on the web: the ``/search`` page, its CSV / JSONL downloads, and
``GET /api/search`` (paginated like ``/api/stories``). The rows are ``rowjson.search_hit_json``,
the same as ``tracker search --json``; the query language is :mod:`tracker.searchquery`.
"""

from __future__ import annotations

import io
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from tracker import rowjson
from tracker.export import write_csv, write_jsonl
from tracker.searchquery import Query as SearchQuery
from tracker.searchquery import highlight, parse
from tracker.store import Store, search_index
from tracker.store import queries as q
from tracker.timeparse import optional_datetime
from tracker.web.paging import PAGE_MAX, Window, window
from tracker.web.params import story_filter
from tracker.web.security import require_read
from tracker.web.state import WebState, get_state, get_store
from tracker.web.views import render

router = APIRouter(dependencies=[Depends(require_read)])
Which = Literal["all", "present", "removed"]
DOWNLOAD_MAX = 10_000  # rows in one CSV / JSONL download


class SearchHitOut(BaseModel):
    story_id: int
    url: str
    title: str | None
    text: str
    first_version: int
    last_version: int
    present: bool
    removed_at: str | None
    snippet: str
    kind: str
    appeared_at: str | None
    removed_version: int | None
    appeared_diff_url: str | None
    removed_diff_url: str | None


class SearchPage(BaseModel):
    items: list[SearchHitOut]
    total: int
    limit: int
    offset: int
    next: str | None
    prev: str | None


def search_filters(
    which: Which = Query("all", description="all, present (still in the latest version) "
                         "or removed (gone from it)"),
    label: list[str] | None = Query(None, description="only stories with this label (any of)"),
    story: int | None = story_filter("only this story"),
    since: str | None = Query(None, description="text that appeared or vanished from then on"),
    until: str | None = Query(None, description="... before then"),
) -> q.SearchFilter:  # fmt: skip
    return q.SearchFilter(
        present={"all": None, "present": True, "removed": False}[which],
        labels=tuple(x for x in label or () if x),
        story_id=story,
        since=optional_datetime(since, "since"),
        until=optional_datetime(until, "until"),
    )


QueryText = Query(..., alias="q", max_length=1000, description="the search (see docs/search.md)")


@router.get("/api/search", response_model=SearchPage, tags=["read"])
def api_search(
    request: Request,
    text: str = QueryText,
    filters: q.SearchFilter = Depends(search_filters),
    win: Window = Depends(window),
    store: Store = Depends(get_store),
) -> dict[str, object]:
    """Every sentence and title ever published that matches, newest first: the versions
    that carried it, whether the latest still does, and the diffs where it appeared and
    vanished. Words must all match; "a phrase", OR, -word and prefix* work."""
    parsed = parse(text)
    found = search_index.search(store, parsed, filters, limit=win.limit, offset=win.offset)
    items = [rowjson.search_hit_json(h, parsed) for h in found.items]
    return win.page(request, items, found.total)


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
def search_page(
    request: Request,
    text: str = Query("", alias="q", max_length=1000),
    filters: q.SearchFilter = Depends(search_filters),
    page: int = Query(1, ge=1, le=PAGE_MAX),
    web: WebState = Depends(get_state),
) -> HTMLResponse:
    size = web.web.page_size
    params: dict[str, Any] = dict(request.query_params)
    hits: list[dict[str, Any]] = []
    total = 0
    if text.strip():
        parsed = parse(text)
        found = search_index.search(
            web.store, parsed, filters, limit=size, offset=(page - 1) * size
        )
        hits = [_hit_view(h, parsed) for h in found.items]
        total = found.total
    return render(
        request,
        "search.html",
        text=text,
        hits=hits,
        total=total,
        params=params,
        labels=request.query_params.getlist("label"),
        page=page,
        pages=max(1, -(-total // size)),
    )


def _hit_view(h: q.SentenceHit, parsed: SearchQuery) -> dict[str, Any]:
    base = f"/stories/{h.story_id}"
    appeared = (
        f"{base}/diff/{h.first_version - 1}/{h.first_version}"
        if h.first_version > 1
        else f"{base}/versions/1"
    )
    vanished = None
    if h.removed_version is not None:
        vanished = f"{base}/diff/{h.removed_version - 1}/{h.removed_version}"
    return {"hit": h, "pieces": highlight(h.text, parsed), "appeared": appeared,
            "vanished": vanished}  # fmt: skip


@router.get("/search.{fmt}", include_in_schema=False)
def search_download(
    fmt: Literal["csv", "jsonl"],
    text: str = QueryText,
    filters: q.SearchFilter = Depends(search_filters),
    store: Store = Depends(get_store),
) -> Response:
    """The results as a file (at most DOWNLOAD_MAX rows, newest first)."""
    parsed = parse(text)
    found = search_index.search(store, parsed, filters, limit=DOWNLOAD_MAX, with_total=False)
    rows = (rowjson.search_hit_json(h, parsed) for h in found.items)
    buf = io.BytesIO()
    if fmt == "csv":  # the export's writers: the same cells as `tracker export`
        write_csv(rows, rowjson.SEARCH_FIELDS, buf, lambda: None)
    else:
        write_jsonl(rows, buf, lambda: None)
    media = "text/csv" if fmt == "csv" else "application/x-ndjson"
    headers = {"Content-Disposition": f'attachment; filename="search.{fmt}"'}
    return Response(buf.getvalue(), media_type=f"{media}; charset=utf-8", headers=headers)
