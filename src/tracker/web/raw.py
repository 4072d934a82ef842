"""Raw snapshots leave as downloads or plain text, never as a page a browser would render."""

from __future__ import annotations

from fastapi.responses import Response

from tracker.store import Store
from tracker.store import queries as q


def raw_response(store: Store, story_id: int, number: int, *, as_text: bool) -> Response:
    """The verified snapshot bytes of one version.

    ``as_text``: ``text/plain`` shown inline (to read the source); otherwise an
    ``application/octet-stream`` attachment. Either way ``nosniff`` (set for every response)
    and a ``sandbox`` CSP keep a browser from treating the bytes as HTML.
    """
    raw = store.read(q.raw_snapshot, story_id, number)
    data, sha = raw.data, raw.sha256
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
