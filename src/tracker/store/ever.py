"""Filters over a story's whole history, not only its latest change: "stories with any major
change", "with a correction", "whose headline changed", "that were unpublished".

Each filter is a condition on ``story.id`` (a subquery over ``change`` or ``version``), so the
stories list, its count and the API share it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session, aliased

from tracker.errors import UsageError
from tracker.store import reports
from tracker.store.models import Change, Story, Version
from tracker.vocab import CHANGE_CLASSES

FACTS = ("correction", "headline", "unpublished")
EVER = (*CHANGE_CLASSES, *FACTS)


def ever_condition(kind: str) -> ColumnElement[bool]:
    """Stories that ever had a change of class ``kind``, or the fact ``kind`` (see EVER)."""
    if kind in CHANGE_CLASSES:
        return Story.id.in_(select(Change.story_id).where(Change.change_class == kind))
    if kind == "unpublished":
        return Story.id.in_(select(Version.story_id).where(Version.unpublished.is_(True)))
    if kind == "headline":
        old, new = aliased(Version), aliased(Version)
        changed = (
            select(Change.story_id)
            .join(old, old.id == Change.from_version_id)
            .join(new, new.id == Change.to_version_id)
            .where(
                old.title != new.title,
                and_(old.unpublished.is_(False), new.unpublished.is_(False)),
            )
        )
        return Story.id.in_(changed)
    if kind == "correction":
        # The report is stored packed (store.packed); its correction fact has its own column.
        return Story.id.in_(select(Change.story_id).where(Change.correction.is_(True)))
    raise UsageError(f"unknown filter {kind!r} (choose from {', '.join(EVER)})")


def change_reports(session: Session, story_id: int) -> dict[int, dict[str, Any]]:
    """The stored report of each change of a story, by the number of the version it made."""
    rows = session.execute(
        select(Version.number, Change.report, Change.summary, Change.change_class)
        .join(Change, Change.to_version_id == Version.id)
        .where(Change.story_id == story_id)
    )
    return {n: reports.full(report, summary, cls) for n, report, summary, cls in rows}
