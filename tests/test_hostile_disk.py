"""A full disk: every check is reported in one line, the JSON still printed, nothing corrupt,
and once there is room again the next run checks every story (no lease left blocking it).

The database sits on a small tmpfs mounted for the test (root only: skipped otherwise).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import wait_until
from tests.servers import LocalServer, article_html

pytestmark = pytest.mark.slow

N = 40


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(
        # Room for the schema and the added stories (~300 KB once `tracker add` checkpoints
        # its WAL at exit, ~480 KB of WAL while it does) and a few checked stories, not 40.
        ["mount", "-t", "tmpfs", "-o", "size=960k", "tmpfs", str(mnt)],
        capture_output=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _pages(server: LocalServer, n: int) -> list[str]:
    """~25 KB of text each that compresses poorly: the disk fills part way through."""
    rng = random.Random(7)
    urls = []
    for i in range(n):
        words = " ".join(f"w{rng.randrange(10**9)}" for _ in range(2500))
        urls.append(server.page(f"/d{i}", article_html(f"Story {i}", [words])))
    return urls


def _tracker(config: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "tracker", "--config", str(config), *args]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=300)


def test_disk_full_mid_run_is_one_line_per_story_and_recoverable(
    tmp_path: Path, small_disk: Path, server: LocalServer
) -> None:
    urls = _pages(server, N)
    config = tmp_path / "t.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{small_disk / "t.db"}"\n'
        "[fetch]\nallow_private_addresses = true\nretries = 0\n"
    )
    assert _tracker(config, "add", "--from-file", "-", stdin="\n".join(urls)).returncode == 0

    run = _tracker(config, "check", "--all", "--json")
    assert run.returncode == 1, run.stderr
    outcomes = json.loads(run.stdout)  # the JSON is printed whatever the disk says
    assert len(outcomes) == N
    assert any(o["error_kind"] == "store" for o in outcomes), "the disk never filled"
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) <= N + 1, "more than one line per story"
    assert all("disk is full" in line for line in lines), lines[:3]
    with sqlite3.connect(small_disk / "t.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    again = _tracker(config, "check", "--all", "--json")
    outcomes = json.loads(again.stdout)
    assert [o for o in outcomes if o["error_kind"] in ("busy", "store")] == []
    with sqlite3.connect(small_disk / "t.db") as db:
        versioned = db.execute("SELECT count(DISTINCT story_id) FROM version").fetchone()[0]
        leased = db.execute("SELECT count(*) FROM story WHERE lease_owner IS NOT NULL")
        assert (versioned, leased.fetchone()[0]) == (N, 0)


def _health(port: int) -> dict:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read())
    except OSError:
        return {}


def test_daemon_on_a_full_disk_backs_off_reports_it_and_recovers(
    tmp_path: Path, small_disk: Path, server: LocalServer
) -> None:
    from tests.test_daemon import count, start_daemon, write_config

    db_url = f"sqlite:///{small_disk / 'd.db'}"
    config = write_config(tmp_path, db_url)
    urls = _pages(server, N)
    assert _tracker(config, "add", "--from-file", "-", stdin="\n".join(urls)).returncode == 0
    port = 20000 + (os.getpid() + 7) % 20000
    log = tmp_path / "daemon.log"
    proc = start_daemon(config, "--metrics-port", str(port), log=log)
    try:
        assert wait_until(lambda: _health(port).get("status") == "store_error", 60), (
            log.read_text()[-2000:]
        )
        assert "disk is full" in _health(port)["error"]
        subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
        assert wait_until(lambda: _health(port).get("status") == "ok", 90), log.read_text()[-2000:]
        versioned = "SELECT count(DISTINCT story_id) FROM version"
        assert wait_until(lambda: count(db_url, text(versioned)) == N, 90)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    output = log.read_text()
    assert "Traceback" not in output, output[-3000:]
    assert output.count("the database fails") <= 5, "one line per change of trouble, not a flood"
