"""Exports for research: JSONL and CSV of stories, versions (with text) and changes; WARC of
the raw snapshots.

Everything streams: versions come from ``queries.iter_versions`` in batches and each row is
written before the next is read, so memory stays flat however large the database.

- JSONL: one JSON object per line, the fields below, times in ISO 8601 (UTC).
- CSV: the same fields as columns; lists and objects (labels, headers, report) are JSON text,
  empty cells are null.
- WARC 1.1 (``--what versions`` only): per version with a snapshot, a ``response`` record
  (the bytes as served, status line and the response headers kept at fetch time,
  ``WARC-Date`` = fetch time, digests computed by warcio) and a ``metadata`` record with
  the version's data. Bodies are stored decoded, so ``Content-Encoding`` is renamed to
  ``X-Tracker-Orig-Content-Encoding`` and ``Content-Length`` set to the stored size.
"""

from __future__ import annotations

import csv
import http
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from sqlalchemy.orm import Session

from tracker import __version__
from tracker.errors import UsageError
from tracker.service import Tracker
from tracker.store import queries as q

FORMATS = ("jsonl", "csv", "warc")
KINDS = ("stories", "versions", "changes")
BATCH = 500
STORY_FIELDS = [
    "id", "url", "canonical_url", "title", "state", "paused", "labels", "versions",
    "interval_seconds", "created_at", "last_checked_at", "last_changed_at", "last_change_class",
    "next_check_at", "until", "origin", "failures",
]  # fmt: skip
VERSION_FIELDS = [
    "story_id", "url", "version", "first_seen", "last_seen", "title", "byline", "published",
    "modified", "extractor", "developing", "unpublished", "status_code", "final_url",
    "fetched_at", "content_sha256", "raw_sha256", "chars", "headers", "text",
]  # fmt: skip
CHANGE_FIELDS = [
    "id", "story_id", "url", "title", "from", "to", "at", "class", "summary", "revert_of",
    "report",
]  # fmt: skip
FIELDS = {"stories": STORY_FIELDS, "versions": VERSION_FIELDS, "changes": CHANGE_FIELDS}
# Stored bodies are decoded; these headers would describe bytes the WARC does not hold.
_DROP = {"content-encoding", "transfer-encoding", "content-length"}


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportSpec:
    """What to export. ``since``/``until`` apply to a story's creation time, a version's
    first-seen time, and a change's time; ``until`` is exclusive."""

    fmt: str
    what: str
    label: str | None = None
    story_url: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def check(self) -> None:
        if self.fmt not in FORMATS:
            raise UsageError(f"unknown format {self.fmt!r} (choose from {', '.join(FORMATS)})")
        if self.what not in KINDS:
            raise UsageError(f"unknown --what {self.what!r} (choose from {', '.join(KINDS)})")
        if self.fmt == "warc" and self.what != "versions":
            raise UsageError("a WARC holds raw snapshots: use --what versions with --format warc")


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _in_window(at: datetime, spec: ExportSpec) -> bool:
    return (spec.since is None or at >= spec.since) and (spec.until is None or at < spec.until)


# ---------------------------------------------------------------- selection


def _story_ids(tracker: Tracker, session: Session, spec: ExportSpec) -> list[int] | None:
    """The stories a filter selects; None = all stories."""
    if spec.story_url:
        return [tracker.story(spec.story_url).id]
    if spec.label:
        return [s.id for s in q.list_stories(session, label=spec.label, order="id")]
    return None


def _stories(session: Session, ids: list[int] | None, spec: ExportSpec) -> Iterator[q.StoryInfo]:
    if ids is not None:
        for sid in ids:
            yield q.story_by_id(session, sid)
        return
    offset = 0
    while rows := q.list_stories(session, order="id", limit=BATCH, offset=offset):
        yield from rows
        offset += len(rows)
        session.expunge_all()


