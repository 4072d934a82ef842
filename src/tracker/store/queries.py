"""Every query the tracker runs. Takes a Session, returns plain dataclasses, never ORM rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import zstandard
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from tracker.errors import NotFound, TrackerError
from tracker.records import Article
from tracker.store import snapshots
from tracker.store.models import (
    Change,
    Check,
    Feed,
    FeedItem,
    Snapshot,
    Story,
    StoryEvent,
    StoryLabel,
    Version,
)


@dataclass(frozen=True, slots=True)
class StoryInfo:
    id: int
    url: str
    title: str | None
    state: str
    paused: bool
    labels: tuple[str, ...]
    interval_s: float
    base_interval_s: float
    next_check_at: datetime
    last_checked_at: datetime | None
    last_changed_at: datetime | None
    created_at: datetime
    until: datetime | None
    origin: str
    version_count: int
    last_change_class: str | None
    consecutive_failures: int
    canonical_url: str | None

    @property
    def display_state(self) -> str:
        return "paused" if self.paused else self.state


@dataclass(frozen=True, slots=True)
class CheckState:
    """What a check needs to know about a story before fetching it."""

    id: int
    url: str
    state: str
    etag: str | None
    last_modified: str | None
    last_raw_sha256: str | None
    last_fingerprint: str | None
    interval_s: float
    base_interval_s: float
    created_at: datetime
    last_changed_at: datetime | None
    until: datetime | None
    settled_at: datetime | None
    consecutive_gone: int
    consecutive_failures: int
    developing_marker: bool | None
    labels: tuple[str, ...]
    latest_content_sha256: str | None
    latest_unpublished: bool


@dataclass(frozen=True, slots=True)
class VersionInfo:
    id: int
    story_id: int
    number: int
    first_seen: datetime
    last_seen: datetime
    title: str
    byline: str
    published: str | None
    modified: str | None
    content_sha256: str
    raw_sha256: str | None
    extractor: str
    unpublished: bool
    developing: bool
    final_url: str | None
    status_code: int | None
    headers: dict[str, str] | None
    fetched_at: datetime | None
    text_chars: int
    snapshot_id: int | None
    change_class: str | None = None
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class CheckInfo:
    id: int
    story_id: int
    at: datetime
    outcome: str
    status_code: int | None
    bytes: int | None
    duration_ms: float | None
    error_kind: str | None
    error: str | None
    raw_sha256: str | None


@dataclass(frozen=True, slots=True)
class ChangeInfo:
    id: int
    story_id: int
    url: str
    title: str | None
    from_version: int | None
    to_version: int
    at: datetime
    change_class: str
    summary: str
    revert_of: int | None
    report: dict[str, object]


# ---------------------------------------------------------------- stories


def _story_info(row: Story) -> StoryInfo:
    return StoryInfo(
        id=row.id,
        url=row.url,
        title=row.title,
        state=row.state,
        paused=row.paused,
        labels=tuple(sorted(lab.label for lab in row.labels)),
        interval_s=row.interval_s,
        base_interval_s=row.base_interval_s,
        next_check_at=row.next_check_at,
        last_checked_at=row.last_checked_at,
        last_changed_at=row.last_changed_at,
        created_at=row.created_at,
        until=row.until,
        origin=row.origin,
        version_count=row.version_count,
        last_change_class=row.last_change_class,
        consecutive_failures=row.consecutive_failures,
        canonical_url=row.canonical_url,
    )


def add_story(
    session: Session,
    url: str,
    *,
    now: datetime,
    interval_s: float,
    labels: Iterable[str] = (),
    until: datetime | None = None,
    set_interval: bool = False,
    origin: str = "cli",
    feed_id: int | None = None,
) -> tuple[int, bool]:
    """Insert a story, or add labels to an existing one. Returns (id, created)."""
    row = session.scalar(select(Story).where(Story.url == url))
    created = row is None
    if row is None:
        row = Story(
            url=url,
            state="developing",
            paused=False,
            origin=origin,
            feed_id=feed_id,
            interval_s=interval_s,
            base_interval_s=interval_s,
            next_check_at=now,
            created_at=now,
            until=until,
            consecutive_failures=0,
            consecutive_gone=0,
            version_count=0,
        )
        session.add(row)
        session.flush()
        add_event(session, row.id, now, "added", origin)
    else:
        if until is not None:
            row.until = until
        if set_interval:
            row.interval_s = row.base_interval_s = interval_s
            row.next_check_at = min(row.next_check_at, now + timedelta(seconds=interval_s))
    have = {lab.label for lab in row.labels}
    for label in labels:
        if label not in have:
            row.labels.append(StoryLabel(label=label))
            have.add(label)
    return row.id, created


def story_by_url(session: Session, url: str) -> StoryInfo:
    row = session.scalar(select(Story).where(Story.url == url))
    if row is None:
        row = session.scalar(select(Story).where(Story.canonical_url == url))
    if row is None:
        raise NotFound(f"no story tracked at {url} (add it with `tracker add`)")
    return _story_info(row)


def story_by_id(session: Session, story_id: int) -> StoryInfo:
    row = session.get(Story, story_id)
    if row is None:
        raise NotFound(f"no story with id {story_id}")
    return _story_info(row)


def _story_filters(
    q, *, label: str | None, state: str | None, search: str | None, change_class: str | None
):  # type: ignore[no-untyped-def]
    """The filters of the stories list, shared by the list and its count."""
    if label:
        q = q.where(Story.id.in_(select(StoryLabel.story_id).where(StoryLabel.label == label)))
    if state == "paused":
        q = q.where(Story.paused.is_(True))
    elif state:
        q = q.where(Story.state == state, Story.paused.is_(False))
    if search:
        like = f"%{search}%"
        q = q.where(or_(Story.url.ilike(like), Story.title.ilike(like)))
    if change_class:
        q = q.where(Story.last_change_class == change_class)
    return q


def list_stories(
    session: Session,
    *,
    label: str | None = None,
    state: str | None = None,
    search: str | None = None,
    change_class: str | None = None,
    order: str = "url",
    limit: int | None = None,
    offset: int = 0,
) -> list[StoryInfo]:
    q = _story_filters(
        select(Story), label=label, state=state, search=search, change_class=change_class
    )
    if order == "last_change":
        q = q.order_by(Story.last_changed_at.desc().nulls_last(), Story.id)
    elif order == "id":
        q = q.order_by(Story.id)
    else:
        q = q.order_by(Story.url)
    if limit is not None:
        q = q.limit(limit).offset(offset)
    return [_story_info(r) for r in session.scalars(q)]


def count_matching_stories(
    session: Session,
    *,
    label: str | None = None,
    state: str | None = None,
    search: str | None = None,
    change_class: str | None = None,
) -> int:
    """How many stories ``list_stories`` returns with the same filters (for pagination)."""
    q = _story_filters(
        select(func.count()).select_from(Story),
        label=label,
        state=state,
        search=search,
        change_class=change_class,
    )
    return session.scalar(q) or 0


def label_counts(session: Session) -> list[tuple[str, int]]:
    """Every label with the number of stories that carry it."""
    rows = session.execute(
        select(StoryLabel.label, func.count()).group_by(StoryLabel.label).order_by(StoryLabel.label)
    )
    return [(label, n) for label, n in rows]


def count_stories(session: Session) -> dict[str, int]:
    counts: dict[str, int] = {}
    for state, paused, n in session.execute(
        select(Story.state, Story.paused, func.count()).group_by(Story.state, Story.paused)
    ):
        key = "paused" if paused else state
        counts[key] = counts.get(key, 0) + n
    return counts


def set_paused(session: Session, story_id: int, paused: bool, now: datetime) -> None:
    row = session.get(Story, story_id)
    if row is None:
        raise NotFound(f"no story with id {story_id}")
    if row.paused != paused:
        row.paused = paused
        if not paused:
            row.next_check_at = now
        add_event(session, story_id, now, "paused" if paused else "resumed", None)


def remove_story(session: Session, story_id: int) -> None:
    session.execute(update(Check).where(Check.story_id == story_id).values(version_id=None))
    session.execute(update(Version).where(Version.story_id == story_id).values(snapshot_id=None))
    # Snapshots reference each other (delta bases); drop the references, then the rows.
    session.execute(update(Snapshot).where(Snapshot.story_id == story_id).values(base_id=None))
    session.execute(delete(Story).where(Story.id == story_id))


def add_event(session: Session, story_id: int, at: datetime, kind: str, detail: str | None) -> None:
    session.add(StoryEvent(story_id=story_id, at=at, kind=kind, detail=detail))


def events(session: Session, story_id: int) -> list[tuple[datetime, str, str | None]]:
    rows = session.execute(
        select(StoryEvent.at, StoryEvent.kind, StoryEvent.detail)
        .where(StoryEvent.story_id == story_id)
        .order_by(StoryEvent.at, StoryEvent.id)
    )
    return [(r.at, r.kind, r.detail) for r in rows]


# ---------------------------------------------------------------- the queue


def due_story_ids(session: Session, now: datetime, limit: int | None = None) -> list[int]:
    q = (
        select(Story.id)
        .where(
            Story.paused.is_(False),
            Story.next_check_at <= now,
            or_(Story.lease_until.is_(None), Story.lease_until < now),
        )
        .order_by(Story.next_check_at)
    )
    if limit:
        q = q.limit(limit)
    return list(session.scalars(q))


def claim_due(
    session: Session, *, owner: str, now: datetime, lease_s: float, limit: int
) -> list[int]:
    """Take a lease on up to ``limit`` due stories. PostgreSQL: SKIP LOCKED, so daemons share."""
    q = (
        select(Story.id)
        .where(
            Story.paused.is_(False),
            Story.next_check_at <= now,
            or_(Story.lease_until.is_(None), Story.lease_until < now),
        )
        .order_by(Story.next_check_at)
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    ids = list(session.scalars(q))
    if ids:
        session.execute(
            update(Story)
            .where(Story.id.in_(ids))
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_s))
        )
    return ids


def claim_ids(
    session: Session, ids: Sequence[int], *, owner: str, now: datetime, lease_s: float
) -> list[int]:
    """Lease specific stories (``tracker check URL``) unless another worker holds them."""
    q = select(Story.id).where(
        Story.id.in_(ids), or_(Story.lease_until.is_(None), Story.lease_until < now)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    got = list(session.scalars(q))
    if got:
        session.execute(
            update(Story)
            .where(Story.id.in_(got))
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_s))
        )
    return got


def release_leases(session: Session, ids: Sequence[int], owner: str) -> None:
    if ids:
        session.execute(
            update(Story)
            .where(Story.id.in_(ids), Story.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )


def renew_leases(
    session: Session, ids: Sequence[int], owner: str, now: datetime, lease_s: float
) -> None:
    """Push the leases this owner still holds further out (only rows it still owns)."""
    session.execute(
        update(Story)
        .where(Story.id.in_(ids), Story.lease_owner == owner)
        .values(lease_until=now + timedelta(seconds=lease_s))
    )


def queue_stats(session: Session, now: datetime) -> dict[str, float]:
    due = (
        session.scalar(
            select(func.count())
            .select_from(Story)
            .where(Story.paused.is_(False), Story.next_check_at <= now)
        )
        or 0
    )
    oldest = session.scalar(
        select(func.min(Story.next_check_at)).where(
            Story.paused.is_(False), Story.next_check_at <= now
        )
    )
    leased = (
        session.scalar(select(func.count()).select_from(Story).where(Story.lease_until > now)) or 0
    )
    return {
        "due": float(due),
        "oldest_overdue_s": (now - oldest).total_seconds() if oldest else 0.0,
        "leased": float(leased),
    }


def check_states(session: Session, ids: Sequence[int]) -> dict[int, CheckState]:
    rows = list(session.scalars(select(Story).where(Story.id.in_(ids))))
    latest = {}
    if rows:
        sub = (
            select(Version.story_id, func.max(Version.number).label("n"))
            .where(Version.story_id.in_(ids))
            .group_by(Version.story_id)
            .subquery()
        )
        for sid, sha, unpublished in session.execute(
            select(Version.story_id, Version.content_sha256, Version.unpublished).join(
                sub, and_(Version.story_id == sub.c.story_id, Version.number == sub.c.n)
            )
        ):
            latest[sid] = (sha, unpublished)
    out = {}
    for r in rows:
        sha, unpublished = latest.get(r.id, (None, False))
        out[r.id] = CheckState(
            id=r.id,
            url=r.url,
            state=r.state,
            etag=r.etag,
            last_modified=r.last_modified,
            last_raw_sha256=r.last_raw_sha256,
            last_fingerprint=r.last_fingerprint,
            interval_s=r.interval_s,
            base_interval_s=r.base_interval_s,
            created_at=r.created_at,
            last_changed_at=r.last_changed_at,
            until=r.until,
            settled_at=r.settled_at,
            consecutive_gone=r.consecutive_gone,
            consecutive_failures=r.consecutive_failures,
            developing_marker=r.developing_marker,
            labels=tuple(sorted(lab.label for lab in r.labels)),
            latest_content_sha256=sha,
            latest_unpublished=bool(unpublished),
        )
    return out


# ---------------------------------------------------------------- versions


def _version_info(
    v: Version, raw_sha: str | None, cls: str | None = None, summary: str | None = None
) -> VersionInfo:
    return VersionInfo(
        id=v.id,
        story_id=v.story_id,
        number=v.number,
        first_seen=v.first_seen,
        last_seen=v.last_seen,
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
    )


def versions(session: Session, story_id: int) -> list[VersionInfo]:
    q = (
        select(Version, Snapshot.sha256, Change.change_class, Change.summary)
        .outerjoin(Snapshot, Snapshot.id == Version.snapshot_id)
        .outerjoin(Change, Change.to_version_id == Version.id)
        .where(Version.story_id == story_id)
        .order_by(Version.number)
    )
    return [_version_info(v, sha, cls, summ) for v, sha, cls, summ in session.execute(q)]


def iter_versions(
    session: Session,
    *,
    story_ids: Sequence[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    batch: int = 500,
) -> Iterator[VersionInfo]:
    """All versions in id order, fetched in batches (constant memory for exports)."""
    last = 0
    while True:
        q = (
            select(Version, Snapshot.sha256)
            .outerjoin(Snapshot, Snapshot.id == Version.snapshot_id)
            .where(Version.id > last)
            .order_by(Version.id)
            .limit(batch)
        )
        if story_ids is not None:
            q = q.where(Version.story_id.in_(story_ids))
        if since is not None:
            q = q.where(Version.first_seen >= since)
        if until is not None:
            q = q.where(Version.first_seen < until)
        rows = session.execute(q).all()
        if not rows:
            return
        for v, sha in rows:
            yield _version_info(v, sha)
        last = rows[-1][0].id
        session.expunge_all()


def version(session: Session, story_id: int, number: int | None = None) -> VersionInfo:
    q = (
        select(Version, Snapshot.sha256)
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
    return _version_info(row[0], row[1])


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
    row = session.execute(
        select(Version.number, Version.text_data)
        .where(
            Version.story_id == story_id,
            Version.number < before,
            Version.text_codec == snapshots.CODEC_PLAIN,
        )
        .order_by(Version.number.desc())
        .limit(1)
    ).first()
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


def store_snapshot(session: Session, story_id: int, body: bytes) -> tuple[int, str]:
    sha = snapshots.sha256_hex(body)
    existing = session.scalar(
        select(Snapshot.id).where(Snapshot.story_id == story_id, Snapshot.sha256 == sha)
    )
    if existing is not None:
        return existing, sha
    row = Snapshot(story_id=story_id, sha256=sha, size=len(body), base_id=None, depth=0)
    key = session.execute(
        select(Snapshot.id, Snapshot.data)
        .where(Snapshot.story_id == story_id, Snapshot.base_id.is_(None))
        .order_by(Snapshot.id.desc())
        .limit(1)
    ).first()
    if key is not None:
        try:
            key_bytes = snapshots.decode(snapshots.CODEC_PLAIN, key.data)
        except zstandard.ZstdError as exc:
            raise TrackerError(f"snapshot {key.id} of story {story_id} is corrupt: {exc}") from exc
        codec, blob = snapshots.encode(body, key_bytes)
        if len(blob) <= snapshots.REKEY_RATIO * len(key.data):
            row.codec, row.data, row.base_id, row.depth = codec, blob, key.id, 1
    if row.base_id is None:
        row.codec, row.data = snapshots.encode(body)
    session.add(row)
    session.flush()
    return row.id, sha


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
) -> tuple[int, int]:
    """Append a version (text delta-coded against the previous one). Returns (id, number)."""
    prev_number = (
        session.scalar(select(func.max(Version.number)).where(Version.story_id == story_id)) or 0
    )
    number = prev_number + 1
    text = article.text.encode("utf-8")
    key = _text_keyframe(session, story_id, number) if prev_number else None
    codec, blob = "", b""
    if key is not None:
        _, blob = snapshots.encode(text, snapshots.decode(snapshots.CODEC_PLAIN, key[1]))
        codec = snapshots.CODEC_REF
    if key is None or len(blob) > snapshots.REKEY_RATIO * len(key[1]):
        codec, blob = snapshots.encode(text)
    row = Version(
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
    )
    session.add(row)
    session.flush()
    return row.id, number


def touch_latest_version(session: Session, story_id: int, now: datetime) -> int | None:
    vid = session.scalar(
        select(Version.id)
        .where(Version.story_id == story_id)
        .order_by(Version.number.desc())
        .limit(1)
    )
    if vid is not None:
        session.execute(
            update(Version).where(Version.id == vid).values(last_seen=now),
            execution_options={"synchronize_session": False},
        )
    return vid


def recent_content_hashes(session: Session, story_id: int, limit: int) -> list[tuple[int, str]]:
    rows = session.execute(
        select(Version.number, Version.content_sha256)
        .where(Version.story_id == story_id)
        .order_by(Version.number.desc())
        .limit(limit)
    )
    return [(n, sha) for n, sha in rows]


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
    row = Change(
        story_id=story_id,
        from_version_id=from_version_id,
        to_version_id=to_version_id,
        at=at,
        change_class=change_class,
        summary=summary,
        report=report,
        revert_of=revert_of,
    )
    session.add(row)
    session.flush()
    return row.id


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
) -> None:
    session.add(
        Check(
            story_id=story_id,
            at=at,
            outcome=outcome,
            status_code=status_code,
            bytes=size,
            duration_ms=duration_ms,
            error_kind=error_kind,
            error=(error or "")[:2000] or None,
            raw_sha256=raw_sha256,
            version_id=version_id,
            worker=worker,
        )
    )


def update_story(session: Session, story_id: int, **values: object) -> None:
    # No ORM bookkeeping: the session holds no Story rows to keep in sync during a check.
    session.execute(
        update(Story).where(Story.id == story_id).values(**values),
        execution_options={"synchronize_session": False},
    )


def checks(
    session: Session, story_id: int, *, failed_only: bool = False, limit: int = 100, offset: int = 0
) -> list[CheckInfo]:
    q = _check_filters(select(Check), story_id, failed_only)
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
    fv = select(Version.id, Version.number).subquery()
    tv = select(Version.id, Version.number).subquery()
    q = (
        select(Change, Story.url, Story.title, fv.c.number, tv.c.number)
        .join(Story, Story.id == Change.story_id)
        .outerjoin(fv, fv.c.id == Change.from_version_id)
        .join(tv, tv.c.id == Change.to_version_id)
    )
    q = _change_filters(q, story_id=story_id, since=since, label=label)
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
            report=c.report,
        )
        for c, url, title, fn, tn in session.execute(q)
    ]


def change_by_id(session: Session, change_id: int) -> ChangeInfo:
    row = session.get(Change, change_id)
    if row is None:
        raise NotFound(f"no change with id {change_id}")
    story = session.get(Story, row.story_id)
    numbers = dict(
        session.execute(
            select(Version.id, Version.number).where(
                Version.id.in_([row.from_version_id or 0, row.to_version_id])
            )
        ).all()
    )
    return ChangeInfo(
        id=row.id,
        story_id=row.story_id,
        url=story.url if story else "",
        title=story.title if story else None,
        from_version=numbers.get(row.from_version_id or 0),
        to_version=numbers.get(row.to_version_id, 0),
        at=row.at,
        change_class=row.change_class,
        summary=row.summary,
        revert_of=row.revert_of,
        report=row.report,
    )


# ---------------------------------------------------------------- feeds


@dataclass(frozen=True, slots=True)
class FeedInfo:
    id: int
    url: str
    match: str
    labels: tuple[str, ...]
    interval_s: float
    next_poll_at: datetime
    last_polled_at: datetime | None
    last_error: str | None
    seen: int
    added: int
    etag: str | None
    last_modified: str | None


def _feed_info(f: Feed) -> FeedInfo:
    return FeedInfo(
        id=f.id,
        url=f.url,
        match=f.match,
        labels=tuple(f.labels or ()),
        interval_s=f.interval_s,
        next_poll_at=f.next_poll_at,
        last_polled_at=f.last_polled_at,
        last_error=f.last_error,
        seen=f.seen,
        added=f.added,
        etag=f.etag,
        last_modified=f.last_modified,
    )


def add_feed(
    session: Session,
    url: str,
    *,
    match: str,
    labels: Sequence[str],
    interval_s: float,
    now: datetime,
) -> tuple[FeedInfo, bool]:
    row = session.scalar(select(Feed).where(Feed.url == url))
    created = row is None
    if row is None:
        row = Feed(
            url=url,
            match=match,
            labels=list(labels),
            interval_s=interval_s,
            next_poll_at=now,
            created_at=now,
            seen=0,
            added=0,
        )
        session.add(row)
    else:
        row.match, row.interval_s = match, interval_s
        row.labels = sorted(set(row.labels or ()) | set(labels))
    session.flush()
    return _feed_info(row), created


def list_feeds(session: Session) -> list[FeedInfo]:
    return [_feed_info(f) for f in session.scalars(select(Feed).order_by(Feed.url))]


def feed_by_url(session: Session, url: str) -> FeedInfo:
    row = session.scalar(select(Feed).where(Feed.url == url))
    if row is None:
        raise NotFound(f"no feed at {url} (add it with `tracker feed add`)")
    return _feed_info(row)


def remove_feed(session: Session, feed_id: int) -> None:
    session.execute(delete(Feed).where(Feed.id == feed_id))


def claim_due_feeds(
    session: Session, *, owner: str, now: datetime, lease_s: float, ids: Sequence[int] | None = None
) -> list[FeedInfo]:
    q = select(Feed).where(or_(Feed.lease_until.is_(None), Feed.lease_until < now))
    q = q.where(Feed.id.in_(ids)) if ids is not None else q.where(Feed.next_poll_at <= now)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    rows = list(session.scalars(q))
    for r in rows:
        r.lease_owner, r.lease_until = owner, now + timedelta(seconds=lease_s)
    return [_feed_info(r) for r in rows]


def finish_feed_poll(
    session: Session,
    feed_id: int,
    *,
    now: datetime,
    error: str | None,
    etag: str | None,
    last_modified: str | None,
    seen: int,
    added: int,
) -> None:
    row = session.get(Feed, feed_id)
    if row is None:
        return
    row.last_polled_at, row.last_error = now, error
    row.next_poll_at = now + timedelta(seconds=row.interval_s)
    if error is None:
        row.etag, row.last_modified = etag, last_modified
    row.seen += seen
    row.added += added
    row.lease_owner = row.lease_until = None


def unseen_feed_urls(session: Session, feed_id: int, urls: Sequence[str]) -> list[str]:
    if not urls:
        return []
    known = set(
        session.scalars(
            select(FeedItem.url).where(FeedItem.feed_id == feed_id, FeedItem.url.in_(urls))
        )
    )
    known |= set(session.scalars(select(Story.url).where(Story.url.in_(urls))))
    return [u for u in urls if u not in known]


def remember_feed_item(
    session: Session, feed_id: int, url: str, *, now: datetime, added: bool, reason: str | None
) -> None:
    if session.get(FeedItem, (feed_id, url)) is None:
        session.add(
            FeedItem(
                feed_id=feed_id, url=url, first_seen=now, added=added, reason=(reason or "")[:255]
            )
        )


def _check_filters(q, story_id: int, failed_only: bool):  # type: ignore[no-untyped-def]
    q = q.where(Check.story_id == story_id)
    return q.where(Check.outcome.in_(("failed", "gone"))) if failed_only else q


def count_checks(session: Session, story_id: int, *, failed_only: bool = False) -> int:
    q = _check_filters(select(func.count()).select_from(Check), story_id, failed_only)
    return session.scalar(q) or 0


def _change_filters(q, *, story_id: int | None, since: datetime | None, label: str | None):  # type: ignore[no-untyped-def]
    if story_id is not None:
        q = q.where(Change.story_id == story_id)
    if since is not None:
        q = q.where(Change.at > since)
    if label:
        q = q.where(
            Change.story_id.in_(select(StoryLabel.story_id).where(StoryLabel.label == label))
        )
    return q


def count_changes(
    session: Session,
    *,
    story_id: int | None = None,
    since: datetime | None = None,
    label: str | None = None,
) -> int:
    q = _change_filters(
        select(func.count()).select_from(Change), story_id=story_id, since=since, label=label
    )
    return session.scalar(q) or 0
