"""Durations (``30s``, ``5m``, ``2h``, ``1d``, ``1h30m``) and dates for the CLI and config."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

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
    """An ISO date or date-time; naive values are UTC. ``+2d`` means two days from now."""
    s = text.strip()
    if s.startswith("+"):
        return utcnow() + timedelta(seconds=parse_duration(s[1:]))
    try:
        value = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a date: {text!r} (use YYYY-MM-DD, an ISO time, or +3d)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
