"""The desk's shared channels (issue 18): destinations owned by the desk, not a person.

A shared channel is a ``desk_destination`` row with ``shared`` set and no owner, with at most
one subscription (the same rules as a person's, set by admins) and its own time zone for quiet
hours and digests. It is the outbox channel ``desk:<id>`` like any destination, so delivery,
retries and digests are the people's (store.desk, notify.people). Who may write is the web's
business (admins); these functions only keep shared rows and people's rows apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.errors import NotFound
from tracker.store import desk as dk
from tracker.store.models import Notification
from tracker.store.people_models import DeskDestination, DeskSubscription


@dataclass(frozen=True, slots=True)
class SharedRow:
    """One shared channel: where, its clock, and its rules (None: not subscribed yet)."""

    destination: dk.DestinationRow
    timezone: str
    rules: dk.Rules | None


def _shared(session: Session, channel_id: int) -> DeskDestination:
    d = session.get(DeskDestination, channel_id)
    if d is None or not d.shared:
        raise NotFound(f"no shared channel {channel_id}")
    return d


def _row(d: DeskDestination, s: DeskSubscription | None) -> SharedRow:
    return SharedRow(dk.as_row(d), d.timezone or "UTC", dk.rules_row(s) if s else None)


def add_shared(
    session: Session, *, name: str, kind: str, url: str, timezone: str, now: datetime
) -> SharedRow:
    d = DeskDestination(
        user_id=None, shared=True, name=name, kind=kind, url=url, timezone=timezone, created_at=now
    )
    session.add(d)
    session.flush()
    return _row(d, None)


def shared_channels(session: Session) -> list[SharedRow]:
    rows = session.execute(
        select(DeskDestination, DeskSubscription)
        .outerjoin(DeskSubscription, DeskSubscription.destination_id == DeskDestination.id)
        .where(DeskDestination.shared.is_(True))
        .order_by(DeskDestination.id)
    )
    return [_row(d, s) for d, s in rows]


def shared_channel(session: Session, channel_id: int) -> SharedRow:
    d = _shared(session, channel_id)
    s = session.scalar(select(DeskSubscription).where(DeskSubscription.destination_id == d.id))
    return _row(d, s)


def edit_shared(
    session: Session, channel_id: int, *, name: str, kind: str, url: str, timezone: str
) -> SharedRow:
    d = _shared(session, channel_id)
    d.name, d.kind, d.url, d.timezone = name, kind, url, timezone
    session.flush()
    return shared_channel(session, channel_id)


def set_shared_rules(
    session: Session, channel_id: int, rules: dk.Rules, now: datetime
) -> SharedRow:
    dk.set_rules(session, _shared(session, channel_id), rules, now)
    return shared_channel(session, channel_id)


def record_shared_test(session: Session, channel_id: int, answer: str) -> None:
    _shared(session, channel_id).last_test = answer[:4000]


def remove_shared(session: Session, channel_id: int) -> None:
    """Gone with its rules and the alerts still waiting for it."""
    dk.drop(session, _shared(session, channel_id))


def shared_deliveries(session: Session, channel_id: int, limit: int = 5) -> list[dk.DeliveryRow]:
    _shared(session, channel_id)
    rows = session.scalars(
        select(Notification)
        .where(Notification.channel == dk.channel_name(channel_id))
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    return [dk.DeliveryRow(n.state, n.delivered_at or n.created_at, n.last_error) for n in rows]
