"""judge: what one fetch means for a story, as a pure function of the facts.

Inputs are the story as it was claimed (``CheckState``), what the fetch and extraction
produced (``Fetched``) and the story's most recent versions (newest first). The answer is a
frozen ``Verdict``: the outcome, the schedule event, and what to write (a version, a revert,
a tombstone). Nothing here reads or writes the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from tracker.errors import FetchError, HttpStatus
from tracker.extract import content_hash
from tracker.records import Article, FetchResult
from tracker.schedule import Event
from tracker.store.rows import CheckState
from tracker.vocab import CheckOutcomeKind

REVERT_WINDOW = 5  # a return to any of the last 5 versions is a revert (A/B tests, CDN caches)


@dataclass(frozen=True, slots=True)
class Fetched:
    """One story's fetch and extraction, before anything is decided."""

    state: CheckState
    result: FetchResult | None = None
    error: FetchError | None = None
    raw_sha256: str | None = None
    fingerprint: str | None = None  # of the visible text, for the next check's pre-check
    article: Article | None = None  # None: the pre-check found nothing new (or a failure)


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

    @property
    def writes_version(self) -> bool:
        return self.outcome in ("first_version", "new_version", "returned") or self.unpublish


def judge(state: CheckState, fetched: Fetched, recent: Sequence[tuple[int, str]] = ()) -> Verdict:
    """The verdict on one check; ``recent`` is (number, content hash) newest first."""
    if fetched.error is not None:
        return _judge_failure(state, fetched.error)
    assert fetched.result is not None, "a check without an error has a response"
    article = fetched.article
    if article is None:  # the pre-check decided: nothing new to read
        return Verdict(_unchanged(fetched.result), "unchanged", consecutive_gone=0)
    new_hash = content_hash(article)
    latest = recent[0][1] if recent else None
    returned = state.latest_unpublished
    guard = {"guarded": True, "based_on": latest}
    if new_hash == latest and not returned:
        return Verdict(
            _unchanged(fetched.result),
            "unchanged",
            developing_marker=article.developing,
            consecutive_gone=0,
            **guard,
        )
    previous = recent[0][0] if recent else None
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
        **guard,
    )


def tombstone_hash(status_code: int | None) -> str:
    """The content hash of an unpublished version: one per status, so 404 then 410 is a change."""
    return hashlib.sha256(f"unpublished:{status_code}".encode()).hexdigest()


def _unchanged(result: FetchResult) -> CheckOutcomeKind:
    return "not_modified" if result.not_modified else "unchanged"


def _judge_failure(state: CheckState, err: FetchError) -> Verdict:
    http_gone = isinstance(err, HttpStatus) and err.gone
    throttled = isinstance(err, HttpStatus) and err.status_code in (429, 503)
    # "gone" means a story we had is unpublished; a URL that never served is just failing.
    had_content = state.latest_content_sha256 is not None
    unpublish = http_gone and had_content and not state.latest_unpublished
    return Verdict(
        "gone" if http_gone and had_content else "failed",
        "throttled" if throttled else "failed",
        content_sha256=tombstone_hash(err.status_code) if unpublish else None,
        unpublish=unpublish,
        guarded=unpublish,
        based_on=state.latest_content_sha256,
        consecutive_gone=state.consecutive_gone + 1 if http_gone else None,
        retry_after_s=err.retry_after_s,
    )
