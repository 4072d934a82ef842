"""Stories, their labels and lifecycle events, and the due queue with its leases."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from tracker.errors import NotFound
from tracker.store import hosts
from tracker.store.leases import lease_free, release, skip_locked, stamp
from tracker.store.models import (
    Check,
    Snapshot,
    Story,
    StoryEvent,
    StoryLabel,
    Version,
)
from tracker.store.rows import (
    CheckState,
    Listing,
    StoriesOverview,
    StoryDetail,
    StoryInfo,
)

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
        max_interval_s=row.max_interval_s,
        fixed=bool(row.fixed),
        removed_at=row.removed_at,
        render=row.render,
    )


def add_stories(session: Session, urls: Sequence[str], **story: Any) -> list[tuple[int, bool]]:
    """``add_story`` for each URL, in one transaction: all are tracked, or none."""
    return [add_story(session, url, **story) for url in urls]


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
    max_interval_s: float | None = None,
    fixed: bool | None = None,
    render: str | None = None,
) -> tuple[int, bool]:
    """Insert a story, or add labels to an existing one. Returns (id, created).

    For a story already tracked, ``until``, the interval (``set_interval``), the ceiling and
    ``fixed`` change only when given; so does ``render`` (auto, always, never)."""
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
            max_interval_s=max_interval_s,
            fixed=bool(fixed),
            render=render,
        )
        session.add(row)
        session.flush()
        add_event(session, row.id, now, "added", origin)
    else:
        if row.removed_at is not None:  # tracked again, history and all
            row.removed_at, row.paused, row.next_check_at = None, False, now
            add_event(session, row.id, now, "added", f"{origin}, again")
        if until is not None:
            row.until = until
        if set_interval:
            row.interval_s = row.base_interval_s = interval_s
            row.next_check_at = min(row.next_check_at, now + timedelta(seconds=interval_s))
        if max_interval_s is not None:
            row.max_interval_s = max_interval_s
        if fixed is not None:
            row.fixed = fixed
        if render is not None:
            row.render = render
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
    q: Select[Any],
    *,
    label: str | None,
    state: str | None,
    search: str | None,
    change_class: str | None,
    ever: str | None = None,
) -> Select[Any]:
    """The filters of the stories list, shared by the list and its count."""
    if label:
        q = q.where(Story.id.in_(select(StoryLabel.story_id).where(StoryLabel.label == label)))
    if state == "removed":
        q = q.where(Story.removed_at.is_not(None))
    elif state == "paused":
        q = q.where(Story.paused.is_(True), Story.removed_at.is_(None))
    elif state:
        q = q.where(Story.state == state, Story.paused.is_(False))
    else:  # a removed story leaves the default list (it stays readable by URL and exports)
        q = q.where(Story.removed_at.is_(None))
    if search:
        like = f"%{search}%"
        q = q.where(or_(Story.url.ilike(like), Story.title.ilike(like)))
    if change_class:
        q = q.where(Story.last_change_class == change_class)
    if ever:  # over the whole history (issue 13)
        from tracker.store.ever import ever_condition

        q = q.where(ever_condition(ever))
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
    ever: str | None = None,
) -> list[StoryInfo]:
    q = _story_filters(
        select(Story),
        label=label,
        state=state,
        search=search,
        change_class=change_class,
        ever=ever,
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
    ever: str | None = None,
) -> int:
    """How many stories ``list_stories`` returns with the same filters (for pagination)."""
    q = _story_filters(
        select(func.count()).select_from(Story),
        label=label,
        state=state,
        search=search,
        change_class=change_class,
        ever=ever,
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
    removed = Story.removed_at.is_not(None)
    for state, paused, gone, n in session.execute(
        select(Story.state, Story.paused, removed, func.count()).group_by(
            Story.state, Story.paused, removed
        )
    ):
        key = "removed" if gone else "paused" if paused else state
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
            row.removed_at = None  # resuming a removed story tracks it again
        add_event(session, story_id, now, "paused" if paused else "resumed", None)


def remove_story(session: Session, story_id: int, now: datetime) -> None:
    """Stop tracking a story and keep its history (it is paused and marked removed)."""
    row = session.get(Story, story_id)
    if row is None:
        raise NotFound(f"no story with id {story_id}")
    if row.removed_at is None:
        row.removed_at, row.paused = now, True
        row.lease_owner = row.lease_until = None
        add_event(session, story_id, now, "removed", None)


def purge_story(session: Session, story_id: int) -> None:
    """Delete a story and its whole history, for good."""
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


def find_stories(
    session: Session,
    *,
    label: str | None = None,
    state: str | None = None,
    search: str | None = None,
    change_class: str | None = None,
    order: str = "url",
    limit: int | None = None,
    offset: int = 0,
    ever: str | None = None,
) -> Listing[StoryInfo]:
    """One page of the stories a filter selects, and how many it selects in all."""
    rows = list_stories(
        session,
        label=label,
        state=state,
        search=search,
        change_class=change_class,
        order=order,
        limit=limit,
        offset=offset,
        ever=ever,
    )
    total = count_matching_stories(
        session, label=label, state=state, search=search, change_class=change_class, ever=ever
    )
    return Listing(rows, total)


def stories_overview(
    session: Session,
    *,
    label: str | None = None,
    state: str | None = None,
    search: str | None = None,
    change_class: str | None = None,
    order: str = "url",
    limit: int | None = None,
    offset: int = 0,
    ever: str | None = None,
) -> StoriesOverview:
    """What the stories page shows: a page of matches, counts by state, the labels."""
    page = find_stories(
        session,
        label=label,
        state=state,
        search=search,
        change_class=change_class,
        order=order,
        limit=limit,
        offset=offset,
        ever=ever,
    )
    return StoriesOverview(page, count_stories(session), label_counts(session))


def story_detail(session: Session, story_id: int) -> StoryDetail:
    """A story and its lifecycle events."""
    return StoryDetail(story_by_id(session, story_id), events(session, story_id))


# ---------------------------------------------------------------- the queue


def checkable_story_ids(session: Session) -> list[int]:
    """The stories ``tracker check --all`` checks (listed, not paused, not archived), in
    ``list_stories`` order, read as ids alone: no row objects for a thousand stories."""
    q = select(Story.id).where(
        Story.removed_at.is_(None), Story.paused.is_(False), Story.state != "archived"
    )
    return list(session.scalars(q.order_by(Story.url)))


def due_story_ids(session: Session, now: datetime, limit: int | None = None) -> list[int]:
    q = (
        select(Story.id)
        .where(
            Story.paused.is_(False),
            Story.next_check_at <= now,
            lease_free(Story, now),
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
            lease_free(Story, now),
        )
        .order_by(Story.next_check_at)
        .limit(limit)
    )
    if (polite := hosts.not_backing_off(session)) is not None:  # a host asked the fleet to wait
        q = q.where(polite)
    ids = list(session.scalars(skip_locked(session, q)))
    stamp(session, Story, ids, owner, now + timedelta(seconds=lease_s))
    return ids


def claim_ids(
    session: Session, ids: Sequence[int], *, owner: str, now: datetime, lease_s: float
) -> list[int]:
    """Lease specific stories (``tracker check URL``) unless another worker holds them."""
    q = select(Story.id).where(Story.id.in_(ids), lease_free(Story, now))
    got = list(session.scalars(skip_locked(session, q)))
    stamp(session, Story, got, owner, now + timedelta(seconds=lease_s))
    return got


def release_leases(session: Session, ids: Sequence[int], owner: str) -> None:
    release(session, Story, ids, owner)


def renew_leases(
    session: Session, ids: Sequence[int], owner: str, now: datetime, lease_s: float
) -> None:
    """Push the leases this owner still holds further out (only rows it still owns).

    Rows are locked in id order and locked rows are skipped: a row locked now is being
    written by its check (which releases the lease), so waiting on it could only deadlock
    against that write or another daemon's claim.
    """
    owned = select(Story.id).where(Story.id.in_(ids), Story.lease_owner == owner)
    locked = session.scalars(skip_locked(session, owned.order_by(Story.id))).all()
    if locked:
        session.execute(
            update(Story)
            # the owner again: on SQLite nothing is locked, and a check that released its
            # lease since the select would otherwise get a lease with no owner (busy for
            # the next run until it lapses)
            .where(Story.id.in_(locked), Story.lease_owner == owner)
            .values(lease_until=now + timedelta(seconds=lease_s)),
            execution_options={"synchronize_session": False},
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


_STATE_COLUMNS = (
    "id",
    "url",
    "state",
    "etag",
    "last_modified",
    "last_raw_sha256",
    "last_fingerprint",
    "interval_s",
    "base_interval_s",
    "created_at",
    "last_changed_at",
    "until",
    "settled_at",
    "consecutive_gone",
    "consecutive_failures",
    "developing_marker",
    "pending_sha256",
    "max_interval_s",
    "fixed",
    "render",
)


def check_states(session: Session, ids: Sequence[int]) -> dict[int, CheckState]:
    """What a check needs to know of each story, in three plain selects (no ORM objects:
    loading Story rows and their labels was a fifth of a pass of 304s)."""
    # The tables' columns, not the mapped attributes: Core selects skip the ORM's row loading.
    story, label_t, version = Story.__table__.c, StoryLabel.__table__.c, Version.__table__.c
    columns = [story[name] for name in _STATE_COLUMNS]
    rows = session.execute(select(*columns).where(story.id.in_(ids))).all()
    if not rows:
        return {}
    labels: dict[int, list[str]] = {}
    for sid, label in session.execute(
        select(label_t.story_id, label_t.label).where(label_t.story_id.in_(ids))
    ):
        labels.setdefault(sid, []).append(label)
    latest: dict[int, tuple[str | None, bool, int, int | None]] = {}
    sub = (
        select(version.story_id, func.max(version.number).label("n"))
        .where(version.story_id.in_(ids))
        .group_by(version.story_id)
        .subquery()
    )
    for sid, content, unpublished, chars, vid in session.execute(
        select(
            version.story_id,
            version.content_sha256,
            version.unpublished,
            version.text_chars,
            version.id,
        ).join(sub, and_(version.story_id == sub.c.story_id, version.number == sub.c.n))
    ):
        latest[sid] = (content, unpublished, chars, vid)
    out = {}
    for row in rows:
        r = dict(zip(_STATE_COLUMNS, row, strict=True))
        sha, unpublished, chars, latest_id = latest.get(r["id"], (None, False, 0, None))
        r["fixed"] = bool(r["fixed"])
        out[r["id"]] = CheckState(
            **r,
            labels=tuple(sorted(labels.get(r["id"], ()))),
            latest_content_sha256=sha,
            latest_unpublished=bool(unpublished),
            latest_text_chars=chars or 0,
            latest_version_id=latest_id,
        )
    return out


def story_urls(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """Each story's URL, by id (one query for a batch)."""
    rows = session.execute(select(Story.id, Story.url).where(Story.id.in_(ids)))
    return {sid: url for sid, url in rows}


def update_story(session: Session, story_id: int, **values: object) -> None:
    # No ORM bookkeeping: the session holds no Story rows to keep in sync during a check.
    session.execute(
        update(Story).where(Story.id == story_id).values(**values),
        execution_options={"synchronize_session": False},
    )
