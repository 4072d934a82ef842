"""Outbox delivery: claim due notification rows with a lease, render, send, record.

The pipeline writes one ``notification`` row per change x channel in the same transaction as
the change, so an alert exists exactly when its change does. ``deliver_due`` then:

1. postpones due rows of channels inside their quiet hours to the window's end;
2. claims due rows (``pending``, ``next_attempt_at <= now``, lease free or expired) with a
   lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL: several daemons share the outbox);
3. renders and sends each row, carrying the idempotency key ``"{change_id}:{channel}"``;
4. records the outcome: ``delivered``; or back to ``pending`` with ``attempts + 1`` and an
   exponential backoff (a Retry-After is a floor); or ``failed`` after ``max_attempts``.

A crash between claim and record loses nothing: the lease expires and the row is claimed
again. The same alert may then be sent twice, with the same key, so receivers dedup on it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from jinja2 import TemplateError

from tracker.config import ChannelSettings, Settings
from tracker.notify import channels, messages, timing
from tracker.notify import store as ns
from tracker.notify.digest import validate_channels
from tracker.store import db

if TYPE_CHECKING:
    from tracker.service import Tracker

log = logging.getLogger("tracker.notify")


@dataclass(slots=True)
class DeliveryStats:
    """What one ``deliver_due`` pass did."""

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


def deliver_due(
    tracker: Tracker, *, owner: str, limit: int = 100, now: datetime | None = None
) -> DeliveryStats:
    """One delivery pass over the outbox; safe to run from several processes at once."""
    validate_channels(tracker.settings)  # a bad quiet_hours or cron names its key, every pass
    now = now or tracker.clock()
    by_name = {c.name: c for c in tracker.settings.channels}
    stats = DeliveryStats()
    if not by_name:
        return stats
    with db.transaction(tracker.factory) as session:
        for channel in by_name.values():
            end = timing.quiet_until(channel.quiet_hours, now)
            if end is not None:
                stats.postponed += ns.postpone(session, channel.name, now=now, until=end)
        timeouts = {name: c.timeout for name, c in by_name.items()}
        rows = ns.claim_due(session, owner=owner, now=now, timeouts=timeouts, limit=limit)
    if not rows:
        return stats
    with tracker.factory() as session:
        details = ns.change_details(session, [r.change_id for r in rows])
    for row in rows:
        channel = by_name[row.channel]
        detail = details.get(row.change_id)
        outcome = _attempt(tracker.settings, channel, detail, now) if detail else None
        if outcome is None:  # the change was deleted with its story: nothing to say
            outcome = channels.Delivery(False, error="the change no longer exists", permanent=True)
        _record(tracker, row, channel, outcome, now, stats, owner)
    return stats


def _attempt(
    settings: Settings, channel: ChannelSettings, detail: ns.ChangeDetail, now: datetime
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


def _record(
    tracker: Tracker,
    row: ns.ClaimedRow,
    channel: ChannelSettings,
    outcome: channels.Delivery,
    now: datetime,
    stats: DeliveryStats,
    owner: str,
) -> None:
    attempts = row.attempts + 1
    fields: dict[str, object] = {"attempts": attempts, "last_response": outcome.response or None}
    if outcome.ok:
        fields.update(state="delivered", delivered_at=now)
    elif outcome.permanent or attempts >= channel.max_attempts:
        fields.update(state="failed", last_error=outcome.error)
    else:
        delay = timing.retry_delay(attempts, retry_after=outcome.retry_after)
        fields.update(
            state="pending",
            last_error=outcome.error,
            next_attempt_at=now + timedelta(seconds=delay),
        )
    with db.transaction(tracker.factory) as session:
        kept = ns.record_outcome(session, row.id, owner=owner, **fields)  # type: ignore[arg-type]
    if not kept:
        # Our lease ran out and another worker took the row: its record wins.
        log.warning("lost the lease on notification %s (%s)", row.id, row.channel)
        return
    state = fields["state"]
    if state == "delivered":
        stats.delivered += 1
    elif state == "failed":
        stats.failed += 1
        log.error("notification %s to %s failed for good: %s", row.id, row.channel, outcome.error)
    else:
        stats.retried += 1
        log.warning("notification %s to %s will be retried: %s", row.id, row.channel, outcome.error)
