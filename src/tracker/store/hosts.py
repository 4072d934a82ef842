"""Fleet-wide politeness on PostgreSQL: host turns, host backoff and shared robots.txt.

Every daemon on one database asks here before a request starts. A turn is granted in one
short transaction that locks the host's row (``FOR UPDATE`` on that one row, nothing else,
so two turns cannot deadlock) when no backoff is in force, ``delay_s`` has passed since the
last start (on the database's clock, which every daemon shares), no turn is reserved, and
fewer than ``concurrency`` unexpired leases exist. The grant inserts a lease row, which the
caller deletes when its request ends. With a delay, the grant also reserves the host until
the holder says its request went out (``turn_started``, once the answer began), and the
delay counts from then: a turn granted on time but started late on a busy machine cannot
bring the next start closer than the delay. A daemon that dies leaves a lease (and a
reservation) that expires on its own (``hold_s``), or that housekeeping frees at once
(``recovery.release_owners``), like a story lease.

robots.txt is one row per origin: whoever finds it missing or stale takes a short lease to
fetch it, everyone else waits for the body that daemon stores.

SQLite runs one daemon; it keeps the fetcher's in-process limits and never calls this.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, literal, not_, or_, select, update
from sqlalchemy.orm import Session

from tracker.store.models import FetchHost, FetchHostLease, FetchOrigin, Story

BUSY_POLL_S = 0.1  # how soon to ask again when the host's in-flight slots are all taken
# The host of a story's URL, as fetch keys it (urlsplit().hostname: lowercased, no port).
HOST_OF_URL = r"^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^:/?#]+)"


@dataclass(frozen=True, slots=True)
class HostTurn:
    """The answer to "may I start a request to this host now?"."""

    lease_id: int | None  # granted: the lease to end when the request is done
    wait_s: float = 0.0  # refused: ask again after this long
    backoff: bool = False  # refused because the host asked the fleet to stay away
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class RobotsTurn:
    """robots.txt of an origin: ``fresh`` with its body (None = no robots.txt), or the
    caller's job to fetch it (``fetch``), or another daemon's (wait ``wait_s``)."""

    fresh: bool
    body: str | None = None
    fetch: bool = False
    wait_s: float = 0.0


def _db_now(session: Session) -> datetime:
    """The database's clock: the one every daemon on every machine agrees on."""
    value = session.scalar(select(func.clock_timestamp()))
    assert isinstance(value, datetime)
    return value


def _host_row(session: Session, host: str) -> FetchHost:
    from sqlalchemy.dialects.postgresql import insert as pg_insert  # PostgreSQL only

    session.execute(pg_insert(FetchHost).values(host=host).on_conflict_do_nothing())
    row = session.scalars(select(FetchHost).where(FetchHost.host == host).with_for_update()).one()
    return row


def take_turn(
    session: Session,
    host: str,
    *,
    owner: str,
    delay_s: float,
    concurrency: int,
    hold_s: float,
) -> HostTurn:
    """A request to ``host`` may start now (a lease to end later), or how long to wait."""
    row = _host_row(session, host)
    now = _db_now(session)  # read after the lock: the wait for it must not count as delay
    if row.backoff_until is not None and row.backoff_until > now:
        left = (row.backoff_until - now).total_seconds()
        return HostTurn(None, left, backoff=True, reason=row.backoff_reason)
    if delay_s > 0 and row.reserved_until is not None and row.reserved_until > now:
        return HostTurn(None, BUSY_POLL_S)  # the last turn's request has not started yet
    if delay_s > 0 and row.last_start_at is not None:
        left = (row.last_start_at - now).total_seconds() + delay_s
        if left > 0:
            return HostTurn(None, left)
    session.execute(
        delete(FetchHostLease).where(FetchHostLease.host == host, FetchHostLease.lease_until < now)
    )
    busy = session.scalar(
        select(func.count()).select_from(FetchHostLease).where(FetchHostLease.host == host)
    )
    if (busy or 0) >= concurrency:
        return HostTurn(None, BUSY_POLL_S)
    lease = FetchHostLease(
        host=host, lease_owner=owner, lease_until=now + timedelta(seconds=hold_s)
    )
    session.add(lease)
    row.last_start_at = now
    session.flush()
    if delay_s > 0:
        # The delay counts from when the request really went out, which only the holder
        # knows (``turn_started``): a turn granted now may start late on a busy machine.
        row.reserved_by, row.reserved_until = lease.id, lease.lease_until
    return HostTurn(lease.id)


