"""The library object behind every front end: the CLI, the daemon and the web are thin shells.

``Tracker(settings)`` opens the database lazily (no I/O in the constructor) and offers the
operations a user can ask for: add, list, pause, check, history, diff, show.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tracker.config import Settings, check_interval, render_mode
from tracker.errors import FetchError, NotFound, UsageError
from tracker.records import CheckOutcome
from tracker.schedule import SchedulePolicy
from tracker.store import Store, recovery
from tracker.store import queries as q
from tracker.timeparse import format_duration, parse_duration, utcnow
from tracker.urls import normalise_url

if TYPE_CHECKING:
    from tracker import revision

log = logging.getLogger("tracker")

# A CLI run's leases: short, renewed while it runs, so a killed run blocks nothing for long.
CLI_LEASE_S = 60.0


@dataclass(frozen=True, slots=True)
class Added:
    url: str
    story_id: int
    created: bool
    interval_s: float = 0.0  # the interval the story starts with (after min_interval)
    notice: str | None = None  # why it differs from what was asked
    next_check_at: datetime | None = None  # None: not scheduled (paused or archived)


@dataclass(frozen=True, slots=True)
class DiffResult:
    report: revision.ChangeReport
    meta: dict[str, object]


class Tracker:
    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.settings = settings
        self.clock = clock
        db_settings = settings.database
        self.store = Store(db_settings.url, echo=db_settings.echo, source=settings.source)

    # ------------------------------------------------------------- database

    def init(self) -> str:
        """Create or upgrade the schema; safe to run any number of times."""
        return self.store.init()

    def ready(self) -> None:
        self.store.ready()

    def close(self) -> None:
        self.store.close()

    # ------------------------------------------------------------- stories

    def add(
        self,
        urls: Iterable[str],
        *,
        labels: Sequence[str] = (),
        interval: str | None = None,
        until: datetime | None = None,
        origin: str = "cli",
        max_interval: str | None = None,
        fixed: bool | None = None,
        render: str | None = None,
    ) -> list[Added]:
        """Track these URLs; the interval, ceiling, ``fixed`` and ``render`` apply to each."""
        render = render_mode(render)
        interval_s, notice = self.effective_interval(interval)
        ceiling_s = None
        if max_interval is not None:
            ceiling_s, _ = self.effective_interval(max_interval, what="--max-interval")
            if ceiling_s < interval_s:
                raise UsageError(
                    f"--max-interval {max_interval} is shorter than the interval "
                    f"({format_duration(interval_s)})"
                )
        cleaned = []
        for url in urls:
            try:
                cleaned.append(normalise_url(url))
            except FetchError as exc:
                raise UsageError(exc.reason) from None
        unique = list(dict.fromkeys(cleaned))
        now = self.clock()
        ids = self.store.write(
            q.add_stories,
            unique,
            now=now,
            interval_s=interval_s,
            set_interval=interval is not None,
            labels=labels,
            until=until,
            origin=origin,
            max_interval_s=ceiling_s,
            fixed=fixed,
            render=render,
        )
        return [
            Added(url, sid, created, interval_s, notice, now if created else self._next_check(sid))
            for url, (sid, created) in zip(unique, ids, strict=True)
        ]

    def _next_check(self, story_id: int) -> datetime | None:
        info = self.store.read(q.story_by_id, story_id)
        return None if info.paused or info.state == "archived" else info.next_check_at

    def effective_interval(
        self, interval: str | None, *, what: str = "--interval"
    ) -> tuple[float, str | None]:
        """The interval a story gets for ``--interval`` (None: the default), and a notice
        when ``[schedule] min_interval`` raised it. Unusable values are a UsageError."""
        policy = SchedulePolicy.from_settings(self.settings.schedule)
        if interval is None:
            return policy.default_interval, None
        try:
            asked = check_interval(parse_duration(interval), what)
        except ValueError as exc:
            raise UsageError(f"{what}: {exc}") from None
        if asked >= policy.min_interval:
            return asked, None
        floor = format_duration(policy.min_interval)
        return policy.min_interval, (
            f"{what} {interval} is below [schedule] min_interval ({floor}): checked every {floor}"
        )

    def story(self, url: str) -> q.StoryInfo:
        try:
            return self.store.read(q.story_by_url, url)
        except NotFound:
            try:
                return self.store.read(q.story_by_url, normalise_url(url))
            except FetchError:
                raise NotFound(f"no story tracked at {url}") from None

    def stories(self, **filters: Any) -> list[q.StoryInfo]:
        return self.store.read(q.list_stories, **filters)

    def set_paused(self, url: str, paused: bool) -> q.StoryInfo:
        self.store.write(q.set_paused, self.story(url).id, paused, self.clock())
        return self.story(url)

    def remove(self, url: str) -> q.StoryInfo:
        """Stop tracking a story; its history stays (history, diff, show and exports)."""
        self.store.write(q.remove_story, self.story(url).id, self.clock())
        return self.story(url)

    def purge(self, url: str) -> q.StoryInfo:
        """Delete a story and every version, snapshot, change and check of it, for good."""
        info = self.story(url)
        self.store.write(q.purge_story, info.id)
        return info

    # ------------------------------------------------------------- checks

    def checkable_ids(self) -> list[int]:
        """Every story ``check --all`` checks: not paused, not archived, not removed."""
        return self.store.read(q.checkable_story_ids)

    def due_ids(self) -> list[int]:
        return self.store.read(q.due_story_ids, self.clock())

    def check(
        self, ids: Sequence[int], *, on_done: Callable[[CheckOutcome], None] | None = None
    ) -> list[CheckOutcome]:
        """Check these stories now, concurrently, holding a lease so no daemon checks them too."""
        return asyncio.run(self.check_async(ids, on_done=on_done))

    async def check_async(
        self, ids: Sequence[int], *, on_done: Callable[[CheckOutcome], None] | None = None
    ) -> list[CheckOutcome]:
        owner = recovery.cli_owner(os.getpid())
        if self.store.backend == "sqlite":  # pids are local: a dead run's leases can go now
            self.store.write(recovery.release_dead_owners, recovery.unless_dead_cli_run)
        got = self.store.write(q.claim_ids, ids, owner=owner, now=self.clock(), lease_s=CLI_LEASE_S)
        renewing = asyncio.create_task(self._renew_leases(got, owner))
        try:
            outcomes = await self._run(got, owner, on_done)
        finally:
            renewing.cancel()
            self._release(got, owner)
        from tracker.store import search_index

        search_index.bring_up_to_date(self.store)  # the run's new sentences, searchable now
        claimed = set(got)
        for sid in ids:
            if sid not in claimed:
                outcome = CheckOutcome(
                    sid,
                    self._url(sid),
                    "failed",
                    error_kind="busy",
                    error="another worker is checking this story right now",
                )
                outcomes.append(outcome)
                if on_done:
                    on_done(outcome)
        return outcomes

    async def _renew_leases(self, ids: list[int], owner: str) -> None:
        """Keep a long run's leases alive; a killed run's leases lapse within CLI_LEASE_S."""
        while ids:
            await asyncio.sleep(CLI_LEASE_S / 3)
            try:
                await asyncio.to_thread(
                    self.store.write, q.renew_leases, ids, owner, self.clock(), CLI_LEASE_S
                )
            except Exception as exc:  # the database is unreachable or full: the run goes on
                log.warning("could not renew the leases of this run: %s", exc)

    def _release(self, ids: list[int], owner: str) -> None:
        try:
            self.store.write(q.release_leases, ids, owner)
        except Exception as exc:  # e.g. a full disk: the short leases lapse on their own
            log.warning(
                "could not release the leases of this run (they lapse in %.0fs): %s",
                CLI_LEASE_S,
                exc,
            )

    async def _run(
        self, ids: list[int], owner: str, on_done: Callable[[CheckOutcome], None] | None
    ) -> list[CheckOutcome]:
        # The check machinery (fetch, extraction, trafilatura) loads only when a check runs,
        # so read commands start fast.
        from tracker.check import parallel, shards
        from tracker.check.runner import run_checks
        from tracker.workers import ExtractionPool

        how = parallel.choose(len(ids), self.settings.extract.processes)
        if how.mode == "shards":
            return await shards.check_in_processes(
                self.settings,
                ids,
                owner=owner,
                workers=how.workers,
                urls=self.store.read(q.story_urls, ids),
                on_done=on_done,
            )
        pool = ExtractionPool(how.workers) if how.mode == "pool" else None
        return await run_checks(
            self.settings,
            self.store,
            ids,
            owner=owner,
            pool=pool,
            on_done=on_done,
            clock=self.clock,
        )

    def _url(self, story_id: int) -> str:
        return self.store.read(q.story_by_id, story_id).url

    # ------------------------------------------------------------- reading

    def history(self, url: str) -> tuple[q.StoryInfo, list[q.VersionInfo]]:
        story = self.story(url)
        return story, self.store.read(q.versions, story.id)

    def diff(self, url: str, from_n: int | None = None, to_n: int | None = None) -> DiffResult:
        story = self.story(url)
        latest = self.store.read(q.version, story.id).number
        to_n = to_n if to_n is not None else latest
        from_n = from_n if from_n is not None else max(1, to_n - 1)
        if from_n == to_n and latest > 1:
            raise UsageError("--from and --to name the same version")
        a = self.store.read(q.version, story.id, from_n)
        b = self.store.read(q.version, story.id, to_n)
        meta = {
            "url": story.url,
            "from": from_n,
            "to": to_n,
            "from_time": a.first_seen.isoformat(),
            "to_time": b.first_seen.isoformat(),
            "web_url": self._web_url(story.id, from_n, to_n),
        }
        return DiffResult(self._analyze(story.id, a, b), meta)

    def _analyze(self, story_id: int, a: q.VersionInfo, b: q.VersionInfo) -> revision.ChangeReport:
        """Recompute the full report from the stored texts (stored reports keep only changes)."""
        from tracker import revision

        refs = [
            revision.VersionRef(v.number, v.unpublished)
            for v in self.store.read(q.versions, story_id)
        ]
        old = self.store.read(q.version_article, story_id, revision.published_basis(refs, a.number))
        new = self.store.read(q.version_article, story_id, revision.published_basis(refs, b.number))
        return revision.compare(
            old,
            new,
            old_unpublished=a.unpublished,
            new_unpublished=b.unpublished,
            status_code=b.status_code,
        )

    def _web_url(self, story_id: int, a: int, b: int) -> str | None:
        base = self.settings.web.base_url.rstrip("/")
        return f"{base}/stories/{story_id}/diff/{a}/{b}" if base else None

    def show(self, url: str, number: int | None = None) -> tuple[q.VersionInfo, str]:
        story = self.story(url)
        v = self.store.read(q.version, story.id, number)
        return v, self.store.read(q.version_text, story.id, v.number)

    def raw(self, url: str, number: int | None = None) -> tuple[q.VersionInfo, bytes]:
        story = self.story(url)
        v = self.store.read(q.version, story.id, number)
        if v.snapshot_id is None:
            raise NotFound(f"version {v.number} has no raw snapshot (the story was unpublished)")
        data, _ = self.store.read(q.snapshot_bytes, v.snapshot_id)
        return v, data
