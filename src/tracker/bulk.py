"""Bulk checks (`tracker check --all`) across processes, one per core.

One process tops out at a few hundred HTTP requests a second (httpx and the event loop are
pure Python), and extraction is CPU-bound. So a large batch is cut into chunks that worker
processes take in turn: each fetches, extracts and writes its own chunk, like a small
`tracker check`. The parent holds the leases and reports progress chunk by chunk.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

from tracker.config import Settings
from tracker.records import CheckOutcome

SHARD_MIN = 200  # below this many stories one process is as fast (workers take ~1 s to start)
CHUNK = 50

_worker = None  # this worker process's Tracker


def _start_worker(settings: Settings) -> None:
    global _worker
    from tracker.service import Tracker

    _worker = Tracker(settings)


def _check_chunk(ids: list[int], owner: str) -> list[CheckOutcome]:
    assert _worker is not None
    return asyncio.run(_worker.check_claimed(ids, owner=owner, pool=None))


async def check_in_processes(
    settings: Settings,
    ids: Sequence[int],
    *,
    owner: str,
    workers: int,
    on_done: Callable[[CheckOutcome], None] | None = None,
    url_of: Callable[[int], str],
) -> list[CheckOutcome]:
    # fork: the workers start in milliseconds with everything imported; each opens its own
    # database engine and HTTP client, nothing of the parent's is used in the child.
    ctx = multiprocessing.get_context("fork")
    chunks = [list(ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK)]
    outcomes: list[CheckOutcome] = []
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_start_worker, initargs=(settings,)
    ) as executor:
        futures = {
            loop.run_in_executor(executor, _check_chunk, chunk, owner): chunk for chunk in chunks
        }
        pending = set(futures)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                try:
                    results = future.result()
                except Exception as exc:  # a dead worker fails its chunk, not the whole run
                    results = [
                        CheckOutcome(
                            sid,
                            url_of(sid),
                            "failed",
                            error_kind="internal",
                            error=f"worker failed: {type(exc).__name__}: {exc}",
                        )
                        for sid in futures[future]
                    ]
                for outcome in results:
                    outcomes.append(outcome)
                    if on_done:
                        on_done(outcome)
    return outcomes
