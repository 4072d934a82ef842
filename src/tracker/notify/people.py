"""People's subscriptions (the desk) in the outbox: which destinations want a change, and
each destination as a channel for delivery.

A destination is the channel ``desk:<id>``: the check writes at most one outbox row per
destination for a change (one subscription per destination), and ``deliver`` sends it like
any configured channel: same retries, idempotency key, per-row status. Quiet hours are in the
owner's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import cast

from tracker.config import ChannelSettings, Settings
from tracker.notify import channels, rules, timing
from tracker.notify.digest import DigestResult
from tracker.store import Store
from tracker.store import desk as dk
from tracker.store.outbox import OutboxTarget
from tracker.vocab import ChangeClass


def as_channel(c: dk.DeskChannel) -> ChannelSettings:
    return ChannelSettings(
        name=dk.channel_name(c.destination_id),
        kind="webhook" if c.kind == "webhook" else "apprise",
        url=c.url,
        quiet_hours=c.quiet_hours,
        digest=c.digest,
        timezone=c.timezone,
    )


def desk_channels(store: Store) -> list[ChannelSettings]:
    """Every person's destination, as a channel ``deliver`` can send to."""
    return [as_channel(c) for c in store.read(dk.desk_channels)]


def wants(
    route: dk.Route,
    *,
    change_class: str,
    report: Mapping[str, object],
    labels: Sequence[str],
    revert: bool,
) -> bool:
    """A subscription's scope (followed stories and/or labels; neither = every story), then
    the same class and keyword rules a configured channel has."""
    r = route.rules
    if r.followed or r.labels:
        in_scope = (r.followed and route.follows_story) or bool(set(r.labels) & set(labels))
        if not in_scope:
            return False
    # the store holds only the vocabulary's classes (the form checks them)
    rule = ChannelSettings(min_class=cast(ChangeClass, r.min_class), keywords=list(r.keywords))
    return rules.wants(rule, change_class=change_class, report=report, labels=(), revert=revert)


def desk_targets(
    store: Store,
    story_id: int,
    *,
    change_class: str,
    report: Mapping[str, object],
    labels: Sequence[str],
    revert: bool,
) -> list[OutboxTarget]:
    """The destinations that want this change: one outbox target each."""
    if revert:
        return []
    return [
        OutboxTarget(dk.channel_name(route.destination_id), digest=bool(route.rules.digest))
        for route in store.read(dk.routes, story_id)
        if wants(route, change_class=change_class, report=report, labels=labels, revert=revert)
    ]


def send_test(
    settings: Settings, destination: dk.DestinationRow, now: datetime
) -> channels.Delivery:
    """The sample change, sent to one destination now (no outbox row); its answer is shown."""
    from tracker.notify.sample import send_sample

    channel = as_channel(
        dk.DeskChannel(destination.id, destination.kind, destination.url, "", "", "UTC")
    )
    return send_sample(replace(settings, channels=[channel]), channel.name, now=now)


def send_desk_digests(
    store: Store, settings: Settings, *, owner: str, since: datetime, now: datetime
) -> list[DigestResult]:
    """Send the digest of every destination whose schedule (cron, in its owner's time zone)
    fired in ``(since, now]``; the daemon calls this every minute."""
    from tracker.notify.digest import cron_trigger, send_digest

    results = []
    for channel in desk_channels(store):
        if not channel.digest:
            continue
        trigger = cron_trigger(channel.digest, timing.zone(channel.timezone))
        fire = trigger.get_next_fire_time(None, since + timedelta(microseconds=1))
        if fire is None or fire > now:
            continue
        only = replace(settings, channels=[channel])
        results.append(send_digest(store, only, channel.name, owner=owner, now=now))
    return results
