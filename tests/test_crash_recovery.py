"""kill -9 leaves leases behind: a restart takes them back at once, not after the lease.

Every test uses a five-minute lease, so only the recovery (not expiry) can explain a story
being checked again within seconds.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from datetime import UTC, datetime

import psutil
import pytest
from sqlalchemy import func, select, text

from tests.conftest import sessions, wait_until
from tests.servers import article_html
from tests.test_daemon import PARAS, count, start_daemon, tracker_cmd, write_config
from tracker.store.models import Story, Version

pytestmark = pytest.mark.slow

LEASE = "5m"


def _add_slow_stories(config, server, n: int, delay: float) -> None:
    urls = [
        server.page(f"/c{i}", article_html(f"C {i}", [f"Item {i}.", *PARAS]), delay=delay)
        for i in range(n)
    ]
    subprocess.run(
        tracker_cmd(config, "add", "--from-file", "-"),
        input="\n".join(urls).encode(),
        check=True,
        capture_output=True,
    )


def _leased(db_url: str) -> int:
    return count(
        db_url, select(func.count()).select_from(Story).where(Story.lease_owner.is_not(None))
    )


def _versioned(db_url: str) -> int:
    return count(db_url, select(func.count(func.distinct(Version.story_id))))


def test_sqlite_restart_releases_a_killed_daemons_leases(tmp_path, server):
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    config = write_config(tmp_path, db_url, lease=LEASE)
    _add_slow_stories(config, server, 20, delay=3)
    proc = start_daemon(config)
    assert wait_until(lambda: _leased(db_url) >= 5, 30), "the daemon never claimed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert _leased(db_url) >= 5  # what the crash left behind
    log = tmp_path / "restart.log"
    proc = start_daemon(config, "--exit-after", "40s", log=log)
    try:
        assert wait_until(lambda: _versioned(db_url) == 20, 30), log.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert "released" in log.read_text()
    assert count(db_url, select(func.count()).select_from(Version)) == 20
    assert _leased(db_url) == 0


def test_killed_cli_run_leaves_short_leases(tmp_path, server, config_file):
    """`tracker check` leases for a minute, renewed while it runs; kill -9 frees them soon."""
    db_url = f"sqlite:///{tmp_path / 'cli.db'}"
    _add_slow_stories(config_file, server, 3, delay=30)
    cmd = [sys.executable, "-m", "tracker", "--config", str(config_file), "check", "--all"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_until(lambda: _leased(db_url) == 3, 20)
    until = count(db_url, select(func.max(Story.lease_until)))
    now = count(db_url, select(func.max(Story.created_at)))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert (until - now).total_seconds() <= 90, "a CLI lease must be short"


@pytest.mark.postgres
def test_postgresql_takes_back_a_dead_daemons_leases(tmp_path, server, pg_url):
    config = write_config(tmp_path, pg_url, lease=LEASE)
    subprocess.run(tracker_cmd(config, "init"), check=True, capture_output=True)
    _add_slow_stories(config, server, 20, delay=3)
    a = start_daemon(config, "--name", "a")
    assert wait_until(lambda: _leased(pg_url) >= 5, 30), "daemon a never claimed"
    a.send_signal(signal.SIGKILL)
    a.wait(timeout=10)
    log = tmp_path / "b.log"
    b = start_daemon(config, "--name", "b", "--exit-after", "40s", log=log)
    try:
        assert wait_until(lambda: _versioned(pg_url) == 20, 30), log.read_text()
    finally:
        b.send_signal(signal.SIGTERM)
        b.wait(timeout=20)
    assert "dead daemons: a" in log.read_text()
    assert count(pg_url, select(func.count()).select_from(Version)) == 20


def _descendants(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def _survivors(procs: list[psutil.Process]) -> list[str]:
    alive = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(" ".join(p.cmdline())[:120])
        except psutil.NoSuchProcess:
            pass
    return alive


def _kill_and_check_orphans(proc: subprocess.Popen, min_children: int) -> None:
    assert wait_until(lambda: len(_descendants(proc.pid)) >= min_children, 30), (
        "the workers never started"
    )
    children = _descendants(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert wait_until(lambda: not _survivors(children), 10), _survivors(children)


def test_killed_daemon_leaves_no_worker_processes(tmp_path, server):
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'o.db'}", lease=LEASE)
    config.write_text(config.read_text().replace("processes = 1", "processes = 2"))
    _add_slow_stories(config, server, 10, delay=0.2)
    proc = start_daemon(config)
    # forkserver + resource tracker + two extraction workers
    _kill_and_check_orphans(proc, 3)


def test_killed_bulk_check_leaves_no_worker_processes(tmp_path, server, config_file):
    config_file.write_text(config_file.read_text() + "\n[extract]\nprocesses = 2\n")
    _add_slow_stories(config_file, server, 200, delay=20)  # shards from 200 stories on
    cmd = [sys.executable, "-m", "tracker", "--config", str(config_file), "check", "--all"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _kill_and_check_orphans(proc, 2)


def test_kill_9_mid_run_of_200_changing_stories(tmp_path, server):
    """kill -9 while 200 stories are being checked and edited, restart at once: every story is
    checked again within seconds, no worker survives, no version is lost or written twice."""
    db_url = f"sqlite:///{tmp_path / 'k200.db'}"
    config = write_config(tmp_path, db_url, lease=LEASE, batch_size=50)
    config.write_text(
        config.read_text()
        .replace("processes = 1", "processes = 2")
        .replace('default_interval = "1h"', 'default_interval = "2s"')
    )
    n = 200
    for i in range(n):
        server.page(f"/k{i}", article_html(f"K {i}", [f"Item {i}.", *PARAS]), delay=0.3)
    urls = [server.url(f"/k{i}") for i in range(n)]
    subprocess.run(
        tracker_cmd(config, "add", "--from-file", "-"),
        input="\n".join(urls).encode(),
        check=True,
        capture_output=True,
    )
    proc = start_daemon(config)
    # Mid-run: some stories done, others leased and in flight (each page takes 0.3 s).
    assert wait_until(lambda: _versioned(db_url) >= 20 and _leased(db_url) > 0, 120)
    children = _descendants(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    seen_before = _versioned(db_url)
    since = datetime.now(UTC)
    for i in range(n):  # one real edit per story while the daemon is down
        server.page(f"/k{i}", article_html(f"K {i}", [f"Item {i} (edited).", *PARAS]))
    log = tmp_path / "restart.log"
    restarted = start_daemon(config, "--exit-after", "240s", log=log)
    try:
        assert wait_until(lambda: not _survivors(children), 10), _survivors(children)
        assert wait_until(lambda: _caught_up(db_url, since) == n, 180), (
            _caught_up(db_url, since),
            log.read_text()[-2000:],
        )
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=30)
    versions = count(db_url, select(func.count()).select_from(Version))
    assert versions == n + seen_before, "one version per content the server served, no more"
    dup = text(
        "SELECT count(*) FROM (SELECT story_id, number FROM version "
        "GROUP BY story_id, number HAVING count(*) > 1) d"
    )
    assert count(db_url, dup) == 0
    assert _leased(db_url) == 0


def _caught_up(db_url: str, since: datetime) -> int:
    """Stories with a version first seen since ``since``: the server served only the edited
    page from then on, so such a version is the edit."""
    q = select(func.count(func.distinct(Version.story_id))).where(Version.first_seen >= since)
    return count(db_url, q)


def test_a_dispatch_cancelled_mid_claim_gives_its_leases_back(tracker, server):
    """APScheduler's shutdown cancels a running dispatch job; the claim in its thread commits
    anyway, and those leases must go back at once (a restart found them held for a lease)."""
    import asyncio
    import threading

    from tracker.daemon import Daemon

    tracker.add([server.page(f"/c{i}", article_html(f"C {i}", PARAS)) for i in range(5)])
    daemon = Daemon(tracker, name="cancelled")
    claimed, go_on = threading.Event(), threading.Event()
    real_claim = daemon._claim

    def slow_claim(limit: int) -> list[int]:
        ids = real_claim(limit)  # committed: the leases are held from here on
        claimed.set()
        go_on.wait(5)
        return ids

    daemon._claim = slow_claim  # type: ignore[method-assign]  # a claim caught mid-way

    async def cancel_mid_claim() -> None:
        task = asyncio.ensure_future(daemon._claim_shielded(10))
        await asyncio.to_thread(claimed.wait, 5)
        task.cancel()
        go_on.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(cancel_mid_claim())
    with sessions(tracker)() as s:
        held = s.scalar(
            select(func.count()).select_from(Story).where(Story.lease_owner.is_not(None))
        )
    assert held == 0
