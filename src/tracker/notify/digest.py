"""Digests: a channel with ``digest = "<cron>"`` collects its changes and sends one message.

The pipeline writes such a channel's rows with state ``digest``. On each firing of the cron
schedule the daemon calls ``send_digests``: it leases every collected row of the channel (so
one daemon sends each digest), renders them as one message, sends it, and marks the rows
delivered. A failed digest leaves the rows for the next firing (attempts + 1, last_error).
A firing inside the channel's quiet hours sends nothing; the rows wait for the next one.

Cron strings are the usual five fields (minute hour day-of-month month day-of-week), in local
time, with cron's day numbers (0 or 7 = Sunday).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from apscheduler.triggers.cron import CronTrigger
from jinja2 import TemplateError

from tracker.config import ChannelSettings, Settings
from tracker.errors import ConfigError, NotFound
from tracker.notify import channels, messages, timing
from tracker.notify import store as ns
from tracker.store import db

if TYPE_CHECKING:
    from tracker.service import Tracker

log = logging.getLogger("tracker.notify")

_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class DigestResult:
    channel: str
    changes: int  # changes in the digest (0: nothing collected, nothing sent)
    delivered: bool
    response: str = ""
    error: str | None = None


def _weekdays(field: str) -> str:
    """Cron's numeric weekdays (0/7 = Sunday) as names: APScheduler 3 counts from Monday."""

    def part(p: str) -> str:
        m = re.fullmatch(r"(\*|\d)(?:-(\d))?(?:/(\d+))?", p)
        if not m or not any(ch.isdigit() for ch in p):
            return p  # names, "*", "last" and friends mean the same to both
        start, end, step = m.groups()
        lo = 0 if start == "*" else int(start)
        hi = 6 if start == "*" else int(end) if end else lo
        if not step and end is None:
            return _DAYS[lo] if lo <= 7 else p
        if lo > 7 or hi > 7 or lo > hi:
            return p  # let APScheduler explain what is wrong
        days = dict.fromkeys(_DAYS[d] for d in range(lo, hi + 1, int(step or 1)))
        return ",".join(days)

    return ",".join(part(p) for p in field.split(","))


def cron_trigger(expr: str) -> CronTrigger:
    """A standard 5-field cron string -> APScheduler trigger. Raises ValueError."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields (minute hour day month weekday), got {len(fields)}")
    fields[4] = _weekdays(fields[4])
    return CronTrigger.from_crontab(" ".join(fields))


def validate_channels(settings: Settings) -> None:
    """Checks config.py cannot make: cron strings and quiet hours. Raises ConfigError."""
    for i, channel in enumerate(settings.channels):
        if channel.digest:
            try:
                cron_trigger(channel.digest)
            except ValueError as exc:
                raise ConfigError(
                    settings.source, f"channels[{i}].digest", f"bad cron {channel.digest!r}: {exc}"
                ) from None
        try:
            timing.parse_quiet_hours(channel.quiet_hours)
        except ValueError as exc:
            raise ConfigError(settings.source, f"channels[{i}].quiet_hours", str(exc)) from None


def digest_triggers(settings: Settings) -> list[tuple[str, CronTrigger]]:
    """(channel name, trigger) for every digest channel, for the daemon's scheduler."""
    validate_channels(settings)
    return [(c.name, cron_trigger(c.digest)) for c in settings.channels if c.digest]


def digest_key(channel: str, row_ids: list[int]) -> str:
    """The same rows give the same key, so a resent digest can be recognised."""
    digest = hashlib.sha256(",".join(map(str, sorted(row_ids))).encode()).hexdigest()[:16]
    return f"digest:{channel}:{digest}"


def _channel(settings: Settings, name: str) -> ChannelSettings:
    for c in settings.channels:
        if c.name == name:
            return c
    raise NotFound(f"no channel named {name!r} in {settings.source}")


def send_digests(
    tracker: Tracker, channel_name: str, now: datetime | None = None, *, owner: str | None = None
) -> DigestResult:
    """Send one digest of everything the channel collected; mark those rows delivered."""
    channel = _channel(tracker.settings, channel_name)
    owner = owner or f"digest:{socket.gethostname()}:{os.getpid()}"
    now = now or tracker.clock()
    if timing.quiet_until(channel.quiet_hours, now) is not None:
        return DigestResult(channel.name, 0, False, error="quiet hours")
    with db.transaction(tracker.factory) as session:
        rows = ns.claim_digest(
            session,
            channel=channel.name,
            owner=owner,
            now=now,
            lease_s=ns.LEASE_MARGIN_S + channel.timeout,
        )
    if not rows:
        return DigestResult(channel.name, 0, False)
    with tracker.factory() as session:
        details = ns.change_details(session, [r.change_id for r in rows])
    ordered = [details[r.change_id] for r in rows if r.change_id in details]
    key = digest_key(channel.name, [r.id for r in rows])
    try:
        message = messages.render_digest(
            channel,
            ordered,
            key=key,
            now=now,
            web_base=tracker.settings.web.base_url,
            base_dir=messages.config_dir(tracker.settings),
        )
        outcome = channels.send(channel, message)
    except (TemplateError, OSError) as exc:
        outcome = channels.Delivery(False, error=f"template: {type(exc).__name__}: {exc}")
    with db.transaction(tracker.factory) as session:
        ns.finish_digest(
            session,
            [r.id for r in rows],
            owner=owner,
            now=now,
            delivered=outcome.ok,
            response=outcome.response or None,
            error=outcome.error,
        )
    if not outcome.ok:
        log.warning("digest for %s not delivered: %s", channel.name, outcome.error)
    return DigestResult(channel.name, len(ordered), outcome.ok, outcome.response, outcome.error)
