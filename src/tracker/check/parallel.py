"""How many processes a batch of checks uses: the one rule, for the CLI and the daemon.

One process tops out at a few hundred HTTP requests a second (httpx and the event loop are
pure Python) and extraction is CPU-bound, so:

- a large batch (``tracker check --all`` on hundreds of stories) is cut into chunks that
  worker processes take in turn, each fetching, extracting and writing its chunk (shards);
- a middling batch extracts in a process pool;
- the daemon's endless stream goes to shards too, batch by batch as it claims them (or, with
  ``[daemon] shards = false``, extracts in a pool);
- a handful of stories is checked in-process (starting workers would cost more).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

SHARD_MIN = 200  # below this many stories one process is as fast (workers take ~1 s to start)
POOL_MIN = 4  # below this many, extraction in-process beats starting a pool

Mode = Literal["inline", "pool", "shards"]


@dataclass(frozen=True, slots=True)
class Parallelism:
    mode: Mode
    workers: int  # processes for the pool or the shards (1 when inline)


def workers_for(configured: int) -> int:
    """``[extract] processes``, or one per core when it is 0."""
    return configured or (os.cpu_count() or 1)


def for_daemon(configured: int, shards: bool) -> Parallelism:
    """The daemon's stream: shards that check whole batches (``stream_shards``), or a pool
    that only extracts, or in-process when there is one worker."""
    how = choose(None, configured)
    return Parallelism("shards", how.workers) if how.mode == "pool" and shards else how


def choose(stories: int | None, configured: int) -> Parallelism:
    """The mode for a batch of ``stories`` (None: the daemon's stream, never sharded)."""
    workers = workers_for(configured)
    if workers < 2:
        return Parallelism("inline", 1)
    if stories is not None and stories >= SHARD_MIN:
        return Parallelism("shards", workers)
    if stories is None or stories >= POOL_MIN:
        return Parallelism("pool", workers)
    return Parallelism("inline", 1)
