"""Bulk checks across processes, one per core (see ``parallel``).

A large batch is cut into chunks that worker processes take in turn: each runs the same
``run_checks`` as an in-process check on its chunk, with its own database connections and
HTTP client. The parent holds the leases and reports progress chunk by chunk.

With in-process host limits (SQLite), the stories are dealt so that ``[fetch]`` per-host
limits hold for all workers together (``lanes``).

A worker keeps one event loop and one open fetcher for all its chunks: its pooled keep-alive
connections serve the next chunk instead of a fresh set of TCP connections per chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

from tracker.check.fleet import gate_for
from tracker.check.lanes import LanePlan, plan_lanes
from tracker.check.runner import OnDone, run_checks
from tracker.config import Settings
from tracker.fetch import Fetcher
from tracker.records import CheckOutcome
from tracker.store import Store
from tracker.store.database import backend_of
from tracker.workers import exit_with

CHUNK = 50  # the smallest chunk a worker takes
MAX_CHUNK = 250
CHUNKS_PER_WORKER = 4  # enough to even out workers whose chunks run slower

_settings: Settings | None = None  # this worker process's settings and store
_store: Store | None = None
_loop: asyncio.AbstractEventLoop | None = None  # one loop for all of this worker's chunks
_fetcher: Fetcher | None = None  # opened on the first chunk, kept (its connections too)


def start_worker(settings: Settings, parent_pid: int) -> None:
    global _settings, _store, _loop
    exit_with(parent_pid)  # a killed `tracker check` must not leave its workers behind
    _settings, _store = settings, Store(settings.database.url, source=settings.source)
    _loop = asyncio.new_event_loop()


def check_chunk(ids: list[int], owner: str) -> list[CheckOutcome]:
    assert _settings is not None and _store is not None, "the pool's initializer ran"
    assert _loop is not None
    return _loop.run_until_complete(_run_chunk(_settings, _store, ids, owner))


async def _run_chunk(
    settings: Settings, store: Store, ids: list[int], owner: str
) -> list[CheckOutcome]:
    global _fetcher
    if _fetcher is None:  # the worker's process ends with the pool: nothing to close
        gate = gate_for(store, settings.fetch, owner)
        _fetcher = await Fetcher(settings.fetch, gate=gate).__aenter__()
    return await run_checks(settings, store, ids, owner=owner, fetcher=_fetcher)


async def check_in_processes(
    settings: Settings,
    ids: Sequence[int],
    *,
    owner: str,
    workers: int,
    urls: Mapping[int, str],
    on_done: OnDone | None = None,
) -> list[CheckOutcome]:
    """Check ``ids`` in ``workers`` processes, chunk by chunk; ``urls`` maps each id to its
    URL (lanes by host, and the reports of a chunk whose worker died)."""
    plan = LanePlan(None, settings.fetch)
    if backend_of(settings.database.url) != "postgresql":  # no fleet gate: limits per process
        plan = plan_lanes(ids, urls, settings.fetch, workers)
    each = replace(settings, fetch=plan.fetch)
    # One queue that any worker takes the next chunk of, or a worker per lane (a host's
    # stories all go through one process).
    queues = [(workers, list(ids))] if plan.lanes is None else [(1, lane) for lane in plan.lanes]
    outcomes: list[CheckOutcome] = []
    loop = asyncio.get_running_loop()
    with contextlib.ExitStack() as stack:
        futures: dict[asyncio.Future[list[CheckOutcome]], list[int]] = {}
        for count, queue in queues:
            executor = stack.enter_context(_executor(each, count))
            size = chunk_size(len(queue), count)
            for chunk in (queue[i : i + size] for i in range(0, len(queue), size)):
                futures[loop.run_in_executor(executor, check_chunk, chunk, owner)] = chunk
        pending = set(futures)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                for outcome in _chunk_outcomes(future, futures[future], urls):
                    outcomes.append(outcome)
                    if on_done:
                        on_done(outcome)
    return outcomes


def chunk_size(stories: int, workers: int) -> int:
    """Stories per chunk: about CHUNKS_PER_WORKER chunks a worker, within CHUNK..MAX_CHUNK.

    Each chunk costs a worker a read of its stories' states, a runner and a round trip of
    outcomes to the parent, and its last fetches run below the concurrency limit; a dead
    worker fails one chunk, and the progress bar moves chunk by chunk."""
    return max(CHUNK, min(MAX_CHUNK, -(-stories // (workers * CHUNKS_PER_WORKER))))


def _executor(settings: Settings, workers: int) -> ProcessPoolExecutor:
    # fork: the workers start in milliseconds with everything imported; each opens its own
    # database engine and HTTP client, nothing of the parent's is used in the child.
    ctx = multiprocessing.get_context("fork")
    return ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=start_worker, initargs=(settings, os.getpid())
    )


def _chunk_outcomes(
    future: asyncio.Future[list[CheckOutcome]], chunk: list[int], urls: Mapping[int, str]
) -> list[CheckOutcome]:
    try:
        return future.result()
    except Exception as exc:  # a dead worker fails its chunk, not the whole run
        reason = f"worker failed: {type(exc).__name__}: {exc}"
        return [
            CheckOutcome(sid, urls.get(sid, ""), "failed", error_kind="internal", error=reason)
            for sid in chunk
        ]
