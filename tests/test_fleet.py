"""Fleet politeness: per-host limits, backoff and robots.txt shared by daemons on PostgreSQL."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from tests.conftest import make_settings, wait_until
from tests.servers import LocalServer, Route, article_html
from tracker.check.fleet import FleetGate, gate_for
from tracker.errors import FetchError
from tracker.fetch import Fetcher
from tracker.politeness import LocalGate
from tracker.service import Tracker
from tracker.store import Store, hosts, recovery
from tracker.store import queries as q
from tracker.store.models import Check, Version

pytestmark = pytest.mark.postgres

PARAS = [
    "Officials said 12 people were evacuated on Monday as the river rose near the bridge.",
    "The National Weather Service issued a flood warning for the county until Friday morning.",
]


@pytest.fixture
def store(pg_url: str):
    s = Store(pg_url)
    s.init()
    yield s
    s.close()


def _turn(
    store: Store, host: str = "news.example", owner: str = "a", **kw: float
) -> hosts.HostTurn:
    args = {"delay_s": 0.0, "concurrency": 2, "hold_s": 60.0, **kw}
    return store.write(hosts.take_turn, host, owner=owner, **args)  # type: ignore[arg-type]


def test_a_turn_waits_for_the_delay_since_the_last_start_whoever_took_it(store):
    first = _turn(store, owner="a", delay_s=30)
    assert first.lease_id is not None
    # Until a's request is out, nobody starts (a short poll); then the delay counts from there.
    reserved = _turn(store, owner="b", delay_s=30)
    assert reserved.lease_id is None and reserved.wait_s == hosts.BUSY_POLL_S
    store.write(hosts.turn_started, "news.example", first.lease_id)
    second = _turn(store, owner="b", delay_s=30)
    assert second.lease_id is None and 25 < second.wait_s <= 30 and not second.backoff
    assert _turn(store, host="other.example", owner="b", delay_s=30).lease_id is not None


def test_in_flight_requests_are_capped_for_the_fleet_and_freed_by_their_end(store):
    a = _turn(store, owner="a", concurrency=2)
    b = _turn(store, owner="b", concurrency=2)
    c = _turn(store, owner="c", concurrency=2)
    assert a.lease_id and b.lease_id and c.lease_id is None
    store.write(hosts.end_turn, "news.example", a.lease_id)
    assert _turn(store, owner="c", concurrency=2).lease_id is not None


def test_a_dead_daemons_slots_go_back_and_expired_ones_count_for_nothing(store):
    assert _turn(store, owner="dead", concurrency=1).lease_id is not None
    assert _turn(store, owner="alive", concurrency=1).lease_id is None
    store.write(recovery.release_owners, ["dead"])
    assert _turn(store, owner="alive", concurrency=1, hold_s=0.0).lease_id is not None
    # hold_s=0: that lease is already expired, so it does not block the next one
    assert _turn(store, owner="other", concurrency=1).lease_id is not None


def test_backoff_keeps_the_fleet_away_and_a_longer_one_stands(store):
    store.write(hosts.back_off, "news.example", 600, "HTTP 429 for /a")
    store.write(hosts.back_off, "news.example", 5, "HTTP 503 for /b")
    turn = _turn(store)
    assert turn.lease_id is None and turn.backoff and turn.wait_s > 500
    assert turn.reason == "HTTP 429 for /a"
    assert store.read(hosts.hosts_backing_off) == ["news.example"]


def test_sqlite_keeps_the_in_process_limits(tmp_path):
    settings = make_settings(f"sqlite:///{tmp_path / 't.db'}")
    assert isinstance(gate_for(Store(settings.database.url), settings.fetch, "a"), LocalGate)


def test_a_429_backs_off_the_host_for_every_daemon_and_its_stories_wait(pg_url, server):
    settings = make_settings(pg_url, per_host_concurrency=4)
    tracker = Tracker(settings)
    tracker.init()
    try:
        busy = server.url("/busy")
        server.routes["/busy"] = Route(status=429, headers={"Retry-After": "3600"})
        other = server.page("/other", article_html("Other", PARAS))
        tracker.add([busy, other])

        async def fetch(owner: str, url: str) -> FetchError:
            gate = FleetGate(tracker.store, settings.fetch, owner)
            async with Fetcher(settings.fetch, gate=gate) as fetcher:
                with pytest.raises(FetchError) as err:
                    await fetcher.fetch(url)
            return err.value

        assert asyncio.run(fetch("a", busy)).status_code == 429
        deferred = asyncio.run(fetch("b", other))  # another daemon, another page, same host
        assert deferred.kind == "backoff" and (deferred.retry_after_s or 0) > 3000
        assert server.hits["/other"] == 0 and server.hits["/busy"] == 1
        # Its stories stay due but unclaimed until the host's backoff ends.
        claimed = tracker.store.write(
            q.claim_due, owner="c", now=datetime.now(UTC), lease_s=60, limit=10
        )
        assert claimed == []
    finally:
        tracker.close()


def test_robots_txt_is_fetched_once_for_the_fleet(pg_url, server):
    settings = make_settings(pg_url, respect_robots_txt=True)
    store = Store(pg_url)
    store.init()
    server.routes["/robots.txt"] = Route(
        body=b"User-agent: *\nDisallow: /private/\n", headers={"Content-Type": "text/plain"}
    )
    public = server.page("/public/a", article_html("A", PARAS))
    private = server.page("/private/b", article_html("B", PARAS))

    async def daemon(owner: str) -> str:
        async with Fetcher(settings.fetch, gate=FleetGate(store, settings.fetch, owner)) as f:
            await f.fetch(public)
            with pytest.raises(FetchError) as err:
                await f.fetch(private)
            return err.value.kind

    async def fleet() -> list[str]:
        return await asyncio.gather(*(daemon(name) for name in ("a", "b", "c")))

    try:
        assert asyncio.run(fleet()) == ["robots"] * 3
    finally:
        store.close()
    assert server.hits["/robots.txt"] == 1 and server.hits["/private/b"] == 0
    assert server.hits["/public/a"] == 3


# ---------------------------------------------------------------- real daemons


def _config(tmp_path: Path, db_url: str) -> Path:
    path = tmp_path / "fleet.toml"
    path.write_text(f"""
