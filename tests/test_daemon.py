"""`tracker run` as operators run it: real processes, real signals, a real local newsroom."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from tests.conftest import wait_until
from tests.servers import article_html
from tests.test_notify_channels import SECRET, HookReceiver
from tracker.store.models import Check, Story, Version

pytestmark = pytest.mark.slow

PARAS = [
    "Officials said 12 people were evacuated on Monday as the river rose near the bridge.",
    "The National Weather Service issued a flood warning for the county until Friday morning.",
    "This is a developing story that will be updated.",
]


def write_config(tmp_path: Path, db_url: str, *, timeout: float = 5, **daemon: object) -> Path:
    settings = {"dispatch_every": 0.2, "lease": "3s", "shutdown_grace": 5, **daemon}
    extra = "".join(f"{k} = {json.dumps(v)}\n" for k, v in settings.items())
    path = tmp_path / "daemon.toml"
    path.write_text(f"""
[database]
url = "{db_url}"
[fetch]
allow_private_addresses = true
retries = 0
timeout = {timeout}
concurrency = 32
per_host_concurrency = 32
[extract]
processes = 1
[schedule]
default_interval = "1h"
min_interval = "1s"
after_change = "1s"
jitter = 0.0
[daemon]
{extra}""")
    return path


def tracker_cmd(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "tracker", "--config", str(config), *args]


def start_daemon(config: Path, *args: str, log: Path | None = None) -> subprocess.Popen:
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(tracker_cmd(config, "run", *args), stdout=out, stderr=subprocess.STDOUT)


def add_stories(config: Path, server, n: int, prefix: str = "/s") -> list[str]:
    urls = []
    for i in range(n):
        urls.append(server.page(f"{prefix}{i}", article_html(f"Story {i}", [f"Item {i}.", *PARAS])))
    subprocess.run(
        tracker_cmd(config, "add", "--from-file", "-"),
        input="\n".join(urls).encode(),
        check=True,
        capture_output=True,
    )
    return urls


def count(db_url: str, stmt) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(stmt).scalar_one()
    finally:
        engine.dispose()


def test_daemon_checks_due_stories_and_follows_edits(tmp_path, server):
    db_url = f"sqlite:///{tmp_path / 'd.db'}"
    config = write_config(tmp_path, db_url)
    urls = add_stories(config, server, 20)
    subprocess.run(
        tracker_cmd(config, "add", urls[0], "--interval", "1s"), check=True, capture_output=True
    )
    proc = start_daemon(config, "--exit-after", "60s", log=tmp_path / "log")
    try:
        assert wait_until(
            lambda: count(db_url, select(func.count()).select_from(Version)) >= 20, 30
        )
        server.page(
            "/s0",
            article_html(
                "Story 0", ["Item 0.", *PARAS[:1], "Now 15 people were evacuated.", *PARAS[1:]]
            ),
        )
        assert wait_until(
            lambda: count(db_url, select(func.count()).select_from(Version)) >= 21, 20
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0, (tmp_path / "log").read_text()
    assert all(server.hits[f"/s{i}"] >= 1 for i in range(20))
    assert (
        count(db_url, select(func.count()).select_from(Story).where(Story.lease_owner.is_not(None)))
        == 0
    )


def test_second_daemon_on_sqlite_exits_with_a_clear_message(tmp_path):
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'one.db'}")
    first = start_daemon(config, "--exit-after", "30s")
    try:
        time.sleep(1.5)
        second = subprocess.run(
            tracker_cmd(config, "run", "--exit-after", "5s"), capture_output=True, timeout=30
        )
        assert second.returncode == 1
        assert b"another tracker daemon" in second.stderr
    finally:
        first.send_signal(signal.SIGINT)
        assert first.wait(timeout=20) == 0


def test_kill_9_then_restart_loses_and_duplicates_nothing(tmp_path, server):
    db_url = f"sqlite:///{tmp_path / 'k.db'}"
    config = write_config(tmp_path, db_url)
    for i in range(40):
        server.page(f"/k{i}", article_html(f"K {i}", [f"Item {i}.", *PARAS]), delay=0.3)
    urls = [server.url(f"/k{i}") for i in range(40)]
    subprocess.run(
        tracker_cmd(config, "add", "--from-file", "-"), input="\n".join(urls).encode(), check=True
    )
    proc = start_daemon(config)
    assert wait_until(lambda: count(db_url, select(func.count()).select_from(Check)) >= 5, 30)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    # The SQLite lock died with the process: a restart works at once, and takes over the
    # expired leases of the checks that were in flight.
    proc = start_daemon(config, "--exit-after", "40s")
    try:
        assert wait_until(
            lambda: count(db_url, select(func.count(func.distinct(Version.story_id)))) == 40, 40
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert (
        count(db_url, select(func.count()).select_from(Version)) == 40
    )  # one version each, no duplicates
    dup = text(
        "SELECT count(*) FROM (SELECT story_id, number FROM version "
        "GROUP BY story_id, number HAVING count(*) > 1) d"
    )
    assert count(db_url, dup) == 0


def test_sigterm_finishes_or_releases_in_flight_checks(tmp_path, server):
    db_url = f"sqlite:///{tmp_path / 't.db'}"
    config = write_config(tmp_path, db_url, shutdown_grace=1)
    for i in range(10):
        server.page(f"/slow{i}", article_html("Slow", PARAS), delay=4)
    urls = [server.url(f"/slow{i}") for i in range(10)]
    subprocess.run(
        tracker_cmd(config, "add", "--from-file", "-"), input="\n".join(urls).encode(), check=True
    )
    proc = start_daemon(config)
    assert wait_until(lambda: sum(server.hits.values()) >= 10, 20)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    assert time.monotonic() - started < 10
    assert (
        count(db_url, select(func.count()).select_from(Story).where(Story.lease_owner.is_not(None)))
        == 0
    )


def test_healthz_metrics_and_status(tmp_path, server):
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    config = write_config(tmp_path, db_url)
    add_stories(config, server, 3)
    port = 20000 + os.getpid() % 20000
    proc = start_daemon(config, "--metrics-port", str(port), "--exit-after", "30s")
    try:

        def healthy() -> bool:
            try:
                return (
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status
                    == 200
                )
            except OSError:
                return False

        assert wait_until(healthy, 20)
        assert wait_until(lambda: count(db_url, select(func.count()).select_from(Version)) >= 3, 20)
        time.sleep(1)
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
        assert 'tracker_checks_total{outcome="first_version"} 3.0' in body
        assert "tracker_due_stories" in body and "tracker_fetch_seconds_bucket" in body
        status = json.loads(
            subprocess.run(
                tracker_cmd(config, "status", "--json"), capture_output=True, check=True
            ).stdout
        )
        assert status["stories"]["developing"] == 3
        assert status["checks_last_hour"]["first_version"] == 3
        assert len(status["daemons"]) == 1 and status["daemons"][0]["alive"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


@pytest.mark.postgres
def test_two_daemons_share_one_postgresql_without_double_checks(tmp_path, server, pg_url):
    # A generous fetch timeout: on a loaded 2-core box the one-thread-per-request test server
    # can take seconds to answer 64 concurrent requests, and a timed-out story would wait an
    # error backoff (longer than the test) before its next try.
    config = write_config(tmp_path, pg_url, timeout=30, batch_size=25, lease="30s")
    subprocess.run(tracker_cmd(config, "init"), check=True, capture_output=True)
    n = 500
    for i in range(n):
        server.page(f"/p{i}", article_html(f"P {i}", [f"Item {i}.", *PARAS]))
    urls = [server.url(f"/p{i}") for i in range(n)]
    subprocess.run(
        tracker_cmd(config, "add", "--from-file", "-"), input="\n".join(urls).encode(), check=True
    )
    a = start_daemon(config, "--name", "a", "--exit-after", "90s", log=tmp_path / "a.log")
    b = start_daemon(config, "--name", "b", "--exit-after", "90s", log=tmp_path / "b.log")
    try:
        assert wait_until(lambda: count(pg_url, select(func.count()).select_from(Version)) >= n, 80)
    finally:
        for p in (a, b):
            p.send_signal(signal.SIGTERM)
        for p in (a, b):
            assert p.wait(timeout=30) == 0
    # one round (interval 1 h): every story fetched exactly once, by one daemon or the other
    assert [server.hits[f"/p{i}"] for i in range(n)] == [1] * n
    workers = dict(
        create_engine(pg_url)
        .connect()
        .execute(select(Check.worker, func.count()).group_by(Check.worker))
        .all()
    )
    assert set(workers) == {"a", "b"} and sum(workers.values()) == n


def test_sigterm_delivers_alerts_written_before_it(tmp_path, server):
    """A change recorded just before SIGTERM is alerted before the daemon exits, not at the
    next start: the outbox is flushed within the grace period."""
    hook = HookReceiver().start()
    proc = None
    try:
        db_url = f"sqlite:///{tmp_path / 'f.db'}"
        # The regular outbox round runs only once, at start: any later delivery is the flush.
        # A grace long enough for a loaded box: the flush must fit in it.
        config = write_config(tmp_path, db_url, outbox_every=3600.0, shutdown_grace=20)
        config.write_text(
            config.read_text()
            + f'\n[[channels]]\nname = "desk"\nkind = "webhook"\nurl = "{hook.url}"\n'
            f'secret = "{SECRET}"\nmin_class = "cosmetic"\n'
        )
        url = server.page("/f", article_html("Flood", PARAS))
        subprocess.run(tracker_cmd(config, "add", url), check=True, capture_output=True)
        subprocess.run(tracker_cmd(config, "check", "--all"), check=True, capture_output=True)
        server.page("/f", article_html("Flood: 40 evacuated", PARAS))
        subprocess.run(tracker_cmd(config, "check", "--all"), check=True, capture_output=True)
        assert hook.requests == 0  # `tracker check` only writes the outbox row
        log = tmp_path / "flush.log"
        proc = start_daemon(config, log=log)
        assert wait_until(lambda: hook.requests >= 1, 20), log.read_text()  # the start round
        server.page("/f", article_html("Flood: 55 evacuated", PARAS))

        # The daemon may be checking the story itself right now ("busy"): try again then.
        def checked() -> bool:
            done = subprocess.run(tracker_cmd(config, "check", "--all"), capture_output=True)
            assert done.returncode == 0 or b"busy" in done.stdout, (done, log.read_text())
            return done.returncode == 0

        assert wait_until(checked, 30), log.read_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert hook.requests == 2, log.read_text()
        pending = text("SELECT count(*) FROM notification WHERE state = 'pending'")
        assert count(db_url, pending) == 0
    finally:
        if proc is not None and proc.poll() is None:  # a failed assert must not orphan it
            proc.kill()
            proc.wait(timeout=10)
        hook.stop()


def test_gauges_come_from_a_full_recount(tmp_path, server):
    """tracker_notifications{state="pending"} drops to 0 once the outbox drains (it used to
    keep its last non-zero value, because an emptied state was never set again)."""
    hook = HookReceiver(delay=1.5).start()
    try:
        db_url = f"sqlite:///{tmp_path / 'g.db'}"
        config = write_config(tmp_path, db_url, housekeeping_every=0.5, outbox_every=0.5)
        config.write_text(
            config.read_text()
            + f'\n[[channels]]\nname = "desk"\nkind = "webhook"\nurl = "{hook.url}"\n'
            f'secret = "{SECRET}"\nmin_class = "cosmetic"\n'
        )
        url = server.page("/g", article_html("Storm", PARAS))
        subprocess.run(tracker_cmd(config, "add", url), check=True, capture_output=True)
        for title in ("Storm", "Storm: roads closed", "Storm: schools closed"):
            server.page("/g", article_html(title, PARAS))
            subprocess.run(tracker_cmd(config, "check", "--all"), check=True, capture_output=True)
        port = 20000 + (os.getpid() + 3) % 20000
        proc = start_daemon(config, "--metrics-port", str(port), "--exit-after", "40s")
        pending = 'tracker_notifications{state="pending"}'
        try:
            # First seen while the slow receiver still has alerts to take, then back to 0.
            assert wait_until(lambda: f"{pending} 2.0" in _metrics(port), 20), _metrics(port)
            assert wait_until(lambda: hook.requests >= 2, 30)
            assert wait_until(lambda: f"{pending} 0.0" in _metrics(port), 10), _metrics(port)
            assert 'tracker_notifications{state="delivered"} 2.0' in _metrics(port)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    finally:
        hook.stop()


def _metrics(port: int) -> str:
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
    except OSError:
        return ""
