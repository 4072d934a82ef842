"""The check runner: fetch -> judge -> plan -> record for a set of leased stories.

Stages run concurrently: fetches on the event loop (bounded by the Fetcher's limits),
fingerprinting and extraction in worker processes when a pool is given, and writes in a
writer thread that records ready checks in small batches, each batch one transaction. Each
story's check is atomic: its check row, snapshot, version, change and outbox rows are written
together or not at all (a batch that fails is retried story by story, and a story whose write
still fails gets a recorded internal failure instead).

The cheap pre-check decides most checks: a 304, an identical raw body (SHA-256), or an equal
fingerprint of the page's visible text means no extraction is needed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from tracker.check.fleet import gate_for
from tracker.check.plan import plan_next
from tracker.check.record import Comparison, build_record, outcome_of
from tracker.check.render_policy import RenderStep
from tracker.check.verdict import REVERT_WINDOW, Confirm, Fetched, Verdict, judge
from tracker.config import Settings
from tracker.errors import FetchError, StoreError, with_attempts
from tracker.extract import content_hash, extract_options, fingerprint_and_extract
from tracker.fetch import Fetcher, Validators
from tracker.records import Article, CheckOutcome, FetchResult
from tracker.schedule import SchedulePolicy
from tracker.sentence_keys import version_sentences
from tracker.store import Store
from tracker.store import queries as q
from tracker.store.checks import CheckRecord, StaleCheck, record_check, record_checks
from tracker.store.outbox import OutboxTarget
from tracker.store.rows import CheckState
from tracker.store.snapshots import sha256_hex
from tracker.timeparse import utcnow
from tracker.workers import ExtractionPool

if TYPE_CHECKING:
    from tracker.revision import ChangeReport

log = logging.getLogger("tracker.check")

STALE_RETRIES = 3  # judge again this often when another worker wrote a version meanwhile

OnDone = Callable[[CheckOutcome], None]
Decided = tuple[Fetched, Verdict, Comparison | None, CheckRecord]
Compared = tuple[int, "ChangeReport"]  # (the version compared with, the report)


class CheckRunner:
    """Checks stories whose leases the caller holds; shared by the CLI and the daemon."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        fetcher: Fetcher,
        *,
        worker: str = "cli",
        pool: ExtractionPool | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.store = store
        self.fetcher = fetcher
        self.worker = worker
        self.pool = pool
        self.clock = clock
        self.policy = SchedulePolicy.from_settings(settings.schedule)
        self.confirm = Confirm.from_policy(self.policy)
        self.rendering = RenderStep(settings.fetch)  # its browser starts only when needed
        self._desk_empty: bool | None = None  # no desk subscription at all, as of this batch

    async def aclose(self) -> None:
        """Stop the browser, if a page needed one."""
        await self.rendering.close()

    async def check(
        self,
        ids: Sequence[int],
        *,
        on_done: OnDone | None = None,
        release_owner: str | None = None,
    ) -> list[CheckOutcome]:
        """Check these stories now; one outcome per story, in completion order."""
        states = self.store.read(q.check_states, ids)
        queue: asyncio.Queue[Fetched | None] = asyncio.Queue()
        outcomes: list[CheckOutcome] = []
        writer = asyncio.create_task(self._writer(queue, outcomes, on_done, release_owner))
        try:
            await asyncio.gather(*(self._fetch_into(st, queue) for st in states.values()))
        finally:
            await queue.put(None)
            await writer
        return outcomes

    # ------------------------------------------------------------------ fetch and extract

    async def _fetch_into(self, st: CheckState, queue: asyncio.Queue[Fetched | None]) -> None:
        try:
            fetched = await self._fetch_and_extract(st)
        except FetchError as exc:
            fetched = Fetched(st, error=exc)
        except Exception as exc:  # a bug or a hostile page must not stop the other checks
            log.exception("check of %s failed unexpectedly", st.url)
            reason = f"internal error: {type(exc).__name__}: {exc}"
            fetched = Fetched(st, error=FetchError(reason, kind="internal"))
        await queue.put(fetched)

    async def _fetch_and_extract(self, st: CheckState) -> Fetched:
        # Rendering in Chromium when the story's mode wants it (check/render_policy.py).
        return await self.rendering.check(st, self._fetch_page, self._extract)

    async def _fetch_page(self, st: CheckState, conditional: bool = True) -> FetchResult:
        # After a 404/410, or to confirm a suspect text, read the page in full whatever it says.
        gone = st.latest_unpublished or st.consecutive_gone > 0 or st.pending_sha256 is not None
        validators = None
        if st.latest_content_sha256 and not gone and conditional:
            validators = Validators(st.etag, st.last_modified)
        # A fetch that confirms a 404 or a suspect page asks caches for a fresh copy.
        confirming = st.consecutive_gone > 0 or st.pending_sha256 is not None
        return await self.fetcher.fetch(st.url, validators, fresh=confirming)

    async def _extract(self, st: CheckState, result: FetchResult) -> Fetched:
        gone = st.latest_unpublished or st.consecutive_gone > 0 or st.pending_sha256 is not None
        if result.not_modified:
            return Fetched(st, result)
        raw = sha256_hex(result.body)
        if raw == st.last_raw_sha256 and not gone:
            return Fetched(st, result, raw_sha256=raw)
        options = extract_options(self.settings.extract, st.url)
        args = (result.body, result.charset, result.final_url, options)
        last_fp = None if gone else st.last_fingerprint
        latest = None if gone else st.latest_content_sha256
        compared = keyed = keyframe = None
        try:
            if self.pool is not None:
                first = not st.latest_content_sha256  # its snapshot will be a keyframe
                fp, article, keyed, keyframe = await self.pool.run(
                    *args, last_fp, latest, keyframe=first
                )
                if article is not None and not gone:
                    compared = await self._compare_in_pool(st, article)
            else:
                fp, article = fingerprint_and_extract(*args, last_fp, latest)
        except FetchError as exc:  # the page came, but is no article: keep what the fetch took
            exc.attempts, exc.retried, exc.elapsed_ms = (
                result.attempts,
                result.retried,
                result.elapsed_ms,
            )
            exc.status_code = exc.status_code or result.status_code
            exc.reason = with_attempts(exc.reason, [*result.retried, exc.kind])
            exc.args = (exc.reason,)
            raise
        return Fetched(
            st,
            result,
            raw_sha256=raw,
            fingerprint=fp,
            article=article,
            compared=compared,
            keyed=keyed,
            keyframe=keyframe,
        )

    async def _compare_in_pool(self, st: CheckState, article: Article) -> Compared | None:
        """A new text's report against the newest version, made in the pool (see
        ``ExtractionPool.compare``); None when there is nothing to compare with there (a
        first version, an unchanged text, a story coming back from a tombstone)."""
        assert self.pool is not None
        if not st.latest_content_sha256 or st.latest_unpublished:
            return None
        if content_hash(article) == st.latest_content_sha256:
            return None
        recent, old = await asyncio.to_thread(
            self.store.read, q.recent_history, st.id, 1, with_latest_article=True
        )
        if not recent or old is None:
            return None
        report = await self.pool.compare(old, article)
        return (recent[0][0], report) if report is not None else None

    # ------------------------------------------------------------------ judge, plan, record

    async def _writer(
        self,
        queue: asyncio.Queue[Fetched | None],
        outcomes: list[CheckOutcome],
        on_done: OnDone | None,
        owner: str | None,
    ) -> None:
        while True:
            batch = [await queue.get()]
            while not queue.empty():
                batch.append(queue.get_nowait())
            ready = [f for f in batch if f is not None]
            if ready:
                for outcome in await asyncio.to_thread(self._record_batch, ready, owner):
                    outcomes.append(outcome)
                    if on_done:
                        on_done(outcome)
            if None in batch:
                return

    def _record_batch(self, batch: list[Fetched], owner: str | None) -> list[CheckOutcome]:
        """One transaction for the batch; on any failure, story by story."""
        self._desk_empty = None  # read again for each batch (see _outbox)
        if len(batch) < 2:
            return [self._record_one(f, owner) for f in batch]
        try:
            decided = [self._decide(f, owner) for f in batch]
            numbers = self.store.write(record_checks, [d[3] for d in decided])
        except Exception:
            log.debug("a batch of %d checks fell back to one by one", len(batch), exc_info=True)
            return [self._record_one(f, owner) for f in batch]
        # Only a batch that was not written falls back: after the commit, nothing may write again.
        return [
            outcome_of(f, v, c, n, next_check_at=r.story.next_check_at)
            for (f, v, c, r), n in zip(decided, numbers, strict=True)
        ]

    def _record_one(self, fetched: Fetched, owner: str | None) -> CheckOutcome:
        """Record one check; if that fails, record an internal failure; if that fails, say so."""
        try:
            return self._record_retrying(fetched, owner)
        except StoreError as exc:  # the database refused (full, gone): no traceback, one line
            problem: Exception = exc
        except Exception as exc:  # a bug: the traceback is what a report needs
            log.exception("writing the check of %s failed", fetched.state.url)
            problem = exc
        # A refusing database (a full disk that had room for this small row) is said as such.
        stored = isinstance(problem, StoreError)
        reason = f"could not store the check: {problem}" if stored else None
        failed = Fetched(
            fetched.state,
            error=FetchError(
                reason or "internal error while storing the check",
                kind="store" if stored else "internal",
            ),
        )
        try:
            f, verdict, comparison, record = self._decide(failed, owner)
            number = self.store.write(record_check, record)
            outcome = outcome_of(
                f, verdict, comparison, number, next_check_at=record.story.next_check_at
            )
        except Exception as exc:  # the database itself fails: report it, keep the batch going
            log.error("could not record the check of %s: %s", fetched.state.url, exc)
            return _unrecorded(fetched.state, exc)
        log.warning("the check of %s was recorded as failed: %s", fetched.state.url, problem)
        return outcome

    def _record_retrying(self, fetched: Fetched, owner: str | None) -> CheckOutcome:
        for _ in range(STALE_RETRIES):
            try:
                f, verdict, comparison, record = self._decide(fetched, owner)
                number = self.store.write(record_check, record)
                return outcome_of(
                    f, verdict, comparison, number, next_check_at=record.story.next_check_at
                )
            except StaleCheck:
                # Another worker wrote a version: judge again from the story as it is now.
                fetched = _refreshed(fetched, self.store.read(q.check_states, [fetched.state.id]))
        raise StaleCheck(f"story {fetched.state.id} kept changing under this check")

    def _decide(self, fetched: Fetched, owner: str | None) -> Decided:
        """judge -> compare -> plan -> the record to write, from fresh reads of the history."""
        st, now = fetched.state, self.clock()
        recent: list[tuple[int, str]] = []
        latest: Article | None = None
        if fetched.article is not None:
            # A text that differs from the latest version's will be compared with it: read
            # both in one session.
            # (not when the pool compared it already: then only the hashes are needed)
            changed = content_hash(fetched.article) != st.latest_content_sha256
            recent, latest = self.store.read(
                q.recent_history,
                st.id,
                REVERT_WINDOW + 1,
                with_latest_article=(
                    changed and not st.latest_unpublished and fetched.compared is None
                ),
            )
        verdict = judge(st, fetched, recent, self.confirm)
        comparison = self._compare(fetched, verdict, latest, recent)
        if comparison is not None and fetched.keyed is None:
            fetched = _keyed(fetched, comparison)
        outbox = self._outbox(st, comparison)
        plan = plan_next(self.policy, st, verdict, now)
        record = build_record(
            fetched,
            verdict,
            plan,
            comparison,
            outbox,
            worker=self.worker,
            release_lease=owner is not None,
            now=now,
        )
        if record.version is not None and self.settings.archive.enabled:
            record = replace(record, version=replace(record.version, archive=True))
        return fetched, verdict, comparison, record

    def _compare(
        self,
        fetched: Fetched,
        verdict: Verdict,
        latest: Article | None = None,
        recent: list[tuple[int, str]] | None = None,
    ) -> Comparison | None:
        st = fetched.state
        if not verdict.unpublish and not verdict.writes_version:
            return None
        # here, not at the top: a pass of 304s and unchanged pages never compares a text
        from tracker import revision

        if verdict.unpublish:
            last = self.store.read(q.version, st.id)
            old = self.store.read(q.version_article, st.id, last.number)
            status = fetched.error.status_code if fetched.error else None
            report = revision.compare(old, old, new_unpublished=True, status_code=status)
            return Comparison.of(revision.tombstone(old), report, last.number)
        if not verdict.writes_version:
            return None
        article = fetched.article
        assert article is not None
        if verdict.previous is None:
            return Comparison.of(article, None, None)
        returned = verdict.outcome == "returned"
        basis = verdict.previous
        if returned:  # compare with what was last published, not with the tombstone
            refs = [revision.VersionRef(v.number, v.unpublished) for v in self._versions(st.id)]
            basis = revision.published_basis(refs, verdict.previous)
        newest = recent[0][0] if recent else None
        done = fetched.compared
        if done is not None and not returned and done[0] == basis == newest:
            return Comparison.of(article, done[1], verdict.previous, verdict.revert_of)
        if latest is not None and basis == newest:  # read with the history already
            old = latest
        else:
            old = self.store.read(q.version_article, st.id, basis)
        report = revision.compare(old, article, old_unpublished=returned)
        return Comparison.of(article, report, verdict.previous, verdict.revert_of)

    def _versions(self, story_id: int) -> list[q.VersionInfo]:
        return self.store.read(q.versions, story_id)

    def _outbox(self, st: CheckState, comparison: Comparison | None) -> tuple[OutboxTarget, ...]:
        report = comparison.report if comparison is not None else None
        if comparison is None or report is None or comparison.stored is None:
            return ()
        revert = comparison.revert_of is not None
        targets: list[OutboxTarget] = []
        # Only a change notifies, and only a channel or a desk subscription loads the
        # notifiers (tracker.notify imports Jinja2 and the digests' cron: ~0.15 s a process).
        if self.settings.channels:
            from tracker.notify.rules import select_channels

            channels = select_channels(
                self.settings.channels,
                change_class=report.change_class,
                report=comparison.stored,
                labels=st.labels,
                revert=revert,
            )
            targets += [OutboxTarget(c.name, digest=bool(c.digest)) for c in channels]
        from tracker.store import desk as dk  # here: the desk's tables matter to changes only

        if revert:
            return tuple(targets)  # a revert goes to no one's desk (desk_targets' rule)
        if self._desk_empty is None:  # once a batch: the routes' own read is ~0.8 ms a change
            self._desk_empty = not self.store.read(dk.has_subscriptions)
        if self._desk_empty or not self.store.read(dk.routes, st.id):
            return tuple(targets)  # no one subscribed to anything
        from tracker.notify.people import desk_targets  # people's own subscriptions (desk)

        targets += desk_targets(
            self.store,
            st.id,
            change_class=report.change_class,
            report=comparison.stored,
            labels=st.labels,
            revert=revert,
        )
        return tuple(targets)


