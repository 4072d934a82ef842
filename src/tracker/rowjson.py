"""One JSON shape per row: a story, a version, a change or a check reads the same everywhere.

``tracker list --json``, ``tracker history --json``, the JSON API and the JSONL/CSV exports
all print these dicts, so a researcher can join them on the field names. Each fact has one
name; the names of the CLI contract win (``version``, ``first_seen``, ``last_seen``,
``title``, ``sha256``). Where the API or the exports used another name before, the old
name stays as an alias with the same value (``ALIASES``), deprecated, present in every
output until it is removed.

Times are ISO 8601 in UTC (``2026-11-28T06:00:00+00:00``); null stays null. Some rows
carry extra fields only where they are asked for: a version's ``headers`` and ``text`` (the
API's version detail, the exports), a change's ``report`` (the exports).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tracker.timeparse import format_duration

if TYPE_CHECKING:
    from tracker.records import CheckOutcome
    from tracker.searchquery import Query
    from tracker.store.people import AuditRow, UserRow
    from tracker.store.rows import ChangeInfo, CheckInfo, StoryInfo, VersionInfo
    from tracker.store.sentences import SentenceHit

Row = dict[str, Any]

STORY_FIELDS: tuple[str, ...] = (
    "id", "url", "canonical_url", "title", "state", "paused", "labels", "versions", "interval",
    "interval_seconds", "max_interval", "fixed", "created_at", "last_checked_at",
    "last_changed_at", "last_change_class", "next_check_at", "until", "origin", "failures",
)  # fmt: skip
VERSION_FIELDS: tuple[str, ...] = (
    "story_id", "url", "version", "first_seen", "last_seen", "fetched_at", "title", "byline",
    "published", "modified", "extractor", "developing", "unpublished", "status_code",
    "final_url", "content_sha256", "sha256", "chars", "class", "summary", "number",
    "raw_sha256", "archive_url", "archived_at", "language", "rendered",
)  # fmt: skip
VERSION_DETAIL_FIELDS: tuple[str, ...] = (*VERSION_FIELDS, "headers", "text")
CHANGE_FIELDS: tuple[str, ...] = (
    "id", "story_id", "url", "title", "from", "to", "at", "class", "summary", "revert_of",
    "diff_url",
)  # fmt: skip
CHANGE_DETAIL_FIELDS: tuple[str, ...] = (*CHANGE_FIELDS, "report")
CHECK_FIELDS: tuple[str, ...] = (
    "id", "story_id", "at", "outcome", "status_code", "bytes", "duration_ms", "attempts",
    "error_kind", "error", "sha256", "raw_sha256",
)  # fmt: skip

# Deprecated alias -> the field it repeats, per row kind.
ALIASES: dict[str, dict[str, str]] = {
    "story": {},
    "version": {"number": "version", "raw_sha256": "sha256"},
    "change": {},
    "check": {"raw_sha256": "sha256"},
}


def iso(value: datetime | None) -> str | None:
    """A time as ISO 8601 in UTC; None stays None."""
    return value.astimezone(UTC).isoformat() if value else None


def event_json(at: datetime, kind: str, detail: str | None) -> Row:
    """One lifecycle event of a story (added, paused, settled, unpublished...)."""
    return {"at": iso(at), "kind": kind, "detail": detail}


def story_json(s: StoryInfo) -> Row:
    return {
        "id": s.id,
        "url": s.url,
        "canonical_url": s.canonical_url,
        "title": s.title,
        "state": s.display_state,
        "paused": s.paused,
        "labels": list(s.labels),
        "versions": s.version_count,
        "interval": format_duration(s.interval_s),
        "interval_seconds": s.interval_s,
        "max_interval": s.max_interval_s,
        "fixed": s.fixed,
        "created_at": iso(s.created_at),
        "last_checked_at": iso(s.last_checked_at),
        "last_changed_at": iso(s.last_changed_at),
        "last_change_class": s.last_change_class,
        "next_check_at": iso(s.next_check_at),
        "until": iso(s.until),
        "origin": s.origin,
        "failures": s.consecutive_failures,
    }


def version_json(v: VersionInfo, url: str) -> Row:
    """A version's metadata; ``url`` is its story's URL (what was tracked)."""
    return {
        "story_id": v.story_id,
        "url": url,
        "version": v.number,
        "first_seen": iso(v.first_seen),
        "last_seen": iso(v.last_seen),
        "fetched_at": iso(v.fetched_at),
        "title": v.title,
        "byline": v.byline,
        "published": v.published,
        "modified": v.modified,
        "extractor": v.extractor,
        "developing": v.developing,
        "unpublished": v.unpublished,
        "status_code": v.status_code,
        "final_url": v.final_url,
        "content_sha256": v.content_sha256,
        "sha256": v.raw_sha256,
        "chars": v.text_chars,
        "class": v.change_class,
        "summary": v.summary,
        "number": v.number,
        "raw_sha256": v.raw_sha256,
        "archive_url": v.archive_url,
        "archived_at": iso(v.archived_at),
        "language": v.language,
        "rendered": v.rendered,
    }


def version_detail_json(v: VersionInfo, url: str, text: str) -> Row:
    """A version with the response headers kept at fetch time and its article text."""
    return {**version_json(v, url), "headers": v.headers, "text": text}


def change_json(c: ChangeInfo) -> Row:
    first = c.from_version if c.from_version is not None else c.to_version
    return {
        "id": c.id,
        "story_id": c.story_id,
        "url": c.url,
        "title": c.title,
        "from": c.from_version,
        "to": c.to_version,
        "at": iso(c.at),
        "class": c.change_class,
        "summary": c.summary,
        "revert_of": c.revert_of,
        "diff_url": f"/api/stories/{c.story_id}/diff?from={first}&to={c.to_version}",
    }


def change_detail_json(c: ChangeInfo) -> Row:
    """A change with its stored report (what changed, sentence by sentence)."""
    return {**change_json(c), "report": c.report}


def check_json(c: CheckInfo) -> Row:
    return {
        "id": c.id,
        "story_id": c.story_id,
        "at": iso(c.at),
        "outcome": c.outcome,
        "status_code": c.status_code,
        "bytes": c.bytes,
        "duration_ms": c.duration_ms,
        "attempts": c.attempts,
        "error_kind": c.error_kind,
        "error": c.error,
        "sha256": c.raw_sha256,
        "raw_sha256": c.raw_sha256,
    }


def outcome_json(o: CheckOutcome) -> Row:
    """What ``tracker check --json`` prints for a check just made (``id`` is the story's)."""
    return {
        "id": o.story_id,
        "url": o.url,
        "outcome": o.outcome,
        "version": o.version,
        "class": o.change_class,
        "summary": o.summary,
        "status_code": o.status_code,
        "error_kind": o.error_kind,
        "error": o.error,
        "duration_ms": round(o.duration_ms, 1),
        "attempts": o.attempts,
        "retry_after": o.retry_after_s,
    }


SEARCH_FIELDS: tuple[str, ...] = (
    "story_id", "url", "title", "text", "first_version", "last_version", "present",
    "removed_at", "snippet", "kind", "appeared_at", "removed_version", "appeared_diff_url",
    "removed_diff_url",
)  # fmt: skip


def search_hit_json(h: SentenceHit, query: Query) -> Row:
    """One search result: a sentence (or title), the versions that carried it, the match
    marked in ``snippet`` (``**word**``), and the diffs where it appeared and vanished."""
    from tracker.searchquery import snippet

    api = f"/api/stories/{h.story_id}/diff"
    appeared = None
    if h.first_version > 1:
        appeared = f"{api}?from={h.first_version - 1}&to={h.first_version}"
    removed = None
    if h.removed_version is not None:
        removed = f"{api}?from={h.removed_version - 1}&to={h.removed_version}"
    return {
        "story_id": h.story_id,
        "url": h.url,
        "title": h.title,
        "text": h.text,
        "first_version": h.first_version,
        "last_version": h.last_version,
        "present": h.present,
        "removed_at": iso(h.removed_at),
        "snippet": snippet(h.text, query),
        "kind": h.kind,
        "appeared_at": iso(h.first_at),
        "removed_version": h.removed_version,
        "appeared_diff_url": appeared,
        "removed_diff_url": removed,
    }


# ---------------------------------------------------------------- the desk (issue 18)


def user_json(u: UserRow) -> Row:
    """A desk account, as ``tracker user list --json`` and the admin API show it."""
    return {
        "id": u.id,
        "name": u.name,
        "display_name": u.display_name,
        "role": u.role,
        "timezone": u.timezone,
        "has_password": u.has_password,
        "created_at": iso(u.created_at),
    }


def audit_json(a: AuditRow) -> Row:
    return {
        "id": a.id,
        "at": iso(a.at),
        "actor": a.actor,
        "action": a.action,
        "target": a.target,
        "detail": a.detail,
    }
