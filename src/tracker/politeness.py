"""Who may start a request to a host, and when: the fetcher asks a ``HostGate``.

``LocalGate`` is the one-process rule (SQLite runs one daemon): a per-host semaphore
(``per_host_concurrency``) and a minimum time between request starts (``per_host_delay``),
kept in memory. On PostgreSQL every daemon asks the database instead
(``tracker.check.fleet.FleetGate``), so the limits hold for the whole fleet, a host's
429/503 backoff is everyone's, and robots.txt is fetched once for all.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from tracker.config import FetchSettings

ROBOTS_MAX_AGE_S = 86400.0  # robots.txt is fetched once per origin per day
BACKOFF_DEFAULT_S = 60.0  # a 429/503 without a usable Retry-After keeps the fleet away this long
BACKOFF_MAX_S = 3600.0  # and a Retry-After never keeps it away longer than this

RobotsFetch = Callable[[], Awaitable[str | None]]
# Called by the fetcher once a turn's request is out (its answer began, or it failed).
Started = Callable[[], Awaitable[None]]


async def no_wait() -> None:
    return None


class HostGate(Protocol):
    """The politeness rules the fetcher follows; one per fetcher."""

    robots_cache_s: float  # how long the fetcher keeps a parsed robots.txt in memory

    def turn(self, host: str) -> AbstractAsyncContextManager[Started]:
        """Held while one request to ``host`` is in flight; entered when it may start. The
        fetcher awaits what it gives once the request is out (the delay counts from then)."""
        ...

    async def back_off(self, host: str, seconds: float, reason: str) -> None:
        """The host answered 429/503: stay away from it for ``seconds``."""
        ...

    async def robots(self, origin: str, fetch: RobotsFetch) -> str | None:
        """robots.txt of ``origin`` (None: none there); ``fetch`` gets it from the site."""
        ...


def backoff_seconds(retry_after_s: float | None) -> float:
    """How long a 429/503 keeps the fleet away from its host."""
    if retry_after_s is None or retry_after_s <= 0:
        return BACKOFF_DEFAULT_S
    return min(retry_after_s, BACKOFF_MAX_S)


class LocalGate:
    """In-process limits: what one daemon (or one ``tracker check``) needs on its own."""

    robots_cache_s = ROBOTS_MAX_AGE_S

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self._hosts: dict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(max(1, settings.per_host_concurrency))
        )
        self._host_last: dict[str, float] = {}
        self._host_gates: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    @asynccontextmanager
    async def turn(self, host: str) -> AsyncIterator[Started]:
        async with self._hosts[host]:
            if self.settings.per_host_delay <= 0:
                yield no_wait
                return
            # With a delay, one request at a time gets ready: the next may start ``delay``
            # after this one's answer began. Timing it from the turn instead let two requests
            # reach the host together when the first was held up on its way out (a new
            # connection, an event loop busy extracting a page).
            ready = self._host_gates[host]
            await ready.acquire()
            out = False

            async def started() -> None:
                nonlocal out
                if not out:
                    out = True
                    self._host_last[host] = time.monotonic()
                    ready.release()

            try:
                wait = self._host_last.get(host, float("-inf")) + self.settings.per_host_delay
                if (wait := wait - time.monotonic()) > 0:
                    await asyncio.sleep(wait)
                yield started
            finally:
                await started()  # the request failed before an answer: it counts from now

    async def back_off(self, host: str, seconds: float, reason: str) -> None:
        """One process: the story that got the 429/503 waits its Retry-After (the scheduler
        does that); the other stories of the host are not held back."""

    async def robots(self, origin: str, fetch: RobotsFetch) -> str | None:
        return await fetch()
