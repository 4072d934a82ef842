"""The tables, as typed SQLAlchemy 2 declarative models. ORM rows never leave ``store``."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from tracker.store.packed import HEADERS_V1, Digest, PackedJSON


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on the way out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        from datetime import UTC

        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        # SQLite keeps the wall time and drops the offset: store UTC so it reads back right.
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        from datetime import UTC

        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None


class Base(DeclarativeBase):
    pass


def table_of(model: type[Base]) -> Table:
    """A model's Core table, for statements written without the ORM's unit of work."""
    table: Table = model.__table__  # type: ignore[assignment]
    return table


# Ids grow past 2**31 only in very long runs, but BigInteger costs nothing on PostgreSQL and
# SQLite needs plain INTEGER for rowid aliasing.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Story(Base):
    __tablename__ = "story"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    canonical_url: Mapped[str | None] = mapped_column(String(2048))
    title: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="developing", index=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    origin: Mapped[str] = mapped_column(String(16), default="cli")
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feed.id", ondelete="SET NULL"))
    interval_s: Mapped[float] = mapped_column(Float)
    base_interval_s: Mapped[float] = mapped_column(Float)
    # The story's own schedule: a ceiling for its backoff, or a fixed interval (no backoff).
    max_interval_s: Mapped[float | None] = mapped_column(Float)
    fixed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # auto, always or never (tracker add --render); None: [fetch] render.
    render: Mapped[str | None] = mapped_column(String(8))
    # No longer tracked, history kept (`tracker remove`); such a story is also paused.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_check_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last check that found the newest version again, while it is the newest (0011_i17s):
    # kept here because every check writes this row anyway; a newer version moves it to the
    # version's own last_seen. Readers see the later of the two (store/history.py).
    latest_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    last_raw_sha256: Mapped[str | None] = mapped_column(String(64))
    last_fingerprint: Mapped[str | None] = mapped_column(String(64))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    consecutive_gone: Mapped[int] = mapped_column(Integer, default=0)
    version_count: Mapped[int] = mapped_column(Integer, default=0)
    last_change_class: Mapped[str | None] = mapped_column(String(16))
    developing_marker: Mapped[bool | None] = mapped_column(Boolean)
    # The content hash of a suspect change (the text shrank sharply) seen once, awaiting a
    # second fetch that confirms it before it becomes a version.
    pending_sha256: Mapped[str | None] = mapped_column(String(64))

    labels: Mapped[list[StoryLabel]] = relationship(
        back_populates="story", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (Index("ix_story_due", "paused", "next_check_at"),)


class StoryLabel(Base):
    __tablename__ = "story_label"

    story_id: Mapped[int] = mapped_column(
        ForeignKey("story.id", ondelete="CASCADE"), primary_key=True
    )
    label: Mapped[str] = mapped_column(String(128), primary_key=True, index=True)
    story: Mapped[Story] = relationship(back_populates="labels")


class StoryEvent(Base):
    """Lifecycle events: state changes, pauses, unpublishing, returns."""

    __tablename__ = "story_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("story.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)


class Check(Base):
    """Every fetch attempt. Kept small: no bodies here.

    On PostgreSQL the table is partitioned by month on ``at`` (migration 0007_i19) and its
    primary key is ``(id, at)``; ``id`` alone stays unique (one sequence), so it is the ORM's
    identity on both backends. Old "unchanged" rows may be pruned into ``check_rollup``."""

    __tablename__ = "check"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("story.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[int | None] = mapped_column(Integer)
    bytes: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[float | None] = mapped_column(Float)
    error_kind: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    raw_sha256: Mapped[str | None] = mapped_column(Digest)  # 32 bytes (0010_i17g)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("version.id", ondelete="SET NULL"))
    worker: Mapped[str | None] = mapped_column(String(128))
    # HTTP requests this check made (retries and confirmations included); None before 0003.
    attempts: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_check_story_at", "story_id", "at"),)


class CheckRollup(Base):
    """Per story, day (UTC) and outcome: how many check rows retention removed."""

    __tablename__ = "check_rollup"

    story_id: Mapped[int] = mapped_column(
        ForeignKey("story.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class Snapshot(Base):
    """Raw bytes as served, content-addressed; zstd, delta-compressed against ``base``."""

    __tablename__ = "snapshot"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # No index of its own: uq_snapshot_story_sha starts with story_id (0010_i17g dropped it).
    story_id: Mapped[int] = mapped_column(ForeignKey("story.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(Digest)
    size: Mapped[int] = mapped_column(Integer)
    codec: Mapped[str] = mapped_column(String(16))
    base_id: Mapped[int | None] = mapped_column(ForeignKey("snapshot.id"))
    depth: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (UniqueConstraint("story_id", "sha256", name="uq_snapshot_story_sha"),)


class Version(Base):
    __tablename__ = "version"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("story.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(Text, default="")
    byline: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[str | None] = mapped_column(String(64))
    modified: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    # The body, zstd-compressed; delta against the previous version's text when text_base set.
    text_codec: Mapped[str] = mapped_column(String(16))
    text_data: Mapped[bytes] = mapped_column(LargeBinary)
    text_chars: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(Digest)
    extractor: Mapped[str] = mapped_column(String(32))
    unpublished: Mapped[bool] = mapped_column(Boolean, default=False)
    developing: Mapped[bool] = mapped_column(Boolean, default=False)
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshot.id"))
    final_url: Mapped[str | None] = mapped_column(String(2048))
    status_code: Mapped[int | None] = mapped_column(Integer)
    # zstd with a dictionary of common headers (store.packed, 0010_i17g): ~45 B, not ~165.
    headers: Mapped[dict[str, str] | None] = mapped_column(PackedJSON(HEADERS_V1))
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A copy at a third-party archive ([archive]): its URL and when it was made (issue 14).
    archive_url: Mapped[str | None] = mapped_column(String(2048))
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The text came from the DOM Chromium rendered, kept beside the static response (issue 15).
    rendered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    rendered_snapshot_id: Mapped[int | None] = mapped_column(
        ForeignKey("snapshot.id", name="fk_version_rendered_snapshot")
    )

    __table_args__ = (UniqueConstraint("story_id", "number", name="uq_version_story_number"),)


class Change(Base):
    __tablename__ = "change"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("story.id", ondelete="CASCADE"), index=True)
    from_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("version.id", ondelete="CASCADE")
    )
    to_version_id: Mapped[int] = mapped_column(ForeignKey("version.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    change_class: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text, default="")
    revert_of: Mapped[int | None] = mapped_column(Integer)
    # zstd with a dictionary of the report's shape (store.packed, 0010_i17g): ~300 B, not ~1 KB.
    report: Mapped[dict[str, object]] = mapped_column(PackedJSON())
    # The report lists a correction (facts.corrections): the "ever had a correction" filter.
    correction: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Feed(Base):
    __tablename__ = "feed"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    match: Mapped[str] = mapped_column(String(512), default="developing")
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    interval_s: Mapped[float] = mapped_column(Float, default=300.0)
    next_poll_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    seen: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    render: Mapped[str | None] = mapped_column(String(8))  # its stories' --render


class Notification(Base):
    """The outbox: one row per change x channel, written with the change."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("change.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(
        String(16), default="pending"
    )  # pending|digest|delivered|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_response: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("change_id", "channel", name="uq_notification_change_channel"),
        Index("ix_notification_due", "state", "next_attempt_at"),
    )


