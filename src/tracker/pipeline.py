"""Check stories end to end: fetch -> (pre-check) -> extract -> compare -> store, per story.

Stages run concurrently: fetches on the event loop (bounded by the Fetcher's limits),
fingerprinting and extraction in worker processes when a batch is large (both cores), and
writes in a writer thread that commits ready results in small batches. Each story's check is
atomic: its check row, version, snapshot, change and outbox rows are written together or not
at all (a batch that fails is retried story by story).

The cheap pre-check decides most checks: a 304, an identical raw body (SHA-256), or an equal
fingerprint of the page's visible text means no extraction is needed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tracker import revision
from tracker.config import ChannelSettings, Settings
from tracker.errors import FetchError, HttpStatus
from tracker.extract import (
    ExtractOptions,
    content_hash,
    extract_options,
    fingerprint_and_extract,
)
from tracker.fetch import Fetcher, Validators
from tracker.notify.rules import select_channels
from tracker.records import Article, CheckOutcome, FetchResult
from tracker.schedule import (
    FAR_FUTURE,
    SchedulePolicy,
    interval_for_state,
    jittered,
    next_interval,
    next_state,
)
from tracker.store import outbox
from tracker.store import queries as q
from tracker.store.outbox import OutboxTarget
from tracker.store.snapshots import sha256_hex
from tracker.timeparse import utcnow
from tracker.workers import ExtractionPool

log = logging.getLogger("tracker.pipeline")

REVERT_WINDOW = 5  # a return to any of the last 5 versions is a revert (A/B tests, CDN caches)


@dataclass(slots=True)
class Page:
    """One story's check as it moves through the stages."""

    state: q.CheckState
    options: ExtractOptions
    result: FetchResult | None = None
    error: FetchError | None = None
    raw_sha256: str | None = None
    fingerprint: str | None = None
    article: Article | None = None
    skipped_extraction: bool = False
    extras: dict[str, object] = field(default_factory=dict)


EQUAL_CONTEXT = 40  # characters of unchanged text kept on each side of an edit in stored reports


def stored_report(data: dict[str, Any]) -> dict[str, Any]:
    """A change's report as stored: the changes in full, unchanged text cut to its edges.

    The versions hold the texts, so the full report can always be recomputed; keeping only
    the changed sentences makes a one-sentence edit cost a few hundred bytes, not the article.
    """
    out = dict(data)
    out["compact"] = True
    sentences = []
    for s in data.get("sentences", []):
        if s.get("op") == "equal":
            continue
        s = {k: v for k, v in s.items() if v is not None}
        if s.get("words"):  # the word ops spell out both texts (see ChangeReport.from_json)
            s.pop("old", None)
            s.pop("new", None)
        sentences.append(s)
    out["sentences"] = sentences
    out["facts"] = {k: v for k, v in data.get("facts", {}).items() if v}
    diff = dict(data.get("diff", {}))
    diff["ops"] = [
        [op, _elide(text) if op == "equal" else text] for op, text in diff.get("ops", [])
    ]
    out["diff"] = diff
    return out


def _elide(text: str) -> str:
    if len(text) <= 2 * EQUAL_CONTEXT + 5:
        return text
    return f"{text[:EQUAL_CONTEXT]} … {text[-EQUAL_CONTEXT:]}"


