"""Exports for research: JSONL and CSV of stories, versions (with text) and changes; WARC of
the raw snapshots.

Everything streams: rows are read in batches (each batch one read of the store) and each
row is written before the next batch is read, so memory stays flat however large the
database.

- JSONL: one JSON object per line, the rows of :mod:`tracker.rowjson` (the same names as
  ``--json`` and the API), times in ISO 8601 (UTC). Versions carry their ``headers`` and
  ``text``, changes their ``report``.
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

from tracker import __version__, rowjson
from tracker.datasets import SENTENCE_OP_FIELDS
from tracker.errors import UsageError
from tracker.store import Store
from tracker.store import queries as q

FORMATS = ("jsonl", "csv", "warc", "sqlite")
KINDS = ("stories", "versions", "changes", "sentences")
BATCH = 500
# Versions read at once with their text, or with their snapshot (~100 KB a page): fewer, so
# memory stays small; enough that each read's fixed cost does not show.
TEXT_BATCH = 100
RAW_BATCH = 25
FIELDS: dict[str, tuple[str, ...]] = {
    "stories": rowjson.STORY_FIELDS,
    "versions": rowjson.VERSION_DETAIL_FIELDS,
    "changes": rowjson.CHANGE_DETAIL_FIELDS,
    "sentences": SENTENCE_OP_FIELDS,
}
# Stored bodies are decoded; these headers would describe bytes the WARC does not hold.
_DROP = {"content-encoding", "transfer-encoding", "content-length"}


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportSpec:
    """What to export. ``story_id`` and ``label`` select stories; ``since``/``until`` apply
    to a story's creation time, a version's first-seen time, and a change's time; ``until``
    is exclusive."""

    fmt: str
    what: str
    label: str | None = None
    story_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None

    def check(self) -> None:
        if self.fmt not in FORMATS:
            raise UsageError(f"unknown format {self.fmt!r} (choose from {', '.join(FORMATS)})")
        if self.what not in KINDS:
            raise UsageError(f"unknown --what {self.what!r} (choose from {', '.join(KINDS)})")
        if self.fmt == "warc" and self.what != "versions":
            raise UsageError("a WARC holds raw snapshots: use --what versions with --format warc")
        if self.what == "sentences" and self.fmt not in ("jsonl", "csv"):
            raise UsageError("--what sentences is written as jsonl or csv")


def _in_window(at: datetime, spec: ExportSpec) -> bool:
    return (spec.since is None or at >= spec.since) and (spec.until is None or at < spec.until)


# ---------------------------------------------------------------- selection


def _stories(store: Store, spec: ExportSpec) -> Iterator[q.StoryInfo]:
    """The stories the spec selects, in id order, one batch per read."""
    if spec.story_id is not None:
        yield store.read(q.story_by_id, spec.story_id)
        return
    offset = 0
    while rows := store.read(
        q.list_stories, label=spec.label, order="id", limit=BATCH, offset=offset
    ):
        yield from rows
        offset += len(rows)


def _story_ids(store: Store, spec: ExportSpec) -> list[int] | None:
    """The stories a filter selects; None = all stories."""
    if spec.story_id is None and not spec.label:
        return None
    return [s.id for s in _stories(store, spec)]


def _versions(
    store: Store, spec: ExportSpec, *, text: bool = False, raw: bool = False
) -> Iterator[q.StoryVersion]:
    """The versions the spec selects, in id order, one batch per read."""
    ids, after = _story_ids(store, spec), 0
    while batch := store.read(
        q.version_batch,
        after_id=after,
        story_ids=ids,
        since=spec.since,
        until=spec.until,
        limit=RAW_BATCH if raw else TEXT_BATCH if text else BATCH,
        text=text,
        raw=raw,
    ):
        yield from batch
        after = batch[-1].version.id


def _changes(store: Store, spec: ExportSpec) -> Iterator[q.ChangeInfo]:
    """The changes in the window, oldest first, one batch per read."""
    # queries.changes keeps only changes strictly after ``since``; step back a hair so a
    # change exactly at ``since`` is included, as for versions.
    since = spec.since - timedelta(microseconds=1) if spec.since else None
    offset = 0
    while batch := store.read(
        q.changes,
        story_id=spec.story_id,
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
                yield c
        offset += len(batch)


def estimate(store: Store, spec: ExportSpec) -> int | None:
    """How many items the export will write, when cheap to know (for the progress bar)."""
    if spec.since or spec.until or spec.what in ("changes", "sentences"):
        return None
    if spec.what == "stories":
        if spec.story_id is not None:
            return 1
        return store.read(q.count_matching_stories, label=spec.label)
    return sum(s.version_count for s in _stories(store, spec))


# ---------------------------------------------------------------- rows


def rows(store: Store, spec: ExportSpec) -> Iterator[dict[str, Any]]:
    """The export's rows as dicts, in id (stories, versions) or time (changes) order."""
    if spec.what == "stories":
        for s in _stories(store, spec):
            if _in_window(s.created_at, spec):
                yield rowjson.story_json(s)
    elif spec.what == "versions":
        for sv in _versions(store, spec, text=True):
            yield rowjson.version_detail_json(sv.version, sv.url, sv.text or "")
    elif spec.what == "sentences":
        from tracker.datasets import sentence_rows

        yield from sentence_rows(store, _stories(store, spec), spec.since, spec.until)
    else:
        for c in _changes(store, spec):
            yield rowjson.change_detail_json(c)


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
    items: Iterator[dict[str, Any]],
    fields: tuple[str, ...],
    out: IO[bytes],
    tick: Callable[[], None],
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
    store: Store, spec: ExportSpec, out: IO[bytes], tick: Callable[[], None], *, gzip: bool
) -> int:
    from warcio.warcwriter import WARCWriter

    writer = WARCWriter(out, gzip=gzip, warc_version="1.1")
    info = {
        "software": f"tracker {__version__}",
        "format": "WARC File Format 1.1",
        "description": "Raw snapshots of tracked news stories, one response per version",
    }
    writer.write_record(writer.create_warcinfo_record("", info))
    n = 0
    for sv in _versions(store, spec, raw=True):
        if sv.raw is not None and sv.version.raw_sha256:  # unpublished: nothing was served
            _write_version_records(writer, sv, sv.raw, sv.version.raw_sha256)
            n += 1
        tick()
    return n


def _write_version_records(writer: Any, sv: q.StoryVersion, data: bytes, sha: str) -> None:
    """A ``response`` record of the bytes as served and a ``metadata`` record of the row."""
    v = sv.version
    target = v.final_url or sv.url
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
    row = {**rowjson.version_json(v, sv.url), "headers": v.headers}
    meta = json.dumps(row, ensure_ascii=False).encode("utf-8")
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


def export(
    store: Store,
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
    if spec.fmt == "sqlite":
        raise UsageError("--format sqlite writes a file, not a stream: use export_sqlite")
    if spec.fmt == "warc":
        return write_warc(store, spec, out, tick, gzip=gzip)
    items = rows(store, spec)
    if spec.fmt == "jsonl":
        return write_jsonl(items, out, tick)
    return write_csv(items, FIELDS[spec.what], out, tick)


def export_sqlite(store: Store, spec: ExportSpec, path: str) -> int:
    """The flat SQLite archive of the selection (``tracker.datasets``); the story count."""
    from tracker.datasets import ArchiveRows
    from tracker.datasets import export_sqlite as write_archive

    spec.check()
    selected = ArchiveRows(
        stories=_stories(store, spec),
        versions=_versions(store, spec, text=True),
        changes=_changes(store, spec),
    )
    return write_archive(store, selected, path)
