"""Versions, snapshots, changes and checks: a story's recorded history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import zstandard
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Table,
    and_,
    bindparam,
    case,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from tracker.errors import NotFound, TrackerError
from tracker.records import Article
from tracker.store import reports, snapshots
from tracker.store.models import (
    Change,
    Check,
    Snapshot,
    Story,
    StoryLabel,
    Version,
    table_of,
)
from tracker.store.rows import (
    ChangeInfo,
    CheckInfo,
    Listing,
    RawSnapshot,
    StoryHead,
    StoryOverview,
    StoryVersion,
    StoryVersions,
    VersionInfo,
    VersionView,
)
from tracker.store.stories import events, story_by_id

# ---------------------------------------------------------------- versions


# A version's last_seen: for the story's newest version, the later of its own and the story's
# latest_seen_at (where every check that finds it again writes, see store/checks.py).
_LAST_SEEN = case(
    (
        and_(
            Version.number == Story.version_count,
            Story.latest_seen_at > Version.last_seen,  # false while it is null
        ),
        Story.latest_seen_at,
    ),
    else_=Version.last_seen,
)


def _version_info(
    v: Version,
    raw_sha: str | None,
    cls: str | None = None,
    summary: str | None = None,
    *,
    seen: datetime,
) -> VersionInfo:
    return VersionInfo(
        id=v.id,
        story_id=v.story_id,
        number=v.number,
        first_seen=v.first_seen,
        last_seen=seen,
        title=v.title,
        byline=v.byline,
        published=v.published,
        modified=v.modified,
        content_sha256=v.content_sha256,
        raw_sha256=raw_sha,
        extractor=v.extractor,
        unpublished=v.unpublished,
        developing=v.developing,
        final_url=v.final_url,
        status_code=v.status_code,
        headers=v.headers,
        fetched_at=v.fetched_at,
        text_chars=v.text_chars,
        snapshot_id=v.snapshot_id,
        change_class=cls,
        summary=summary,
        archive_url=v.archive_url,
        archived_at=v.archived_at,
        language=v.language,
        rendered=bool(v.rendered),
        rendered_snapshot_id=v.rendered_snapshot_id,
    )


def versions(session: Session, story_id: int) -> list[VersionInfo]:
    q = (
        select(Version, Snapshot.sha256, Change.change_class, Change.summary, _LAST_SEEN)
        .join(Story, Story.id == Version.story_id)
        .outerjoin(Snapshot, Snapshot.id == Version.snapshot_id)
        .outerjoin(Change, Change.to_version_id == Version.id)
        .where(Version.story_id == story_id)
        .order_by(Version.number)
    )
    rows = session.execute(q)
    return [_version_info(v, sha, cls, summ, seen=seen) for v, sha, cls, summ, seen in rows]


def version(session: Session, story_id: int, number: int | None = None) -> VersionInfo:
    q = (
        select(Version, Snapshot.sha256, _LAST_SEEN)
        .join(Story, Story.id == Version.story_id)
        .outerjoin(Snapshot, Snapshot.id == Version.snapshot_id)
        .where(Version.story_id == story_id)
    )
    q = (
        q.where(Version.number == number)
        if number is not None
        else q.order_by(Version.number.desc()).limit(1)
    )
    row = session.execute(q).first()
    if row is None:
        which = f"version {number}" if number is not None else "any version"
        raise NotFound(f"story {story_id} has no {which} yet")
    return _version_info(row[0], row[1], seen=row[2])


def version_text(session: Session, story_id: int, number: int) -> str:
    """Decode a version's text: a keyframe, or a delta against the nearest earlier keyframe."""
    row = session.execute(
        select(Version.text_codec, Version.text_data).where(
            Version.story_id == story_id, Version.number == number
        )
    ).first()
    if row is None:
        raise NotFound(f"story {story_id} has no version {number}")
    try:
        if row.text_codec == snapshots.CODEC_PLAIN:
            return snapshots.decode(row.text_codec, row.text_data).decode("utf-8")
        if row.text_codec == snapshots.CODEC_REF:
            key = _text_keyframe(session, story_id, number)
            if key is None:
                raise TrackerError(f"version {number} of story {story_id}: its keyframe is missing")
            base = snapshots.decode(snapshots.CODEC_PLAIN, key[1])
            return snapshots.decode(row.text_codec, row.text_data, base).decode("utf-8")
        return _version_text_chain(session, story_id, number)
    except (zstandard.ZstdError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        raise TrackerError(f"version {number} of story {story_id}: text is corrupt: {exc}") from exc


def _text_keyframe(session: Session, story_id: int, before: int) -> tuple[int, bytes] | None:
    row = session.execute(_TEXT_KEYFRAME, {"sid": story_id, "before": before}).first()
    return (row.number, row.text_data) if row is not None else None


def _version_text_chain(session: Session, story_id: int, number: int) -> str:
    """Texts written as chains (each a delta against the previous text), cut every 16."""
    rows = session.execute(
        select(Version.number, Version.text_codec, Version.text_data)
        .where(
            Version.story_id == story_id,
            Version.number <= number,
            Version.number > number - snapshots.KEYFRAME_EVERY - 1,
        )
        .order_by(Version.number)
    ).all()
    start = max(
        (i for i, r in enumerate(rows) if r.text_codec == snapshots.CODEC_PLAIN), default=None
    )
    if start is None or rows[-1].number != number:
        raise TrackerError(f"version {number} of story {story_id}: text chain is broken")
    text = b""
    for r in rows[start:]:
        base = text if r.text_codec != snapshots.CODEC_PLAIN else None
        text = snapshots.decode(r.text_codec, r.text_data, base)
    return text.decode("utf-8")


def version_article(session: Session, story_id: int, number: int) -> Article:
    v = version(session, story_id, number)
    text = version_text(session, story_id, number)
    return Article(
        title=v.title,
        byline=v.byline,
        published=v.published,
        modified=v.modified,
        paragraphs=tuple(p for p in text.split("\n\n") if p),
        extractor=v.extractor,
        language=v.language,
        developing=v.developing,
    )


def snapshot_bytes(session: Session, snapshot_id: int) -> tuple[bytes, str]:
    """The raw bytes of a snapshot, decoded through its delta chain and verified."""
    chain: list[Snapshot] = []
    sid: int | None = snapshot_id
    while sid is not None:
        snap = session.get(Snapshot, sid)
        if snap is None:
            raise NotFound(f"snapshot {sid} is missing")
        chain.append(snap)
        sid = snap.base_id if snap.codec == snapshots.CODEC_DELTA else None
    data: bytes | None = None
    for snap in reversed(chain):
        try:
            data = snapshots.decode(snap.codec, snap.data, data)
        except (zstandard.ZstdError, ValueError) as exc:
            raise TrackerError(f"snapshot {snap.id} cannot be decoded: {exc}") from exc
        if snapshots.sha256_hex(data) != snap.sha256:
            raise TrackerError(f"snapshot {snap.id} fails its SHA-256 check")
    assert data is not None
    return data, chain[0].sha256


def store_snapshot(
    session: Session,
    story_id: int,
    body: bytes,
    *,
    sha: str | None = None,
    keyframe: bytes | None = None,
) -> tuple[int, str]:
    """Store ``body`` (once per story and hash): a delta against the story's keyframe, or a
    keyframe. ``sha``: its SHA-256 and ``keyframe``: ``snapshots.encode(body)``'s blob, when
    the check made them already (the fetch hashes every body; a worker compresses a story's
    first page)."""
    sha = sha or snapshots.sha256_hex(body)
    existing = session.scalar(_SNAPSHOT_BY_SHA, {"sid": story_id, "sha": sha})
    if existing is not None:
        return existing, sha
    row: dict[str, Any] = {
        "story_id": story_id,
        "sha256": sha,
        "size": len(body),
        "base_id": None,
        "depth": 0,
    }
    key = session.execute(_SNAPSHOT_KEYFRAME, {"sid": story_id}).first()
    if key is not None:
        try:
            key_bytes = snapshots.decode(snapshots.CODEC_PLAIN, key.data)
        except zstandard.ZstdError as exc:
            raise TrackerError(f"snapshot {key.id} of story {story_id} is corrupt: {exc}") from exc
        codec, blob = snapshots.encode(body, key_bytes)
        if len(blob) <= snapshots.REKEY_RATIO * len(key.data):
            row.update(codec=codec, data=blob, base_id=key.id, depth=1)
    if row["base_id"] is None:
        row["codec"], row["data"] = (
            (snapshots.CODEC_PLAIN, keyframe) if keyframe is not None else snapshots.encode(body)
        )
    return _insert(session, _SNAPSHOT, row), sha


# Rows written on every new version go in by Core statements on their tables (the same SQL,
# without the ORM's unit of work for one object: ~0.3 ms a row). The statements a check runs
# are built once, here, with bound parameters: building an ORM select() costs ~0.17 ms a
# statement, six times what SQLite takes to run it.
_SNAPSHOT = table_of(Snapshot)
_VERSION = table_of(Version)
_CHANGE = table_of(Change)
_CHECK = table_of(Check)
_INSERT = {t.name: insert(t) for t in (_SNAPSHOT, _VERSION, _CHANGE, _CHECK)}
_SID: BindParameter[int] = bindparam("sid")
_SNAPSHOT_BY_SHA = select(_SNAPSHOT.c.id).where(
    _SNAPSHOT.c.story_id == _SID, _SNAPSHOT.c.sha256 == bindparam("sha")
)
_SNAPSHOT_KEYFRAME = (
    select(_SNAPSHOT.c.id, _SNAPSHOT.c.data)
    .where(_SNAPSHOT.c.story_id == _SID, _SNAPSHOT.c.base_id.is_(None))
    .order_by(_SNAPSHOT.c.id.desc())
    .limit(1)
)
_LAST_NUMBER = select(func.max(_VERSION.c.number)).where(_VERSION.c.story_id == _SID)
_TEXT_KEYFRAME = (
    select(_VERSION.c.number, _VERSION.c.text_data)
    .where(
        _VERSION.c.story_id == _SID,
        _VERSION.c.number < bindparam("before"),
        _VERSION.c.text_codec == snapshots.CODEC_PLAIN,
    )
    .order_by(_VERSION.c.number.desc())
    .limit(1)
)
_NEWEST_VERSION_ID = (
    select(_VERSION.c.id)
    .where(_VERSION.c.story_id == _SID)
    .order_by(_VERSION.c.number.desc())
    .limit(1)
)
# A newer version is about to be written: the story's latest sighting of the newest version
# moves to that version's row (see _LAST_SEEN). One statement; a null sighting matches nothing.
_STORY = table_of(Story)
_STORY_SIGHTING = select(_STORY.c.latest_seen_at).where(_STORY.c.id == _SID).scalar_subquery()
_SEEN_UNTIL = (
    update(_VERSION)
    .where(
        _VERSION.c.story_id == _SID,
        _VERSION.c.number
        == select(_STORY.c.version_count).where(_STORY.c.id == _SID).scalar_subquery(),
        _VERSION.c.last_seen < _STORY_SIGHTING,
    )
    .values(last_seen=_STORY_SIGHTING)
)


def _insert(session: Session, table: Table, row: dict[str, Any]) -> int:
    """Insert one row; its new id."""
    result = cast("CursorResult[Any]", session.execute(_INSERT[table.name], row))
    key = result.inserted_primary_key
    assert key is not None and key[0] is not None
    return int(key[0])


def _fit(value: str | None, width: int) -> str | None:
    """A page's value cut to its column's width (PostgreSQL enforces VARCHAR lengths)."""
    return value[:width] if value is not None else None


def add_version(
    session: Session,
    *,
    story_id: int,
    article: Article,
    content_sha256: str,
    now: datetime,
    snapshot_id: int | None,
    final_url: str | None,
    status_code: int | None,
    headers: dict[str, str] | None,
    fetched_at: datetime | None,
    unpublished: bool = False,
    rendered_snapshot_id: int | None = None,
    previous: int | None = None,
) -> tuple[int, int]:
    """Append a version (text delta-coded against the previous one). Returns (id, number).
    ``rendered_snapshot_id``: the text came from this rendered DOM (the version is rendered).
    ``previous``: the story's newest version number (0: none), when the caller read it."""
    prev_number = previous
    if prev_number is None:
        prev_number = session.scalar(_LAST_NUMBER, {"sid": story_id}) or 0
    number = prev_number + 1
    text = article.text.encode("utf-8")
    key = _text_keyframe(session, story_id, number) if prev_number else None
    codec, blob = "", b""
    if key is not None:
        _, blob = snapshots.encode(text, snapshots.decode(snapshots.CODEC_PLAIN, key[1]))
        codec = snapshots.CODEC_REF
    if key is None or len(blob) > snapshots.REKEY_RATIO * len(key[1]):
        codec, blob = snapshots.encode(text)
    row = dict(
        story_id=story_id,
        number=number,
        first_seen=now,
        last_seen=now,
        title=article.title,
        byline=article.byline,
        published=_fit(article.published, 64),
        modified=_fit(article.modified, 64),
        language=_fit(article.language, 16),
        text_codec=codec,
        text_data=blob,
        text_chars=len(article.text),
        content_sha256=content_sha256,
        extractor=article.extractor,
        unpublished=unpublished,
        developing=article.developing,
        snapshot_id=snapshot_id,
        final_url=_fit(final_url, 2048),
        status_code=status_code,
        headers=headers,
        fetched_at=fetched_at,
        rendered=rendered_snapshot_id is not None,
        rendered_snapshot_id=rendered_snapshot_id,
    )
    return _insert(session, _VERSION, row), number


def newest_version_id(session: Session, story_id: int) -> int | None:
    return session.scalar(_NEWEST_VERSION_ID, {"sid": story_id})


def fold_latest_sighting(session: Session, story_id: int) -> None:
    """Before a newer version is written: the newest version's last sighting, kept on the
    story's row while it was the newest, becomes its own ``last_seen``. The caller clears
    ``story.latest_seen_at`` in the same transaction."""
    session.execute(_SEEN_UNTIL, {"sid": story_id})


# What an Article needs of its version row, besides the text.
_ARTICLE_COLUMNS = (
    Version.title,
    Version.byline,
    Version.published,
    Version.modified,
    Version.extractor,
    Version.language,
    Version.developing,
)


def _newest_versions(*columns: Any) -> Any:
    return (
        select(*columns)
        .where(_VERSION.c.story_id == _SID)
        .order_by(_VERSION.c.number.desc())
        .limit(bindparam("limit"))
    )


_RECENT = _newest_versions(_VERSION.c.number, _VERSION.c.content_sha256)
_RECENT_WITH_ARTICLE = _newest_versions(
    _VERSION.c.number,
    _VERSION.c.content_sha256,
    *(_VERSION.c[c.key] for c in _ARTICLE_COLUMNS),
    _VERSION.c.text_codec,
    _VERSION.c.text_data,
)


def recent_history(
    session: Session, story_id: int, limit: int, *, with_latest_article: bool
) -> tuple[list[tuple[int, str]], Article | None]:
    """What judging a new text needs, read in one session: the newest versions' (number,
    content hash), newest first, and (when asked) the newest version's article.

    One query reads the hashes with the newest versions' article columns and text blobs (a
    delta is a few dozen bytes), so the newest text decodes against a keyframe among them
    without another query: the same Article as ``version_article``, in one query instead of
    four or five (two when the keyframe is older than the window)."""
    statement = _RECENT_WITH_ARTICLE if with_latest_article else _RECENT
    rows = session.execute(statement, {"sid": story_id, "limit": limit}).all()
    recent = [(r.number, r.content_sha256) for r in rows]
    if not (with_latest_article and rows):
        return recent, None
    v = rows[0]
    return recent, Article(
        title=v.title,
        byline=v.byline,
        published=v.published,
        modified=v.modified,
        paragraphs=tuple(p for p in _newest_text(session, story_id, rows).split("\n\n") if p),
        extractor=v.extractor,
        language=v.language,
        developing=v.developing,
    )


def _newest_text(session: Session, story_id: int, rows: Sequence[Any]) -> str:
    """``version_text`` of rows[0], from the newest rows (consecutive numbers, newest first)."""
    v = rows[0]
    if v.text_codec not in (snapshots.CODEC_PLAIN, snapshots.CODEC_REF):
        return version_text(session, story_id, v.number)  # a legacy chain
    try:
        if v.text_codec == snapshots.CODEC_PLAIN:
            return snapshots.decode(v.text_codec, v.text_data).decode("utf-8")
        # the nearest earlier keyframe: the first plain text below it, in the window or not
        key = next((r.text_data for r in rows[1:] if r.text_codec == snapshots.CODEC_PLAIN), None)
        if key is None:
            found = _text_keyframe(session, story_id, v.number)
            if found is None:
                raise TrackerError(
                    f"version {v.number} of story {story_id}: its keyframe is missing"
                )
            key = found[1]
        base = snapshots.decode(snapshots.CODEC_PLAIN, key)
        return snapshots.decode(v.text_codec, v.text_data, base).decode("utf-8")
    except (zstandard.ZstdError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        raise TrackerError(
            f"version {v.number} of story {story_id}: text is corrupt: {exc}"
        ) from exc


def recent_content_hashes(session: Session, story_id: int, limit: int) -> list[tuple[int, str]]:
    rows = session.execute(_RECENT, {"sid": story_id, "limit": limit})
    return [(n, sha) for n, sha in rows]


def has_correction(report: dict[str, object]) -> bool:
    """The report lists a correction (kept beside the packed report, for ``--ever``)."""
    facts = report.get("facts")
    return isinstance(facts, dict) and bool(facts.get("corrections"))


def add_change(
    session: Session,
    *,
    story_id: int,
    from_version_id: int | None,
    to_version_id: int,
    at: datetime,
    change_class: str,
    summary: str,
    report: dict[str, object],
    revert_of: int | None,
) -> int:
    row = dict(
        story_id=story_id,
        from_version_id=from_version_id,
        to_version_id=to_version_id,
        at=at,
        change_class=change_class,
        summary=summary,
        report=report,
        revert_of=revert_of,
        correction=has_correction(report),
    )
    return _insert(session, _CHANGE, row)


def add_check(
    session: Session,
    *,
    story_id: int,
    at: datetime,
    outcome: str,
    status_code: int | None = None,
    size: int | None = None,
    duration_ms: float | None = None,
    error_kind: str | None = None,
    error: str | None = None,
    raw_sha256: str | None = None,
    version_id: int | None = None,
    worker: str | None = None,
    attempts: int | None = None,
) -> None:
    session.execute(
        _INSERT["check"],
        check_values(
            story_id=story_id,
            at=at,
            outcome=outcome,
            status_code=status_code,
            size=size,
            duration_ms=duration_ms,
            error_kind=error_kind,
            error=error,
            raw_sha256=raw_sha256,
            version_id=version_id,
            worker=worker,
            attempts=attempts,
        ),
    )


def check_values(
    *,
    story_id: int,
    at: datetime,
    outcome: str,
    status_code: int | None = None,
    size: int | None = None,
    duration_ms: float | None = None,
    error_kind: str | None = None,
    error: str | None = None,
    raw_sha256: str | None = None,
    version_id: int | None = None,
    worker: str | None = None,
    attempts: int | None = None,
) -> dict[str, object]:
    """A ``check`` row's columns (one row, or one of many in a bulk insert)."""
    return {
        "story_id": story_id,
        "at": at,
        "outcome": outcome,
        "status_code": status_code,
        "bytes": size,
        "duration_ms": duration_ms,
        "error_kind": error_kind,
        "error": (error or "")[:2000] or None,
        "raw_sha256": raw_sha256,
        "version_id": version_id,
        "worker": worker,
        "attempts": attempts,
    }


def checks(
    session: Session, story_id: int, *, failed_only: bool = False, limit: int = 100, offset: int = 0
) -> list[CheckInfo]:
    q = select(Check).where(*_check_where(story_id, failed_only))
    q = q.order_by(Check.at.desc(), Check.id.desc()).limit(limit).offset(offset)
    return [
        CheckInfo(
            id=c.id,
            story_id=c.story_id,
            at=c.at,
            outcome=c.outcome,
            status_code=c.status_code,
            bytes=c.bytes,
            duration_ms=c.duration_ms,
            error_kind=c.error_kind,
            error=c.error,
            raw_sha256=c.raw_sha256,
            attempts=c.attempts,
        )
        for c in session.scalars(q)
    ]


def changes(
    session: Session,
    *,
    story_id: int | None = None,
    since: datetime | None = None,
    label: str | None = None,
    limit: int = 100,
    offset: int = 0,
    newest_first: bool = True,
) -> list[ChangeInfo]:
    fv = select(Version.id, Version.number, Version.title).subquery()
    tv = select(Version.id, Version.number, Version.title).subquery()
    # The headline as of the change: the new version's (a tombstone has none: the old one's).
    title = func.coalesce(func.nullif(tv.c.title, ""), func.nullif(fv.c.title, ""), Story.title)
    q = (
        select(Change, Story.url, title, fv.c.number, tv.c.number)
        .join(Story, Story.id == Change.story_id)
        .outerjoin(fv, fv.c.id == Change.from_version_id)
        .join(tv, tv.c.id == Change.to_version_id)
    )
    q = q.where(*_change_where(story_id=story_id, since=since, label=label))
    order = (Change.at.desc(), Change.id.desc()) if newest_first else (Change.at, Change.id)
    q = q.order_by(*order).limit(limit).offset(offset)
    return [
        ChangeInfo(
            id=c.id,
            story_id=c.story_id,
            url=url,
            title=title,
            from_version=fn,
            to_version=tn,
            at=c.at,
            change_class=c.change_class,
            summary=c.summary,
            revert_of=c.revert_of,
            report=reports.full(c.report, c.summary, c.change_class),
        )
        for c, url, title, fn, tn in session.execute(q)
    ]


def change_by_id(session: Session, change_id: int) -> ChangeInfo:
    row = session.get(Change, change_id)
    if row is None:
        raise NotFound(f"no change with id {change_id}")
    story = session.get(Story, row.story_id)
    found = session.execute(
        select(Version.id, Version.number, Version.title).where(
            Version.id.in_([row.from_version_id or 0, row.to_version_id])
        )
    ).all()
    numbers = {vid: n for vid, n, _ in found}
    titles = {vid: t for vid, _, t in found}
    # The headline as of the change, as ``changes`` gives it.
    then = titles.get(row.to_version_id) or titles.get(row.from_version_id or 0)
    return ChangeInfo(
        id=row.id,
        story_id=row.story_id,
        url=story.url if story else "",
        title=then or (story.title if story else None),
        from_version=numbers.get(row.from_version_id or 0),
        to_version=numbers.get(row.to_version_id, 0),
        at=row.at,
        change_class=row.change_class,
        summary=row.summary,
        revert_of=row.revert_of,
        report=reports.full(row.report, row.summary, row.change_class),
    )


def _check_where(story_id: int, failed_only: bool) -> list[ColumnElement[bool]]:
    """The filter shared by the check listing and its count."""
    where = [Check.story_id == story_id]
    if failed_only:
        where.append(Check.outcome.in_(("failed", "gone")))
    return where


def count_checks(session: Session, story_id: int, *, failed_only: bool = False) -> int:
    q = select(func.count()).select_from(Check).where(*_check_where(story_id, failed_only))
    return session.scalar(q) or 0


def _change_where(
    *, story_id: int | None, since: datetime | None, label: str | None
) -> list[ColumnElement[bool]]:
    """The filter shared by the change listing and its count."""
    where: list[ColumnElement[bool]] = []
    if story_id is not None:
        where.append(Change.story_id == story_id)
    if since is not None:
        where.append(Change.at > since)
    if label:
        labelled = select(StoryLabel.story_id).where(StoryLabel.label == label)
        where.append(Change.story_id.in_(labelled))
    return where


def count_changes(
    session: Session,
    *,
    story_id: int | None = None,
    since: datetime | None = None,
    label: str | None = None,
) -> int:
    where = _change_where(story_id=story_id, since=since, label=label)
    q = select(func.count()).select_from(Change).where(*where)
    return session.scalar(q) or 0


# ---------------------------------------------------------------- what pages and exports read


def story_versions(session: Session, story_id: int) -> StoryVersions:
    """A story and every version of it, oldest first (NotFound for an unknown story)."""
    return StoryVersions(story_by_id(session, story_id), versions(session, story_id))


def story_overview(session: Session, story_id: int, *, failed_limit: int) -> StoryOverview:
    """What the story page shows: versions, events, the latest failed checks and their count."""
    return StoryOverview(
        story=story_by_id(session, story_id),
        versions=versions(session, story_id),
        events=events(session, story_id),
        failed=checks(session, story_id, failed_only=True, limit=failed_limit),
        failed_total=count_checks(session, story_id, failed_only=True),
    )


def story_head(session: Session, story_id: int) -> StoryHead:
    """A story and its latest version's number (NotFound before its first version)."""
    return StoryHead(story_by_id(session, story_id), version(session, story_id).number)


def _version_with_change(session: Session, story_id: int, number: int) -> VersionInfo:
    q = (
        select(Version, Snapshot.sha256, Change.change_class, Change.summary, _LAST_SEEN)
        .join(Story, Story.id == Version.story_id)
        .outerjoin(Snapshot, Snapshot.id == Version.snapshot_id)
        .outerjoin(Change, Change.to_version_id == Version.id)
        .where(Version.story_id == story_id, Version.number == number)
    )
    row = session.execute(q).first()
    if row is None:
        raise NotFound(f"story {story_id} has no version {number} yet")
    v, sha, cls, summary, seen = row
    return _version_info(v, sha, cls, summary, seen=seen)


def version_view(session: Session, story_id: int, number: int) -> VersionView:
    """One version (with the class and summary of the change to it) and its text."""
    return VersionView(
        story=story_by_id(session, story_id),
        version=_version_with_change(session, story_id, number),
        text=version_text(session, story_id, number),
        latest=version(session, story_id).number,
    )


def raw_snapshot(session: Session, story_id: int, number: int) -> RawSnapshot:
    """A version's snapshot as served (NotFound for an unpublished version: nothing was)."""
    v = version(session, story_id, number)
    if v.snapshot_id is None:
        raise NotFound(f"version {number} has no raw snapshot (the story was unpublished)")
    data, sha = snapshot_bytes(session, v.snapshot_id)
    return RawSnapshot(v, data, sha)


def change_listing(
    session: Session,
    *,
    story_id: int | None = None,
    since: datetime | None = None,
    label: str | None = None,
    limit: int = 100,
    offset: int = 0,
    newest_first: bool = True,
) -> Listing[ChangeInfo]:
    """A page of ``changes`` and how many match in all."""
    rows = changes(
        session,
        story_id=story_id,
        since=since,
        label=label,
        limit=limit,
        offset=offset,
        newest_first=newest_first,
    )
    return Listing(rows, count_changes(session, story_id=story_id, since=since, label=label))


def check_listing(
    session: Session, story_id: int, *, failed_only: bool = False, limit: int = 100, offset: int = 0
) -> Listing[CheckInfo]:
    """A page of a story's checks, newest first, and their count (NotFound: no such story)."""
    story_by_id(session, story_id)
    rows = checks(session, story_id, failed_only=failed_only, limit=limit, offset=offset)
    return Listing(rows, count_checks(session, story_id, failed_only=failed_only))


def version_batch(
    session: Session,
    *,
    after_id: int = 0,
    story_ids: Sequence[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 500,
    text: bool = False,
    raw: bool = False,
) -> list[StoryVersion]:
    """Up to ``limit`` versions with an id above ``after_id``, in id order, with their
    story's URL, the class and summary of their change and, when asked, their ``text`` and
    ``raw`` snapshot bytes.

    Exports page through all versions with it, one batch per read (constant memory)."""
    q = (
        select(Version, Snapshot.sha256, Change.change_class, Change.summary, Story.url, _LAST_SEEN)
        .join(Story, Story.id == Version.story_id)
        .outerjoin(Snapshot, Snapshot.id == Version.snapshot_id)
        .outerjoin(Change, Change.to_version_id == Version.id)
        .where(Version.id > after_id)
        .order_by(Version.id)
        .limit(limit)
    )
    if story_ids is not None:
        q = q.where(Version.story_id.in_(story_ids))
    if since is not None:
        q = q.where(Version.first_seen >= since)
    if until is not None:
        q = q.where(Version.first_seen < until)
    out = []
    for v, sha, cls, summary, url, seen in session.execute(q).all():
        info = _version_info(v, sha, cls, summary, seen=seen)
        out.append(
            StoryVersion(
                info,
                url,
                text=version_text(session, v.story_id, v.number) if text else None,
                raw=snapshot_bytes(session, v.snapshot_id)[0] if raw and v.snapshot_id else None,
            )
        )
    return out