def _unrecorded(st: CheckState, exc: Exception) -> CheckOutcome:
    """A check the database would not take: reported, not recorded (nothing half-written)."""
    if isinstance(exc, StoreError):
        return CheckOutcome(st.id, st.url, "failed", error_kind="store", error=str(exc))
    reason = f"could not record the check: {type(exc).__name__}: {exc}"
    return CheckOutcome(st.id, st.url, "failed", error_kind="internal", error=reason)


def _keyed(fetched: Fetched, comparison: Comparison) -> Fetched:
    """The new text's sentence-index keys, made now that the comparison has just split it
    (the split is cached): the index would otherwise split it again when the batch is
    written, by which time a batch's other texts have pushed it out of the cache (~0.4 ms a
    version). A worker of the pool made them already."""
    if fetched.article is None or comparison.article is not fetched.article:
        return fetched  # a tombstone, or a text that is not this fetch's
    return replace(fetched, keyed=version_sentences(fetched.article, unpublished=False))


def _refreshed(fetched: Fetched, states: dict[int, CheckState]) -> Fetched:
    return replace(fetched, state=states.get(fetched.state.id, fetched.state))


async def run_checks(
    settings: Settings,
    store: Store,
    ids: Sequence[int],
    *,
    owner: str,
    pool: ExtractionPool | None = None,
    on_done: OnDone | None = None,
    clock: Callable[[], datetime] = utcnow,
    fetcher: Fetcher | None = None,
) -> list[CheckOutcome]:
    """Check stories whose leases ``owner`` holds, with a fetcher of their own (or the open
    ``fetcher`` given, whose pooled connections a shard keeps from chunk to chunk)."""
    try:
        if fetcher is not None:
            return await _check_with(settings, store, fetcher, ids, owner, pool, on_done, clock)
        gate = gate_for(store, settings.fetch, owner)  # the fleet's host limits on PostgreSQL
        async with Fetcher(settings.fetch, gate=gate) as own:
            return await _check_with(settings, store, own, ids, owner, pool, on_done, clock)
    finally:
        if pool is not None:
            pool.shutdown()


async def _check_with(
    settings: Settings,
    store: Store,
    fetcher: Fetcher,
    ids: Sequence[int],
    owner: str,
    pool: ExtractionPool | None,
    on_done: OnDone | None,
    clock: Callable[[], datetime],
) -> list[CheckOutcome]:
    runner = CheckRunner(settings, store, fetcher, worker=owner, pool=pool, clock=clock)
    try:
        return await runner.check(ids, on_done=on_done, release_owner=owner)
    finally:
        await runner.aclose()
