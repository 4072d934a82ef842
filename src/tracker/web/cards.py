"""The diff card over the web: ``/stories/{id}/diff/{a}/{b}.png``, and the absolute URL that
diff pages put in their ``og:image`` / ``twitter:image`` tags.

Drawing a card costs tens of milliseconds of CPU; versions never change once written, so the
image is cacheable for long, and the last few cards are kept in memory.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from tracker.errors import UsageError
from tracker.store import queries as q
from tracker.web.params import StoryId, VersionNumber
from tracker.web.security import require_read
from tracker.web.state import WebState, get_state

router = APIRouter(dependencies=[Depends(require_read)], include_in_schema=False)
CACHED_CARDS = 32
_cache: OrderedDict[tuple[int, int, int, int], bytes] = OrderedDict()
_lock = Lock()


def card_url(request: Request, web: WebState, story_id: int, a: int, b: int) -> str:
    """Absolute URL of a diff's card: from ``[web] base_url`` when set, else this request."""
    base = web.web.base_url.rstrip("/") or str(request.base_url).rstrip("/")
    return f"{base}/stories/{story_id}/diff/{a}/{b}.png"


def _cached(key: tuple[int, int, int, int]) -> bytes | None:
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    return None


def _keep(key: tuple[int, int, int, int], png: bytes) -> None:
    with _lock:
        _cache[key] = png
        while len(_cache) > CACHED_CARDS:
            _cache.popitem(last=False)


@router.get("/stories/{story_id}/diff/{a}/{b}.png")
def diff_card(
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
    key = (story_id, a, b, width)
    png = _cached(key)
    if png is None:
        result = web.tracker.diff(head.story.url, a, b)
        png = render_card(result.report, result.meta, width).png
        _keep(key, png)
    headers = {"Cache-Control": "public, max-age=86400"}
    return Response(png, media_type="image/png", headers=headers)
