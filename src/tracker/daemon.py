"""`tracker run`: the long-running daemon.

APScheduler 3 (AsyncIOScheduler) drives a few loops, never one job per story:

- dispatch: claim due stories from the database (the queue) with a lease, check them
  concurrently, and let each check write its next time and release its lease;
- outbox: deliver due notifications; digests on their cron schedules;
- feeds: poll due feeds for new developing stories;
- housekeeping: heartbeat, gauges, expired leases are simply claimable again;
- search: on SQLite, the sentences written since the last round into the full-text index;
- retention: check partitions ahead (PostgreSQL) and, with ``[database] keep_checks``, the
  prune of old check rows (``store/retention.py``), at the start and daily;
- summary: one INFO line a minute (and one at the stop) saying what the last minute held.

What it logs is listed in :mod:`tracker.logs`: DEBUG adds a line per check.

On PostgreSQL the claim uses ``FOR UPDATE SKIP LOCKED``, so any number of daemons share one
database. On SQLite one daemon owns the file: an OS lock (``<db>.lock``) that the kernel
frees even after ``kill -9``; a second daemon exits with a clear message.

SIGTERM/SIGINT: stop claiming, give in-flight checks ``shutdown_grace`` seconds, then cancel
them and release their leases, so another daemon (or the restart) takes them at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import socket
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from tracker.check import fleet, parallel
from tracker.check.runner import CheckRunner
from tracker.errors import StoreBusy, StoreError
from tracker.fetch import Fetcher
from tracker.metrics import Metrics, MetricsServer, Status, collect_status
from tracker.records import CheckOutcome
from tracker.service import Tracker
from tracker.store import operations as ops
from tracker.store import queries as q
from tracker.store import recovery
from tracker.vocab import DISPLAY_STATES, OUTBOX_STATES
from tracker.workers import ExtractionPool

if TYPE_CHECKING:
    from tracker.check.stream_shards import StreamShards

log = logging.getLogger("tracker.daemon")

SUMMARY_EVERY = 60.0  # seconds between the INFO summary lines
SEARCH_INDEX_EVERY = 5.0  # seconds between bulk inserts of new sentences into SQLite's FTS5
RETENTION_EVERY = 86400.0  # check partitions ahead and the prune: at the start, then daily


class SqliteOwnership:
    """One daemon per SQLite file, enforced by an advisory lock the kernel releases on death."""

    def __init__(self, db_path: str) -> None:
        self.path = Path(db_path + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StoreBusy(
                f"another tracker daemon ({holder}) already runs on this SQLite database; "
                "use PostgreSQL to run several"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


@dataclass
class Backoff:
    """Pauses after failures: 1 s doubling to a minute, on the event loop's clock."""

    failures: int = 0
    until: float = 0.0

    def fail(self, now: float) -> float:
        self.failures += 1
        delay = min(60.0, 2.0 ** min(self.failures - 1, 6))
        self.until = now + delay
        return delay

    def waiting(self, now: float) -> bool:
        return now < self.until

    def reset(self) -> None:
        self.failures, self.until = 0, 0.0


@dataclass
class Tally:
    """What the daemon did since the last summary line."""

    since: float  # time.monotonic() at the start of the period
    checks: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # scheduler runs skipped, by job

    def count(self, outcome: CheckOutcome) -> None:
        self.checks[outcome.outcome] += 1
        if outcome.error_kind:
            self.errors[outcome.error_kind] += 1
        self.retries += len(outcome.retried)


@dataclass(frozen=True)
class Queue:
    """The due queue as last read (by housekeeping, or for the summary line)."""

    due: int = 0
    oldest_overdue_s: float = 0.0


def summary_line(
    tally: Tally, queue: Queue, in_flight: int, now: float
) -> tuple[str, dict[str, object]]:
    """The summary's message and its fields: "last 60s: 42 checks (unchanged 40, ...)"."""
    period = now - tally.since
    fields: dict[str, object] = {
        "period_s": round(period, 1),
        "checks": dict(tally.checks),
        "errors": dict(tally.errors),
        "retries": tally.retries,
        "due": queue.due,
        "oldest_overdue_s": round(queue.oldest_overdue_s, 1),
        "in_flight": in_flight,
        "skipped_runs": dict(tally.skipped),
    }
    parts = [
        f"last {period:.0f}s: {tally.checks.total()} checks{_counts(tally.checks, ' ({})')}",
        f"errors{_counts(tally.errors, ' {}') or ' none'}",
        f"{tally.retries} retries",
        f"queue {queue.due} due, oldest overdue {queue.oldest_overdue_s:.0f}s",
        f"{in_flight} in flight",
    ]
    if tally.skipped:
        parts.append(f"skipped runs{_counts(tally.skipped, ' {}')}")
    return "; ".join(parts), fields


