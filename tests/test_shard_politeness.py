"""Per-host limits hold across the worker processes of a sharded `tracker check`.

On SQLite every worker process has its own in-process gate, so two workers that each allowed
``per_host_concurrency`` requests (or spaced theirs ``per_host_delay`` apart) would together
send twice as much to one host. ``check/lanes.py`` deals the stories so the settings hold
for all workers together; these tests count at the server.
"""

from __future__ import annotations

from tests.servers import LocalServer, article_html
from tracker.check.lanes import plan_lanes
from tracker.check.parallel import SHARD_MIN
from tracker.config import FetchSettings
from tracker.service import Tracker

PARAS = [
    "The council voted 7 to 2 on Tuesday to approve the new budget for the coming year.",
    "Residents packed the hall for the three-hour meeting, which ended after midnight.",
]
N = SHARD_MIN + 10  # enough stories for `check` to use worker processes


def sharded(tracker: Tracker, server: LocalServer, **route: object) -> list[int]:
    tracker.settings.extract.processes = 2
    urls = [server.page(f"/p{i}", article_html(f"P{i}", PARAS), **route) for i in range(N)]
    return [a.story_id for a in tracker.add(urls)]


def test_two_workers_together_keep_the_per_host_concurrency(
    tracker: Tracker, server: LocalServer
) -> None:
    tracker.settings.fetch.per_host_concurrency = 2
    ids = sharded(tracker, server, delay=0.01)
    outcomes = tracker.check(ids)
    assert {o.outcome for o in outcomes} == {"first_version"}
    assert server.max_active == 2  # each of the two workers allowed one


def test_a_limit_below_the_workers_puts_the_host_in_one_lane(
    tracker: Tracker, server: LocalServer
) -> None:
    tracker.settings.fetch.per_host_concurrency = 1
    ids = sharded(tracker, server, delay=0.005)
    assert {o.outcome for o in tracker.check(ids)} == {"first_version"}
    assert server.max_active == 1


def test_two_workers_together_keep_the_per_host_delay(
    tracker: Tracker, server: LocalServer
) -> None:
    tracker.settings.fetch.per_host_delay = 0.02
    tracker.settings.fetch.per_host_concurrency = 4
    ids = sharded(tracker, server)
    assert {o.outcome for o in tracker.check(ids)} == {"first_version"}
    gaps = [b - a for a, b in zip(server.times, server.times[1:], strict=False)]
    assert len(server.times) == N and min(gaps) >= 0.015


def test_lanes_keep_each_host_whole_and_balance_the_stories() -> None:
    fetch = FetchSettings()
    fetch.per_host_delay = 1.0
    urls = {i: f"https://big.example/{i}" for i in range(6)}
    urls |= {i: f"https://mid.example/{i}" for i in range(6, 10)}
    urls |= {i: f"https://small.example/{i}" for i in range(10, 12)}
    plan = plan_lanes(list(urls), urls, fetch, 2)
    assert plan.lanes is not None and plan.fetch is fetch
    assert sorted(map(sorted, plan.lanes)) == [list(range(6)), list(range(6, 12))]


def test_no_delay_and_room_to_share_spreads_the_stories_and_splits_the_limit() -> None:
    fetch = FetchSettings()
    fetch.per_host_concurrency = 5
    plan = plan_lanes([1, 2], {1: "https://a.example/1", 2: "https://a.example/2"}, fetch, 2)
    assert plan.lanes is None
    assert plan.fetch.per_host_concurrency == 2 and fetch.per_host_concurrency == 5
