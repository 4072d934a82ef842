"""The desk's people: accounts, sessions, bearer tokens, login throttling, the audit log.

Secrets never reach the database in the clear: sessions, tokens and one-time links are kept
as their SHA-256 (they are long random strings, so a fast hash is enough); passwords as the
argon2id string ``tracker.desk.passwords`` made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from tracker.errors import NotFound, UsageError
from tracker.store.people_models import DeskAudit, DeskSession, DeskToken, DeskUser

ROLES = ("viewer", "editor", "admin")


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int
    name: str
    display_name: str
    role: str
    timezone: str
    has_password: bool
    created_at: datetime

    def can(self, role: str) -> bool:
        """At least ``role``: viewer < editor < admin."""
        return ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a login attempt needs to know about the account it names."""

    user: UserRow
    password_hash: str | None
    failed_logins: int
    locked_until: datetime | None


@dataclass(frozen=True, slots=True)
class SessionRow:
    user: UserRow
    csrf: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: str


def _row(u: DeskUser) -> UserRow:
    return UserRow(
        u.id, u.name, u.display_name, u.role, u.timezone, u.password_hash is not None, u.created_at
    )


def _user(session: Session, name: str) -> DeskUser:
    u = session.scalar(select(DeskUser).where(DeskUser.name == name))
    if u is None:
        raise NotFound(f"no user named {name!r}")
    return u


# ---------------------------------------------------------------- accounts


def user_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(DeskUser)) or 0


def add_user(
    session: Session, name: str, *, role: str, display_name: str, timezone: str, now: datetime
) -> UserRow:
    if session.scalar(select(DeskUser.id).where(DeskUser.name == name)) is not None:
        raise UsageError(f"a user named {name!r} exists already")
    u = DeskUser(
        name=name,
        display_name=display_name or name,
        role=role,
        timezone=timezone,
        created_at=now,
        failed_logins=0,
    )
    session.add(u)
    session.flush()
    return _row(u)


def list_users(session: Session) -> list[UserRow]:
    return [_row(u) for u in session.scalars(select(DeskUser).order_by(DeskUser.name))]


def user_by_name(session: Session, name: str) -> UserRow:
    return _row(_user(session, name))


def user_by_id(session: Session, user_id: int) -> UserRow:
    u = session.get(DeskUser, user_id)
    if u is None:
        raise NotFound(f"no user {user_id}")
    return _row(u)


def remove_user(session: Session, name: str) -> UserRow:
    u = _user(session, name)
    row = _row(u)
    session.execute(delete(DeskSession).where(DeskSession.user_id == u.id))
    session.delete(u)
    return row


def set_role(session: Session, name: str, role: str) -> UserRow:
    u = _user(session, name)
    u.role = role
    return _row(u)


def set_profile(session: Session, user_id: int, *, display_name: str, timezone: str) -> UserRow:
    u = session.get(DeskUser, user_id)
    if u is None:
        raise NotFound(f"no user {user_id}")
    u.display_name, u.timezone = display_name, timezone
    return _row(u)


def set_password(session: Session, user_id: int, password_hash: str) -> None:
    """A new password ends every session of the account (and any pending link)."""
    session.execute(
        update(DeskUser)
        .where(DeskUser.id == user_id)
        .values(password_hash=password_hash, link_hash=None, link_expires_at=None, failed_logins=0)
    )
    session.execute(delete(DeskSession).where(DeskSession.user_id == user_id))


def set_link(session: Session, name: str, link_hash: str, expires_at: datetime) -> UserRow:
    """A one-time link to set the password; the old password stops working at once."""
    u = _user(session, name)
    u.link_hash, u.link_expires_at, u.password_hash = link_hash, expires_at, None
    session.execute(delete(DeskSession).where(DeskSession.user_id == u.id))
    return _row(u)


