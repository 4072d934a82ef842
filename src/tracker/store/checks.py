"""Recording one check: every row it writes, in the caller's transaction, from typed records.

``record_check`` is the only writer of a check's results: the check row, the raw snapshot,
the version, the change, its outbox rows, the story's events and the story row itself
(schedule, lifecycle, validators, lease). The check stage decides *what* to write (a
``CheckRecord``); this module only writes it.

Optimistic concurrency: a record carries the latest content hash its verdict was judged
against (``based_on``). If another worker wrote a version meanwhile, ``record_check`` raises
``StaleCheck`` before writing anything, and the caller judges again on fresh facts, so two
workers can never write the same version twice.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, TypedDict

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from tracker.errors import NotFound, TrackerError
from tracker.records import Article
from tracker.sentence_keys import VersionSentences
from tracker.store import history, reports, sentences, stories
from tracker.store.archive import enqueue_archive
from tracker.store.models import Check, Story, Version, table_of
from tracker.store.outbox import OutboxTarget, enqueue


class StaleCheck(TrackerError):
    """Another worker wrote a version since this check was judged: judge it again."""


@dataclass(frozen=True, slots=True)
class CheckRow:
    """The ``check`` row: what happened on the wire and what it came to."""

    outcome: str
    worker: str | None
    status_code: int | None = None
    size: int | None = None
    duration_ms: float | None = None
    raw_sha256: str | None = None
    error_kind: str | None = None
    error: str | None = None
    attempts: int | None = None  # HTTP requests made, retries and confirmations included


@dataclass(frozen=True, slots=True)
class NewVersion:
    """A version to append; ``body`` (the raw page) is None for a tombstone."""

    article: Article
    content_sha256: str
    body: bytes | None
    final_url: str | None
    status_code: int | None
    headers: dict[str, str] | None
    fetched_at: datetime | None
    unpublished: bool = False
    archive: bool = False  # submit it to the [archive] endpoint (an archive_job row)
    rendered_body: bytes | None = None  # the rendered DOM the text came from (issue 15)
    keyed: VersionSentences | None = None  # the article's index keys, made in the worker
    body_sha256: str | None = None  # SHA-256 of ``body``, when the check has it already
    keyframe: bytes | None = None  # ``body`` compressed as a keyframe, made in the worker


@dataclass(frozen=True, slots=True)
class NewChange:
    """The change from version ``from_number`` to the new version, with its stored report."""

    from_number: int
    change_class: str
    summary: str
    report: dict[str, Any]
    revert_of: int | None = None
    outbox: tuple[OutboxTarget, ...] = ()


@dataclass(frozen=True, slots=True)
class StoryUpdate:
    """What a check changes on its story row. ``None`` leaves a column as it is."""

    checked_at: datetime
    state: str
    interval_s: float
    next_check_at: datetime
    consecutive_failures: int
    consecutive_gone: int | None = None
    settled_at: datetime | None = None  # set when the story settles
    unsettle: bool = False  # back to developing: settled_at cleared
    # Validators, written after every response (None clears them: the page sent none).
    validators: tuple[str | None, str | None] | None = None
    last_raw_sha256: str | None = None
    last_fingerprint: str | None = None  # None leaves it, "" clears it (pre-check skipped)
    forget_page: bool = False  # unpublished: raw hash, fingerprint and validators cleared
    developing_marker: bool | None = None
    # A suspect change awaiting confirmation: its hash is kept; None leaves it, "" clears it.
    pending_sha256: str | None = None
    release_lease: bool = False


@dataclass(frozen=True, slots=True)
class CheckRecord:
    """Everything one check writes, decided before the transaction opens."""

    story_id: int
    at: datetime
    check: CheckRow
    story: StoryUpdate
    version: NewVersion | None = None
    change: NewChange | None = None
    touch_latest: bool = False  # unchanged: the latest version was seen again
    events: tuple[tuple[str, str | None], ...] = ()  # (kind, detail), in order
    guarded: bool = False  # verify ``based_on`` before writing
    based_on: str | None = None
    # the latest version's id as the check read it (under its lease nobody adds one), so a
    # batch of plain checks need not look it up again; None: look it up
    latest_version_id: int | None = None


_VERSION = table_of(Version)
_NEWEST = (
    select(_VERSION.c.id, _VERSION.c.number, _VERSION.c.content_sha256)
    .where(_VERSION.c.story_id == bindparam("sid"))
    .order_by(_VERSION.c.number.desc())
    .limit(1)
)
_VERSION_ID = select(_VERSION.c.id).where(
    _VERSION.c.story_id == bindparam("sid"), _VERSION.c.number == bindparam("number")
)


def record_checks(session: Session, records: Sequence[CheckRecord]) -> list[int | None]:
    """Record several checks in one transaction; the written version numbers, in order.

    The plain ones (no version, no event, nothing to verify: most of a bulk pass) are
    written together, a few statements for the lot; the others one by one."""
    plain = [i for i, r in enumerate(records) if _plain(r)]
    if len(plain) < 2:
        return [record_check(session, r) for r in records]
    _record_plain(session, [records[i] for i in plain])
    skip = set(plain)
    return [None if i in skip else record_check(session, r) for i, r in enumerate(records)]


def record_check(session: Session, rec: CheckRecord) -> int | None:
    """Write one check; returns the number of the version it wrote, if any."""
    # one read of the newest version serves the guard, the new number and the change's base
    newest = None
    if rec.guarded or rec.version is not None:
        row = session.execute(_NEWEST, {"sid": rec.story_id}).first()
        newest = _Newest(*row) if row else None
    if rec.guarded and (newest.content_sha256 if newest else None) != rec.based_on:
        raise StaleCheck(f"story {rec.story_id} has a newer version than this check saw")
    number: int | None = None
    version_id: int | None = None
    if rec.version is not None:
        version_id, number = _write_version(session, rec, rec.version, newest)
    elif rec.touch_latest:  # its sighting goes on the story row (_story_values)
        version_id = history.newest_version_id(session, rec.story_id)
    for kind, detail in rec.events:
        stories.add_event(session, rec.story_id, rec.at, kind, detail)
    history.add_check(session, **_check_fields(rec, version_id))
    values = _story_values(rec, number)
    session.execute(_by_id(Story, tuple(sorted(values))), _keyed({"id": rec.story_id, **values}))
    return number


class _Newest(NamedTuple):
    """The story's newest version as the write found it."""

    id: int
    number: int
    content_sha256: str


