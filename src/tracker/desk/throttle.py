"""Failed logins per client address, in memory: one address guessing across many accounts.

The per-account throttle lives in the database (``store.people.login_failed``); this one is
per process and forgets on restart, which is enough to slow a single client down.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

MAX_ADDRESSES = 10_000  # bounded memory: the oldest address is forgotten first


class FailureWindow:
    """At most ``limit`` failures per address within ``window``; then ``blocked`` says how
    long until the oldest one leaves the window."""

    def __init__(self, limit: int, window: timedelta) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: datetime) -> deque[datetime]:
        times = self._seen.get(address, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def blocked(self, address: str, now: datetime) -> float:
        """Seconds this address must wait before its next attempt (0: go ahead)."""
        with self._lock:
            times = self._recent(address, now)
            if len(times) < self.limit:
                return 0.0
            return (times[0] + self.window - now).total_seconds()

    def failed(self, address: str, now: datetime) -> None:
        with self._lock:
            times = self._recent(address, now)
            times.append(now)
            self._seen.pop(address, None)
            self._seen[address] = times  # most recent last
            while len(self._seen) > MAX_ADDRESSES:
                self._seen.pop(next(iter(self._seen)))
