"""Politeness for a fleet: every daemon on one PostgreSQL follows the same host limits.

``FleetGate`` is the fetcher's ``HostGate`` when the store is PostgreSQL: a request to a host
starts only when the database grants a turn (``store.hosts.take_turn``), so
``per_host_concurrency`` and ``per_host_delay`` hold for all daemons together; a 429/503
keeps every daemon away from the host; robots.txt is fetched by one daemon and shared.

Within one process a per-host semaphore and lock keep the questions to the database few: one
coroutine per host asks at a time, and never more of them than the host's concurrency.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from tracker.config import FetchSettings
from tracker.errors import FetchError, StoreError
from tracker.politeness import ROBOTS_MAX_AGE_S, HostGate, LocalGate, RobotsFetch, Started
from tracker.store import Store, hosts

R = TypeVar("R")

HOLD_MARGIN_S = 30.0  # a turn's lease outlives the fetch budget by this much
WAIT_BACKOFF_S = 5.0  # a host's backoff shorter than this is waited out; longer defers the check
ROBOTS_RECHECK_S = 300.0  # a daemon re-reads the fleet's robots.txt this often


def gate_for(store: Store, settings: FetchSettings, owner: str) -> HostGate:
    """The fleet's gate on PostgreSQL; on SQLite (one daemon) the in-process one."""
    if store.backend == "postgresql":
        return FleetGate(store, settings, owner)
    return LocalGate(settings)


class FleetGate:
    """Host turns, backoff and robots.txt from the database every daemon shares."""

    robots_cache_s = ROBOTS_RECHECK_S

    def __init__(self, store: Store, settings: FetchSettings, owner: str) -> None:
        self.store = store
        self.settings = settings
        self.owner = owner
        self.hold_s = settings.timeout + HOLD_MARGIN_S
        self._slots: dict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(max(1, settings.per_host_concurrency))
        )
        self._asking: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def _write(self, query: Callable[..., R], *a: Any, **k: Any) -> R:
        try:
            return await asyncio.to_thread(self.store.write, query, *a, **k)
        except StoreError as exc:
            # No turn without the database: the check fails (kind "store") rather than
            # fetching past the fleet's limits.
            raise FetchError(f"host limits unavailable: {exc}", kind="store") from exc

    @asynccontextmanager
    async def turn(self, host: str) -> AsyncIterator[Started]:
        async with self._slots[host]:
            lease = await self._wait_turn(host)
            out = False

            async def started() -> None:
                nonlocal out
                if not out and self.settings.per_host_delay > 0:
                    out = True
                    await self._write(hosts.turn_started, host, lease)

            try:
                yield started
            finally:
                # Shielded: a cancelled check still hands its slot back (else it waits out
                # the lease, and the host gets one request fewer in flight until then).
                await asyncio.shield(self._write(hosts.end_turn, host, lease))

    async def _wait_turn(self, host: str) -> int:
        s = self.settings
        async with self._asking[host]:
            while True:
                turn = await self._write(
                    hosts.take_turn,
                    host,
                    owner=self.owner,
                    delay_s=s.per_host_delay,
                    concurrency=max(1, s.per_host_concurrency),
                    hold_s=self.hold_s,
                )
                if turn.lease_id is not None:
                    return turn.lease_id
                if turn.backoff and turn.wait_s > WAIT_BACKOFF_S:
                    raise FetchError(
                        f"{host} asked the fleet to wait ({turn.reason or 'backoff'}); "
                        f"{turn.wait_s:.0f}s left",
                        kind="backoff",
                        retry_after_s=turn.wait_s,
                    )
                # A little jitter: daemons waiting on one host do not all ask at one instant.
                await asyncio.sleep(turn.wait_s + random.uniform(0, 0.01))

    async def back_off(self, host: str, seconds: float, reason: str) -> None:
        await self._write(hosts.back_off, host, seconds, reason)

    async def robots(self, origin: str, fetch: RobotsFetch) -> str | None:
        """The fleet's copy when fresh; else one daemon fetches it and stores it for all."""
        hold = self.settings.timeout + HOLD_MARGIN_S
        while True:
            turn = await self._write(
                hosts.robots_turn, origin, owner=self.owner, max_age_s=ROBOTS_MAX_AGE_S, hold_s=hold
            )
            if turn.fresh:
                return turn.body
            if turn.fetch:
                body = await fetch()
                await self._write(hosts.store_robots, origin, body)
                return body
            await asyncio.sleep(turn.wait_s)
