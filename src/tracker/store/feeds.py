"""Feeds and the items they listed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tracker.errors import NotFound
from tracker.store.leases import lease_free, skip_locked
from tracker.store.models import (
    Feed,
    FeedItem,
    Story,
)
from tracker.store.rows import FeedInfo, FeedVerdict
from tracker.store.stories import add_story

# ---------------------------------------------------------------- feeds


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
        render=f.render,
    )


def add_feed(
    session: Session,
    url: str,
    *,
    match: str,
    labels: Sequence[str],
    interval_s: float,
    now: datetime,
    render: str | None = None,
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
            render=render,
        )
        session.add(row)
    else:
        row.match, row.interval_s = match, interval_s
        row.labels = sorted(set(row.labels or ()) | set(labels))
        if render is not None:
            row.render = render
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
    q = select(Feed).where(lease_free(Feed, now))
    q = q.where(Feed.id.in_(ids)) if ids is not None else q.where(Feed.next_poll_at <= now)
    rows = list(session.scalars(skip_locked(session, q)))
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


def remove_feed_by_url(session: Session, url: str) -> FeedInfo:
    """Stop following the feed at ``url`` (NotFound if none); the stories it added stay."""
    feed = feed_by_url(session, url)
    remove_feed(session, feed.id)
    return feed


def record_feed_items(
    session: Session,
    feed: FeedInfo,
    verdicts: Sequence[FeedVerdict],
    *,
    now: datetime,
    interval_s: float,
) -> list[str]:
    """Remember the items judged in one poll and track those to add, with the feed's labels.

    Returns the URLs that became new stories (one already tracked is not new)."""
    added = []
    for v in verdicts:
        remember_feed_item(session, feed.id, v.url, now=now, added=v.add, reason=v.reason)
        if not v.add:
            continue
        _, created = add_story(
            session,
            v.target,
            now=now,
            interval_s=interval_s,
            labels=feed.labels,
            origin="feed",
            feed_id=feed.id,
            render=feed.render,
        )
        if created:
            added.append(v.target)
    return added