class Checker:
    """Runs checks for a set of stories; shared by `tracker check` and the daemon."""

    def __init__(
        self,
        settings: Settings,
        factory: sessionmaker[Session],
        fetcher: Fetcher,
        *,
        worker: str = "cli",
        pool: ExtractionPool | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.factory = factory
        self.fetcher = fetcher
        self.worker = worker
        self.pool = pool
        self.clock = clock
        self.policy = SchedulePolicy.from_settings(settings.schedule)
        self.channels: Sequence[ChannelSettings] = settings.channels

    async def check(
        self,
        ids: Sequence[int],
        *,
        on_done: Callable[[CheckOutcome], None] | None = None,
        release_owner: str | None = None,
    ) -> list[CheckOutcome]:
        """Check these stories now; returns one outcome per story (in completion order)."""
        with self.factory() as session:
            states = q.check_states(session, ids)
        # The owner decides: the CLI passes a pool only for larger batches; the daemon always
        # does, so its event loop (leases, metrics, shutdown) never waits on extraction.
        use_pool = self.pool is not None
        queue: asyncio.Queue[Page | None] = asyncio.Queue()
        outcomes: list[CheckOutcome] = []

        async def writer() -> None:
            while True:
                item = await queue.get()
                batch = [item]
                while not queue.empty():
                    batch.append(queue.get_nowait())
                done = None in batch
                pages = [p for p in batch if p is not None]
                if pages:
                    results = await asyncio.to_thread(self._write_batch, pages, release_owner)
                    for outcome in results:
                        outcomes.append(outcome)
                        if on_done:
                            on_done(outcome)
                if done:
                    return

        async def one(state: q.CheckState) -> None:
            page = Page(state=state, options=extract_options(self.settings.extract, state.url))
            try:
                await self._fetch_and_extract(page, use_pool)
            except FetchError as exc:
                page.error = exc
            except Exception as exc:  # a bug or a hostile page must not stop the other checks
                log.exception("check of %s failed unexpectedly", state.url)
                page.error = FetchError(
                    f"internal error: {type(exc).__name__}: {exc}", kind="internal"
                )
            await queue.put(page)

        writer_task = asyncio.create_task(writer())
        try:
            await asyncio.gather(*(one(s) for s in states.values()))
        finally:
            await queue.put(None)
            await writer_task
        return outcomes

    async def _fetch_and_extract(self, page: Page, use_pool: bool) -> None:
        st = page.state
        validators = Validators(st.etag, st.last_modified) if st.latest_content_sha256 else None
        if st.latest_unpublished:
            validators = None
        result = await self.fetcher.fetch(st.url, validators)
        page.result = result
        if result.not_modified:
            return
        page.raw_sha256 = sha256_hex(result.body)
        if page.raw_sha256 == st.last_raw_sha256 and not st.latest_unpublished:
            page.skipped_extraction = True
            return
        last_fp = None if st.latest_unpublished else st.last_fingerprint
        args = (result.body, result.charset, result.final_url, page.options, last_fp)
        if use_pool and self.pool is not None:
            fp, article = await self.pool.run(*args)
        else:
            fp, article = fingerprint_and_extract(*args)
        page.fingerprint, page.article = fp, article
        page.skipped_extraction = article is None

    # ------------------------------------------------------------------ writing

    def _write_batch(self, pages: list[Page], owner: str | None) -> list[CheckOutcome]:
        try:
            with self.factory() as session, session.begin():
                return [self._write(session, p, owner) for p in pages]
        except Exception:
            if len(pages) == 1:
                log.exception("writing the check of %s failed", pages[0].state.url)
                return [self._write_internal_failure(pages[0], owner)]
        return [out for p in pages for out in self._write_batch([p], owner)]

    def _write_internal_failure(self, page: Page, owner: str | None) -> CheckOutcome:
        failed = replace(
            page,
            result=None,
            article=None,
            error=FetchError("internal error while storing the check", kind="internal"),
        )
        with self.factory() as session, session.begin():
            return self._write(session, failed, owner)

    def _write(self, session: Session, page: Page, owner: str | None) -> CheckOutcome:
        st, now = page.state, self.clock()
        if page.error is not None:
            return self._write_failure(session, page, now, owner)
        result = page.result
        assert result is not None
        common = dict(
            status_code=result.status_code,
            size=len(result.body),
            duration_ms=result.elapsed_ms,
            raw_sha256=page.raw_sha256,
            worker=self.worker,
        )
        story_values: dict[str, object] = {
            "etag": result.etag or (st.etag if result.not_modified else None),
            "last_modified": result.last_modified
            or (st.last_modified if result.not_modified else None),
            "consecutive_failures": 0,
            "consecutive_gone": 0,
            "last_checked_at": now,
        }
        if page.raw_sha256:
            story_values["last_raw_sha256"] = page.raw_sha256
        if page.fingerprint:
            story_values["last_fingerprint"] = page.fingerprint
        article = page.article
        new_hash = content_hash(article) if article is not None else None
        returned = st.latest_unpublished and article is not None
        latest = st.latest_content_sha256
        recent: list[tuple[int, str]] = []
        if article is not None:
            # Compare with what the database holds now, not with what it held when the check
            # began: another worker may have written a version meanwhile.
            recent = q.recent_content_hashes(session, st.id, REVERT_WINDOW + 1)
            latest = recent[0][1] if recent else None
        if article is None or (new_hash == latest and not returned):
            outcome = "not_modified" if result.not_modified else "unchanged"
            vid = q.touch_latest_version(session, st.id, now)
            q.add_check(session, story_id=st.id, at=now, outcome=outcome, version_id=vid, **common)
            if article is not None:
                story_values["developing_marker"] = article.developing
            self._schedule(
                session,
                st,
                now,
                story_values,
                event="unchanged",
                owner=owner,
                marker=article.developing if article else None,
            )
            return CheckOutcome(
                st.id,
                st.url,
                outcome,
                duration_ms=result.elapsed_ms,
                status_code=result.status_code,
            )
        assert new_hash is not None
        return self._write_version(
            session, page, article, new_hash, recent, now, common, story_values, returned, owner
        )

    def _write_version(
        self,
        session: Session,
        page: Page,
        article: Article,
        new_hash: str,
        recent: list[tuple[int, str]],
        now: datetime,
        common: dict,
        story_values: dict[str, object],
        returned: bool,
        owner: str | None,
    ) -> CheckOutcome:
        st, result = page.state, page.result
        assert result is not None
        snapshot_id, _ = q.store_snapshot(session, st.id, result.body)
        prev = recent[0][0] if recent else None
        vid, number = q.add_version(
            session,
            story_id=st.id,
            article=article,
            content_sha256=new_hash,
            now=now,
            snapshot_id=snapshot_id,
            final_url=result.final_url,
            status_code=result.status_code,
            headers=result.headers,
            fetched_at=result.fetched_at,
        )
        outcome, cls, summary = "first_version", None, None
        if prev is not None:
            old_number = prev
            if returned:
                old_number = _last_published(session, st.id, prev)
            old = q.version_article(session, st.id, old_number)
            report = (
                revision.analyze_returned(old, article)
                if returned
                else revision.analyze(old, article)
            )
            revert_of = (
                next((n for n, sha in recent[1:] if sha == new_hash), None)
                if not returned
                else None
            )
            prev_vid = q.version(session, st.id, prev).id
            data = stored_report(report.to_json())
            cls, summary = report.change_class, report.summary
            if revert_of is not None:
                summary = f"reverted to version {revert_of}; {summary}"
            change_id = q.add_change(
                session,
                story_id=st.id,
                from_version_id=prev_vid,
                to_version_id=vid,
                at=now,
                change_class=cls,
                summary=summary,
                report=data,
                revert_of=revert_of,
            )
            self._enqueue(session, change_id, cls, data, st.labels, revert_of is not None, now)
            outcome = "returned" if returned else "new_version"
            if returned:
                q.add_event(session, st.id, now, "returned", f"HTTP {result.status_code}")
        q.add_check(session, story_id=st.id, at=now, outcome=outcome, version_id=vid, **common)
        story_values.update(
            title=article.title or None,
            version_count=number,
            last_changed_at=now,
            developing_marker=article.developing,
        )
        if cls:
            story_values["last_change_class"] = cls
        if article.canonical_url:
            story_values["canonical_url"] = article.canonical_url[:2048]
        event = "first" if prev is None else "changed"
        self._schedule(
            session,
            st,
            now,
            story_values,
            event=event,
            owner=owner,
            marker=article.developing,
            changed=prev is not None,
        )
        return CheckOutcome(
            st.id,
            st.url,
            outcome,
            version=number,
            change_class=cls,
            summary=summary,
            duration_ms=result.elapsed_ms,
            status_code=result.status_code,
            developing=article.developing,
        )

    def _write_failure(
        self, session: Session, page: Page, now: datetime, owner: str | None
    ) -> CheckOutcome:
        st, err = page.state, page.error
        assert err is not None
        http_gone = isinstance(err, HttpStatus) and err.gone
        # "gone" means a story we had is unpublished; a URL that never served is just failing.
        gone = http_gone and st.latest_content_sha256 is not None
        q.add_check(
            session,
            story_id=st.id,
            at=now,
            outcome="gone" if gone else "failed",
            status_code=err.status_code,
            error_kind=err.kind,
            error=err.reason,
            worker=self.worker,
        )
        values: dict[str, object] = {
            "consecutive_failures": st.consecutive_failures + 1,
            "last_checked_at": now,
        }
        version_number = None
        cls = summary = None
        if http_gone:
            values["consecutive_gone"] = st.consecutive_gone + 1
            if st.latest_content_sha256 and not st.latest_unpublished:
                version_number, cls, summary = self._write_tombstone(session, st, err, now)
                values.update(
                    last_changed_at=now,
                    last_change_class=cls,
                    version_count=version_number,
                    last_raw_sha256=None,
                    last_fingerprint=None,
                    etag=None,
                    last_modified=None,
                )
        throttled = isinstance(err, HttpStatus) and err.status_code in (429, 503)
        self._schedule(
            session,
            st,
            now,
            values,
            event="throttled" if throttled else "failed",
            owner=owner,
            retry_after=err.retry_after_s,
            gone_count=values.get("consecutive_gone", 0),
        )  # type: ignore[arg-type]
        return CheckOutcome(
            st.id,
            st.url,
            "gone" if gone else "failed",
            version=version_number,
            error_kind=err.kind,
            error=err.reason,
            status_code=err.status_code,
            change_class=cls,
            summary=summary,
            retry_after_s=err.retry_after_s,
        )

    def _write_tombstone(
        self, session: Session, st: q.CheckState, err: HttpStatus, now: datetime
    ) -> tuple[int, str, str]:
        prev = q.version(session, st.id)
        old = q.version_article(session, st.id, prev.number)
        tomb = Article(
            title=old.title,
            byline=old.byline,
            published=old.published,
            modified=old.modified,
            paragraphs=(),
            extractor="none",
        )
        vid, number = q.add_version(
            session,
            story_id=st.id,
            article=tomb,
            content_sha256=sha256_hex(f"unpublished:{err.status_code}".encode()),
            now=now,
            snapshot_id=None,
            final_url=err.final_url,
            status_code=err.status_code,
            headers=None,
            fetched_at=now,
            unpublished=True,
        )
        report = revision.analyze_unpublished(old, err.status_code or 404)
        data = stored_report(report.to_json())
        change_id = q.add_change(
            session,
            story_id=st.id,
            from_version_id=prev.id,
            to_version_id=vid,
            at=now,
            change_class=report.change_class,
            summary=report.summary,
            report=data,
            revert_of=None,
        )
        self._enqueue(session, change_id, report.change_class, data, st.labels, False, now)
        q.add_event(session, st.id, now, "unpublished", f"HTTP {err.status_code}")
        return number, report.change_class, report.summary

    def _enqueue(
        self,
        session: Session,
        change_id: int,
        cls: str,
        report: dict,
        labels: Sequence[str],
        revert: bool,
        now: datetime,
    ) -> None:
        """Outbox rows for every channel that wants this change: same transaction as the change."""
        targets = select_channels(
            self.channels, change_class=cls, report=report, labels=labels, revert=revert
        )
        outbox.enqueue(session, change_id, [OutboxTarget(c.name, c.digest) for c in targets], now)

    def _schedule(
        self,
        session: Session,
        st: q.CheckState,
        now: datetime,
        values: dict[str, object],
        *,
        event: str,
        owner: str | None,
        marker: bool | None = None,
        changed: bool = False,
        retry_after: float | None = None,
        gone_count: int = 0,
    ) -> None:
        policy = self.policy
        age = (now - st.created_at).total_seconds()
        ok = event in ("unchanged", "changed", "first")
        state = next_state(
            policy,
            state=st.state,
            now=now,
            created_at=st.created_at,  # type: ignore[arg-type]
            last_changed_at=now if changed else st.last_changed_at,
            until=st.until,
            developing_marker=marker if marker is not None else st.developing_marker,
            consecutive_gone=gone_count,
            settled_at=st.settled_at,
            changed=changed,
            ok=ok,
        )
        interval = next_interval(
            policy,
            event=event,
            current=st.interval_s,  # type: ignore[arg-type]
            base=st.base_interval_s,
            age_s=age,
            retry_after_s=retry_after,
        )
        if state != "developing" and event in ("unchanged", "changed", "first"):
            interval = interval_for_state(policy, state, interval) or interval
        slow = interval_for_state(policy, state, interval)
        if slow is None:
            next_at = FAR_FUTURE
        else:
            delay = max(slow, retry_after or 0.0)
            next_at = now + timedelta(seconds=jittered(delay, policy.jitter))
        if state != st.state:
            q.add_event(session, st.id, now, state, None)
            if state == "settled":
                values["settled_at"] = now
            if state == "developing":
                values["settled_at"] = None
        values.update(
            state=state,
            interval_s=interval if state == "developing" else st.interval_s,
            next_check_at=next_at,
        )
        if owner is not None:
            values.update(lease_owner=None, lease_until=None)
        q.update_story(session, st.id, **values)


def _last_published(session: Session, story_id: int, before: int) -> int:
    for v in reversed(q.versions(session, story_id)):
        if v.number <= before and not v.unpublished:
            return v.number
    return before
