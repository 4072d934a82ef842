"""The archive outbox in SQL: one ``archive_job`` per version to submit to the ``[archive]``
endpoint, written in the check's transaction; claimed with a lease, finished or retried.

The delivery loop is ``tracker.archive``; leases are the one mechanism of ``leases.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tracker.store import leases
from tracker.store.leases import lease_free, skip_locked, stamp
from tracker.store.models import ArchiveJob, Story, Version
from tracker.store.outbox import _rowcount


@dataclass(frozen=True, slots=True)
class ArchiveTask:
    """A claimed job: the page to submit and how many attempts it has had."""

    id: int
    version_id: int
    story_id: int
    number: int
    url: str
    attempts: int


def enqueue_archive(session: Session, version_id: int, at: datetime) -> None:
    """One job for a new version (submitted once: a version has at most one job)."""
    session.add(
        ArchiveJob(
            version_id=version_id, state="pending", attempts=0, next_attempt_at=at, created_at=at
        )
    )


def claim_archive_jobs(
    session: Session, *, owner: str, now: datetime, limit: int, lease_s: float
) -> list[ArchiveTask]:
    """Lease up to ``limit`` due jobs, oldest due first."""
    q = (
        select(
            ArchiveJob.id,
            ArchiveJob.version_id,
            ArchiveJob.attempts,
            Version.story_id,
            Version.number,
            Version.final_url,
            Story.url,
        )
        .join(Version, Version.id == ArchiveJob.version_id)
        .join(Story, Story.id == Version.story_id)
        .where(
            ArchiveJob.state == "pending",
            ArchiveJob.next_attempt_at <= now,
            lease_free(ArchiveJob, now),
        )
        .order_by(ArchiveJob.next_attempt_at, ArchiveJob.id)
        .limit(limit)
    )
    rows = session.execute(skip_locked(session, q)).all()
    tasks = [
        ArchiveTask(r.id, r.version_id, r.story_id, r.number, r.final_url or r.url, r.attempts)
        for r in rows
    ]
    until = now + timedelta(seconds=lease_s * max(1, len(tasks)))
    stamp(session, ArchiveJob, [t.id for t in tasks], owner, until)
    return tasks


def finish_archive_job(
    session: Session, task: ArchiveTask, *, owner: str, archive_url: str, archived_at: datetime
) -> bool:
    """Done: the archive URL and time go on the version. False if the lease was lost."""
    done = session.execute(
        update(ArchiveJob)
        .where(ArchiveJob.id == task.id, ArchiveJob.lease_owner == owner)
        .values(
            state="done",
            attempts=task.attempts + 1,
            last_error=None,
            lease_owner=None,
            lease_until=None,
        )
    )
    if not _rowcount(done):
        return False
    session.execute(
        update(Version)
        .where(Version.id == task.version_id)
        .values(archive_url=archive_url, archived_at=archived_at)
    )
    return True


def retry_archive_job(
    session: Session, task: ArchiveTask, *, owner: str, error: str, next_at: datetime | None
) -> bool:
    """A failed attempt: due again at ``next_at``, or failed for good when it is None."""
    values: dict[str, object] = {
        "attempts": task.attempts + 1,
        "last_error": error[:2000],
        "lease_owner": None,
        "lease_until": None,
        "state": "pending" if next_at is not None else "failed",
    }
    if next_at is not None:
        values["next_attempt_at"] = next_at
    result = session.execute(
        update(ArchiveJob)
        .where(ArchiveJob.id == task.id, ArchiveJob.lease_owner == owner)
        .values(**values)
    )
    return _rowcount(result) > 0


def archive_counts(session: Session) -> dict[str, int]:
    """Jobs by state: pending, done, failed."""
    q = select(ArchiveJob.state, func.count()).group_by(ArchiveJob.state)
    return {state: n for state, n in session.execute(q).all()}


def release_archive_jobs(session: Session, ids: list[int], owner: str) -> None:
    """Give back claimed jobs untouched (a rate limit ended the pass)."""
    leases.release(session, ArchiveJob, ids, owner)
