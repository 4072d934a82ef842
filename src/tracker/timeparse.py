"""Durations (``30s``, ``5m``, ``2h``, ``1d``, ``1h30m``) and dates for the CLI and config;
the ``Retry-After`` header, for the fetcher and the notification channels alike."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tracker.errors import UsageError

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str, *, allow_zero: bool = False) -> float:
    """Seconds in a duration like ``90s``, ``5m``, ``1h30m``; a bare number is seconds."""
    s = str(text).strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(\.\d+)?", s):
        seconds = float(s)
    else:
        pos, seconds = 0, 0.0
        for m in _PART.finditer(s):
            if m.start() != pos:
                break
            seconds += float(m.group(1)) * _UNITS[m.group(2)]
            pos = m.end()
        if pos != len(s) or not s:
            raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 5m, 2h, 1d)")
    if seconds <= 0 and not allow_zero:
        raise ValueError(f"duration must be positive: {text!r}")
    return seconds


def format_duration(seconds: float) -> str:
    seconds = round(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    if seconds >= 3600:
        return f"{seconds // 3600}h{(seconds % 3600) // 60}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60}s"
    return f"{seconds}s"


def parse_datetime(text: str) -> datetime:
    """An ISO date or date-time; naive values are UTC. ``+2d`` means two days from now.

    ValueError for anything else, also for a time past the year 9999."""
    s = text.strip()
    if s.startswith("+"):
        try:
            return utcnow() + timedelta(seconds=parse_duration(s[1:]))
        except OverflowError:  # timedelta past 999999999 days, or a datetime past 9999
            last = "the last date is 9999-12-31"
            raise ValueError(f"too far in the future: {text!r} ({last})") from None
    try:
        value = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a date: {text!r} (use YYYY-MM-DD, an ISO time, or +3d)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00-05:00 is past the last UTC date
        raise ValueError(f"not a date: {text!r} (past the year 9999)") from None


# A Retry-After beyond a day is a server's bug, not a plan: wait a day at most.
RETRY_AFTER_MAX_S = 86400.0
_DELTA_SECONDS = re.compile(r"[+-]?[0-9]+")


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (RFC 9110 10.2.3), or ``None`` if absent
    or unreadable.

    The value is delta-seconds or an HTTP-date. HTTP-dates are always GMT, so a date without a
    zone is read as UTC. A past date or a negative delay is 0; anything longer than
    ``RETRY_AFTER_MAX_S`` is cut to it.
    """
    if not value or not value.strip():
        return None
    text = value.strip()
    if _DELTA_SECONDS.fullmatch(text):
        seconds = float(text)  # float, not int: a 5,000-digit value is just "too long"
    else:
        # Here, not at the top: email.utils pulls in socket and more, and few callers get here.
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return min(max(0.0, seconds), RETRY_AFTER_MAX_S)


def utcnow() -> datetime:
    return datetime.now(UTC)


def optional_datetime(value: str | None, what: str) -> datetime | None:
    """A user's ``--since``/``until``-style value: None when empty, else ``parse_datetime``;
    a bad one is a ``UsageError`` that names ``what`` (exit 2 on the CLI, 400 on the web)."""
    if not value:
        return None
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise UsageError(f"{what}: {exc}") from None
