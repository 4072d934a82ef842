"""Every background job of the daemon meets a database that refuses the same way: one line,
the checks' back-off, the error on /healthz; never APScheduler's traceback in the log."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tracker.daemon import Daemon
from tracker.errors import StoreError

FULL = "database error: database or disk is full"


def _refusing(*_args: object, **_kwargs: object) -> object:
    raise StoreError(FULL)


# The jobs that reach the store with no channel configured meet the refusing store itself;
# the delivery jobs (which need channels to reach it) have their pass refuse.
JOBS = {
    "_renew_leases": None,
    "_feeds": None,
    "_outbox": "tracker.notify.outbox.deliver",
    "_archive": "tracker.archive.deliver",
    "_digest": "tracker.notify.digest.send_digest",
}


@pytest.mark.parametrize("job", JOBS)
def test_a_job_on_a_refusing_database_backs_off_without_a_traceback(
    tracker, monkeypatch, caplog, job: str
) -> None:
    daemon = Daemon(tracker, name="refused")
    monkeypatch.setattr(tracker.store, "write", _refusing)
    monkeypatch.setattr(tracker.store, "read", _refusing)
    if JOBS[job]:
        monkeypatch.setattr(JOBS[job], _refusing)
    daemon._in_flight[object()] = [1, 2]  # type: ignore[index]  # a batch still checking
    args = ["desk"] if job == "_digest" else []

    with caplog.at_level(logging.DEBUG):
        asyncio.run(getattr(daemon, job)(*args))

    assert daemon.metrics.store_error == FULL
    assert daemon._backoff.failures == 1
    assert not [r for r in caplog.records if r.exc_info], "no traceback for a refusing database"
    assert any("the database fails" in r.getMessage() for r in caplog.records)


def test_a_bug_in_a_job_is_logged_whole_and_the_daemon_goes_on(
    tracker, monkeypatch, caplog
) -> None:
    daemon = Daemon(tracker, name="buggy")

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("tracker.notify.outbox.deliver", broken)
    with caplog.at_level(logging.ERROR):
        asyncio.run(daemon._outbox())
    (record,) = [r for r in caplog.records if r.exc_info]
    assert record.getMessage() == "notification delivery failed"
    assert daemon.metrics.store_error is None
