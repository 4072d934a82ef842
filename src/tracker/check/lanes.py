"""How a sharded batch keeps ``[fetch]`` per-host limits when each worker process has its own
in-process gate (SQLite; on PostgreSQL the fleet's gate holds for every process).

Two workers that each allow ``per_host_concurrency`` requests to a host would together allow
twice that, and two workers that each space their requests ``per_host_delay`` apart would
together send them twice as often. So, for W workers:

- no delay and ``per_host_concurrency >= W``: stories go to any worker, and each worker
  allows ``per_host_concurrency // W`` requests per host (together at most the setting);
- otherwise: every host's stories go to one lane, a worker of their own, which keeps the
  limits whole. Hosts are dealt largest first to the lane with the fewest stories.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from tracker.config import FetchSettings


@dataclass(frozen=True, slots=True)
class LanePlan:
    lanes: list[list[int]] | None  # None: one shared queue, any worker takes any chunk
    fetch: FetchSettings  # each worker's own [fetch] (its share of the per-host limit)


def plan_lanes(
    ids: Sequence[int], urls: Mapping[int, str], fetch: FetchSettings, workers: int
) -> LanePlan:
    """The lanes for ``ids`` over ``workers`` processes with in-process host limits."""
    if fetch.per_host_delay <= 0 and fetch.per_host_concurrency >= workers:
        share = replace(fetch, per_host_concurrency=fetch.per_host_concurrency // workers)
        return LanePlan(None, share)
    by_host: dict[str, list[int]] = defaultdict(list)
    for sid in ids:
        by_host[urlsplit(urls.get(sid, "")).hostname or ""].append(sid)
    lanes: list[list[int]] = [[] for _ in range(max(1, workers))]
    for host_ids in sorted(by_host.values(), key=len, reverse=True):
        min(lanes, key=len).extend(host_ids)
    return LanePlan([lane for lane in lanes if lane], fetch)
