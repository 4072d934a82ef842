"""When to try a delivery again, and when not to send at all. Pure functions of time.

- ``retry_delay``: exponential backoff with jitter, never shorter than a ``Retry-After``.
- ``quiet_until``: the end of a channel's quiet hours (``"22:00-07:00"``, local time) when a
  moment falls inside them, else ``None``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

RETRY_BASE_S = 30.0  # first retry after about 30 s ...
RETRY_CAP_S = 3600.0  # ... doubling up to an hour between attempts
RETRY_JITTER = 0.2  # +-20%, so a receiver that was down is not hit by every row at once
RETRY_AFTER_CAP_S = 86400.0  # a Retry-After beyond a day is a receiver bug; do not obey it

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def retry_delay(
    attempts: int,
    *,
    retry_after: float | None = None,
    base: float = RETRY_BASE_S,
    cap: float = RETRY_CAP_S,
    jitter: float = RETRY_JITTER,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt (1 = the first failure).

    ``base * 2**(attempts-1)``, capped at ``cap``, spread by +-``jitter``; a ``Retry-After``
    the receiver sent is a floor (capped at a day).
    """
    exponent = max(0, attempts - 1)
    delay = min(cap, base * 2.0 ** min(exponent, 32))
    delay *= 1.0 + jitter * (2.0 * rand() - 1.0)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(retry_after, RETRY_AFTER_CAP_S))
    return delay


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily window of local time; ``end`` may be past midnight (``22:00-07:00``)."""

    start: time
    end: time

    def until(self, now: datetime, tz: tzinfo | None = None) -> datetime | None:
        """The end of the window ``now`` falls in (timezone of ``now``), else ``None``."""
        local = now.astimezone(tz)  # tz None = the machine's local time
        today = local.date()
        start = datetime.combine(today, self.start, local.tzinfo)
        end = datetime.combine(today, self.end, local.tzinfo)
        if self.start == self.end:
            return None
        if self.start < self.end:
            inside = start <= local < end
        else:  # the window wraps past midnight
            inside = local >= start or local < end
            if local >= start:
                end += timedelta(days=1)
        return end.astimezone(now.tzinfo) if inside else None


def parse_quiet_hours(spec: str) -> QuietHours | None:
    """``"HH:MM-HH:MM"`` -> QuietHours; ``""`` -> None. Raises ValueError on anything else."""
    if not spec.strip():
        return None
    m = _WINDOW.match(spec)
    if not m:
        raise ValueError(f"not a time window: {spec!r} (use HH:MM-HH:MM, e.g. 22:00-07:00)")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"not a time of day in {spec!r}")
    return QuietHours(time(h1, m1), time(h2, m2))


def quiet_until(spec: str, now: datetime, tz: tzinfo | None = None) -> datetime | None:
    """When a channel's quiet hours hold a delivery due at ``now``: the end of the window."""
    window = parse_quiet_hours(spec)
    return window.until(now, tz) if window else None


def zone(name: str) -> tzinfo | None:
    """A channel's ``timezone`` (an IANA name); ``""`` = the machine's local time.
    Raises ZoneInfoNotFoundError or ValueError for a name that is not one."""
    return ZoneInfo(name) if name else None
