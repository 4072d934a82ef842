"""The daemon's checks in shard processes (``check/stream_shards.py``): the same results as
in-process checks, batches split between the shards or kept by host, a dead or stuck shard
replaced without losing the daemon, and no lease left behind."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time

import pytest
from sqlalchemy import func, select

from tests.conftest import make_settings, sessions, wait_until
from tests.servers import article_html
from tests.test_daemon import PARAS, add_stories, count, start_daemon, tracker_cmd, write_config
from tracker.check import parallel
from tracker.check.stream_shards import Part, StreamShards
from tracker.records import CheckOutcome
from tracker.service import Tracker
from tracker.store import queries as q
from tracker.store.models import Story, Version
from tracker.timeparse import utcnow

OWNER = "test-daemon"


@pytest.fixture
def shard_tracker(db_url: str):
    t = Tracker(make_settings(db_url, concurrency=32, per_host_concurrency=32))
    t.init()
    yield t
    t.close()


def _claim(tracker: Tracker, limit: int = 100) -> list[int]:
    return tracker.store.write(q.claim_due, owner=OWNER, now=utcnow(), lease_s=60, limit=limit)


async def _check(
    shards: StreamShards, ids: list[int], urls: dict[int, str] | None = None, *, parts: int = 1
) -> tuple[list[Part], list[CheckOutcome], list[CheckOutcome]]:
    """``ids`` in ``parts`` submissions at once, as the daemon's claims come."""
    seen: list[CheckOutcome] = []
    size = -(-len(ids) // parts)
    given = [
        p
        for i in range(0, len(ids), size)
        for p in shards.submit(ids[i : i + size], urls, on_done=seen.append)
    ]
    outcomes = [o for part in given for o in await part.done]
    return given, outcomes, seen


def _leased(tracker: Tracker) -> int:
    with sessions(tracker)() as s:
        return s.scalar(
            select(func.count()).select_from(Story).where(Story.lease_owner.isnot(None))
        )


def test_the_daemon_checks_in_shards_when_it_has_two_workers():
    assert parallel.for_daemon(2, True) == parallel.Parallelism("shards", 2)
    assert parallel.for_daemon(2, False) == parallel.Parallelism("pool", 2)
    assert parallel.for_daemon(1, True) == parallel.Parallelism("inline", 1)


def test_a_batch_is_split_between_the_shards_and_checked_whole(shard_tracker, server):
    urls = [server.page(f"/p{i}", article_html(f"P{i}", [f"Item {i}.", *PARAS])) for i in range(9)]
    urls.append(server.url("/missing"))
    shard_tracker.add(urls)
    shards = StreamShards(shard_tracker.settings, 2, OWNER)
    try:
        # The daemon's totals are the shards' sums; with no per-host delay any shard may
        # fetch from any host, with its share of the per-host limit (on PostgreSQL the
        # fleet's gate holds the whole limit for all processes).
        assert not shards.by_host
        assert shards.settings.fetch.concurrency == 16
        fleet = shard_tracker.store.backend == "postgresql"
        assert shards.settings.fetch.per_host_concurrency == (32 if fleet else 16)
        ids = _claim(shard_tracker)
        # Two claims at once: the second goes to the shard the first left idle.
        parts, outcomes, seen = asyncio.run(_check(shards, ids, parts=2))
        assert sorted(p.shard for p in parts) == [0, 1]
        assert sorted(sid for part in parts for sid in part.ids) == sorted(ids)
        assert len(seen) == len(outcomes) == 10
        assert sorted(o.outcome for o in outcomes) == ["failed"] + ["first_version"] * 9
        assert _leased(shard_tracker) == 0  # each check's write gave its lease back

        server.page("/p3", article_html("P3", ["Item 3.", *PARAS, "Update: 40 people now."]))
        with sessions(shard_tracker)() as s:
            s.execute(Story.__table__.update().values(next_check_at=utcnow()))
            s.commit()
        _, again, _ = asyncio.run(_check(shards, _claim(shard_tracker)))
        by_url = {o.url: o for o in again}
        assert by_url[urls[3]].outcome == "new_version" and by_url[urls[3]].version == 2
        assert by_url[urls[3]].change_class is not None
        assert sorted(o.outcome for o in again).count("unchanged") == 8
    finally:
        shards.shutdown()


def test_with_a_per_host_delay_each_host_stays_in_one_shard(tmp_path, server):
    settings = make_settings(
        f"sqlite:///{tmp_path / 'h.db'}", per_host_delay=0.01, per_host_concurrency=4
    )
    t = Tracker(settings)
    t.init()
    loopback = [server.page(f"/a{i}", article_html(f"A{i}", [f"A {i}.", *PARAS])) for i in range(4)]
    named = [u.replace("127.0.0.1", "localhost") for u in loopback]
    t.add(loopback + named)
    shards = StreamShards(settings, 2, OWNER)
    try:
        assert shards.by_host
        assert shards.settings.fetch.per_host_concurrency == 4  # one shard per host: whole
        ids = _claim(t)
        urls = t.store.read(q.story_urls, ids)
        parts, outcomes, _ = asyncio.run(_check(shards, ids, urls))
        hosts_of_part = [{urls[sid].split("/")[2] for sid in part.ids} for part in parts]
        for host in ("127.0.0.1", "localhost"):
            assert sum(any(h.startswith(host) for h in hosts) for hosts in hosts_of_part) == 1
        assert sorted(o.outcome for o in outcomes) == ["first_version"] * 8
    finally:
        shards.shutdown()
        t.close()


def test_a_shard_that_dies_is_replaced(shard_tracker, server):
    urls = [server.page(f"/d{i}", article_html(f"D{i}", [f"D {i}.", *PARAS])) for i in range(4)]
    slow = server.page("/slow", article_html("Slow", PARAS), delay=3.0)
    shard_tracker.add([*urls, slow])
    shards = StreamShards(shard_tracker.settings, 2, OWNER)
    try:
        assert wait_until(lambda: len(shards.pids()) == 2, 30)
        # Killed while idle: the next part goes to its replacement.
        os.kill(shards.pids()[0], signal.SIGKILL)
        time.sleep(0.5)
        ids = _claim(shard_tracker)
        slow_id = next(
            i for i, u in shard_tracker.store.read(q.story_urls, ids).items() if u == slow
        )
        fast = [i for i in ids if i != slow_id]
        _, outcomes, _ = asyncio.run(_check(shards, fast))
        assert sorted(o.outcome for o in outcomes) == ["first_version"] * 4

        # Killed mid-part: its stories are reported failed, the other shard's are not lost.
        async def kill_mid_part() -> list[CheckOutcome]:
            before = set(shards.pids())
            parts = shards.submit([slow_id])
            await asyncio.sleep(1.0)
            for pid in before:
                os.kill(pid, signal.SIGKILL)
            return await parts[0].done

        failed = asyncio.run(kill_mid_part())
        assert [o.outcome for o in failed] == ["failed"]
        assert failed[0].error_kind == "internal" and "worker failed" in (failed[0].error or "")
        assert wait_until(lambda: len(shards.pids()) == 2, 30)
        server.page("/d0", article_html("D0", ["D 0.", *PARAS, "A new paragraph: 7 hurt."]))
        with sessions(shard_tracker)() as s:
            s.execute(Story.__table__.update().values(next_check_at=utcnow(), lease_owner=None))
            s.commit()
        assert set(fast) <= set(_claim(shard_tracker))
        _, again, _ = asyncio.run(_check(shards, fast))
        assert sorted(o.outcome for o in again) == ["new_version"] + ["unchanged"] * 3
    finally:
        shards.shutdown()


def test_a_part_past_its_timeout_is_failed_and_its_shard_replaced(tracker, server):
    slow = server.page("/stuck", article_html("Stuck", PARAS), delay=4.0)
    fine = server.page("/fine", article_html("Fine", PARAS))
    tracker.add([slow, fine])
    shards = StreamShards(tracker.settings, 2, OWNER, part_timeout=1.0)
    try:
        ids = _claim(tracker)
        urls = tracker.store.read(q.story_urls, ids)
        stuck = [i for i in ids if urls[i] == slow]
        assert wait_until(lambda: len(shards.pids()) == 2, 30)
        before = set(shards.pids())
        _, outcomes, _ = asyncio.run(_check(shards, stuck))
        assert outcomes[0].outcome == "failed" and "took over 1 s" in (outcomes[0].error or "")
        assert wait_until(lambda: len(shards.pids()) == 2, 30)
        assert set(shards.pids()) != before  # the stuck one was stopped and replaced
        # The new shard's first part also starts the process: no 1 s limit for that one.
        shards.part_timeout = 60.0
        _, rest, _ = asyncio.run(_check(shards, [i for i in ids if i not in stuck]))
        assert [o.outcome for o in rest] == ["first_version"]
    finally:
        shards.shutdown()


@pytest.mark.slow
def test_a_part_queued_behind_another_is_timed_from_when_it_can_start(tracker, server):
    # Two parts on one shard, each ~3 s of fetching: the second waits ~3 s behind the first,
    # then runs ~3 s. Timed from its submission (~6 s) it would pass the 4.5 s limit.
    pages = [server.page(f"/slow{i}", article_html(f"S{i}", PARAS), delay=3.0) for i in range(2)]
    warm = server.page("/warm", article_html("Warm", PARAS))
    tracker.add([warm, *pages])
    shards = StreamShards(tracker.settings, 1, OWNER, part_timeout=60.0)
    try:
        ids = _claim(tracker)
        urls = tracker.store.read(q.story_urls, ids)
        by_url = {u: i for i, u in urls.items()}
        _, warmed, _ = asyncio.run(_check(shards, [by_url[warm]]))  # the process is up
        assert [o.outcome for o in warmed] == ["first_version"]
        shards.part_timeout = 4.5
        _, outcomes, _ = asyncio.run(_check(shards, [by_url[u] for u in pages], parts=2))
        assert [o.outcome for o in outcomes] == ["first_version", "first_version"]
    finally:
        shards.shutdown()


@pytest.mark.slow
def test_tracker_run_with_two_workers_checks_in_shards(tmp_path, server):
    db_url = f"sqlite:///{tmp_path / 'sh.db'}"
    config = write_config(tmp_path, db_url)
    config.write_text(config.read_text().replace("processes = 1", "processes = 2"))
    urls = add_stories(config, server, 30)
    subprocess.run(
        tracker_cmd(config, "add", urls[0], "--interval", "1s"), check=True, capture_output=True
    )
    log = tmp_path / "log"
    proc = start_daemon(config, "--exit-after", "60s", log=log)
    versions = select(func.count()).select_from(Version)
    try:
        assert wait_until(lambda: count(db_url, versions) >= 30, 40), log.read_text()
        server.page(
            "/s0",
            article_html("Story 0", ["Item 0.", *PARAS[:1], "Now 15 were evacuated.", *PARAS[1:]]),
        )
        assert wait_until(lambda: count(db_url, versions) >= 31, 30), log.read_text()
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()
    text = log.read_text()
    assert f"changed {urls[0]} v2" in text  # the daemon's own line for a shard's version
    assert "Traceback" not in text
    leased = select(func.count()).select_from(Story).where(Story.lease_owner.isnot(None))
    assert count(db_url, leased) == 0
