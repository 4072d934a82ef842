"""What desk users follow, where they want alerts, their rules, and a story's labels.

Destinations are private to their owner: every read and write here takes the user's id and
refuses (NotFound) a row of somebody else, so a tampered id in a form reaches nothing.
An outbox row for a destination uses the channel name ``desk:<destination id>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, String, cast, delete, or_, select
from sqlalchemy.orm import Session

from tracker.errors import NotFound
from tracker.store.models import Notification, Story, StoryLabel
from tracker.store.people_models import (
    DeskDestination,
    DeskFollow,
    DeskSubscription,
    DeskUser,
)

CHANNEL_PREFIX = "desk:"
FOLLOW_KINDS = ("story", "label", "feed")


def channel_name(destination_id: int) -> str:
    return f"{CHANNEL_PREFIX}{destination_id}"


@dataclass(frozen=True, slots=True)
class FollowRow:
    kind: str
    target: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DestinationRow:
    id: int
    user_id: int | None  # None: a shared channel of the desk (store.shared)
    name: str
    kind: str
    url: str
    created_at: datetime
    last_test: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Rules:
    """A subscription's rules, as a person set them."""

    min_class: str = "substantive"
    followed: bool = True
    labels: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    quiet_hours: str = ""
    digest: str = ""


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    id: int
    destination: DestinationRow
    rules: Rules


@dataclass(frozen=True, slots=True)
class Route:
    """One subscription as the check sees it: the rules, and whether its owner follows the
    story that changed."""

    destination_id: int
    rules: Rules
    follows_story: bool


@dataclass(frozen=True, slots=True)
class DeskChannel:
    """One destination as delivery sees it: where, how, and its owner's clock."""

    destination_id: int
    kind: str
    url: str
    quiet_hours: str
    digest: str
    timezone: str


# ---------------------------------------------------------------- follows


def follow(session: Session, user_id: int, kind: str, target: str, now: datetime) -> bool:
    """Follow a story, label or feed; False if already followed."""
    exists = session.scalar(
        select(DeskFollow.id).where(
            DeskFollow.user_id == user_id, DeskFollow.kind == kind, DeskFollow.target == target
        )
    )
    if exists is not None:
        return False
    session.add(DeskFollow(user_id=user_id, kind=kind, target=target, created_at=now))
    return True


def unfollow(session: Session, user_id: int, kind: str, target: str) -> None:
    session.execute(
        delete(DeskFollow).where(
            DeskFollow.user_id == user_id, DeskFollow.kind == kind, DeskFollow.target == target
        )
    )


def follows(session: Session, user_id: int) -> list[FollowRow]:
    rows = session.scalars(
        select(DeskFollow).where(DeskFollow.user_id == user_id).order_by(DeskFollow.created_at)
    )
    return [FollowRow(f.kind, f.target, f.created_at) for f in rows]


def _followed_clause(user_id: int) -> ColumnElement[bool]:
    """Stories a user follows: directly, through one of their labels, or through a feed.
    Story and feed targets are ids written as text (``follow`` only stores digits there)."""

    def targets(kind: str, as_id: bool) -> Select[Any]:
        where = (DeskFollow.user_id == user_id, DeskFollow.kind == kind)
        if as_id:
            return select(cast(DeskFollow.target, Integer)).where(*where)
        return select(DeskFollow.target).where(*where)

    by_label = select(StoryLabel.story_id).where(StoryLabel.label.in_(targets("label", False)))
    return or_(
        Story.id.in_(targets("story", True)),
        Story.id.in_(by_label),
        Story.feed_id.in_(targets("feed", True)),
    )


def followed_story_ids(session: Session, user_id: int) -> list[int]:
    return list(
        session.scalars(select(Story.id).where(_followed_clause(user_id)).order_by(Story.id))
    )


# ---------------------------------------------------------------- destinations


def as_row(d: DeskDestination) -> DestinationRow:
    return DestinationRow(d.id, d.user_id, d.name, d.kind, d.url, d.created_at, d.last_test)


def _owned(session: Session, user_id: int, destination_id: int) -> DeskDestination:
    d = session.get(DeskDestination, destination_id)
    if d is None or d.user_id != user_id:
        raise NotFound(f"no destination {destination_id}")
    return d


def add_destination(
    session: Session, user_id: int, *, name: str, kind: str, url: str, now: datetime
) -> DestinationRow:
    d = DeskDestination(user_id=user_id, name=name, kind=kind, url=url, created_at=now)
    session.add(d)
    session.flush()
    return as_row(d)


def destinations(session: Session, user_id: int) -> list[DestinationRow]:
    rows = session.scalars(
        select(DeskDestination)
        .where(DeskDestination.user_id == user_id)
        .order_by(DeskDestination.id)
    )
    return [as_row(d) for d in rows]


def destination(session: Session, user_id: int, destination_id: int) -> DestinationRow:
    return as_row(_owned(session, user_id, destination_id))


def record_test(session: Session, user_id: int, destination_id: int, answer: str) -> None:
    _owned(session, user_id, destination_id).last_test = answer[:4000]


def remove_destination(session: Session, user_id: int, destination_id: int) -> None:
    """Gone with its subscription and the alerts still waiting for it."""
    drop(session, _owned(session, user_id, destination_id))


