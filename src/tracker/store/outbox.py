"""The outbox's SQL: rows written with their change, claimed with a lease, recorded, counted.

One row per change x channel, written by :func:`enqueue` in the transaction that writes the
change. A claim is a lease (owner + until, :mod:`tracker.store.leases`) so several daemons
share the outbox; a daemon that dies after claiming loses nothing: the lease expires and the
row is claimable again. Every outcome is written only while the writer still holds the lease.

Row states: ``pending`` (due at ``next_attempt_at``), ``digest`` (held for the channel's
digest), ``delivered``, ``failed`` (gave up; ``retry_failed`` queues it again).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Result, func, select, update
from sqlalchemy.orm import Session

from tracker.store import leases, reports
from tracker.store.leases import lease_free, skip_locked, stamp
from tracker.store.models import Change, Notification, Story, StoryLabel, Version
from tracker.vocab import OutboxState

LEASE_MARGIN_S = 60.0  # on top of the channels' timeouts: rendering, bookkeeping


@dataclass(frozen=True, slots=True)
class OutboxTarget:
    """One channel that wants a change: a row due now, or held for the channel's digest."""

    channel: str
    digest: bool = False


@dataclass(frozen=True, slots=True)
class ClaimedRow:
    """An outbox row this worker holds the lease on."""

    id: int
    change_id: int
    channel: str
    attempts: int
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What one delivery attempt left behind; unset times keep the row's current ones."""

    state: OutboxState
    attempts: int
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    last_error: str | None = None
    last_response: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeDetail:
    """Everything a message about one change needs, read in one go."""

    change_id: int
    story_id: int
    url: str
    title: str | None
    labels: tuple[str, ...]
    from_version: int | None
    to_version: int
    from_time: datetime | None
    to_time: datetime | None
    at: datetime
    change_class: str
    summary: str
    revert_of: int | None
    report: Mapping[str, object]
    archive_url: str | None = None  # the new version's copy at the [archive], once made


def _rowcount(result: Result[Any]) -> int:
    # An UPDATE's result is a CursorResult; Session.execute is typed for the general case.
    return cast(CursorResult[Any], result).rowcount or 0


# ---------------------------------------------------------------- writing and claiming


def enqueue(
    session: Session, change_id: int, targets: Sequence[OutboxTarget], now: datetime
) -> None:
    """One row per target, in the caller's transaction (the same one that wrote the change)."""
    session.add_all(
        Notification(
            change_id=change_id,
            channel=t.channel,
            state="digest" if t.digest else "pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        for t in targets
    )


def postpone(session: Session, channel: str, *, now: datetime, until: datetime) -> int:
    """Quiet hours: move this channel's due rows to the end of the window."""
    result = session.execute(
        update(Notification)
        .where(
            Notification.channel == channel,
            Notification.state == "pending",
            Notification.next_attempt_at <= now,
            lease_free(Notification, now),
        )
        .values(next_attempt_at=until)
    )
    return _rowcount(result)


def _free_rows(
    session: Session,
    now: datetime,
    where: Sequence[ColumnElement[bool]],
    order_by: Sequence[Any],
    limit: int | None = None,
) -> list[ClaimedRow]:
    """The rows matching ``where`` that nobody holds, locked for this transaction."""
    q = (
        select(
            Notification.id,
            Notification.change_id,
            Notification.channel,
            Notification.attempts,
            Notification.created_at,
        )
        .where(*where, lease_free(Notification, now))
        .order_by(*order_by)
        .limit(limit)
    )
    return [
        ClaimedRow(r.id, r.change_id, r.channel, r.attempts, r.created_at)
        for r in session.execute(skip_locked(session, q))
    ]


def claim_due(
    session: Session,
    *,
    owner: str,
    now: datetime,
    timeouts: Mapping[str, float],
    limit: int,
) -> list[ClaimedRow]:
    """Lease up to ``limit`` due rows of the channels in ``timeouts`` (name -> seconds).

    The lease covers sending every claimed row one after another, so it is as long as their
    timeouts together plus a margin.
    """
    if not timeouts or limit <= 0:
        return []
    rows = _free_rows(
        session,
        now,
        [
            Notification.state == "pending",
            Notification.next_attempt_at <= now,
            Notification.channel.in_(list(timeouts)),
        ],
        [Notification.next_attempt_at, Notification.id],
        limit,
    )
    lease_s = LEASE_MARGIN_S + sum(timeouts[r.channel] for r in rows)
    stamp(session, Notification, [r.id for r in rows], owner, now + timedelta(seconds=lease_s))
    return rows


def record_outcome(session: Session, row_id: int, outcome: Outcome, *, owner: str) -> bool:
    """Write one delivery's outcome and drop the lease; False if the lease was lost."""
    values: dict[str, object] = {
        "state": outcome.state,
        "attempts": outcome.attempts,
        "last_error": outcome.last_error,
        "last_response": outcome.last_response,
        "lease_owner": None,
        "lease_until": None,
    }
    if outcome.next_attempt_at is not None:
        values["next_attempt_at"] = outcome.next_attempt_at
    if outcome.delivered_at is not None:
        values["delivered_at"] = outcome.delivered_at
    result = session.execute(
        update(Notification)
        .where(Notification.id == row_id, Notification.lease_owner == owner)
        .values(**values)
    )
    return _rowcount(result) > 0


def release(session: Session, ids: Sequence[int], owner: str) -> None:
    """Give back the leases this owner still holds, unchanged otherwise."""
    leases.release(session, Notification, ids, owner)


def retry_failed(session: Session, *, now: datetime, channel: str | None = None) -> int:
    """Failed rows back to pending, due now, attempts reset."""
    q = update(Notification).where(Notification.state == "failed")
    if channel is not None:
        q = q.where(Notification.channel == channel)
    result = session.execute(
        q.values(
            state="pending",
            attempts=0,
            next_attempt_at=now,
            lease_owner=None,
            lease_until=None,
        )
    )
    return _rowcount(result)


# ---------------------------------------------------------------- digests


def claim_digest(
    session: Session, *, channel: str, owner: str, now: datetime, lease_s: float
) -> list[ClaimedRow]:
    """Lease every collected row of a digest channel (one daemon sends each digest)."""
    rows = _free_rows(
        session,
        now,
        [Notification.channel == channel, Notification.state == "digest"],
        [Notification.created_at, Notification.id],
    )
    stamp(session, Notification, [r.id for r in rows], owner, now + timedelta(seconds=lease_s))
    return rows


def finish_digest(
    session: Session,
    ids: Sequence[int],
    *,
    owner: str,
    now: datetime,
    delivered: bool,
    response: str | None,
    error: str | None,
) -> int:
    """Delivered: the rows are done. Not delivered: they wait for the next digest."""
    values: dict[str, object] = {
        "attempts": Notification.attempts + 1,
        "last_response": response,
        "last_error": error,
        "lease_owner": None,
        "lease_until": None,
    }
    if delivered:
        values.update(state="delivered", delivered_at=now)
    result = session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.lease_owner == owner)
        .values(**values)
    )
    return _rowcount(result)


