"""The library object behind every front end: the CLI, the daemon and the web are thin shells.

``Tracker(settings)`` opens the database lazily (no I/O in the constructor) and offers the
operations a user can ask for: add, list, pause, check, history, diff, show.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from tracker import bulk, revision
from tracker.config import Settings
from tracker.errors import FetchError, NotFound, UsageError
from tracker.fetch import Fetcher
from tracker.pipeline import Checker
from tracker.records import CheckOutcome
from tracker.schedule import SchedulePolicy
from tracker.store import Store, db
from tracker.store import queries as q
from tracker.timeparse import parse_duration, utcnow
from tracker.urls import normalise_url
from tracker.workers import ExtractionPool, default_workers


@dataclass(frozen=True, slots=True)
class Added:
    url: str
    story_id: int
    created: bool


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

    @property
    def factory(self) -> sessionmaker[Session]:
        """Deprecated: front ends use ``self.store`` (being removed)."""
        return self.store._sessions()

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
    ) -> list[Added]:
        policy = SchedulePolicy.from_settings(self.settings.schedule)
        try:
            interval_s = parse_duration(interval) if interval else policy.default_interval
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        interval_s = max(interval_s, policy.min_interval)
        cleaned = []
        for url in urls:
            try:
                cleaned.append(normalise_url(url))
            except FetchError as exc:
                raise UsageError(exc.reason) from None
        out = []
        now = self.clock()
        with db.transaction(self.factory) as session:
            for url in dict.fromkeys(cleaned):
                sid, created = q.add_story(
                    session,
                    url,
                    now=now,
                    interval_s=interval_s,
                    set_interval=interval is not None,
                    labels=labels,
                    until=until,
                    origin=origin,
                )
                out.append(Added(url, sid, created))
        return out

    def story(self, url: str) -> q.StoryInfo:
        with self.factory() as session:
            try:
                return q.story_by_url(session, url)
            except NotFound:
                try:
                    return q.story_by_url(session, normalise_url(url))
                except FetchError:
                    raise NotFound(f"no story tracked at {url}") from None

    def stories(self, **filters: object) -> list[q.StoryInfo]:
        with self.factory() as session:
            return q.list_stories(session, **filters)  # type: ignore[arg-type]

    def set_paused(self, url: str, paused: bool) -> q.StoryInfo:
        sid = self.story(url).id
        with db.transaction(self.factory) as session:
            q.set_paused(session, sid, paused, self.clock())
        return self.story(url)

    def remove(self, url: str) -> q.StoryInfo:
        info = self.story(url)
        with db.transaction(self.factory) as session:
            q.remove_story(session, info.id)
        return info

    # ------------------------------------------------------------- checks

    def due_ids(self) -> list[int]:
        with self.factory() as session:
            return q.due_story_ids(session, self.clock())

    def check(
        self,
        ids: Sequence[int],
        *,
        on_done: Callable[[CheckOutcome], None] | None = None,
        transport: object | None = None,
    ) -> list[CheckOutcome]:
        """Check these stories now, concurrently, holding a lease so no daemon checks them too."""
        return asyncio.run(self.check_async(ids, on_done=on_done, transport=transport))

    async def check_async(
        self,
        ids: Sequence[int],
        *,
        on_done: Callable[[CheckOutcome], None] | None = None,
        transport: object | None = None,
    ) -> list[CheckOutcome]:
        owner = f"cli:{os.getpid()}"
        now = self.clock()
        with db.transaction(self.factory) as session:
            got = q.claim_ids(session, ids, owner=owner, now=now, lease_s=600)
        busy = [i for i in ids if i not in set(got)]
        workers = default_workers(self.settings.extract.processes)
        try:
            if len(got) >= bulk.SHARD_MIN and workers >= 2 and transport is None:
                outcomes = await bulk.check_in_processes(
                    self.settings,
                    got,
                    owner=owner,
                    workers=workers,
                    on_done=on_done,
                    url_of=self._url,
                )
            else:
                outcomes = await self.check_claimed(
                    got,
                    owner=owner,
                    pool=self._pool(len(got)),
                    on_done=on_done,
                    transport=transport,
                )
        finally:
            with db.transaction(self.factory) as session:
                q.release_leases(session, got, owner)
        for sid in busy:
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

    async def check_claimed(
        self,
        ids: Sequence[int],
        *,
        owner: str,
        pool: ExtractionPool | None,
        on_done: Callable[[CheckOutcome], None] | None = None,
        transport: object | None = None,
    ) -> list[CheckOutcome]:
        """Check stories whose leases ``owner`` already holds."""
        try:
            async with Fetcher(self.settings.fetch, transport=transport) as fetcher:  # type: ignore[arg-type]
                checker = Checker(
                    self.settings, self.factory, fetcher, worker=owner, pool=pool, clock=self.clock
                )
                return await checker.check(ids, on_done=on_done, release_owner=owner)
        finally:
            if pool is not None:
                pool.shutdown()

    def _url(self, story_id: int) -> str:
        with self.factory() as session:
            return q.story_by_id(session, story_id).url

    def _pool(self, n: int) -> ExtractionPool | None:
        workers = default_workers(self.settings.extract.processes)
        return ExtractionPool(workers) if n >= 4 and workers >= 2 else None

    # ------------------------------------------------------------- reading

    def history(self, url: str) -> tuple[q.StoryInfo, list[q.VersionInfo]]:
        story = self.story(url)
        with self.factory() as session:
            return story, q.versions(session, story.id)

    def diff(self, url: str, from_n: int | None = None, to_n: int | None = None) -> DiffResult:
        story = self.story(url)
        with self.factory() as session:
            latest = q.version(session, story.id).number
            to_n = to_n if to_n is not None else latest
            from_n = from_n if from_n is not None else max(1, to_n - 1)
            if from_n == to_n and latest > 1:
                raise UsageError("--from and --to name the same version")
            a = q.version(session, story.id, from_n)
            b = q.version(session, story.id, to_n)
            report = self._analyze(session, story.id, a, b)
        meta = {
            "url": story.url,
            "from": from_n,
            "to": to_n,
            "from_time": a.first_seen.isoformat(),
            "to_time": b.first_seen.isoformat(),
            "web_url": self._web_url(story.id, from_n, to_n),
        }
        return DiffResult(report, meta)

    @staticmethod
    def _analyze(
        session: Session, story_id: int, a: q.VersionInfo, b: q.VersionInfo
    ) -> revision.ChangeReport:
        """Recompute the full report from the stored texts (stored reports keep only changes)."""

        def article(v: q.VersionInfo):  # type: ignore[no-untyped-def]
            if v.unpublished:  # compare with what was last published before it
                earlier = [
                    x
                    for x in q.versions(session, story_id)
                    if x.number < v.number and not x.unpublished
                ]
                if earlier:
                    return q.version_article(session, story_id, earlier[-1].number)
            return q.version_article(session, story_id, v.number)

        old, new = article(a), article(b)
        if b.unpublished and not a.unpublished:
            return revision.analyze_unpublished(old, b.status_code or 404)
        if a.unpublished and not b.unpublished:
            return revision.analyze_returned(old, new)
        return revision.analyze(old, new)

    def _web_url(self, story_id: int, a: int, b: int) -> str | None:
        base = self.settings.web.base_url.rstrip("/")
        return f"{base}/stories/{story_id}/diff/{a}/{b}" if base else None

    def show(self, url: str, number: int | None = None) -> tuple[q.VersionInfo, str]:
        story = self.story(url)
        with self.factory() as session:
            v = q.version(session, story.id, number)
            return v, q.version_text(session, story.id, v.number)

    def raw(self, url: str, number: int | None = None) -> tuple[q.VersionInfo, bytes]:
        story = self.story(url)
        with self.factory() as session:
            v = q.version(session, story.id, number)
            if v.snapshot_id is None:
                raise NotFound(
                    f"version {v.number} has no raw snapshot (the story was unpublished)"
                )
            data, _ = q.snapshot_bytes(session, v.snapshot_id)
            return v, data
