"""The JSON shapes of the API, as Pydantic models (they also write the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from tracker.store.queries import ChangeInfo, CheckInfo, StoryInfo, VersionInfo

T = TypeVar("T")


class Story(BaseModel):
    id: int
    url: str
    canonical_url: str | None
    title: str | None
    state: str = Field(description="developing, settled, gone, archived or paused")
    paused: bool
    labels: list[str]
    versions: int
    interval_seconds: float
    next_check_at: datetime
    last_checked_at: datetime | None
    last_changed_at: datetime | None
    last_change_class: str | None
    created_at: datetime
    until: datetime | None
    origin: str
    failures: int

    @classmethod
    def of(cls, s: StoryInfo) -> Story:
        return cls(
            id=s.id,
            url=s.url,
            canonical_url=s.canonical_url,
            title=s.title,
            state=s.display_state,
            paused=s.paused,
            labels=list(s.labels),
            versions=s.version_count,
            interval_seconds=s.interval_s,
            next_check_at=s.next_check_at,
            last_checked_at=s.last_checked_at,
            last_changed_at=s.last_changed_at,
            last_change_class=s.last_change_class,
            created_at=s.created_at,
            until=s.until,
            origin=s.origin,
            failures=s.consecutive_failures,
        )


class Version(BaseModel):
    number: int
    first_seen: datetime
    last_seen: datetime
    title: str
    byline: str
    published: str | None
    modified: str | None
    content_sha256: str = Field(description="SHA-256 of the normalised article")
    raw_sha256: str | None = Field(description="SHA-256 of the snapshot as served")
    extractor: str
    unpublished: bool
    developing: bool
    final_url: str | None
    status_code: int | None
    chars: int
    change_class: str | None = Field(alias="class", description="class of the change to it")
    summary: str | None

    model_config = ConfigDict(populate_by_name=True)

    @classmethod
    def fields_of(cls, v: VersionInfo) -> dict[str, Any]:
        return {
            "number": v.number,
            "first_seen": v.first_seen,
            "last_seen": v.last_seen,
            "title": v.title,
            "byline": v.byline,
            "published": v.published,
            "modified": v.modified,
            "content_sha256": v.content_sha256,
            "raw_sha256": v.raw_sha256,
            "extractor": v.extractor,
            "unpublished": v.unpublished,
            "developing": v.developing,
            "final_url": v.final_url,
            "status_code": v.status_code,
            "chars": v.text_chars,
            "class": v.change_class,
            "summary": v.summary,
        }

    @classmethod
    def of(cls, v: VersionInfo) -> Version:
        return cls.model_validate(cls.fields_of(v))


class VersionDetail(Version):
    fetched_at: datetime | None
    headers: dict[str, str] | None = Field(description="response headers kept at fetch time")
    text: str = Field(description="the extracted article text, paragraphs split by blank lines")

    @classmethod
    def with_text(cls, v: VersionInfo, text: str) -> VersionDetail:
        return cls.model_validate(
            {**Version.fields_of(v), "fetched_at": v.fetched_at, "headers": v.headers, "text": text}
        )


class Change(BaseModel):
    id: int
    story_id: int
    url: str
    title: str | None
    from_version: int | None = Field(alias="from")
    to_version: int = Field(alias="to")
    at: datetime
    change_class: str = Field(alias="class")
    summary: str
    revert_of: int | None
    diff_url: str = Field(description="the API diff of this change")

    model_config = ConfigDict(populate_by_name=True)

    @classmethod
    def of(cls, c: ChangeInfo) -> Change:
        a = c.from_version if c.from_version is not None else c.to_version
        return cls(
            id=c.id,
            story_id=c.story_id,
            url=c.url,
            title=c.title,
            from_version=c.from_version,
            to_version=c.to_version,
            at=c.at,
            change_class=c.change_class,
            summary=c.summary,
            revert_of=c.revert_of,
            diff_url=f"/api/stories/{c.story_id}/diff?from={a}&to={c.to_version}",
        )


class Check(BaseModel):
    id: int
    at: datetime
    outcome: str
    status_code: int | None
    bytes: int | None
    duration_ms: float | None
    error_kind: str | None
    error: str | None
    raw_sha256: str | None

    @classmethod
    def of(cls, c: CheckInfo) -> Check:
        return cls(
            id=c.id,
            at=c.at,
            outcome=c.outcome,
            status_code=c.status_code,
            bytes=c.bytes,
            duration_ms=c.duration_ms,
            error_kind=c.error_kind,
            error=c.error,
            raw_sha256=c.raw_sha256,
        )


class Page(BaseModel, Generic[T]):
    """One page of a list: ``next``/``prev`` are ready-made links, null at either end."""

    items: list[T]
    total: int
    limit: int
    offset: int
    next: str | None
    prev: str | None


class ChangesPage(Page[Change]):
    next_since: datetime | None = Field(
        description="pass as ?since= on the next poll (the newest change returned)"
    )


class StoryDetail(Story):
    events: list[dict[str, Any]] = Field(description="lifecycle events: at, kind, detail")
    links: dict[str, str]


class AddStories(BaseModel):
    urls: list[str] = Field(min_length=1, max_length=1000)
    labels: list[str] = []
    interval: str | None = Field(None, description="e.g. 30s, 5m, 2h")

    model_config = ConfigDict(extra="forbid")


class Added(BaseModel):
    id: int
    url: str
    created: bool


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
