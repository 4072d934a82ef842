"""Totals for paginated lists, which ``store.queries`` does not offer yet.

Why here: the web needs ``total`` and ``next`` links on every list, and counting by loading
every row would not meet the 10,000-story target. These mirror the filters of
``queries.list_stories``, ``queries.changes`` and ``queries.checks``; they belong in
``store/queries.py`` and should move there (the store owns SQL).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tracker.store.models import Change, Check, Story, StoryLabel


def count_stories(
    session: Session,
    *,
    label: str | None = None,
    state: str | None = None,
    search: str | None = None,
    change_class: str | None = None,
) -> int:
    """How many stories ``queries.list_stories`` returns with the same filters."""
    q = select(func.count()).select_from(Story)
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
    return session.scalar(q) or 0


def label_counts(session: Session) -> list[tuple[str, int]]:
    """Every label with the number of stories that carry it, for the filter menu."""
    rows = session.execute(
        select(StoryLabel.label, func.count()).group_by(StoryLabel.label).order_by(StoryLabel.label)
    )
    return [(label, n) for label, n in rows]


def count_changes(
    session: Session,
    *,
    story_id: int | None = None,
    since: datetime | None = None,
    label: str | None = None,
) -> int:
    q = select(func.count()).select_from(Change)
    if story_id is not None:
        q = q.where(Change.story_id == story_id)
    if since is not None:
        q = q.where(Change.at > since)
    if label:
        q = q.where(
            Change.story_id.in_(select(StoryLabel.story_id).where(StoryLabel.label == label))
        )
    return session.scalar(q) or 0


def count_checks(session: Session, story_id: int, *, failed_only: bool = False) -> int:
    q = select(func.count()).select_from(Check).where(Check.story_id == story_id)
    if failed_only:
        q = q.where(Check.outcome.in_(("failed", "gone")))
    return session.scalar(q) or 0