def estimate(tracker: Tracker, spec: ExportSpec) -> int | None:
    """How many items the export will write, when cheap to know (for the progress bar)."""
    if spec.since or spec.until or spec.what == "changes":
        return None
    with tracker.factory() as session:
        ids = _story_ids(tracker, session, spec)
        if spec.what == "stories":
            return len(ids) if ids is not None else sum(q.count_stories(session).values())
        stories = _stories(session, ids, spec)
        return sum(s.version_count for s in stories)


# ---------------------------------------------------------------- rows


def story_row(s: q.StoryInfo) -> dict[str, Any]:
    return {
        "id": s.id,
        "url": s.url,
        "canonical_url": s.canonical_url,
        "title": s.title,
        "state": s.display_state,
        "paused": s.paused,
        "labels": list(s.labels),
        "versions": s.version_count,
        "interval_seconds": s.interval_s,
        "created_at": _iso(s.created_at),
        "last_checked_at": _iso(s.last_checked_at),
        "last_changed_at": _iso(s.last_changed_at),
        "last_change_class": s.last_change_class,
        "next_check_at": _iso(s.next_check_at),
        "until": _iso(s.until),
        "origin": s.origin,
        "failures": s.consecutive_failures,
    }


def version_row(v: q.VersionInfo, url: str, text: str) -> dict[str, Any]:
    return {
        "story_id": v.story_id,
        "url": url,
        "version": v.number,
        "first_seen": _iso(v.first_seen),
        "last_seen": _iso(v.last_seen),
        "title": v.title,
        "byline": v.byline,
        "published": v.published,
        "modified": v.modified,
        "extractor": v.extractor,
        "developing": v.developing,
        "unpublished": v.unpublished,
        "status_code": v.status_code,
        "final_url": v.final_url,
        "fetched_at": _iso(v.fetched_at),
        "content_sha256": v.content_sha256,
        "raw_sha256": v.raw_sha256,
        "chars": v.text_chars,
        "headers": v.headers,
        "text": text,
    }


def change_row(c: q.ChangeInfo) -> dict[str, Any]:
    return {
        "id": c.id,
        "story_id": c.story_id,
        "url": c.url,
        "title": c.title,
        "from": c.from_version,
        "to": c.to_version,
        "at": _iso(c.at),
        "class": c.change_class,
        "summary": c.summary,
        "revert_of": c.revert_of,
        "report": c.report,
    }


class _Urls:
    """Story id -> URL, looked up once per story (versions carry only the id)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[int, str] = {}

    def __call__(self, story_id: int) -> str:
        if story_id not in self.known:
            self.known[story_id] = q.story_by_id(self.session, story_id).url
        return self.known[story_id]


def _versions(tracker: Tracker, session: Session, spec: ExportSpec) -> Iterator[q.VersionInfo]:
    ids = _story_ids(tracker, session, spec)
    yield from q.iter_versions(
        session, story_ids=ids, since=spec.since, until=spec.until, batch=BATCH
    )


def rows(tracker: Tracker, session: Session, spec: ExportSpec) -> Iterator[dict[str, Any]]:
    """The export's rows as dicts, in id (stories, versions) or time (changes) order."""
    if spec.what == "stories":
        for s in _stories(session, _story_ids(tracker, session, spec), spec):
            if _in_window(s.created_at, spec):
                yield story_row(s)
    elif spec.what == "versions":
        urls = _Urls(session)
        for v in _versions(tracker, session, spec):
            yield version_row(v, urls(v.story_id), q.version_text(session, v.story_id, v.number))
    else:
        yield from _change_rows(tracker, session, spec)


def _change_rows(tracker: Tracker, session: Session, spec: ExportSpec) -> Iterator[dict[str, Any]]:
    story_id = tracker.story(spec.story_url).id if spec.story_url else None
    # queries.changes keeps only changes strictly after ``since``; step back a hair so a
    # change exactly at ``since`` is included, as for versions.
    since = spec.since - timedelta(microseconds=1) if spec.since else None
    offset = 0
    while batch := q.changes(
        session,
        story_id=story_id,
        label=spec.label,
        since=since,
        limit=BATCH,
        offset=offset,
        newest_first=False,
    ):
        for c in batch:
            if spec.until is not None and c.at >= spec.until:
                return
            if _in_window(c.at, spec):
                yield change_row(c)
        offset += len(batch)
        session.expunge_all()


