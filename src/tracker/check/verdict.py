"""judge: what one fetch means for a story, as a pure function of the facts.

Inputs are the story as it was claimed (``CheckState``), what the fetch and extraction
produced (``Fetched``) and the story's most recent versions (newest first). The answer is a
frozen ``Verdict``: the outcome, the schedule event, and what to write (a version, a revert,
a tombstone). Nothing here reads or writes the database.

A flaky origin is not news, so two verdicts wait for confirmation (``Confirm``):

- a 404/410 for a published story is a failed check until ``gone`` re-fetches say so too;
  only then is the tombstone written (and alerted);
- a new text under ``shrink_below`` of the last version's (an error page served with 200,
  a paywall, a CDN interstitial) is a failed check until a re-fetch shows the same text;
- so is a first answer that reads as a site's error page (short, with error wording such as
  "something went wrong"): a story must not start from it and then "change" into the article.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracker.errors import FetchError, HttpStatus
from tracker.extract import content_hash, error_page
from tracker.records import Article, FetchResult
from tracker.schedule import Event, SchedulePolicy
from tracker.sentence_keys import VersionSentences
from tracker.store.rows import CheckState
from tracker.vocab import CheckOutcomeKind

if TYPE_CHECKING:  # a pass of 304s never imports the revision engine
    from tracker.revision import ChangeReport

REVERT_WINDOW = 5  # a return to any of the last 5 versions is a revert (A/B tests, CDN caches)
SHRINK_MIN_CHARS = 400  # texts shorter than this are not judged by their length


@dataclass(frozen=True, slots=True)
class Confirm:
    """How much evidence a disappearance or a sharp shrink needs before it is believed."""

    gone: int = 2  # re-fetches that must also answer 404/410
    shrink_below: float = 0.5  # 0 turns the shrink check off

    @classmethod
    def from_policy(cls, policy: SchedulePolicy) -> Confirm:
        return cls(gone=policy.confirm_gone, shrink_below=policy.confirm_shrink_below)


@dataclass(frozen=True, slots=True)
class Fetched:
    """One story's fetch and extraction, before anything is decided."""

    state: CheckState
    result: FetchResult | None = None
    error: FetchError | None = None
    raw_sha256: str | None = None
    fingerprint: str | None = None  # of the visible text, for the next check's pre-check
    article: Article | None = None  # None: the pre-check found nothing new (or a failure)
    rendered: bytes | None = None  # the DOM Chromium built, when the text came from it
    note: tuple[str, str] | None = None  # (kind, reason) a check that went through still says
    # The report from version N (the newest when the page was extracted) to ``article``,
    # made in the extraction worker beside the extraction: (N, report). Used only when N is
    # still the version the new text is compared with.
    compared: tuple[int, ChangeReport] | None = None
    keyed: VersionSentences | None = None  # the article's sentence-index keys, from the worker
    keyframe: bytes | None = None  # result.body compressed as a keyframe, from the worker

    @property
    def attempts(self) -> int:
        """HTTP requests the fetch made, retries included."""
        source = self.result or self.error
        return source.attempts if source is not None else 1

    @property
    def elapsed_ms(self) -> float | None:
        """The whole fetch: every attempt, redirect and pause."""
        if self.result is not None:
            return self.result.elapsed_ms
        return self.error.elapsed_ms if self.error is not None else None

    @property
    def retried(self) -> tuple[str, ...]:
        """The kinds of the failed attempts that were tried again."""
        source = self.result or self.error
        return source.retried if source is not None else ()


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: CheckOutcomeKind
    event: Event
    content_sha256: str | None = None  # of the article to store as a new version
    previous: int | None = None  # the version the new one follows (None: the first)
    revert_of: int | None = None  # the new version repeats this recent one
    unpublish: bool = False  # write a tombstone: the story was unpublished (404/410)
    guarded: bool = False  # the write must find ``based_on`` still the latest version
    based_on: str | None = None
    developing_marker: bool | None = None  # None: the page was not read this time
    consecutive_gone: int | None = None  # None: leave the count as it is
    retry_after_s: float | None = None
    confirming: bool = False  # a suspect result: fetch again after ``confirm_delay``
    pending_sha256: str | None = None  # the suspect text's hash; "" clears a pending one
    error_kind: str | None = None  # a failure judged from a response that came back fine
    error: str | None = None  # its reason, or a note added to the fetch error's

    @property
    def writes_version(self) -> bool:
        return self.outcome in ("first_version", "new_version", "returned") or self.unpublish


