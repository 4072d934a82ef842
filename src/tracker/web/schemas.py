"""The JSON shapes of the API, as Pydantic models (they also write the OpenAPI schema)."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tracker.config import check_interval
from tracker.errors import UsageError
from tracker.timeparse import parse_duration

T = TypeVar("T")
# Rows are what ``tracker.rowjson`` makes: times arrive as its ISO 8601 UTC strings and
# leave unchanged, so the API prints exactly what ``--json`` and the exports print.
Time = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


def _deprecated(of: str) -> Any:
    return Field(deprecated=True, description=f"deprecated alias of `{of}` (same value)")


class Row(BaseModel):
    """A row as ``tracker.rowjson`` shapes it; the field names are its keys."""

    model_config = ConfigDict(populate_by_name=True)


class Story(Row):
    id: int
    url: str
    canonical_url: str | None
    title: str | None
    state: str = Field(description="developing, settled, gone, archived or paused")
    paused: bool
    labels: list[str]
    versions: int = Field(description="how many versions it has")
    interval: str = Field(description="the check interval, e.g. 10m")
    interval_seconds: float
    max_interval: float | None = Field(
        description="the story's own ceiling for its interval, in seconds (null: the default)"
    )
    fixed: bool = Field(description="checked every interval, without backoff")
    created_at: Time
    last_checked_at: Time | None
    last_changed_at: Time | None
    last_change_class: str | None
    next_check_at: Time
    until: Time | None
    origin: str
    failures: int


class Version(Row):
    story_id: int
    url: str = Field(description="the story's URL")
    version: int = Field(description="1 for the first version, then 2, 3...")
    first_seen: Time
    last_seen: Time
    fetched_at: Time | None
    title: str
    byline: str
    published: str | None
    modified: str | None
    extractor: str
    developing: bool
    unpublished: bool
    status_code: int | None
    final_url: str | None
    content_sha256: str = Field(description="SHA-256 of the normalised article")
    sha256: str | None = Field(description="SHA-256 of the snapshot as served")
    chars: int
    change_class: str | None = Field(alias="class", description="class of the change to it")
    summary: str | None
    number: int = _deprecated("version")
    raw_sha256: str | None = _deprecated("sha256")
    archive_url: str | None = Field(None, description="a copy at the [archive] endpoint")
    archived_at: Time | None = Field(None, description="when that copy was made")
    language: str | None = Field(description="the page's language (ISO 639-1): declared or read")
    rendered: bool = Field(
        False, description="the text was read from the page as Chromium rendered it (issue 15)"
    )


class VersionDetail(Version):
    headers: dict[str, str] | None = Field(description="response headers kept at fetch time")
    text: str = Field(description="the extracted article text, paragraphs split by blank lines")


class Change(Row):
    id: int
    story_id: int
    url: str
    title: str | None
    from_version: int | None = Field(alias="from")
    to_version: int = Field(alias="to")
    at: Time
    change_class: str = Field(alias="class")
    summary: str
    revert_of: int | None
    diff_url: str = Field(description="the API diff of this change")


class Check(Row):
    id: int
    story_id: int
    at: Time
    outcome: str
    status_code: int | None
    bytes: int | None
    duration_ms: float | None = Field(description="the whole fetch: every attempt and pause")
    attempts: int | None = Field(description="HTTP requests made, retries included")
    error_kind: str | None
    error: str | None
    sha256: str | None = Field(description="SHA-256 of the snapshot as served")
    raw_sha256: str | None = _deprecated("sha256")


class Page(BaseModel, Generic[T]):
    """One page of a list: ``next``/``prev`` are ready-made links, null at either end."""

    items: list[T]
    total: int
    limit: int
    offset: int
    next: str | None
    prev: str | None


class ChangesPage(Page[Change]):
    next_since: Time | None = Field(
        description="pass as ?since= on the next poll (the newest change returned)"
    )


class Event(BaseModel):
    at: Time
    kind: str = Field(description="added, paused, resumed, settled, gone, returned...")
    detail: str | None


class StoryDetail(Story):
    events: list[Event] = Field(description="lifecycle events, oldest first")
    links: dict[str, str]


class AddStories(BaseModel):
    urls: list[str] = Field(min_length=1, max_length=1000)
    labels: list[str] = []
    interval: str | None = Field(None, description="e.g. 30s, 5m, 2h (1 s to 366 days)")

    model_config = ConfigDict(extra="forbid")

    @field_validator("interval")
    @classmethod
    def _usable_interval(cls, value: str | None) -> str | None:
        if value is not None:  # a bad or absurd interval is a 422 naming the problem
            try:
                check_interval(parse_duration(value), "interval")
            except (ValueError, UsageError) as exc:
                raise ValueError(str(exc)) from None
        return value


class Added(BaseModel):
    id: int
    url: str
    created: bool
    interval: float = Field(description="the interval the story starts with, in seconds")
    notice: str | None = Field(None, description="why the interval differs from the one asked")


class AddFeed(BaseModel):
    url: str
    labels: list[str] = []
    match: str = Field("developing", description="developing, all, or a regex on URL and title")
    interval: str = "5m"

    model_config = ConfigDict(extra="forbid")


class FeedOut(BaseModel):
    id: int
    url: str
    match: str
    labels: list[str]
    interval_seconds: float
    created: bool


class ErrorBody(BaseModel):
    error: str = Field(description="the error's kind, e.g. NotFound")
    message: str
    status: int


class ErrorOut(BaseModel):
    error: ErrorBody
