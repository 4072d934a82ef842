"""Digests: a channel with ``digest = "<cron>"`` collects its changes and sends one message.

The pipeline writes such a channel's rows with state ``digest``. On each firing of the cron
schedule the daemon calls ``send_digest``: it leases every collected row of the channel (so
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
from datetime import datetime, tzinfo

from apscheduler.triggers.cron import CronTrigger
from jinja2 import TemplateError

from tracker.config import ChannelSettings, Settings
from tracker.errors import ConfigError, NotFound
from tracker.notify import channels, messages, timing
from tracker.store import Store
from tracker.store import outbox as ob

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


def cron_trigger(expr: str, timezone: tzinfo | None = None) -> CronTrigger:
    """A standard 5-field cron string -> APScheduler trigger (in ``timezone``, default the
    machine's). Raises ValueError."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields (minute hour day month weekday), got {len(fields)}")
    fields[4] = _weekdays(fields[4])
    return CronTrigger.from_crontab(" ".join(fields), timezone=timezone)


def validate_channels(settings: Settings) -> None:
    """Checks config.py cannot make: cron strings and quiet hours. Raises ConfigError."""
    for i, channel in enumerate(settings.channels):
        missing = channel.missing_env()
        if missing:  # a channel about to be used needs its secrets now
            raise ConfigError(
                settings.source, f"channels[{i}]", f"environment variable {missing[0]} is not set"
            )
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
        try:
            timing.zone(channel.timezone)
        except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
            raise ConfigError(
                settings.source, f"channels[{i}].timezone", f"unknown time zone: {exc}"
            ) from None


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


def send_digest(
    store: Store, settings: Settings, channel_name: str, *, owner: str, now: datetime
) -> DigestResult:
    """Send one digest of everything the channel collected; mark those rows delivered."""
    channel = _channel(settings, channel_name)
    if timing.quiet_until(channel.quiet_hours, now, timing.zone(channel.timezone)) is not None:
        return DigestResult(channel.name, 0, False, error="quiet hours")
    lease_s = ob.LEASE_MARGIN_S + channel.timeout
    rows = store.write(ob.claim_digest, channel=channel.name, owner=owner, now=now, lease_s=lease_s)
    if not rows:
        return DigestResult(channel.name, 0, False)
    details = store.read(ob.change_details, [r.change_id for r in rows])
    ordered = [details[r.change_id] for r in rows if r.change_id in details]
    ids = [r.id for r in rows]
    outcome = _send(settings, channel, ordered, digest_key(channel.name, ids), now)
    store.write(
        ob.finish_digest,
        ids,
        owner=owner,
        now=now,
        delivered=outcome.ok,
        response=outcome.response or None,
        error=outcome.error,
    )
    if not outcome.ok:
        log.warning("digest for %s not delivered: %s", channel.name, outcome.error)
    return DigestResult(channel.name, len(ordered), outcome.ok, outcome.response, outcome.error)


def default_owner() -> str:
    """The lease owner of a digest sent outside a named worker: this host and process."""
    return f"digest:{socket.gethostname()}:{os.getpid()}"


def _send(
    settings: Settings,
    channel: ChannelSettings,
    details: list[ob.ChangeDetail],
    key: str,
    now: datetime,
) -> channels.Delivery:
    try:
        message = messages.render_digest(
            channel,
            details,
            key=key,
            now=now,
            web_base=settings.web.base_url,
            base_dir=messages.config_dir(settings),
        )
        return channels.send(channel, message)
    except (TemplateError, OSError) as exc:
        return channels.Delivery(False, error=f"template: {type(exc).__name__}: {exc}")