def drop(session: Session, d: DeskDestination) -> None:
    """Remove a destination (a person's or shared) with its rules and waiting alerts."""
    session.execute(
        delete(Notification).where(
            Notification.channel == channel_name(d.id),
            Notification.state.in_(("pending", "digest")),
        )
    )
    session.execute(delete(DeskSubscription).where(DeskSubscription.destination_id == d.id))
    session.delete(d)


# ---------------------------------------------------------------- subscriptions


def rules_row(s: DeskSubscription) -> Rules:
    return Rules(
        min_class=s.min_class,
        followed=s.followed,
        labels=tuple(s.labels or ()),
        keywords=tuple(s.keywords or ()),
        quiet_hours=s.quiet_hours,
        digest=s.digest,
    )


def subscribe(
    session: Session, user_id: int, destination_id: int, rules: Rules, now: datetime
) -> SubscriptionRow:
    """Set the rules of a destination (one subscription each: created or replaced)."""
    return set_rules(session, _owned(session, user_id, destination_id), rules, now)


def set_rules(session: Session, d: DeskDestination, rules: Rules, now: datetime) -> SubscriptionRow:
    """Create or replace the one subscription of a destination (a person's or shared)."""
    s = session.scalar(select(DeskSubscription).where(DeskSubscription.destination_id == d.id))
    if s is None:
        s = DeskSubscription(user_id=d.user_id, destination_id=d.id, created_at=now)
        session.add(s)
    s.min_class, s.followed = rules.min_class, rules.followed
    s.labels, s.keywords = list(rules.labels), list(rules.keywords)
    s.quiet_hours, s.digest = rules.quiet_hours, rules.digest
    session.flush()
    return SubscriptionRow(s.id, as_row(d), rules_row(s))


def subscriptions(session: Session, user_id: int) -> list[SubscriptionRow]:
    rows = session.execute(
        select(DeskSubscription, DeskDestination)
        .join(DeskDestination, DeskDestination.id == DeskSubscription.destination_id)
        .where(DeskSubscription.user_id == user_id)
        .order_by(DeskSubscription.id)
    )
    return [SubscriptionRow(s.id, as_row(d), rules_row(s)) for s, d in rows]


def unsubscribe(session: Session, user_id: int, destination_id: int) -> None:
    _owned(session, user_id, destination_id)
    session.execute(
        delete(DeskSubscription).where(
            DeskSubscription.destination_id == destination_id,
            DeskSubscription.user_id == user_id,
        )
    )


_SUBSCRIPTIONS = select(DeskSubscription).order_by(DeskSubscription.id)  # read on every change
_ANY_SUBSCRIPTION = select(DeskSubscription.id).limit(1)


def has_subscriptions(session: Session) -> bool:
    """Whether anyone subscribed to anything (most installations: no one, so a check skips
    ``routes`` for the batch)."""
    return session.scalar(_ANY_SUBSCRIPTION) is not None


def routes(session: Session, story_id: int) -> list[Route]:
    """Every subscription, with whether its owner follows this story (for the check): two
    queries whatever the number of people."""
    subs = session.scalars(_SUBSCRIPTIONS).all()
    if not subs:
        return []
    followers = set(session.scalars(_followers(story_id)))
    return [Route(s.destination_id, rules_row(s), s.user_id in followers) for s in subs]


def _followers(story_id: int) -> Select[Any]:
    """The users who follow a story: directly, through one of its labels, or its feed."""
    labels = select(StoryLabel.label).where(StoryLabel.story_id == story_id)
    feed = select(cast(Story.feed_id, String)).where(
        Story.id == story_id, Story.feed_id.is_not(None)
    )
    return (
        select(DeskFollow.user_id)
        .where(
            or_(
                (DeskFollow.kind == "story") & (DeskFollow.target == str(story_id)),
                (DeskFollow.kind == "label") & DeskFollow.target.in_(labels),
                (DeskFollow.kind == "feed") & DeskFollow.target.in_(feed),
            )
        )
        .distinct()
    )


def desk_channels(session: Session) -> list[DeskChannel]:
    rows = session.execute(
        select(DeskDestination, DeskSubscription, DeskUser.timezone)
        .outerjoin(DeskUser, DeskUser.id == DeskDestination.user_id)  # none: shared
        .outerjoin(DeskSubscription, DeskSubscription.destination_id == DeskDestination.id)
        .order_by(DeskDestination.id)
    )
    return [
        DeskChannel(
            d.id,
            d.kind,
            d.url,
            s.quiet_hours if s else "",
            s.digest if s else "",
            tz or d.timezone or "UTC",
        )
        for d, s, tz in rows
    ]


# ---------------------------------------------------------------- stories


def set_story_labels(session: Session, story_id: int, labels: Sequence[str]) -> None:
    """Replace a story's labels (``add`` only ever merges them)."""
    if session.get(Story, story_id) is None:
        raise NotFound(f"no story {story_id}")
    session.execute(delete(StoryLabel).where(StoryLabel.story_id == story_id))
    session.add_all(StoryLabel(story_id=story_id, label=lb) for lb in dict.fromkeys(labels))


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    """One outbox row of a destination: its state, when, and the last error."""

    state: str
    at: datetime
    error: str | None


def recent_deliveries(
    session: Session, user_id: int, destination_id: int, limit: int = 5
) -> list[DeliveryRow]:
    _owned(session, user_id, destination_id)
    rows = session.scalars(
        select(Notification)
        .where(Notification.channel == channel_name(destination_id))
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    return [DeliveryRow(n.state, n.delivered_at or n.created_at, n.last_error) for n in rows]
