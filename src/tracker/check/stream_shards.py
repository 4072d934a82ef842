"""The daemon's checks in worker processes, one per core (``[daemon] shards``).

Each shard is a process that fetches, extracts, compares and writes the batches it is
given, exactly as a sharded ``tracker check`` does (``shards``): one event loop, one open
fetcher and its own database connections for its whole life. The daemon keeps the queue: it
claims due stories a shard's part at a time (``[daemon] batch_size`` / shards; two parts a
shard in flight, one running while the next waits), holds and renews their leases, and
hands each part to the least loaded shard; the outcomes come back a part at a time, for its
log lines, summary and metrics.

A daemon that extracts in a pool instead (``[daemon] shards = false``) fetches, decides and
writes every check in its own process: pages go to the pool and articles come back, and that
one process bounds the rate of changed pages.

Per-host limits: on PostgreSQL the fleet's gate holds in every process. With in-process
gates (SQLite) the rule is ``lanes``': with no per-host delay and ``per_host_concurrency`` >=
the shard count, any shard takes any part, each allowed its share of the limit; otherwise
a host's stories always go to the same shard (a stable hash of the host name), which keeps
its limits whole.

Shards start from a forkserver (the daemon has threads by then: forking it is not safe) and
end with the daemon (``exit_with``). A shard that dies, or whose part runs past
``part_timeout`` (from when the shard could start it, plus each story's per-host delay: a
polite part of one host's stories is slow on purpose), is replaced: the stories of its part
are reported failed and keep their leases until those run out, so they are checked again a
lease later, not at once (a page that kills its worker must not kill one a second).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import multiprocessing
import os
import zlib
from collections.abc import Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from tracker.check import shards
from tracker.check.runner import OnDone
from tracker.config import Settings
from tracker.records import CheckOutcome
from tracker.store.database import backend_of

log = logging.getLogger("tracker.daemon")

# A part still running this long after its shard could start it (plus the per-host delay
# of each of its stories): its shard is replaced.
PART_TIMEOUT_S = 900.0
PRELOAD = ["tracker.check.stream_shards", "tracker.check.runner", "tracker.extract", "trafilatura"]


@dataclass
class _Shard:
    index: int
    executor: concurrent.futures.ProcessPoolExecutor


@dataclass(frozen=True, slots=True)
class Part:
    """Stories one shard checks together; ``done`` resolves to their outcomes."""

    shard: int  # the shard's index
    ids: list[int]
    done: asyncio.Future[list[CheckOutcome]]


class StreamShards:
    """``count`` shard processes for a daemon whose leases are held by ``owner``."""

    def __init__(
        self,
        settings: Settings,
        count: int,
        owner: str,
        *,
        part_timeout: float = PART_TIMEOUT_S,
    ) -> None:
        self.count = count
        self.owner = owner
        self.part_timeout = part_timeout
        fetch = settings.fetch
        fleet_gate = backend_of(settings.database.url) == "postgresql"
        self.by_host = not fleet_gate and (
            fetch.per_host_delay > 0 or fetch.per_host_concurrency < count
        )
        # The daemon's [fetch] concurrency is the total of its shards'.
        fetch = replace(fetch, concurrency=max(1, fetch.concurrency // count))
        if not fleet_gate and not self.by_host:  # every shard may reach every host: share
            fetch = replace(fetch, per_host_concurrency=fetch.per_host_concurrency // count)
        self.settings = replace(settings, fetch=fetch)
        self._closed = False
        self._load = [0] * count  # stories handed to each shard and not yet back
        # Each shard's newest part: the next one waits behind it, and its clock starts then.
        self._last: list[concurrent.futures.Future[list[CheckOutcome]] | None] = [None] * count
        self._shards = [self._start(i) for i in range(count)]

    # ------------------------------------------------------------------ the processes

    def _start(self, index: int) -> _Shard:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        executor = concurrent.futures.ProcessPoolExecutor(
            1,
            mp_context=ctx,
            initializer=start_shard,
            initargs=(self.settings, os.getpid()),
        )
        executor.submit(os.getpid)  # start the process now, not with the first batch
        return _Shard(index, executor)

    def _replace(self, shard: _Shard, why: str) -> None:
        if self._shards[shard.index] is not shard:
            return  # already replaced
        log.error("check worker %d %s; starting a new one", shard.index, why)
        _stop(shard.executor)
        self._shards[shard.index] = self._start(shard.index)

    def pids(self) -> list[int]:
        return [pid for s in self._shards for pid in getattr(s.executor, "_processes", {})]

    def shutdown(self) -> None:
        """Stop every shard at once: a check cut short rolls back its transaction, and the
        daemon gives its lease back."""
        self._closed = True
        for shard in self._shards:
            _stop(shard.executor)

    # ------------------------------------------------------------------ batches

    def submit(
        self,
        ids: Sequence[int],
        urls: Mapping[int, str] | None = None,
        on_done: OnDone | None = None,
    ) -> list[Part]:
        """Hand ``ids`` (leased by ``owner``) to the shards: whole to the least loaded one,
        or by host (``by_host``); one ``Part`` per shard used.
        ``urls`` (each story's URL) is needed when ``by_host``; ``on_done`` sees each outcome
        as its part comes back."""
        groups: dict[int, list[int]] = {}
        if self.by_host:
            assert urls is not None, "stories go to shards by host: their URLs are needed"
            for sid in ids:
                host = urlsplit(urls.get(sid, "")).hostname or ""
                groups.setdefault(zlib.crc32(host.encode()) % self.count, []).append(sid)
        else:  # the whole batch to the least loaded shard (the daemon claims a part's worth)
            groups[min(range(self.count), key=self._load.__getitem__)] = list(ids)
        for index, part in groups.items():
            self._load[index] += len(part)
        return [
            Part(i, part, asyncio.ensure_future(self._observed(i, part, on_done)))
            for i, part in groups.items()
        ]

    async def _observed(
        self, index: int, ids: list[int], on_done: OnDone | None
    ) -> list[CheckOutcome]:
        try:
            outcomes = await self._run(index, ids)
        finally:
            self._load[index] -= len(ids)
        if on_done is not None:
            for outcome in outcomes:
                on_done(outcome)
        return outcomes

    async def _run(self, index: int, ids: list[int]) -> list[CheckOutcome]:
        if self._closed:
            return _failed(ids, "the daemon stopped before this check ran")
        shard = self._shards[index]
        try:
            future = shard.executor.submit(shards.check_chunk, ids, self.owner)
        except BrokenProcessPool:  # it died between two parts
            self._replace(shard, "died")
            shard = self._shards[index]
            future = shard.executor.submit(shards.check_chunk, ids, self.owner)
        ahead, self._last[index] = self._last[index], future
        # A part's time runs from when the shard can start it, not from when it was queued
        # behind another; a per-host delay is waiting the part is meant to do.
        budget = self.part_timeout + len(ids) * self.settings.fetch.per_host_delay
        try:
            if ahead is not None and not ahead.done():
                await asyncio.wait([asyncio.wrap_future(ahead)])
            return await asyncio.wait_for(asyncio.wrap_future(future), budget)
        except TimeoutError:
            self._replace(shard, f"was still checking after {budget:.0f} s")
            return _failed(ids, f"the check worker took over {budget:.0f} s")
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is None or task.cancelling() or not future.cancelled():
                raise  # the daemon cancelled this part (its stop)
            # Queued behind a part that broke its shard: never started, so run it again.
            return await self._run(index, ids)
        except Exception as exc:  # the process died (BrokenProcessPool), or a bug there
            if isinstance(exc, BrokenProcessPool):
                self._replace(shard, "died")
            return _failed(ids, f"check worker failed: {type(exc).__name__}: {exc}")


def start_shard(settings: Settings, parent_pid: int) -> None:
    """The shard's initializer: the daemon's log format and level, then a sharded check's
    worker (its own store, event loop and, at the first part, fetcher)."""
    from tracker.logs import setup_logging

    setup_logging(settings.daemon.log_format, settings.daemon.log_level)
    shards.start_worker(settings, parent_pid)


def _stop(executor: concurrent.futures.ProcessPoolExecutor) -> None:
    # A stuck shard would never take the shutdown from its queue: stop its process.
    for proc in list(getattr(executor, "_processes", {}).values()):
        proc.terminate()
    executor.shutdown(wait=False, cancel_futures=True)


def _failed(ids: Sequence[int], reason: str) -> list[CheckOutcome]:
    return [CheckOutcome(sid, "", "failed", error_kind="internal", error=reason) for sid in ids]