def _counts(counter: Counter[str], template: str) -> str:
    if not counter:
        return ""
    return template.format(", ".join(f"{k} {n}" for k, n in sorted(counter.items())))


class Daemon:
    def __init__(
        self,
        tracker: Tracker,
        *,
        name: str | None = None,
        exit_after: float | None = None,
        metrics_port: int | None = None,
    ) -> None:
        self.tracker = tracker
        self.settings = tracker.settings
        self.store = tracker.store
        self.clock = tracker.clock
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.exit_after = exit_after
        self.metrics = Metrics()
        self.metrics_port = (
            self.settings.daemon.metrics_port if metrics_port is None else metrics_port
        )
        self.lease_s = self.settings.daemon.lease
        # Stories in flight: enough batches overlapping that one slow page does not idle the rest.
        self.capacity = max(self.settings.daemon.batch_size, self.settings.fetch.concurrency * 4)
        self.claim_size = self.settings.daemon.batch_size  # stories claimed at a time
        self._in_flight: dict[asyncio.Future[list[CheckOutcome]], list[int]] = {}
        self._stopping = False
        self._dispatch_lock = asyncio.Lock()
        self._kicks: set[asyncio.Future[None]] = set()
        self._runner: CheckRunner | None = None
        self._shards: StreamShards | None = None
        self._backoff = Backoff()
        self._tally = Tally(time.monotonic())
        self._queue = Queue()
        self._desk_digests_since: datetime | None = None
        self.metrics_server: MetricsServer | None = None

    # ------------------------------------------------------------------ lifecycle

    def run(self) -> int:
        """Run until SIGTERM/SIGINT (or ``exit_after``); returns the exit code."""
        if self.settings.channels:
            from tracker.notify import validate_channels

            validate_channels(self.settings)  # a bad cron or quiet_hours fails now, not at 3 a.m.
        ownership = self._own_sqlite()
        try:
            self.store.ready()
            if ownership:  # we hold the file's lock: no other daemon is alive
                self._release_stale()
            return asyncio.run(self._main())
        finally:
            if ownership:
                ownership.release()

    def _release_stale(self) -> None:
        freed = self.store.write(recovery.release_dead_owners, recovery.local_owner_alive)
        if freed:
            log.warning("released %d leases left by a daemon that did not stop cleanly", freed)

    def _own_sqlite(self) -> SqliteOwnership | None:
        path = self.store.sqlite_path
        if path is None:
            return None
        own = SqliteOwnership(str(path))
        own.acquire()
        return own

    async def _main(self) -> int:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        if self.exit_after:
            loop.call_later(self.exit_after, stop.set)
        pool = self._pool()
        if self._shards is not None:
            # A claim is one shard's part; two parts a shard in flight, so that one runs
            # while the next waits in its queue.
            self.claim_size = max(1, self.settings.daemon.batch_size // self._shards.count)
            self.capacity = 2 * self.claim_size * self._shards.count
        self._register()
        if self.metrics_port:
            self.metrics_server = MetricsServer(
                self.metrics, self.settings.daemon.metrics_host, self.metrics_port
            )
            self.metrics_server.start()
            log.info(
                "metrics on http://%s:%d/metrics",
                self.settings.daemon.metrics_host,
                self.metrics_server.port,
            )
        web_task = self._start_web()
        try:
            gate = fleet.gate_for(self.store, self.settings.fetch, self.name)
            async with Fetcher(self.settings.fetch, gate=gate) as fetcher:
                self._runner = CheckRunner(
                    self.settings,
                    self.store,
                    fetcher,
                    worker=self.name,
                    pool=pool,
                    clock=self.clock,
                )
                scheduler = self._scheduler()
                scheduler.start()
                log.info("daemon %s started on %s", self.name, self.store.safe_url)
                await stop.wait()
                log.info(
                    "shutting down: %d checks in flight", sum(map(len, self._in_flight.values()))
                )
                self._stopping = True
                scheduler.shutdown(wait=False)
                await self._drain()
                await self._summary()
                await self._runner.aclose()  # the browser, if a page needed one
        finally:
            if web_task is not None:
                web_task.cancel()
            if pool is not None:
                pool.shutdown()
            if self._shards is not None:
                self._shards.shutdown()
            if self.metrics_server:
                self.metrics_server.stop()
            self._unregister()
        log.info("daemon %s stopped", self.name)
        return 0

    def _pool(self) -> ExtractionPool | None:
        """The extraction pool, or None: checks in shards (``stream_shards``), or in-process
        with one worker. The event loop (leases, metrics, shutdown) never waits on
        extraction."""
        how = parallel.for_daemon(self.settings.extract.processes, self.settings.daemon.shards)
        if how.mode == "shards":
            from tracker.check.stream_shards import StreamShards

            self._shards = StreamShards(self.settings, how.workers, self.name)
        return ExtractionPool(how.workers) if how.mode == "pool" else None

    def _scheduler(self) -> AsyncIOScheduler:
        d = self.settings.daemon
        sched = AsyncIOScheduler(
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
        )
        now = self.clock()
        sched.add_job(
            self._dispatch, "interval", seconds=d.dispatch_every, next_run_time=now, id="dispatch"
        )
        sched.add_job(
            self._housekeeping,
            "interval",
            seconds=min(d.housekeeping_every, 15.0),
            next_run_time=now,
            id="housekeeping",
        )
        sched.add_job(
            self._renew_leases, "interval", seconds=max(0.5, self.lease_s / 3), id="leases"
        )
        sched.add_job(
            self._feeds, "interval", seconds=d.feed_poll_every, next_run_time=now, id="feeds"
        )
        sched.add_job(self._summary, "interval", seconds=SUMMARY_EVERY, id="summary")
        if self.store.backend == "sqlite":  # PostgreSQL's index keeps up by itself
            sched.add_job(self._search_index, "interval", seconds=SEARCH_INDEX_EVERY, id="search")
        sched.add_job(
            self._retention, "interval", seconds=RETENTION_EVERY, next_run_time=now, id="retention"
        )
        sched.add_listener(self._skipped, EVENT_JOB_MAX_INSTANCES)
        # Always: people's own destinations (the desk) are channels too, read at each pass.
        sched.add_job(
            self._outbox, "interval", seconds=d.outbox_every, next_run_time=now, id="outbox"
        )
        for channel, trigger in self._digest_triggers():
            sched.add_job(self._digest, trigger, args=[channel], id=f"digest:{channel}")
        sched.add_job(self._desk_digests, "interval", seconds=60, id="desk-digests")
        return sched

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.daemon.shutdown_grace
        async with self._dispatch_lock:  # a dispatch claiming now finishes (and sees the stop)
            tasks = list(self._in_flight)
        leftover: list[int] = []
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=self.settings.daemon.shutdown_grace)
            # Note the stories before cancelling: a finished task leaves _in_flight at once.
            leftover = [sid for task in pending for sid in self._in_flight.get(task, [])]
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)
        # Leases of checks that did not finish go back at once (finished ones were released by
        # their own write), so another daemon or the restart takes them without waiting.
        await asyncio.to_thread(self._release, leftover)
        await self._flush_outbox(deadline - loop.time())

    async def _flush_outbox(self, budget_s: float) -> None:
        """Alerts of changes written before the stop go out now, within the grace left."""
        if not self.settings.channels:
            return
        from tracker.notify import outbox

        if budget_s <= 0:
            log.warning("no grace left to deliver pending alerts; they go at the next start")
            return
        try:
            stats = await asyncio.wait_for(
                asyncio.to_thread(
                    outbox.deliver, self.store, self.settings, owner=self.name, now=self.clock()
                ),
                timeout=budget_s,
            )
            log.info("delivered %d pending alerts before stopping", stats.delivered)
        except TimeoutError:
            log.warning("the grace ran out while alerts were going out; the rest go at next start")
        except Exception:
            log.exception("delivering pending alerts at shutdown failed")

    def _release(self, ids: list[int]) -> None:
        self.store.write(q.release_leases, ids, self.name)

    # ------------------------------------------------------------------ jobs

    async def _dispatch(self) -> None:
        try:
            await self._dispatch_once()
        except asyncio.CancelledError:
            # The stop cancels a dispatch still waiting its turn (APScheduler's shutdown,
            # seen under load): the end of the job, not an error to log with a traceback. A
            # claim it had made gives its leases back (_claim_shielded).
            if not self._stopping:
                raise

    async def _dispatch_once(self) -> None:
        if self._stopping:
            return
        self.metrics.rounds.inc()
        self.metrics.healthy_at = self.clock()
        async with self._dispatch_lock:  # the tick and the "batch finished" kick can meet
            room = self.capacity - sum(map(len, self._in_flight.values()))
            if room <= 0:
                return
            if self._backoff.waiting(asyncio.get_running_loop().time()):
                return
            limit = min(room, self.claim_size)
            if self._shards is not None and limit < self.claim_size:
                return  # a shard's whole part at a time: a sliver would cost a part's overhead
            try:
                ids = await self._claim_shielded(limit)
            except StoreError as exc:
                self._store_failed(exc)
                return
            self._store_ok()
            if not ids:
                return
            if self._stopping:  # the stop came while claiming: give them back at once
                await asyncio.to_thread(self._release, ids)
                return
            for task, part in await self._start_checks(ids):
                self._in_flight[task] = part
                task.add_done_callback(self._finished)
            self.metrics.in_flight.set(sum(map(len, self._in_flight.values())))
        # A full batch means more is due: go again at once instead of waiting for the tick.
        if len(ids) == limit:
            self._kick()

    async def _start_checks(
        self, ids: list[int]
    ) -> list[tuple[asyncio.Future[list[CheckOutcome]], list[int]]]:
        """The checks of claimed stories, started: in the shards, one task per shard's part,
        or one task here."""
        if self._shards is not None:
            urls = None
            if self._shards.by_host:
                urls = await asyncio.to_thread(self.store.read, q.story_urls, ids)
            parts = self._shards.submit(ids, urls, on_done=self._observe)
            return [(part.done, part.ids) for part in parts]
        assert self._runner is not None
        task = asyncio.create_task(
            self._runner.check(ids, on_done=self._observe, release_owner=self.name)
        )
        return [(task, ids)]

    async def _claim_shielded(self, limit: int) -> list[int]:
        """Claim in a thread that a cancel cannot orphan: APScheduler's shutdown cancels a
        running dispatch, but the claim commits anyway, so its leases are given back here."""
        claim = asyncio.ensure_future(asyncio.to_thread(self._claim, limit))
        try:
            return await asyncio.shield(claim)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                ids = await claim
                if ids:
                    await asyncio.to_thread(self._release, ids)
            raise

    async def _retention(self) -> None:
        """Partitions ahead; with [database] keep_checks, the prune (store/retention.py)."""
        from tracker.store import retention

        keep = self.settings.database.keep_checks
        try:
            report = await asyncio.to_thread(
                retention.prune_checks, self.store, keep, self.clock(), stop=self._is_stopping
            )
        except StoreError as exc:
            log.warning("check retention failed, trying again in a day: %s", exc)
            return
        for warning in report.warnings:
            log.warning("check retention: %s", warning)
        if report.created:
            log.info("created check partitions %s", ", ".join(report.created))
        if report.removed:
            log.info(
                "pruned %d check rows older than %s in %.1f s (counts kept in check_rollup)",
                report.removed,
                report.cutoff.isoformat(timespec="seconds") if report.cutoff else "?",
                report.seconds,
            )

    def _is_stopping(self) -> bool:
        return self._stopping

    def _kick(self) -> None:
        if not self._stopping:
            self._kicks.add(task := asyncio.ensure_future(self._dispatch()))
            task.add_done_callback(self._kicks.discard)

    async def _renew_leases(self) -> None:
        """Extend the leases of checks still in flight, so a slow batch is never taken twice."""
        ids = [sid for batch in self._in_flight.values() for sid in batch]
        if ids:
            with self._guarded("lease renewal"):
                await asyncio.to_thread(self._renew, ids)

    def _renew(self, ids: list[int]) -> None:
        self.store.write(q.renew_leases, ids, self.name, self.clock(), self.lease_s)

    def _claim(self, limit: int) -> list[int]:
        return self.store.write(
            q.claim_due, owner=self.name, now=self.clock(), lease_s=self.lease_s, limit=limit
        )

    def _finished(self, task: asyncio.Future[list[CheckOutcome]]) -> None:
        self._in_flight.pop(task, None)
        self.metrics.in_flight.set(sum(map(len, self._in_flight.values())))
        if not task.cancelled() and task.exception() is not None:
            log.error("a check batch failed: %r", task.exception())
        self._kick()  # room has freed up: claim more now, not at the next tick

    def _observe(self, outcome: CheckOutcome) -> None:
        if outcome.error_kind == "store":  # the check could not even be recorded
            self._store_failed(StoreError(outcome.error or "database error"))
        self._tally.count(outcome)
        _log_check(outcome)
        self.metrics.checks.labels(outcome.outcome).inc()
        if outcome.error_kind:
            self.metrics.errors.labels(outcome.error_kind).inc()
        for kind in outcome.retried:
            self.metrics.retries.labels(kind).inc()
        if outcome.duration_ms:
            self.metrics.fetch_seconds.observe(outcome.duration_ms / 1000)
        if outcome.outcome in ("new_version", "returned", "gone"):
            log.info(
                "changed %s v%s [%s] %s",
                outcome.url,
                outcome.version,
                outcome.change_class,
                outcome.summary,
                extra={
                    "url": outcome.url,
                    "version": outcome.version,
                    "class": outcome.change_class,
                },
            )
        elif outcome.failed:
            log.warning(
                "check failed %s: %s: %s",
                outcome.url,
                outcome.error_kind,
                outcome.error,
                extra={"url": outcome.url, "kind": outcome.error_kind},
            )

    async def _housekeeping(self) -> None:
        try:
            status = await asyncio.to_thread(self._heartbeat_and_status)
        except StoreError as exc:
            self._store_failed(exc)
            return
        self._store_ok()
        self._queue = Queue(status.due, status.oldest_overdue_s)
        self.metrics.due.set(status.due)
        self.metrics.oldest_overdue.set(status.oldest_overdue_s)
        # Every label from a full recount: a state that emptied reads 0, not its last value.
        for state in {*DISPLAY_STATES, *status.stories}:
            self.metrics.stories.labels(state).set(status.stories.get(state, 0))
        for state in {*OUTBOX_STATES, *status.notifications}:
            self.metrics.outbox.labels(state).set(status.notifications.get(state, 0))

    async def _search_index(self) -> None:
        """SQLite: new sentences into the full-text index, in bulk (``store/search_index``)."""
        from tracker.store import search_index

        with self._guarded("search indexing"):
            await asyncio.to_thread(search_index.bring_up_to_date, self.store)

    async def _summary(self) -> None:
        """The INFO line a minute: what the period held, then a fresh tally."""
        try:
            queue = await asyncio.to_thread(self.store.read, q.queue_stats, self.clock())
            self._queue = Queue(int(queue["due"]), queue["oldest_overdue_s"])
        except StoreError:
            pass  # the failure is logged on its own; the last queue read stands
        now = time.monotonic()
        in_flight = sum(map(len, self._in_flight.values()))
        message, fields = summary_line(self._tally, self._queue, in_flight, now)
        log.info(message, extra=fields)
        self._tally = Tally(now)

    def _skipped(self, event: JobSubmissionEvent) -> None:
        """APScheduler skipped a run (the previous one still runs): counted, not logged."""
        self._tally.skipped[event.job_id] += 1

    @contextlib.contextmanager
    def _guarded(self, job: str) -> Iterator[None]:
        """A background job never ends in APScheduler's traceback: a database that refuses
        (disk full, server gone) is one line and the checks' back-off; a bug is logged whole."""
        try:
            yield
        except StoreError as exc:
            self._store_failed(exc)
        except Exception:
            log.exception("%s failed", job)

    def _store_failed(self, exc: StoreError) -> None:
        """The database refuses (disk full, server gone): pause claiming, say so on /healthz."""
        delay = self._backoff.fail(asyncio.get_running_loop().time())
        if self.metrics.store_error != str(exc) or self._backoff.failures in (1, 10, 100):
            log.error("the database fails (%s); checks pause for %.0fs", exc, delay)
        self.metrics.store_error = str(exc)

    def _store_ok(self) -> None:
        if self._backoff.failures:
            log.warning("the database works again after %d failures", self._backoff.failures)
        self._backoff.reset()
        self.metrics.store_error = None

    def _heartbeat_and_status(self) -> Status:
        now = self.clock()
        status = collect_status(self.store, now, heartbeat=self.name)
        dead = self.store.write(
            recovery.reclaim_dead_daemons,
            now=now,
            silent_s=ops.ALIVE_WITHIN_S,
            host=socket.gethostname(),
            keep=self.name,
        )
        if dead:
            log.warning("took back the leases of dead daemons: %s", ", ".join(dead))
        return status

    async def _feeds(self) -> None:
        if self._stopping:
            return
        from tracker import feeds

        with self._guarded("feed polling"):
            discovery = feeds.Discovery.of(self.settings, self.store, clock=self.clock)
            await feeds.poll_due(discovery, owner=self.name)

    async def _outbox(self) -> None:
        if self._stopping:
            return
        from tracker.notify import outbox

        with self._guarded("notification delivery"):
            await asyncio.to_thread(
                outbox.deliver, self.store, self.settings, owner=self.name, now=self.clock()
            )
        if self.settings.archive.enabled:
            await self._archive()

    async def _archive(self) -> None:
        from tracker import archive

        with self._guarded("archive submission"):
            await asyncio.to_thread(
                archive.deliver, self.store, self.settings, owner=self.name, now=self.clock()
            )

    async def _desk_digests(self) -> None:
        """Digests of people's destinations (their cron, their time zone), every minute."""
        from tracker.notify import people

        now = self.clock()
        since = self._desk_digests_since or now - timedelta(seconds=60)
        self._desk_digests_since = now
        with self._guarded("desk digests"):
            await asyncio.to_thread(
                people.send_desk_digests,
                self.store,
                self.settings,
                owner=self.name,
                since=since,
                now=now,
            )

    def _digest_triggers(self) -> list[tuple[str, object]]:
        if not any(c.digest for c in self.settings.channels):
            return []
        from tracker.notify import digest

        return list(digest.digest_triggers(self.settings))

    async def _digest(self, channel: str) -> None:
        from tracker.notify import digest

        with self._guarded(f"digest for {channel}"):
            await asyncio.to_thread(
                digest.send_digest,
                self.store,
                self.settings,
                channel,
                owner=self.name,
                now=self.clock(),
            )

    def _start_web(self) -> asyncio.Task[None] | None:
        if not self.settings.daemon.serve_web:
            return None
        import uvicorn

        from tracker.web import create_app

        web = self.settings.web

        class EmbeddedServer(uvicorn.Server):
            """The daemon owns SIGTERM/SIGINT: uvicorn must not take them over."""

            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                yield

        server = EmbeddedServer(
            uvicorn.Config(
                create_app(self.tracker),
                host=web.host,
                port=web.port,
                log_level="warning",
                lifespan="off",
            )
        )
        log.info("web UI on http://%s:%d/", web.host, web.port)
        return asyncio.create_task(server.serve())

    # ------------------------------------------------------------------ registry

    def _register(self) -> None:
        host, pid = socket.gethostname(), os.getpid()
        self.store.write(ops.register_daemon, self.name, host, pid, self.clock())

    def _unregister(self) -> None:
        try:
            self.store.write(ops.unregister_daemon, self.name)
        except Exception:
            log.exception("could not unregister daemon %s", self.name)


def _log_check(o: CheckOutcome) -> None:
    """The DEBUG line of one check: URL, outcome, status, time, attempts, next check."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    following = o.next_check_at.isoformat(timespec="seconds") if o.next_check_at else None
    status = f"HTTP {o.status_code}" if o.status_code is not None else "no response"
    log.debug(
        "checked %s: %s, %s, %.0f ms, %d attempt%s, next check %s",
        o.url,
        o.outcome if not o.error_kind else f"{o.outcome} ({o.error_kind})",
        status,
        o.duration_ms,
        o.attempts,
        "" if o.attempts == 1 else "s",
        following or "not scheduled",
        extra={
            "story_id": o.story_id,
            "url": o.url,
            "outcome": o.outcome,
            "status": o.status_code,
            "ms": round(o.duration_ms, 1),
            "attempts": o.attempts,
            "next_check_at": following,
            "error_kind": o.error_kind,
            "version": o.version,
        },
    )
