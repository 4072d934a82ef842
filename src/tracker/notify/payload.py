"""The webhook (and ``command``) JSON payload: one documented shape, built from a change.

A change event (``X-Tracker-Event: change``)::

    {
      "event": "change",                  # "change", "digest" or "test"
      "idempotency_key": "42:newsdesk",   # f"{change_id}:{channel}"; the same on every retry
      "change_id": 42,
      "channel": "newsdesk",
      "sent_at": "2026-11-28T12:00:03+00:00",
      "story": {"id": 7, "url": "https://...", "title": "...", "labels": ["politics"]},
      "from": {"version": 3, "time": "2026-11-28T11:40:00+00:00"},   # null for none
      "to": {"version": 4, "time": "2026-11-28T11:58:00+00:00"},
      "at": "2026-11-28T11:58:00+00:00",  # when the change was found
      "class": "substantive",             # cosmetic | minor | substantive | major
      "summary": "2 sentences updated; numbers changed: 12 -> 15",
      "revert_of": null,                  # a version number when the edit went back to it
      "sentences": [                      # the changed sentences only (no "equal" ones)
        {"op": "update", "old": "...", "new": "...", "old_index": 3, "new_index": 3,
         "paragraph": 1,
         "words": [["equal", "The toll rose to "], ["delete", "12"], ["insert", "15"]]}
      ],                                  # op: update | insert | delete | move
      "facts": {"headline": ["old", "new"], "numbers_changed": [...], ...},
      "stats": {...},                     # as in the change report
      "links": {"story": "https://...", "web": "https://tracker.example/stories/7/diff/3/4"},
      "card": {"url": "https://.../diff/3/4.png", "alt": "...",  # the diff card (messages.py)
               "png_base64": "..."}                              # with embed_card = true
    }

``links.web`` is null unless ``[web] base_url`` is set. A digest (``X-Tracker-Event:
digest``) is ``{"event": "digest", "idempotency_key", "channel", "sent_at", "count",
"changes": [<change payloads without sent_at>]}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from tracker.revision import ChangeReport
from tracker.store.outbox import ChangeDetail


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def stored_report(
    detail: ChangeDetail, web_url: str | None
) -> tuple[ChangeReport | None, dict[str, object]]:
    """The change's stored report (None when this version cannot read it) and the renderers'
    meta: what a message body and a diff card are both drawn from."""
    meta: dict[str, object] = {
        "url": detail.url,
        "from": detail.from_version,
        "to": detail.to_version,
        "from_time": _iso(detail.from_time),
        "to_time": _iso(detail.to_time),
        "web_url": web_url,
    }
    try:
        return ChangeReport.from_json(dict(detail.report)), meta
    except (KeyError, TypeError, ValueError):
        return None, meta


def idempotency_key(change_id: int, channel: str) -> str:
    """Receivers dedup on this: a retry after a crash carries the same key."""
    return f"{change_id}:{channel}"


def web_link(base_url: str, detail: ChangeDetail) -> str | None:
    """The web UI's diff page for this change (the web app's route), when a base URL is set."""
    if not base_url or detail.from_version is None:
        return None
    base = base_url.rstrip("/")
    return f"{base}/stories/{detail.story_id}/diff/{detail.from_version}/{detail.to_version}"


def changed_sentences(report: Mapping[str, object]) -> list[dict[str, object]]:
    """The report's sentence operations minus the unchanged ones."""
    ops = report.get("sentences")
    return [
        dict(op)
        for op in (ops if isinstance(ops, list) else [])
        if isinstance(op, Mapping) and op.get("op") != "equal"
    ]


def change_payload(
    detail: ChangeDetail,
    *,
    channel: str,
    web_base: str = "",
    event: str = "change",
    sent_at: datetime | None = None,
    key: str | None = None,
) -> dict[str, object]:
    report = detail.report
    data: dict[str, object] = {
        "event": event,
        "idempotency_key": key or idempotency_key(detail.change_id, channel),
        "change_id": detail.change_id,
        "channel": channel,
        "sent_at": _iso(sent_at),
        "story": {
            "id": detail.story_id,
            "url": detail.url,
            "title": detail.title,
            "labels": list(detail.labels),
        },
        "from": (
            {"version": detail.from_version, "time": _iso(detail.from_time)}
            if detail.from_version is not None
            else None
        ),
        "to": {"version": detail.to_version, "time": _iso(detail.to_time)},
        "at": _iso(detail.at),
        "class": detail.change_class,
        "summary": detail.summary,
        "revert_of": detail.revert_of,
        "sentences": changed_sentences(report),
        "facts": dict(report.get("facts") or {}),  # type: ignore[call-overload]
        "stats": dict(report.get("stats") or {}),  # type: ignore[call-overload]
        "links": {"story": detail.url, "web": web_link(web_base, detail)},
    }
    if sent_at is None:
        del data["sent_at"]
    return data


def digest_payload(
    details: Sequence[ChangeDetail],
    *,
    channel: str,
    key: str,
    web_base: str = "",
    sent_at: datetime,
) -> dict[str, object]:
    return {
        "event": "digest",
        "idempotency_key": key,
        "channel": channel,
        "sent_at": _iso(sent_at),
        "count": len(details),
        "changes": [change_payload(d, channel=channel, web_base=web_base) for d in details],
    }
