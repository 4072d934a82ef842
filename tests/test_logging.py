"""What the daemon tells its operator: the real daemon at DEBUG, its log read back.

A line per check with its fields, a summary line, retry lines with attempt n/max, and no
flood of APScheduler's "maximum number of running instances reached".
"""

from __future__ import annotations

import json
import logging
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.servers import Route, article_html
from tests.test_daemon import PARAS, count, tracker_cmd
from tracker.daemon import SUMMARY_EVERY, Daemon, Queue, Tally, summary_line
from tracker.logs import drop_skipped_runs
from tracker.records import CheckOutcome
from tracker.store.models import Check
from tracker.vocab import CheckOutcomeKind

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title></channel></rss>"""


def write_config(tmp_path: Path, db_url: str, log_format: str) -> Path:
    path = tmp_path / "daemon.toml"
    path.write_text(f"""
[database]
url = "{db_url}"
[fetch]
allow_private_addresses = true
retries = 2
retry_backoff = 0.1
timeout = 10
[extract]
processes = 1
[schedule]
default_interval = "1h"
min_interval = "1s"
after_change = "1s"
jitter = 0.0
[daemon]
dispatch_every = 0.2
feed_poll_every = 0.2
lease = "10s"
shutdown_grace = 5
log_level = "DEBUG"
log_format = "{log_format}"
""")
    return path


def run_daemon(tmp_path: Path, server, log_format: str, seconds: str = "6s") -> tuple[str, str]:
    """Stories (one that fails twice before it answers), a slow feed, then the daemon for a
    few seconds. Returns (the database URL, what the daemon wrote to stderr)."""
    db_url = f"sqlite:///{tmp_path / 'log.db'}"
    config = write_config(tmp_path, db_url, log_format)
    urls = [
        server.page(f"/l{i}", article_html(f"Story {i}", [f"Item {i}.", *PARAS])) for i in (0, 1)
    ]
    flaky = server.page("/flaky", article_html("Flaky", ["Item flaky.", *PARAS]))
    server.routes["/flaky"].first = [Route(status=500), Route(status=502)]
    # The feed takes 1.5 s to answer while its job ticks every 0.2 s: APScheduler skips runs.
    server.page(
        "/feed.xml", RSS.decode(), delay=1.5, headers={"Content-Type": "application/rss+xml"}
    )
    stories = "\n".join([*urls, flaky]).encode()
    subprocess.run(tracker_cmd(config, "add", "--from-file", "-"), input=stories, check=True)
    feed = server.url("/feed.xml")
    subprocess.run(tracker_cmd(config, "feed", "add", feed, "--interval", "1h"), check=True)
    done = subprocess.run(
        tracker_cmd(config, "run", "--exit-after", seconds), capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr.decode()
    return db_url, done.stderr.decode()


@pytest.mark.slow
def test_daemon_logs_each_check_a_summary_and_retries_in_json(tmp_path, server):
    db_url, stderr = run_daemon(tmp_path, server, "json")
    lines = [json.loads(line) for line in stderr.splitlines()]  # every line is one JSON object
    checks = [r for r in lines if r["message"].startswith("checked ")]
    recorded = count(db_url, select(func.count()).select_from(Check))
    assert len(checks) == recorded == 3
    for r in checks:
        assert r["level"] == "debug" and r["logger"] == "tracker.daemon"
        assert r["outcome"] == "first_version" and r["status"] == 200
        assert r["ms"] > 0 and r["error_kind"] is None
        assert datetime.fromisoformat(r["next_check_at"]) > datetime.now(UTC)
        assert r["next_check_at"] in r["message"] and r["url"] in r["message"]
    by_url = {r["url"]: r for r in checks}
    assert by_url[server.url("/flaky")]["attempts"] == 3
    assert by_url[server.url("/l0")]["attempts"] == 1

    retries = [r for r in lines if r["message"].startswith("retrying ")]
    assert [(r["after"], r["attempt"], r["max_attempts"]) for r in retries] == [
        ("HTTP 500", 2, 3),
        ("HTTP 502", 3, 3),
    ]
    assert retries[0]["level"] == "info" and retries[0]["url"] == server.url("/flaky")
    assert (
        "retrying " + server.url("/flaky") + " after HTTP 500 (attempt 2/3) in 0."
        in (retries[0]["message"])
    )
    for r in retries:  # the next attempt's time: when the line was written, plus the pause
        pause = datetime.fromisoformat(r["retry_at"]) - datetime.fromisoformat(r["time"])
        assert abs(pause.total_seconds() - r["retry_in_s"]) < 0.05

    summaries = [r for r in lines if r["message"].startswith("last ")]
    assert summaries, stderr
    final = summaries[-1]
    assert final["level"] == "info"
    assert sum(s["checks"].get("first_version", 0) for s in summaries) == 3
    assert sum(s["retries"] for s in summaries) == 2
    assert {"due", "oldest_overdue_s", "in_flight", "errors"} <= set(final)
    # The skipped runs happened, were counted, and did not reach the log one by one.
    assert sum(s["skipped_runs"].get("feeds", 0) for s in summaries) >= 2
    assert "maximum number of running instances" not in stderr
    assert not [r for r in lines if r["logger"].startswith(("apscheduler", "httpcore"))]


@pytest.mark.slow
def test_daemon_text_log_carries_the_same_fields(tmp_path, server):
    _, stderr = run_daemon(tmp_path, server, "text", seconds="4s")
    checked = [line for line in stderr.splitlines() if " tracker.daemon: checked " in line]
    assert len(checked) == 3, stderr
    flaky = next(line for line in checked if "/flaky" in line)
    assert "DEBUG" in flaky
    assert ": first_version, HTTP 200, " in flaky and " ms, 3 attempts, next check 20" in flaky
    retry = [line for line in stderr.splitlines() if "tracker.fetch: retrying" in line]
    assert len(retry) == 2 and "after HTTP 500 (attempt 2/3) in " in retry[0]
    summary = [line for line in stderr.splitlines() if "tracker.daemon: last " in line]
    assert summary and "3 checks (first_version 3)" in summary[-1]
    assert "queue " in summary[-1] and " in flight" in summary[-1]
    assert "maximum number of running instances" not in stderr


# ---------------------------------------------------------------- the pieces


def outcome(
    kind: CheckOutcomeKind, error_kind: str | None = None, retried: tuple[str, ...] = ()
) -> CheckOutcome:
    return CheckOutcome(1, "https://example.org/a", kind, error_kind=error_kind, retried=retried)


def test_summary_line_counts_the_period():
    tally = Tally(since=100.0)
    for o in (
        outcome("unchanged"),
        outcome("unchanged"),
        outcome("failed", "timeout", ("timeout",)),
        outcome("new_version"),
    ):
        tally.count(o)
    tally.skipped["dispatch"] += 4
    message, fields = summary_line(tally, Queue(due=5, oldest_overdue_s=12.4), 3, now=160.0)
    assert message == (
        "last 60s: 4 checks (failed 1, new_version 1, unchanged 2); errors timeout 1; "
        "1 retries; queue 5 due, oldest overdue 12s; 3 in flight; skipped runs dispatch 4"
    )
    assert fields == {
        "period_s": 60.0,
        "checks": {"unchanged": 2, "failed": 1, "new_version": 1},
        "errors": {"timeout": 1},
        "retries": 1,
        "due": 5,
        "oldest_overdue_s": 12.4,
        "in_flight": 3,
        "skipped_runs": {"dispatch": 4},
    }
    quiet, _ = summary_line(Tally(since=0.0), Queue(), 0, now=60.0)
    assert (
        quiet
        == "last 60s: 0 checks; errors none; 0 retries; queue 0 due, oldest overdue 0s; 0 in flight"
    )


def test_the_summary_job_runs_a_minute_apart(tracker):
    jobs = {job.id: job for job in Daemon(tracker)._scheduler().get_jobs()}
    assert jobs["summary"].trigger.interval.total_seconds() == SUMMARY_EVERY == 60


def test_skipped_runs_are_dropped_and_nothing_else():
    def record(msg: str, *args: object) -> logging.LogRecord:
        return logging.LogRecord("apscheduler.scheduler", logging.WARNING, "", 0, msg, args, None)

    skipped = record(
        'Execution of job "%s" skipped: maximum number of running instances reached (%d)',
        "Daemon._dispatch",
        1,
    )
    assert not drop_skipped_runs(skipped)
    assert drop_skipped_runs(record('Run time of job "%s" was missed by %s', "x", "0:01:00"))
    assert drop_skipped_runs(record("a tracker line about %s", "maximum"))
