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


def test_a_dispatch_cancelled_by_the_stop_ends_quietly(tracker) -> None:
    """Under load the stop can find a dispatch waiting for the one before it: APScheduler's
    shutdown cancels it, and that must not reach APScheduler as an error (a traceback)."""
    daemon = Daemon(tracker, name="stopping")

    async def scenario() -> None:
        await daemon._dispatch_lock.acquire()  # a dispatch in progress holds the turn
        waiting = asyncio.create_task(daemon._dispatch())
        await asyncio.sleep(0.01)
        daemon._stopping = True
        waiting.cancel()
        await waiting  # ends, without raising CancelledError into the scheduler
        assert not waiting.cancelled()

    asyncio.run(scenario())


def test_a_dispatch_cancelled_while_running_still_cancels(tracker) -> None:
    daemon = Daemon(tracker, name="running")

    async def scenario() -> None:
        await daemon._dispatch_lock.acquire()
        waiting = asyncio.create_task(daemon._dispatch())
        await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting

    asyncio.run(scenario())
