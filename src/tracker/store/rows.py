"""Plain dataclasses the store returns: what leaves the store instead of ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")
Event = tuple[datetime, str, str | None]  # (at, kind, detail) of a story's lifecycle


@dataclass(frozen=True, slots=True)
class StoryInfo:
    id: int
    url: str
    title: str | None
    state: str
    paused: bool
    labels: tuple[str, ...]
    interval_s: float
    base_interval_s: float
    next_check_at: datetime
    last_checked_at: datetime | None
    last_changed_at: datetime | None
    created_at: datetime
    until: datetime | None
    origin: str
    version_count: int
    last_change_class: str | None
    consecutive_failures: int
    canonical_url: str | None
    max_interval_s: float | None = None  # the story's own ceiling (tracker add --max-interval)
    fixed: bool = False  # checked every interval_s, no backoff (tracker add --fixed)
    render: str | None = None  # auto, always or never (tracker add --render); None: [fetch]
    removed_at: datetime | None = None  # no longer tracked; its history is kept

    @property
    def display_state(self) -> str:
        if self.removed_at is not None:
            return "removed"
        return "paused" if self.paused else self.state


@dataclass(frozen=True, slots=True)
class CheckState:
    """What a check needs to know about a story before fetching it."""

    id: int
    url: str
    state: str
    etag: str | None
    last_modified: str | None
    last_raw_sha256: str | None
    last_fingerprint: str | None
    interval_s: float
    base_interval_s: float
    created_at: datetime
    last_changed_at: datetime | None
    until: datetime | None
    settled_at: datetime | None
    consecutive_gone: int
    consecutive_failures: int
    developing_marker: bool | None
    labels: tuple[str, ...]
    latest_content_sha256: str | None
    latest_unpublished: bool
    latest_text_chars: int = 0  # of the latest version: a sharp shrink is confirmed first
    max_interval_s: float | None = None  # the story's own ceiling
    fixed: bool = False  # its interval never moves
    pending_sha256: str | None = None  # a suspect change seen once, awaiting confirmation
    latest_version_id: int | None = None  # so an unchanged check need not look it up again
    render: str | None = None  # the story's own --render; None: [fetch] render


@dataclass(frozen=True, slots=True)
class VersionInfo:
    id: int
    story_id: int
    number: int
    first_seen: datetime
    last_seen: datetime
    title: str
    byline: str
    published: str | None
    modified: str | None
    content_sha256: str
    raw_sha256: str | None
    extractor: str
    unpublished: bool
    developing: bool
    final_url: str | None
    status_code: int | None
    headers: dict[str, str] | None
    fetched_at: datetime | None
    text_chars: int
    snapshot_id: int | None
    change_class: str | None = None
    summary: str | None = None
    archive_url: str | None = None  # the copy at the [archive] endpoint, when there is one
    archived_at: datetime | None = None
    language: str | None = None  # ISO 639-1 from the page's declaration or text
    rendered: bool = False  # the text came from the DOM Chromium rendered (issue 15)
    rendered_snapshot_id: int | None = None  # that DOM, kept beside the static snapshot


@dataclass(frozen=True, slots=True)
class CheckInfo:
    id: int
    story_id: int
    at: datetime
    outcome: str
    status_code: int | None
    bytes: int | None
    duration_ms: float | None
    error_kind: str | None
    error: str | None
    raw_sha256: str | None
    attempts: int | None = None  # HTTP requests made, retries included (None: before 0003)


@dataclass(frozen=True, slots=True)
class ChangeInfo:
    id: int
    story_id: int
    url: str
    title: str | None
    from_version: int | None
    to_version: int
    at: datetime
    change_class: str
    summary: str
    revert_of: int | None
    report: dict[str, object]


@dataclass(frozen=True, slots=True)
class FeedInfo:
    id: int
    url: str
    match: str
    labels: tuple[str, ...]
    interval_s: float
    next_poll_at: datetime
    last_polled_at: datetime | None
    last_error: str | None
    seen: int
    added: int
    etag: str | None
    last_modified: str | None
    render: str | None = None  # the --render its stories get


# ---------------------------------------------------------------- what one read returns
# A page or a command that needs several facts gets them from one query function, in one
# session, so they agree with each other.


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    """One page of a list, and how many items the whole list holds."""

    items: list[T]
    total: int


@dataclass(frozen=True, slots=True)
class StoriesOverview:
    """The stories page: a page of matching stories, counts by state, labels in use."""

    stories: Listing[StoryInfo]
    by_state: dict[str, int]
    labels: list[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class StoryDetail:
    story: StoryInfo
    events: list[Event]


@dataclass(frozen=True, slots=True)
class StoryOverview:
    """The story page: its versions (oldest first), events and latest failed checks."""

    story: StoryInfo
    versions: list[VersionInfo]
    events: list[Event]
    failed: list[CheckInfo]
    failed_total: int


@dataclass(frozen=True, slots=True)
class StoryVersions:
    story: StoryInfo
    versions: list[VersionInfo]


@dataclass(frozen=True, slots=True)
class StoryHead:
    """A story and the number of its latest version."""

    story: StoryInfo
    latest: int


@dataclass(frozen=True, slots=True)
class VersionView:
    """One version with its text, its story and the story's latest version number."""

    story: StoryInfo
    version: VersionInfo
    text: str
    latest: int


@dataclass(frozen=True, slots=True)
class RawSnapshot:
    """A version's snapshot bytes as served, verified against ``sha256``."""

    version: VersionInfo
    data: bytes
    sha256: str


@dataclass(frozen=True, slots=True)
class StoryVersion:
    """A version with its story's URL and, when asked for, its text and snapshot bytes
    (verified against ``version.raw_sha256``; None for an unpublished version)."""

    version: VersionInfo
    url: str
    text: str | None = None
    raw: bytes | None = None


@dataclass(frozen=True, slots=True)
class FeedVerdict:
    """What polling decided about one new feed item: add ``target``, or why not."""

    url: str
    add: bool
    reason: str
    target: str


@dataclass(frozen=True, slots=True)
class StatusFacts:
    """The operator's numbers, read together: queue, last hour's checks, outbox, daemons."""

    stories: dict[str, int]
    due: int
    oldest_overdue_s: float
    leased: int
    checks_by_outcome: dict[str, int]
    errors_by_kind: dict[str, int]
    fetch_durations_ms: list[float]  # sorted
    notifications: dict[str, int]
    daemons: list[dict[str, object]]