def user_by_link(session: Session, link_hash: str, now: datetime) -> UserRow | None:
    u = session.scalar(select(DeskUser).where(DeskUser.link_hash == link_hash))
    if u is None or u.link_expires_at is None or u.link_expires_at <= now:
        return None
    return _row(u)


# ---------------------------------------------------------------- logging in


def credentials(session: Session, name: str) -> Credentials | None:
    u = session.scalar(select(DeskUser).where(DeskUser.name == name))
    if u is None:
        return None
    return Credentials(_row(u), u.password_hash, u.failed_logins, u.locked_until)


def login_failed(
    session: Session, user_id: int, *, now: datetime, free: int, base_s: float, cap_s: float
) -> datetime | None:
    """Count a failure; past ``free`` failures the account waits, doubling each time."""
    u = session.get(DeskUser, user_id)
    if u is None:
        return None
    u.failed_logins += 1
    over = u.failed_logins - free
    if over > 0:
        u.locked_until = now + timedelta(seconds=min(cap_s, base_s * 2.0 ** min(over - 1, 30)))
    return u.locked_until


def login_succeeded(session: Session, user_id: int, password_hash: str | None = None) -> None:
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
    if password_hash:  # the KDF's parameters changed: store the stronger hash
        values["password_hash"] = password_hash
    session.execute(update(DeskUser).where(DeskUser.id == user_id).values(**values))


def start_session(
    session: Session,
    user_id: int,
    *,
    token_hash: str,
    csrf: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    session.execute(delete(DeskSession).where(DeskSession.expires_at <= now))
    session.add(
        DeskSession(
            token_hash=token_hash, user_id=user_id, csrf=csrf, created_at=now, expires_at=expires_at
        )
    )


def session_by_token(session: Session, token_hash: str, now: datetime) -> SessionRow | None:
    found = session.execute(
        select(DeskSession, DeskUser)
        .join(DeskUser, DeskUser.id == DeskSession.user_id)
        .where(DeskSession.token_hash == token_hash, DeskSession.expires_at > now)
    ).first()
    if found is None:
        return None
    s, u = found
    return SessionRow(_row(u), s.csrf, s.expires_at)


def end_session(session: Session, token_hash: str) -> None:
    session.execute(delete(DeskSession).where(DeskSession.token_hash == token_hash))


# ---------------------------------------------------------------- bearer tokens


def add_token(
    session: Session, name: str, *, token_hash: str, label: str, now: datetime
) -> UserRow:
    u = _user(session, name)
    session.add(DeskToken(token_hash=token_hash, user_id=u.id, label=label, created_at=now))
    return _row(u)


def user_by_token(session: Session, token_hash: str) -> UserRow | None:
    u = session.scalar(
        select(DeskUser)
        .join(DeskToken, DeskToken.user_id == DeskUser.id)
        .where(DeskToken.token_hash == token_hash)
    )
    return _row(u) if u is not None else None


def revoke_tokens(session: Session, name: str) -> int:
    u = _user(session, name)
    ids = session.scalars(select(DeskToken.id).where(DeskToken.user_id == u.id)).all()
    session.execute(delete(DeskToken).where(DeskToken.user_id == u.id))
    return len(ids)


# ---------------------------------------------------------------- the audit log


def audit(
    session: Session,
    actor: UserRow | None,
    action: str,
    target: str,
    *,
    now: datetime,
    detail: str = "",
) -> None:
    session.add(
        DeskAudit(
            at=now,
            user_id=actor.id if actor else None,
            actor=actor.name if actor else "(cli)",
            action=action,
            target=target[:2000],
            detail=detail[:4000],
        )
    )


def audit_log(session: Session, *, limit: int | None = 200, offset: int = 0) -> list[AuditRow]:
    q = select(DeskAudit).order_by(DeskAudit.at.desc(), DeskAudit.id.desc()).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return [AuditRow(a.id, a.at, a.actor, a.action, a.target, a.detail) for a in session.scalars(q)]
