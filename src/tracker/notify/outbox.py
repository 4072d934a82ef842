"""Outbox delivery: claim due notification rows with a lease, render, send, record.

The pipeline writes one ``notification`` row per change x channel in the same transaction as
the change, so an alert exists exactly when its change does. ``deliver`` then:

1. postpones due rows of channels inside their quiet hours to the window's end;
2. claims due rows (``pending``, ``next_attempt_at <= now``, lease free or expired) with a
   lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL: several daemons share the outbox);
3. renders and sends each row, carrying the idempotency key ``"{change_id}:{channel}"``;
4. records the outcome: ``delivered``; or back to ``pending`` with ``attempts + 1`` and an
   exponential backoff (a Retry-After is a floor); or ``failed`` after ``max_attempts``.

A channel with ``min_interval`` sends at most one row per pass and holds the rest until that
long after its last delivery (no attempt counted), so a burst does not flood an account.

A crash between claim and record loses nothing: the lease expires and the row is claimed
again. The same alert may then be sent twice, with the same key, so receivers dedup on it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from jinja2 import TemplateError

from tracker.config import ChannelSettings, Settings
from tracker.notify import channels, messages, people, timing
from tracker.notify.digest import validate_channels
from tracker.store import Store
from tracker.store import outbox as ob

log = logging.getLogger("tracker.notify")


@dataclass(slots=True)
class DeliveryStats:
    """What one delivery pass did."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0
    postponed: int = 0  # held by quiet hours

    @property
    def attempted(self) -> int:
        return self.delivered + self.retried + self.failed

    def to_json(self) -> dict[str, int]:
        return {
            "delivered": self.delivered,
            "retried": self.retried,
            "failed": self.failed,
            "postponed": self.postponed,
        }


def deliver(
    store: Store, settings: Settings, *, owner: str, now: datetime, limit: int = 100
) -> DeliveryStats:
    """One delivery pass over the outbox; safe to run from several processes at once."""
    validate_channels(settings)  # a bad quiet_hours or cron names its key, every pass
    by_name = {c.name: c for c in settings.channels}
    by_name.update((c.name, c) for c in people.desk_channels(store))  # people's destinations
    stats = DeliveryStats()
    if not by_name:
        return stats
    for channel in by_name.values():
        end = timing.quiet_until(channel.quiet_hours, now, timing.zone(channel.timezone))
        if end is not None:
            stats.postponed += store.write(ob.postpone, channel.name, now=now, until=end)
        stats.postponed += _pace(store, channel, now)
    timeouts = {name: c.timeout for name, c in by_name.items()}
    rows = store.write(ob.claim_due, owner=owner, now=now, timeouts=timeouts, limit=limit)
    if not rows:
        return stats
    details = store.read(ob.change_details, [r.change_id for r in rows])
    paced: set[str] = set()  # channels with a min_interval that sent in this pass
    for row in rows:
        channel = by_name[row.channel]
        if row.channel in paced:
            wait = ob.Outcome(
                state="pending",
                attempts=row.attempts,
                next_attempt_at=now + timedelta(seconds=channel.min_interval),
            )
            stats.postponed += int(store.write(ob.record_outcome, row.id, wait, owner=owner))
            continue
        detail = details.get(row.change_id)
        delivery = _attempt(settings, channel, detail, now) if detail else None
        if delivery is None:  # the change was deleted with its story: nothing to say
            delivery = channels.Delivery(False, error="the change no longer exists", permanent=True)
        outcome = _outcome(row, channel, delivery, now)
        if channel.min_interval > 0:
            paced.add(row.channel)
        if store.write(ob.record_outcome, row.id, outcome, owner=owner):
            _count(stats, row, outcome.state, delivery)
        else:
            # Our lease ran out and another worker took the row: its record wins.
            log.warning("lost the lease on notification %s (%s)", row.id, row.channel)
    return stats


def _pace(store: Store, channel: ChannelSettings, now: datetime) -> int:
    """``min_interval``: hold the channel's due rows until that long after its last delivery,
    so a burst of edits goes out one message at a time (no attempt is counted)."""
    if channel.min_interval <= 0:
        return 0
    last = store.read(ob.last_delivered, channel.name)
    if last is None or now >= last + timedelta(seconds=channel.min_interval):
        return 0
    until = last + timedelta(seconds=channel.min_interval)
    return int(store.write(ob.postpone, channel.name, now=now, until=until))


def _attempt(
    settings: Settings, channel: ChannelSettings, detail: ob.ChangeDetail, now: datetime
) -> channels.Delivery:
    try:
        message = messages.render_change(
            channel,
            detail,
            now=now,
            web_base=settings.web.base_url,
            base_dir=messages.config_dir(settings),
        )
    except (TemplateError, OSError) as exc:
        return channels.Delivery(False, error=f"template: {type(exc).__name__}: {exc}")
    try:
        return channels.send(channel, message)
    except Exception as exc:  # a bug in one sender must not strand the rest of the batch
        log.exception("sending to %s failed unexpectedly", channel.name)
        return channels.Delivery(False, error=f"{type(exc).__name__}: {exc}")


def _outcome(
    row: ob.ClaimedRow, channel: ChannelSettings, delivery: channels.Delivery, now: datetime
) -> ob.Outcome:
    """Delivered; failed for good (permanent, or out of attempts); or retried after a backoff."""
    attempts = row.attempts + 1
    response = delivery.response or None
    if delivery.ok:
        return ob.Outcome(
            state="delivered", attempts=attempts, delivered_at=now, last_response=response
        )
    if delivery.permanent or attempts >= channel.max_attempts:
        return ob.Outcome(
            state="failed", attempts=attempts, last_error=delivery.error, last_response=response
        )
    delay = timing.retry_delay(attempts, retry_after=delivery.retry_after)
    return ob.Outcome(
        state="pending",
        attempts=attempts,
        next_attempt_at=now + timedelta(seconds=delay),
        last_error=delivery.error,
        last_response=response,
    )


def _count(
    stats: DeliveryStats, row: ob.ClaimedRow, state: ob.OutboxState, delivery: channels.Delivery
) -> None:
    if state == "delivered":
        stats.delivered += 1
    elif state == "failed":
        stats.failed += 1
        log.error("notification %s to %s failed for good: %s", row.id, row.channel, delivery.error)
    else:
        stats.retried += 1
        log.warning(
            "notification %s to %s will be retried: %s", row.id, row.channel, delivery.error
        )
