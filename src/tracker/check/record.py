"""record: a verdict, its comparison and its plan -> the rows to write, and the outcome to report.

Pure: builds the ``CheckRecord`` that ``store.checks.record_check`` writes in one
transaction, and the ``CheckOutcome`` the CLI and the daemon report once it is written.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tracker.check.plan import Plan
from tracker.check.verdict import Fetched, Verdict
from tracker.errors import with_attempts
from tracker.records import Article, CheckOutcome
from tracker.store.checks import CheckRecord, CheckRow, NewChange, NewVersion, StoryUpdate
from tracker.store.outbox import OutboxTarget

if TYPE_CHECKING:  # the revision engine loads when a version is compared, not for a 304
    from tracker.revision import ChangeReport


@dataclass(frozen=True, slots=True)
class Comparison:
    """The new version's text and its report against the version it follows."""

    article: Article  # what the new version stores (a tombstone has no text)
    report: ChangeReport | None  # None for a story's first version
    previous: int | None
    revert_of: int | None = None
    stored: dict[str, Any] | None = None  # the compact report a change row keeps

    @classmethod
    def of(
        cls,
        article: Article,
        report: ChangeReport | None,
        previous: int | None,
        revert_of: int | None = None,
    ) -> Comparison:
        stored = None
        if report is not None:
            from tracker.revision import compact_report

            stored = compact_report(report)
        return cls(article, report, previous, revert_of, stored)

    @property
    def summary(self) -> str | None:
        if self.report is None:
            return None
        if self.revert_of is not None:
            return f"reverted to version {self.revert_of}; {self.report.summary}"
        return self.report.summary


def build_record(
    fetched: Fetched,
    verdict: Verdict,
    plan: Plan,
    comparison: Comparison | None,
    outbox: tuple[OutboxTarget, ...],
    *,
    worker: str,
    release_lease: bool,
    now: datetime,
) -> CheckRecord:
    st = fetched.state
    version = _new_version(fetched, verdict, comparison, now) if comparison else None
    change = _new_change(comparison, outbox) if comparison else None
    events: list[tuple[str, str | None]] = []
    if verdict.outcome == "returned" and fetched.result is not None:
        events.append(("returned", f"HTTP {fetched.result.status_code}"))
    if verdict.unpublish and fetched.error is not None:
        events.append(("unpublished", f"HTTP {fetched.error.status_code}"))
    if plan.entered is not None:
        events.append((plan.entered, None))
    return CheckRecord(
        story_id=st.id,
        at=now,
        check=_check_row(fetched, verdict, worker),
        story=_story_update(fetched, verdict, plan, release_lease, now),
        version=version,
        change=change,
        touch_latest=verdict.outcome in ("unchanged", "not_modified"),
        events=tuple(events),
        guarded=verdict.guarded,
        based_on=verdict.based_on,
        latest_version_id=st.latest_version_id,
    )


def problem(fetched: Fetched, verdict: Verdict) -> tuple[str, str] | None:
    """(kind, reason) of a failed check: the fetch's error (with the verdict's note), or the
    verdict's own (a response that came back fine but is not believed yet)."""
    if fetched.error is not None:
        err = fetched.error
        reason = f"{err.reason} {verdict.error}" if verdict.error else err.reason
        return err.kind, reason
    if verdict.error_kind is not None:
        reason = verdict.error or verdict.error_kind
        # A failure lists its attempts, as the fetcher's do.
        return verdict.error_kind, with_attempts(reason, [*fetched.retried, verdict.error_kind])
    return None


def _check_row(fetched: Fetched, verdict: Verdict, worker: str) -> CheckRow:
    kind_reason = problem(fetched, verdict) or fetched.note
    kind, reason = kind_reason if kind_reason else (None, None)
    if fetched.error is not None:
        return CheckRow(
            verdict.outcome,
            worker,
            fetched.error.status_code,
            duration_ms=fetched.elapsed_ms,
            error_kind=kind,
            error=reason,
            attempts=fetched.attempts,
        )
    result = fetched.result
    assert result is not None
    return CheckRow(
        verdict.outcome,
        worker,
        result.status_code,
        size=len(result.body),
        duration_ms=result.elapsed_ms,
        raw_sha256=fetched.raw_sha256,
        error_kind=kind,
        error=reason,
        attempts=fetched.attempts,
    )


