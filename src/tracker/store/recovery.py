"""Leases whose holder died: given back at once instead of after the lease runs out.

A worker killed with SIGKILL never releases its leases. They expire on their own (minutes),
but until then a restarted daemon finds its stories "busy". Two facts prove a holder dead
sooner:

- on SQLite the starting daemon holds the file's OS lock, so no other daemon is alive and
  every daemon's lease is stale; a CLI run (``cli:<pid>``) is alive only if its process is
  (a CLI run frees a dead run's leases before it claims: a run killed, or one that could
  not write its release because the disk was full, blocks nothing once it is gone);
- on PostgreSQL every daemon writes a heartbeat; one silent for ``silent_s`` is dead, and so
  is a daemon registered on this host whose process is gone.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from sqlalchemy import delete, select, union, update
from sqlalchemy.orm import Session

from tracker.process import process_alive
from tracker.store.hosts import release_host_leases
from tracker.store.models import DaemonLock, Feed, Notification, Story

LEASED = (Story, Feed, Notification)
CLI_PREFIX = "cli:"


def cli_owner(pid: int) -> str:
    """The lease owner name of a CLI run (``tracker check``)."""
    return f"{CLI_PREFIX}{pid}"


def local_owner_alive(owner: str) -> bool:
    """On SQLite, once the daemon holds the file lock: only a live CLI process holds leases."""
    if owner.startswith(CLI_PREFIX):
        pid = owner.removeprefix(CLI_PREFIX)
        return pid.isdigit() and process_alive(int(pid))
    return False


def unless_dead_cli_run(owner: str) -> bool:
    """For a CLI run on SQLite: only another CLI run is known dead (by its pid); daemons are
    not judged here (the daemon itself releases its predecessors' leases at start)."""
    return not owner.startswith(CLI_PREFIX) or local_owner_alive(owner)


def lease_owners(session: Session) -> set[str]:
    """Every owner holding a lease on a story, a feed or a notification."""
    q = union(*(select(m.lease_owner).where(m.lease_owner.is_not(None)) for m in LEASED))
    return {owner for (owner,) in session.execute(q) if owner is not None}


def release_owners(session: Session, owners: Collection[str]) -> int:
    """Give back every lease these owners hold; the number of rows freed."""
    if not owners:
        return 0
    freed = 0
    for model in LEASED:
        result = session.execute(
            update(model)
            .where(model.lease_owner.in_(owners))
            .values(lease_owner=None, lease_until=None),
            execution_options={"synchronize_session": False},
        )
        freed += result.rowcount or 0  # type: ignore[attr-defined]  # a CursorResult
    # Requests in flight to a host (fleet politeness): a dead owner's slots go back too.
    release_host_leases(session, list(owners))
    return freed


def release_dead_owners(session: Session, alive: Callable[[str], bool]) -> int:
    """Release the leases of every owner ``alive`` says is dead."""
    return release_owners(session, [o for o in lease_owners(session) if not alive(o)])


def reclaim_dead_daemons(
    session: Session, *, now: datetime, silent_s: float, host: str, keep: str
) -> list[str]:
    """Daemons silent for ``silent_s`` (or gone from this host) lose their leases and entry."""
    dead = []
    for d in session.scalars(select(DaemonLock).where(DaemonLock.name != keep)):
        silent = now - d.heartbeat_at > timedelta(seconds=silent_s)
        if silent or (d.host == host and not process_alive(d.pid)):
            dead.append(d.name)
    if dead:
        release_owners(session, dead)
        session.execute(delete(DaemonLock).where(DaemonLock.name.in_(dead)))
    return dead
