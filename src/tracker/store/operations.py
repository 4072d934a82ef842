"""What operators ask of the database: daemons alive, checks and errors lately.

The outbox's counts live with the rest of the outbox (:mod:`tracker.store.outbox`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tracker.store.models import Check, DaemonLock
from tracker.store.outbox import counts_by_state
from tracker.store.rows import StatusFacts
from tracker.store.stories import count_stories, queue_stats

ALIVE_WITHIN_S = 60  # a daemon whose heartbeat is older than this is reported dead
FORGET_AFTER = timedelta(days=1)  # crashed daemons never unregister: drop them after a day


def register_daemon(session: Session, name: str, host: str, pid: int, now: datetime) -> None:
    session.execute(delete(DaemonLock).where(DaemonLock.heartbeat_at < now - FORGET_AFTER))
    session.merge(DaemonLock(name=name, host=host, pid=pid, started_at=now, heartbeat_at=now))


def unregister_daemon(session: Session, name: str) -> None:
    session.execute(delete(DaemonLock).where(DaemonLock.name == name))


def heartbeat(session: Session, name: str, now: datetime) -> None:
    row = session.get(DaemonLock, name)
    if row is not None:
        row.heartbeat_at = now


def daemons(session: Session, now: datetime) -> list[dict[str, object]]:
    return [
        {
            "name": d.name,
            "host": d.host,
            "pid": d.pid,
            "started_at": d.started_at.isoformat(),
            "heartbeat_at": d.heartbeat_at.isoformat(),
            "alive": (now - d.heartbeat_at).total_seconds() < ALIVE_WITHIN_S,
        }
        for d in session.scalars(select(DaemonLock).order_by(DaemonLock.name))
    ]


def checks_since(
    session: Session, since: datetime, *, max_durations: int = 5000
) -> tuple[dict[str, int], dict[str, int], list[float]]:
    """Checks by outcome, failures by kind, and the latest fetch durations (sorted)."""
    by_outcome = dict(
        session.execute(
            select(Check.outcome, func.count()).where(Check.at >= since).group_by(Check.outcome)
        ).all()
    )
    by_kind = {
        kind: n
        for kind, n in session.execute(
            select(Check.error_kind, func.count())
            .where(Check.at >= since, Check.error_kind.is_not(None))
            .group_by(Check.error_kind)
        )
        if kind is not None
    }
    durations = sorted(
        float(d)
        for (d,) in session.execute(
            select(Check.duration_ms)
            .where(Check.at >= since, Check.duration_ms.is_not(None))
            .order_by(Check.id.desc())
            .limit(max_durations)
        )
        if d is not None
    )
    return by_outcome, by_kind, durations


def status_facts(session: Session, now: datetime) -> StatusFacts:
    """Everything ``tracker status`` and the daemon's gauges show, read together."""
    queue = queue_stats(session, now)
    by_outcome, by_kind, durations = checks_since(session, now - timedelta(hours=1))
    return StatusFacts(
        stories=count_stories(session),
        due=int(queue["due"]),
        oldest_overdue_s=queue["oldest_overdue_s"],
        leased=int(queue["leased"]),
        checks_by_outcome=by_outcome,
        errors_by_kind=by_kind,
        fetch_durations_ms=durations,
        notifications=counts_by_state(session),
        daemons=daemons(session, now),
    )


def heartbeat_status(session: Session, name: str, now: datetime) -> StatusFacts:
    """Stamp daemon ``name``'s heartbeat and read the status, in one transaction."""
    heartbeat(session, name, now)
    return status_facts(session, now)