class DaemonLock(Base):
    """Who owns a SQLite database; daemons on PostgreSQL register here too (for status)."""

    __tablename__ = "daemon"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeedItem(Base):
    """Every article URL a feed has listed, so a rejected one is not fetched again."""

    __tablename__ = "feed_item"

    feed_id: Mapped[int] = mapped_column(
        ForeignKey("feed.id", ondelete="CASCADE"), primary_key=True
    )
    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    added: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(String(255))


class ArchiveJob(Base):
    """The archive outbox: one row per version to submit to the [archive] endpoint, written
    with the version; delivered with leases, retries and backoff like notifications."""

    __tablename__ = "archive_job"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("version.id", ondelete="CASCADE"), unique=True
    )
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending|done|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_archive_job_due", "state", "next_attempt_at"),)


class Sentence(Base):
    """Each distinct sentence (and title) a story ever published, with its span of versions.

    Written with the version (``store.sentences``): a new version inserts only its new
    sentences and closes the spans of the ones it dropped. The full-text index over ``norm``
    is FTS5 (``sentence_fts``) on SQLite and a GIN expression index on PostgreSQL.
    """

    __tablename__ = "sentence"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("story.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # "title" or "text"
    # 64 bits of BLAKE2b over kind and whitespace-collapsed text: the sentence's identity.
    hash: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    norm: Mapped[str] = mapped_column(Text)  # folded words, what the full-text index reads
    first_version: Mapped[int] = mapped_column(Integer)
    # The first version without it (None: the latest version still has it). When either
    # version was recorded is that version's first_seen (0010_i17g dropped first_at and
    # removed_at: a closing span then grows its row by a byte, not by a timestamp).
    removed_version: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("story_id", "hash", name="uq_sentence_story_hash"),)


class SentenceProgress(Base):
    """How far a story's sentence index goes: its versions up to ``version`` are indexed."""

    __tablename__ = "sentence_progress"

    story_id: Mapped[int] = mapped_column(
        ForeignKey("story.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer)


class FetchHost(Base):
    """One fetched host, shared by every daemon on PostgreSQL: when a request last started
    there and until when the host asked us to stay away (429/503, Retry-After)."""

    __tablename__ = "fetch_host"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    last_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    backoff_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    backoff_reason: Mapped[str | None] = mapped_column(String(255))
    # With a delay: the turn whose request has not started yet; nobody else starts meanwhile.
    reserved_by: Mapped[int | None] = mapped_column(BigId)
    reserved_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FetchHostLease(Base):
    """One request in flight to a host; it expires on its own if its daemon dies."""

    __tablename__ = "fetch_host_lease"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    host: Mapped[str] = mapped_column(String(255), index=True)
    lease_owner: Mapped[str] = mapped_column(String(128), index=True)
    lease_until: Mapped[datetime] = mapped_column(UTCDateTime)


class FetchOrigin(Base):
    """robots.txt of one origin (scheme://host:port), fetched once per period for the fleet."""

    __tablename__ = "fetch_origin"

    origin: Mapped[str] = mapped_column(String(512), primary_key=True)
    robots_body: Mapped[str | None] = mapped_column(Text)  # None: none there (all allowed)
    robots_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