def _write_version(
    session: Session, rec: CheckRecord, v: NewVersion, newest: _Newest | None
) -> tuple[int, int]:
    history.fold_latest_sighting(session, rec.story_id)  # _story_values clears it
    snapshot_id = None
    if v.body is not None:
        snapshot_id, _ = history.store_snapshot(
            session, rec.story_id, v.body, sha=v.body_sha256, keyframe=v.keyframe
        )
    rendered_id = None
    if v.rendered_body is not None:  # beside the static response, hashed and delta-coded too
        rendered_id, _ = history.store_snapshot(session, rec.story_id, v.rendered_body)
    version_id, number = history.add_version(
        session,
        story_id=rec.story_id,
        article=v.article,
        content_sha256=v.content_sha256,
        now=rec.at,
        snapshot_id=snapshot_id,
        final_url=v.final_url,
        status_code=v.status_code,
        headers=v.headers,
        fetched_at=v.fetched_at,
        unpublished=v.unpublished,
        rendered_snapshot_id=rendered_id,
        previous=newest.number if newest else 0,
    )
    if v.archive and not v.unpublished:
        enqueue_archive(session, version_id, rec.at)
    # The sentence index moves in the same transaction (only what the edit touched).
    sentences.index_version(
        session, rec.story_id, number, v.article, unpublished=v.unpublished, keyed=v.keyed
    )
    ch = rec.change
    if ch is not None:
        change_id = history.add_change(
            session,
            story_id=rec.story_id,
            from_version_id=(
                newest.id
                if newest and newest.number == ch.from_number
                else _version_id(session, rec.story_id, ch.from_number)
            ),
            to_version_id=version_id,
            at=rec.at,
            change_class=ch.change_class,
            summary=ch.summary,
            report=reports.slim(ch.report, ch.summary, ch.change_class),
            revert_of=ch.revert_of,
        )
        enqueue(session, change_id, ch.outbox, rec.at)
    return version_id, number


def _version_id(session: Session, story_id: int, number: int) -> int:
    """The id of a story's version (the row itself, text and all, is not needed)."""
    vid = session.scalar(_VERSION_ID, {"sid": story_id, "number": number})
    if vid is None:
        raise NotFound(f"story {story_id} has no version {number}")
    return int(vid)