def _new_version(
    fetched: Fetched, verdict: Verdict, comparison: Comparison, now: datetime
) -> NewVersion:
    assert verdict.content_sha256 is not None
    if fetched.result is None:  # a tombstone: the 404/410 itself, no page kept
        err = fetched.error
        assert err is not None
        return NewVersion(
            comparison.article,
            verdict.content_sha256,
            body=None,
            final_url=err.final_url,
            status_code=err.status_code,
            headers=None,
            fetched_at=now,
            unpublished=True,
        )
    r = fetched.result
    return NewVersion(
        comparison.article,
        verdict.content_sha256,
        body=r.body,
        final_url=r.final_url,
        status_code=r.status_code,
        headers=r.headers,
        fetched_at=r.fetched_at,
        rendered_body=fetched.rendered,
        # the index keys the worker made for this very article (never for another one)
        keyed=fetched.keyed if comparison.article is fetched.article else None,
        # made from r.body by runner._extract, unless the text came from a rendered DOM (then
        # they are the DOM's, and r.body is the static response)
        body_sha256=fetched.raw_sha256 if fetched.rendered is None else None,
        keyframe=fetched.keyframe if fetched.rendered is None else None,
    )


def _new_change(comparison: Comparison, outbox: tuple[OutboxTarget, ...]) -> NewChange | None:
    report = comparison.report
    if report is None or comparison.stored is None or comparison.previous is None:
        return None
    return NewChange(
        from_number=comparison.previous,
        change_class=report.change_class,
        summary=comparison.summary or report.summary,
        report=comparison.stored,
        revert_of=comparison.revert_of,
        outbox=outbox,
    )


def _story_update(
    fetched: Fetched, verdict: Verdict, plan: Plan, release_lease: bool, now: datetime
) -> StoryUpdate:
    st = fetched.state
    update = StoryUpdate(
        checked_at=now,
        state=plan.state,
        interval_s=plan.interval_s,
        next_check_at=plan.next_check_at,
        consecutive_failures=st.consecutive_failures + 1,
        consecutive_gone=verdict.consecutive_gone,
        settled_at=now if plan.entered == "settled" else None,
        unsettle=plan.entered == "developing",
        pending_sha256=verdict.pending_sha256,
        release_lease=release_lease,
    )
    if fetched.error is not None:
        return replace(update, forget_page=verdict.unpublish)
    if verdict.error_kind is not None:  # not believed yet: keep the page facts as they were,
        return update  # so the confirming fetch reads the page in full
    r = fetched.result
    assert r is not None
    return replace(
        update,
        consecutive_failures=0,
        validators=(
            r.etag or (st.etag if r.not_modified else None),
            r.last_modified or (st.last_modified if r.not_modified else None),
        ),
        last_raw_sha256=fetched.raw_sha256,
        last_fingerprint=_fingerprint_after(fetched),
        developing_marker=verdict.developing_marker,
    )


def _fingerprint_after(fetched: Fetched) -> str | None:
    """The story's next fingerprint: the page's; "" (cleared) when the article was read with
    the pre-check skipped, so that no later pre-check compares with an older page's; None
    (kept) when the page was not read (a 304, the same bytes)."""
    if fetched.fingerprint is None and fetched.article is not None:
        return ""
    return fetched.fingerprint


def outcome_of(
    fetched: Fetched,
    verdict: Verdict,
    comparison: Comparison | None,
    number: int | None,
    *,
    next_check_at: datetime | None = None,
) -> CheckOutcome:
    """What the check came to, as the CLI and the daemon report it; ``next_check_at`` is the
    plan's next check, as the record just written holds it (``record.story.next_check_at``)."""
    st, report = fetched.state, comparison.report if comparison else None
    cls = report.change_class if report is not None else None
    summary = comparison.summary if comparison else None
    kind_reason = problem(fetched, verdict)
    if fetched.error is not None:
        err = fetched.error
        return CheckOutcome(
            st.id,
            st.url,
            verdict.outcome,
            version=number,
            error_kind=kind_reason[0] if kind_reason else err.kind,
            error=kind_reason[1] if kind_reason else err.reason,
            status_code=err.status_code,
            change_class=cls,
            summary=summary,
            retry_after_s=err.retry_after_s,
            attempts=fetched.attempts,
            retried=fetched.retried,
            duration_ms=fetched.elapsed_ms or 0.0,
            next_check_at=next_check_at,
        )
    r = fetched.result
    assert r is not None
    written = comparison is not None
    return CheckOutcome(
        st.id,
        st.url,
        verdict.outcome,
        version=number,
        error_kind=kind_reason[0] if kind_reason else None,
        error=kind_reason[1] if kind_reason else None,
        change_class=cls,
        summary=summary,
        duration_ms=r.elapsed_ms,
        status_code=r.status_code,
        developing=fetched.article.developing if written and fetched.article else None,
        attempts=fetched.attempts,
        retried=fetched.retried,
        next_check_at=next_check_at,
    )