def judge(
    state: CheckState,
    fetched: Fetched,
    recent: Sequence[tuple[int, str]] = (),
    confirm: Confirm = Confirm(),
) -> Verdict:
    """The verdict on one check; ``recent`` is (number, content hash) newest first."""
    if fetched.error is not None:
        return _judge_failure(state, fetched.error, confirm)
    assert fetched.result is not None, "a check without an error has a response"
    article = fetched.article
    clear = "" if state.pending_sha256 else None  # any believed answer ends a confirmation
    if article is None:  # the pre-check decided: nothing new to read
        return Verdict(
            _unchanged(fetched.result), "unchanged", consecutive_gone=0, pending_sha256=clear
        )
    new_hash = content_hash(article)
    latest = recent[0][1] if recent else None
    returned = state.latest_unpublished
    if new_hash == latest and not returned:
        return Verdict(
            _unchanged(fetched.result),
            "unchanged",
            developing_marker=article.developing,
            consecutive_gone=0,
            guarded=True,
            based_on=latest,
            pending_sha256=clear,
        )
    previous = recent[0][0] if recent else None
    wording = error_page(article) if previous is None else None
    if wording is not None and state.pending_sha256 != new_hash:
        return _unconfirmed_first(article, wording, new_hash)
    suspect = previous is not None and not returned and _shrank(state, article, confirm)
    if suspect and state.pending_sha256 != new_hash:
        return _unconfirmed_shrink(state, article, new_hash)
    revert_of = None
    if not returned:
        revert_of = next((n for n, sha in recent[1 : REVERT_WINDOW + 1] if sha == new_hash), None)
    outcome: CheckOutcomeKind = (
        "first_version" if previous is None else "returned" if returned else "new_version"
    )
    return Verdict(
        outcome,
        "first" if previous is None else "changed",
        content_sha256=new_hash,
        previous=previous,
        revert_of=revert_of,
        developing_marker=article.developing,
        consecutive_gone=0,
        guarded=True,
        based_on=latest,
        pending_sha256=clear,
    )


def tombstone_hash(status_code: int | None) -> str:
    """The content hash of an unpublished version: one per status, so 404 then 410 is a change."""
    return hashlib.sha256(f"unpublished:{status_code}".encode()).hexdigest()


def _unchanged(result: FetchResult) -> CheckOutcomeKind:
    return "not_modified" if result.not_modified else "unchanged"


def _shrank(state: CheckState, article: Article, confirm: Confirm) -> bool:
    before = state.latest_text_chars
    if confirm.shrink_below <= 0 or before < SHRINK_MIN_CHARS:
        return False
    return len(article.text) < confirm.shrink_below * before


def _unconfirmed_first(article: Article, wording: str, new_hash: str) -> Verdict:
    return _unconfirmed(
        new_hash,
        f"the first answer reads as an error page ({wording!r}, {len(article.text):,} "
        "characters); it becomes version 1 only if the next fetch shows it again",
    )


def _unconfirmed_shrink(state: CheckState, article: Article, new_hash: str) -> Verdict:
    return _unconfirmed(
        new_hash,
        f"the text shrank from {state.latest_text_chars:,} to {len(article.text):,} characters "
        "(an error page or a paywall?); it is stored only if the next fetch shows it again",
    )


def _unconfirmed(new_hash: str, reason: str) -> Verdict:
    """A suspect answer: a failed check now, believed if the next fetch shows the same text."""
    return Verdict(
        "failed",
        "failed",
        confirming=True,
        pending_sha256=new_hash,
        error_kind="unconfirmed",
        error=reason,
    )


def _judge_failure(state: CheckState, err: FetchError, confirm: Confirm) -> Verdict:
    http_gone = isinstance(err, HttpStatus) and err.gone
    throttled = isinstance(err, HttpStatus) and err.status_code in (429, 503)
    # "gone" means a story we had is unpublished; a URL that never served is just failing.
    had_content = state.latest_content_sha256 is not None
    gone_count = state.consecutive_gone + 1 if http_gone else None
    event: Event = "throttled" if throttled else "failed"
    if http_gone and had_content and not state.latest_unpublished:
        assert gone_count is not None
        if gone_count <= confirm.gone:  # not believed yet: fetch again soon
            note = (
                f"({gone_count} of {confirm.gone + 1}: the story counts as unpublished "
                "only if the next fetches say so too)"
            )
            return Verdict(
                "failed", event, consecutive_gone=gone_count, confirming=True, error=note
            )
        return Verdict(
            "gone",
            event,
            content_sha256=tombstone_hash(err.status_code),
            unpublish=True,
            guarded=True,
            based_on=state.latest_content_sha256,
            consecutive_gone=gone_count,
            retry_after_s=err.retry_after_s,
        )
    return Verdict(
        "gone" if http_gone and had_content else "failed",
        event,
        consecutive_gone=gone_count,
        retry_after_s=err.retry_after_s,
    )