def _story_values(rec: CheckRecord, version_number: int | None) -> dict[str, object]:
    u = rec.story
    values: dict[str, object] = {
        "last_checked_at": u.checked_at,
        "state": u.state,
        "interval_s": u.interval_s,
        "next_check_at": u.next_check_at,
        "consecutive_failures": u.consecutive_failures,
    }
    optional = {
        "consecutive_gone": u.consecutive_gone,
        "settled_at": u.settled_at,
        "last_raw_sha256": u.last_raw_sha256,
        "last_fingerprint": u.last_fingerprint,
        "developing_marker": u.developing_marker,
    }
    values.update({k: v for k, v in optional.items() if v is not None})
    if u.pending_sha256 is not None:
        values["pending_sha256"] = u.pending_sha256 or None
    if u.last_fingerprint == "":
        values["last_fingerprint"] = None
    if u.validators is not None:
        values["etag"], values["last_modified"] = u.validators
    if u.unsettle:
        values["settled_at"] = None
    if u.forget_page:
        values.update(last_raw_sha256=None, last_fingerprint=None, etag=None, last_modified=None)
    if u.release_lease:
        values.update(lease_owner=None, lease_until=None)
    if rec.touch_latest:
        # The newest version seen again: on this row, not on the version's (a second row on
        # another page in every check's transaction); see history.fold_latest_sighting.
        values["latest_seen_at"] = rec.at
    if version_number is not None:
        values.update(version_count=version_number, last_changed_at=rec.at, latest_seen_at=None)
        if rec.version is not None and not rec.version.unpublished:
            article = rec.version.article
            values["title"] = article.title or None
            if article.canonical_url:
                values["canonical_url"] = article.canonical_url[:2048]
        if rec.change is not None:
            values["last_change_class"] = rec.change.change_class
    return values


def _plain(rec: CheckRecord) -> bool:
    return rec.version is None and not rec.events and not rec.guarded


def _record_plain(session: Session, records: Sequence[CheckRecord]) -> None:
    """What ``record_check`` writes for plain checks, as one statement per table (executemany):
    the latest versions seen again, the check rows, the story rows (grouped by the columns
    they set)."""
    latest = {r.story_id: r.latest_version_id for r in records if r.latest_version_id}
    touched = [r.story_id for r in records if r.touch_latest and r.story_id not in latest]
    if touched:
        latest.update(_latest_version_ids(session, touched))
    rows = []
    for r in records:
        vid = latest.get(r.story_id) if r.touch_latest else None
        rows.append(_check_values(r, vid))
    # Core statements on the tables, not ORM bulk ones: the same rows and SQL, without the
    # ORM's per-row bookkeeping (a third of a 304 pass's write time).
    session.execute(insert(table_of(Check)), rows)
    groups: dict[tuple[str, ...], list[dict[str, object]]] = {}
    for r in records:
        values = _story_values(r, None)
        groups.setdefault(tuple(sorted(values)), []).append({"id": r.story_id, **values})
    for columns, group in groups.items():
        session.execute(_by_id(Story, columns), [_keyed(v) for v in group])


@functools.lru_cache(maxsize=64)
def _by_id(model: Any, columns: tuple[str, ...]) -> Any:
    """``UPDATE table SET col = :col, ... WHERE id = :_id``, built once per set of columns
    (a Core statement with bound parameters: a third of the ORM's ``update()`` per row)."""
    table = table_of(model)
    return (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({c: bindparam(c) for c in columns})
    )


def _keyed(values: dict[str, object]) -> dict[str, object]:
    return {("_id" if k == "id" else k): v for k, v in values.items()}


class _CheckFields(TypedDict):
    """What ``history.add_check`` / ``check_values`` take for one check."""

    story_id: int
    at: datetime
    outcome: str
    status_code: int | None
    size: int | None
    duration_ms: float | None
    error_kind: str | None
    error: str | None
    raw_sha256: str | None
    version_id: int | None
    worker: str | None
    attempts: int | None


def _check_fields(rec: CheckRecord, version_id: int | None) -> _CheckFields:
    c = rec.check
    return _CheckFields(
        story_id=rec.story_id,
        at=rec.at,
        outcome=c.outcome,
        status_code=c.status_code,
        size=c.size,
        duration_ms=c.duration_ms,
        error_kind=c.error_kind,
        error=c.error,
        raw_sha256=c.raw_sha256,
        version_id=version_id,
        worker=c.worker,
        attempts=c.attempts,
    )


def _check_values(rec: CheckRecord, version_id: int | None) -> dict[str, object]:
    return history.check_values(**_check_fields(rec, version_id))


def _latest_version_ids(session: Session, story_ids: list[int]) -> dict[int, int]:
    newest = (
        select(Version.story_id, func.max(Version.number).label("n"))
        .where(Version.story_id.in_(story_ids))
        .group_by(Version.story_id)
        .subquery()
    )
    rows = session.execute(
        select(Version.story_id, Version.id).join(
            newest, (Version.story_id == newest.c.story_id) & (Version.number == newest.c.n)
        )
    )
    return {sid: vid for sid, vid in rows}