[database]
url = "{db_url}"
[fetch]
allow_private_addresses = true
retries = 0
timeout = 30
concurrency = 8
per_host_concurrency = 4
per_host_delay = 1.0
respect_robots_txt = true
[extract]
processes = 1
[schedule]
default_interval = "1h"
jitter = 0.0
[daemon]
dispatch_every = 0.2
batch_size = 5
shutdown_grace = 5
""")
    return path


def _count(db_url: str, stmt) -> int:  # type: ignore[no-untyped-def]
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.slow
def test_three_daemons_keep_one_hosts_delay_between_all_their_requests(
    tmp_path: Path, server: LocalServer, pg_url: str
) -> None:
    from tests.test_daemon import start_daemon, tracker_cmd

    server.routes["/robots.txt"] = Route(
        body=b"User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"}
    )
    n = 50
    urls = [
        server.page(f"/s{i}", article_html(f"Story {i}", [f"Item {i}.", *PARAS])) for i in range(n)
    ]
    config = _config(tmp_path, pg_url)
    subprocess.run(tracker_cmd(config, "init"), check=True, capture_output=True)
    subprocess.run(
        tracker_cmd(config, "add", "--from-file", "-"),
        input="\n".join(urls).encode(),
        check=True,
        capture_output=True,
    )
    names = ("a", "b", "c")
    procs = [
        start_daemon(config, "--name", name, "--exit-after", "200s", log=tmp_path / f"{name}.log")
        for name in names
    ]
    try:
        # 51 requests (robots.txt and 50 pages) 1 s apart: about 50 s by construction.
        done = wait_until(
            lambda: _count(pg_url, select(func.count()).select_from(Version)) >= n, 150, 1.0
        )
        assert done, (tmp_path / "a.log").read_text()[-3000:]
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            assert p.wait(timeout=60) == 0
    gaps = [b - a for a, b in zip(server.times, server.times[1:], strict=False)]
    assert len(server.times) == n + 1 and server.hits["/robots.txt"] == 1
    assert [server.hits[f"/s{i}"] for i in range(n)] == [1] * n
    assert min(gaps) >= 0.9, sorted(gaps)[:5]
    workers = _count(pg_url, select(func.count(func.distinct(Check.worker))))
    assert workers >= 2  # the fleet shared the work, and the host's pace
