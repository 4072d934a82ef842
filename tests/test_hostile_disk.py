"""A full disk: every check is reported in one line, the JSON still printed, nothing corrupt,
and once there is room again the next run checks every story (no lease left blocking it).

The database sits on a small tmpfs mounted for the test (root only: skipped otherwise).
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import LocalServer, article_html

pytestmark = pytest.mark.slow

N = 40


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mnt)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _tracker(config: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "tracker", "--config", str(config), *args]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=300)


def test_disk_full_mid_run_is_one_line_per_story_and_recoverable(
    tmp_path: Path, small_disk: Path, server: LocalServer
) -> None:
    rng = random.Random(7)
    urls = []
    for i in range(N):  # ~25 KB of text each that compresses poorly: the disk fills mid-run
        words = " ".join(f"w{rng.randrange(10**9)}" for _ in range(2500))
        urls.append(server.page(f"/d{i}", article_html(f"Story {i}", [words])))
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
