"""Plain data that moves between pipeline stages.

Frozen dataclasses only: no ORM rows, no I/O. Every stage takes and returns these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from tracker.vocab import CheckOutcomeKind

DiffOp = Literal["equal", "insert", "delete"]


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one HTTP fetch produced, after redirects and decoding."""

    url: str
    final_url: str
    status_code: int
    headers: dict[str, str]
    body: bytes
    fetched_at: datetime
    elapsed_ms: float
    charset: str | None = None
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    attempts: int = 1  # HTTP requests made, retries included (elapsed_ms covers them all)
    retried: tuple[str, ...] = ()  # the kinds of the failed attempts before this answer


@dataclass(frozen=True, slots=True)
class Article:
    """The extracted, normalised article: what decides whether a version is new."""

    title: str
    byline: str
    published: str | None
    modified: str | None
    paragraphs: tuple[str, ...]
    extractor: str = "trafilatura"
    language: str | None = None
    canonical_url: str | None = None
    developing: bool = False

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True, slots=True)
class WordDiff:
    """A word-level diff: ops are (op, text) with op in equal/insert/delete."""

    ops: tuple[tuple[DiffOp, str], ...]

    @property
    def changed(self) -> bool:
        return any(op != "equal" for op, _ in self.ops)

    def words(self, op: DiffOp) -> int:
        return sum(len(text.split()) for o, text in self.ops if o == op)


@dataclass(frozen=True, slots=True)
class Diff:
    """Article x Article: the text diff plus the fields compared on their own."""

    title_old: str
    title_new: str
    byline_old: str
    byline_new: str
    text: WordDiff
    published_old: str | None = None
    published_new: str | None = None
    modified_old: str | None = None
    modified_new: str | None = None

    @property
    def title_changed(self) -> bool:
        return self.title_old != self.title_new

    @property
    def byline_changed(self) -> bool:
        return self.byline_old != self.byline_new


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """The result of checking one story, as reported to the CLI and the daemon."""

    story_id: int
    url: str
    outcome: CheckOutcomeKind
    version: int | None = None
    error_kind: str | None = None
    error: str | None = None
    status_code: int | None = None
    change_class: str | None = None
    summary: str | None = None
    duration_ms: float = 0.0
    retry_after_s: float | None = None
    developing: bool | None = None
    attempts: int = 1  # HTTP requests the check made, retries included
    retried: tuple[str, ...] = ()  # the kinds of the failures it retried
    next_check_at: datetime | None = None  # when the story is checked next (None: not recorded)

    @property
    def failed(self) -> bool:
        return self.outcome == "failed"
