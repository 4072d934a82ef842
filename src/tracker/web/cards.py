"""The diff card over the web: ``/stories/{id}/diff/{a}/{b}.png``, and the absolute URL that
diff pages put in their ``og:image`` / ``twitter:image`` tags.

Drawing a card costs tens of milliseconds of CPU; versions never change once written, so the
image is cacheable for long, and the last few cards are kept in memory.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from tracker.errors import UsageError
from tracker.store import queries as q
from tracker.web.params import StoryId, VersionNumber
from tracker.web.security import require_read
from tracker.web.state import WebState, get_state

router = APIRouter(dependencies=[Depends(require_read)], include_in_schema=False)
CACHED_CARDS = 32
Key = tuple[int, str, int, int, int]
_lock = Lock()


def card_url(request: Request, web: WebState, story_id: int, a: int, b: int) -> str:
    """Absolute URL of a diff's card: from ``[web] base_url`` when set, else this request."""
    base = web.web.base_url.rstrip("/") or str(request.base_url).rstrip("/")
    return f"{base}/stories/{story_id}/diff/{a}/{b}.png"


def _cache(request: Request) -> OrderedDict[Key, bytes]:
    """The app's own cache (one per app, so two apps in a process never share cards)."""
    state: Any = request.app.state
    with _lock:
        if not hasattr(state, "card_cache"):
            state.card_cache = OrderedDict()
        cache: OrderedDict[Key, bytes] = state.card_cache
    return cache


def _cached(cache: OrderedDict[Key, bytes], key: Key) -> bytes | None:
    with _lock:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    return None


def _keep(cache: OrderedDict[Key, bytes], key: Key, png: bytes) -> None:
    with _lock:
        cache[key] = png
        while len(cache) > CACHED_CARDS:
            cache.popitem(last=False)


@router.get("/stories/{story_id}/diff/{a}/{b}.png")
def diff_card(
    request: Request,
    story_id: StoryId,
    a: VersionNumber,
    b: VersionNumber,
    width: int = Query(1200, ge=400, le=1200),
    web: WebState = Depends(get_state),
) -> Response:
    """The change from version a to b as a PNG card (see docs/cards.md)."""
    from tracker.cards import render_card

    head = web.store.read(q.story_head, story_id)
    if a == b:
        raise UsageError("pick two different versions to compare")
    # The URL too: a purged story's id may come back for another story.
    cache, key = _cache(request), (story_id, head.story.url, a, b, width)
    png = _cached(cache, key)
    if png is None:
        result = web.tracker.diff(head.story.url, a, b)
        png = render_card(result.report, result.meta, width).png
        _keep(cache, key, png)
    headers = {"Cache-Control": "public, max-age=86400"}
    return Response(png, media_type="image/png", headers=headers)