def turn_started(session: Session, host: str, lease_id: int) -> None:
    """The turn's request is out (its answer has begun): the host's delay counts from now."""
    session.execute(
        update(FetchHost)
        .where(FetchHost.host == host, FetchHost.reserved_by == lease_id)
        .values(last_start_at=func.clock_timestamp(), reserved_by=None, reserved_until=None)
    )


def end_turn(session: Session, host: str, lease_id: int) -> None:
    """The request is over: its in-flight slot goes back to the fleet (and a reservation it
    still holds, if the request failed before it started, counts as a start now)."""
    turn_started(session, host, lease_id)
    session.execute(delete(FetchHostLease).where(FetchHostLease.id == lease_id))


def back_off(session: Session, host: str, seconds: float, reason: str) -> datetime:
    """The host asked us to stay away (429, 503, Retry-After): no daemon starts a request to
    it for ``seconds``; a longer backoff already in force stands. Returns its end."""
    row = _host_row(session, host)
    until = _db_now(session) + timedelta(seconds=seconds)
    if row.backoff_until is None or row.backoff_until < until:
        row.backoff_until, row.backoff_reason = until, reason[:255]
    return row.backoff_until


def hosts_backing_off(session: Session) -> list[str]:
    """The hosts every daemon stays away from now."""
    q = select(FetchHost.host).where(FetchHost.backoff_until > func.clock_timestamp())
    return list(session.scalars(q))


def not_backing_off(session: Session) -> ColumnElement[bool] | None:
    """For the story claim on PostgreSQL: leave stories of backing-off hosts due but unclaimed
    (they are taken when the backoff ends), or None when no host backs off (the usual case,
    which costs one indexed lookup)."""
    if session.bind is None or session.bind.dialect.name != "postgresql":
        return None
    hosts = hosts_backing_off(session)
    if not hosts:
        return None
    story_host = func.lower(func.substring(Story.url, literal(HOST_OF_URL)))
    return or_(story_host.is_(None), not_(story_host.in_(hosts)))


def release_host_leases(session: Session, owners: list[str]) -> int:
    """Free the in-flight slots these (dead) owners hold; the number freed."""
    if not owners:
        return 0
    freed = list(
        session.scalars(
            delete(FetchHostLease)
            .where(FetchHostLease.lease_owner.in_(owners))
            .returning(FetchHostLease.id),
            execution_options={"synchronize_session": False},
        )
    )
    if freed:  # their reservations too: the host's delay counts from now
        session.execute(
            update(FetchHost)
            .where(FetchHost.reserved_by.in_(freed))
            .values(last_start_at=func.now(), reserved_by=None, reserved_until=None),
            execution_options={"synchronize_session": False},
        )
    return len(freed)


# ---------------------------------------------------------------- robots.txt, per origin


def robots_turn(
    session: Session, origin: str, *, owner: str, max_age_s: float, hold_s: float
) -> RobotsTurn:
    """The fleet's robots.txt for ``origin`` if fresh; else the caller fetches it (a lease of
    ``hold_s`` so one daemon does), unless another daemon is fetching it now."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert  # PostgreSQL only

    session.execute(pg_insert(FetchOrigin).values(origin=origin).on_conflict_do_nothing())
    row = session.scalars(
        select(FetchOrigin).where(FetchOrigin.origin == origin).with_for_update()
    ).one()
    now = _db_now(session)
    fetched = row.robots_fetched_at
    if fetched is not None and (now - fetched).total_seconds() < max_age_s:
        return RobotsTurn(True, row.robots_body)
    if row.lease_until is not None and row.lease_until > now and row.lease_owner != owner:
        return RobotsTurn(False, wait_s=min(1.0, (row.lease_until - now).total_seconds()))
    row.lease_owner, row.lease_until = owner, now + timedelta(seconds=hold_s)
    return RobotsTurn(False, fetch=True)


def store_robots(session: Session, origin: str, body: str | None) -> None:
    """What the fetch found (None: no robots.txt), for every daemon, from now on."""
    session.execute(
        update(FetchOrigin)
        .where(FetchOrigin.origin == origin)
        .values(
            robots_body=body,
            robots_fetched_at=func.clock_timestamp(),
            lease_owner=None,
            lease_until=None,
        )
    )
