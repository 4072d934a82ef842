"""Raw snapshots leave as downloads or plain text, never as a page a browser would render."""

from __future__ import annotations

from fastapi.responses import Response

from tracker.errors import NotFound
from tracker.service import Tracker
from tracker.store import queries as q


def raw_response(tracker: Tracker, story_id: int, number: int, *, as_text: bool) -> Response:
    """The verified snapshot bytes of one version.

    ``as_text``: ``text/plain`` shown inline (to read the source); otherwise an
    ``application/octet-stream`` attachment. Either way ``nosniff`` (set for every response)
    and a ``sandbox`` CSP keep a browser from treating the bytes as HTML.
    """
    with tracker.factory() as session:
        v = q.version(session, story_id, number)
        if v.snapshot_id is None:
            raise NotFound(f"version {number} has no raw snapshot (the story was unpublished)")
        data, sha = q.snapshot_bytes(session, v.snapshot_id)
    headers = {
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "X-Content-Type-Options": "nosniff",
        "X-Snapshot-SHA256": sha,
        "Cache-Control": "private, max-age=86400, immutable",
    }
    if as_text:
        headers["Content-Disposition"] = "inline"
        return Response(data, media_type="text/plain; charset=utf-8", headers=headers)
    name = f"story-{story_id}-v{number}-{sha[:12]}.html"
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(data, media_type="application/octet-stream", headers=headers)
