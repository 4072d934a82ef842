"""Bulk checks across processes, one per core (see ``parallel``).

A large batch is cut into chunks that worker processes take in turn: each runs the same
``run_checks`` as an in-process check on its chunk, with its own database connections and
HTTP client. The parent holds the leases and reports progress chunk by chunk.

A worker keeps one event loop and one open fetcher for all its chunks: its pooled keep-alive
connections serve the next chunk instead of a fresh set of TCP connections per chunk.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

from tracker.check.fleet import gate_for
from tracker.check.runner import OnDone, run_checks
from tracker.config import Settings
from tracker.fetch import Fetcher
from tracker.records import CheckOutcome
from tracker.store import Store
from tracker.workers import exit_with

CHUNK = 50

_settings: Settings | None = None  # this worker process's settings and store
_store: Store | None = None
_loop: asyncio.AbstractEventLoop | None = None  # one loop for all of this worker's chunks
_fetcher: Fetcher | None = None  # opened on the first chunk, kept (its connections too)


def _start_worker(settings: Settings, parent_pid: int) -> None:
    global _settings, _store, _loop
    exit_with(parent_pid)  # a killed `tracker check` must not leave its workers behind
    _settings, _store = settings, Store(settings.database.url, source=settings.source)
    _loop = asyncio.new_event_loop()


def _check_chunk(ids: list[int], owner: str) -> list[CheckOutcome]:
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
    on_done: OnDone | None = None,
    url_of: Callable[[int], str],
) -> list[CheckOutcome]:
    # fork: the workers start in milliseconds with everything imported; each opens its own
    # database engine and HTTP client, nothing of the parent's is used in the child.
    ctx = multiprocessing.get_context("fork")
    chunks = [list(ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK)]
    outcomes: list[CheckOutcome] = []
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_start_worker, initargs=(settings, os.getpid())
    ) as executor:
        futures = {
            loop.run_in_executor(executor, _check_chunk, chunk, owner): chunk for chunk in chunks
        }
        pending = set(futures)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                for outcome in _chunk_outcomes(future, futures[future], url_of):
                    outcomes.append(outcome)
                    if on_done:
                        on_done(outcome)
    return outcomes


def _chunk_outcomes(
    future: asyncio.Future[list[CheckOutcome]], chunk: list[int], url_of: Callable[[int], str]
) -> list[CheckOutcome]:
    try:
        return future.result()
    except Exception as exc:  # a dead worker fails its chunk, not the whole run
        reason = f"worker failed: {type(exc).__name__}: {exc}"
        return [
            CheckOutcome(sid, url_of(sid), "failed", error_kind="internal", error=reason)
            for sid in chunk
        ]