# ---------------------------------------------------------------- reading


def change_details(session: Session, change_ids: Sequence[int]) -> dict[int, ChangeDetail]:
    """The changes behind outbox rows, with story labels and version numbers and times."""
    if not change_ids:
        return {}
    fv = select(Version.id, Version.number, Version.first_seen).subquery()
    tv = select(
        Version.id, Version.number, Version.first_seen, Version.title, Version.archive_url
    ).subquery()
    q = (
        select(
            Change,
            Story.url,
            Story.title,
            fv.c.number,
            fv.c.first_seen,
            tv.c.number,
            tv.c.first_seen,
            tv.c.title,
            tv.c.archive_url,
        )
        .join(Story, Story.id == Change.story_id)
        .outerjoin(fv, fv.c.id == Change.from_version_id)
        .join(tv, tv.c.id == Change.to_version_id)
        .where(Change.id.in_(list(change_ids)))
    )
    rows = session.execute(q).all()
    labels = _labels(session, {c.story_id for c, *_ in rows})
    return {
        c.id: ChangeDetail(
            change_id=c.id,
            story_id=c.story_id,
            url=url,
            # The headline as of this change; the story's latest one for a tombstone.
            title=headline or title,
            labels=labels.get(c.story_id, ()),
            from_version=fn,
            to_version=tn,
            from_time=ft,
            to_time=tt,
            at=c.at,
            change_class=c.change_class,
            summary=c.summary,
            revert_of=c.revert_of,
            report=reports.full(c.report, c.summary, c.change_class),
            archive_url=archived,
        )
        for c, url, title, fn, ft, tn, tt, headline, archived in rows
    }


def _labels(session: Session, story_ids: set[int]) -> dict[int, tuple[str, ...]]:
    labels: dict[int, list[str]] = {}
    for sid, label in session.execute(
        select(StoryLabel.story_id, StoryLabel.label)
        .where(StoryLabel.story_id.in_(story_ids))
        .order_by(StoryLabel.label)
    ):
        labels.setdefault(sid, []).append(label)
    return {sid: tuple(names) for sid, names in labels.items()}


def counts_by_channel(session: Session) -> dict[str, dict[str, int]]:
    """{channel: {state: rows}} over the whole outbox."""
    out: dict[str, dict[str, int]] = {}
    for channel, state, n in session.execute(
        select(Notification.channel, Notification.state, func.count()).group_by(
            Notification.channel, Notification.state
        )
    ):
        out.setdefault(channel, {})[state] = n
    return out


def counts_by_state(session: Session) -> dict[str, int]:
    """{state: rows} over the whole outbox: the per-channel counts summed, in state order."""
    totals: dict[str, int] = {}
    for by_state in counts_by_channel(session).values():
        for state, n in by_state.items():
            totals[state] = totals.get(state, 0) + n
    return dict(sorted(totals.items()))


def last_errors(session: Session) -> dict[str, str]:
    """The most recent error per channel among rows not delivered."""
    q = (
        select(Notification.channel, Notification.last_error)
        .where(Notification.last_error.is_not(None), Notification.state != "delivered")
        .order_by(Notification.id)
    )
    return {channel: error for channel, error in session.execute(q) if error is not None}


def last_delivered(session: Session, channel: str) -> datetime | None:
    """When this channel last delivered anything (a channel's ``min_interval`` counts from it)."""
    return session.execute(
        select(func.max(Notification.delivered_at)).where(Notification.channel == channel)
    ).scalar_one_or_none()
