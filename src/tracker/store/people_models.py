"""The desk's tables (issue 18): people, their sessions and API tokens, what they follow,
where and how they want alerts, and the audit log of writes made through the desk.

Imported at the end of ``models`` so that ``Base.metadata`` (``db copy``, tests) knows them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.store.models import Base, BigId, UTCDateTime


class DeskUser(Base):
    __tablename__ = "desk_user"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    role: Mapped[str] = mapped_column(String(16))  # viewer | editor | admin
    # argon2id, PHC string; None until the one-time link is used
    password_hash: Mapped[str | None] = mapped_column(String(256))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # sha256 of the link
    link_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeskSession(Base):
    __tablename__ = "desk_session"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the cookie
    user_id: Mapped[int] = mapped_column(ForeignKey("desk_user.id", ondelete="CASCADE"))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class DeskToken(Base):
    """A bearer token for scripts, bound to a user (and so to the user's role)."""

    __tablename__ = "desk_token"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("desk_user.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DeskFollow(Base):
    __tablename__ = "desk_follow"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("desk_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # story | label | feed
    target: Mapped[str] = mapped_column(String(256))  # story id, label, feed id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("user_id", "kind", "target", name="uq_desk_follow"),)


class DeskDestination(Base):
    """A person's destination, or (``shared``, no owner) one of the desk's shared channels."""

    __tablename__ = "desk_destination"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("desk_user.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # apprise | webhook
    url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_test: Mapped[str | None] = mapped_column(Text)  # what the service answered
    shared: Mapped[bool] = mapped_column(Boolean, default=False)  # 0009_i18
    timezone: Mapped[str | None] = mapped_column(String(64))  # a shared channel's clock


class DeskSubscription(Base):
    """The rules for one destination: at most one per destination, so a change makes at most
    one outbox row per person and destination."""

    __tablename__ = "desk_subscription"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("desk_user.id", ondelete="CASCADE"))
    destination_id: Mapped[int] = mapped_column(
        ForeignKey("desk_destination.id", ondelete="CASCADE"), unique=True
    )
    min_class: Mapped[str] = mapped_column(String(16), default="substantive")
    followed: Mapped[bool] = mapped_column(Boolean, default=True)
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    quiet_hours: Mapped[str] = mapped_column(String(16), default="")
    digest: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DeskAudit(Base):
    __tablename__ = "desk_audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("desk_user.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(64))  # the name, kept after the user is removed
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_desk_audit_at", "at"),)