# ---------------------------------------------------------------- writers


def _cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def write_jsonl(items: Iterator[dict[str, Any]], out: IO[bytes], tick: Callable[[], None]) -> int:
    n = 0
    for row in items:
        out.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
        n += 1
        tick()
    return n


def write_csv(
    items: Iterator[dict[str, Any]], fields: list[str], out: IO[bytes], tick: Callable[[], None]
) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        writer = csv.DictWriter(text, fieldnames=fields)
        writer.writeheader()
        n = 0
        for row in items:
            writer.writerow({k: _cell(v) for k, v in row.items()})
            n += 1
            tick()
        text.flush()
        return n
    finally:
        text.detach()  # the caller owns ``out``


def _http_headers(v: q.VersionInfo, size: int) -> Any:
    from warcio.statusandheaders import StatusAndHeaders

    status = v.status_code or 200
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    pairs = []
    for name, value in (v.headers or {}).items():
        if name.lower() == "content-encoding":
            pairs.append(("X-Tracker-Orig-Content-Encoding", value))
        elif name.lower() not in _DROP:
            pairs.append((name, value))
    pairs.append(("Content-Length", str(size)))
    return StatusAndHeaders(f"{status} {reason}", pairs, protocol="HTTP/1.1")


def _warc_date(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write_warc(
    tracker: Tracker,
    session: Session,
    spec: ExportSpec,
    out: IO[bytes],
    tick: Callable[[], None],
    *,
    gzip: bool,
) -> int:
    from warcio.warcwriter import WARCWriter

    writer = WARCWriter(out, gzip=gzip, warc_version="1.1")
    info = {
        "software": f"tracker {__version__}",
        "format": "WARC File Format 1.1",
        "description": "Raw snapshots of tracked news stories, one response per version",
    }
    writer.write_record(writer.create_warcinfo_record("", info))
    urls, n = _Urls(session), 0
    for v in _versions(tracker, session, spec):
        if v.snapshot_id is None:  # an unpublished version: nothing was served to keep
            tick()
            continue
        data, sha = q.snapshot_bytes(session, v.snapshot_id)
        target = v.final_url or urls(v.story_id)
        response = writer.create_warc_record(
            target,
            "response",
            payload=io.BytesIO(data),
            length=len(data),
            http_headers=_http_headers(v, len(data)),
            warc_headers_dict={
                "WARC-Date": _warc_date(v.fetched_at or v.first_seen),
                "WARC-Tracker-Story-Id": str(v.story_id),
                "WARC-Tracker-Version": str(v.number),
                "WARC-Tracker-SHA256": sha,
            },
        )
        writer.write_record(response)
        meta = json.dumps(
            {k: val for k, val in version_row(v, urls(v.story_id), "").items() if k != "text"},
            ensure_ascii=False,
        ).encode("utf-8")
        writer.write_record(
            writer.create_warc_record(
                target,
                "metadata",
                payload=io.BytesIO(meta),
                length=len(meta),
                warc_content_type="application/json",
                warc_headers_dict={
                    "WARC-Date": response.rec_headers.get_header("WARC-Date"),
                    "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
                },
            )
        )
        n += 1
        tick()
    return n


def export(
    tracker: Tracker,
    spec: ExportSpec,
    out: IO[bytes],
    *,
    tick: Callable[[], None] = lambda: None,
    gzip: bool = False,
) -> int:
    """Write the export to ``out`` (binary); returns the number of records or rows written.

    ``tick`` is called once per item read (progress); ``gzip`` applies to WARC only.
    """
    spec.check()
    with tracker.factory() as session:
        if spec.fmt == "warc":
            return write_warc(tracker, session, spec, out, tick, gzip=gzip)
        items = rows(tracker, session, spec)
        if spec.fmt == "jsonl":
            return write_jsonl(items, out, tick)
        return write_csv(items, FIELDS[spec.what], out, tick)
