"""Accounts: adding people, one-time links, logging in (throttled), sessions, bearer tokens.

Every secret handed out (a session cookie, a bearer token, a one-time link) is 256 random
bits; the store keeps only its SHA-256. A login always makes a new session id, so a session
id planted before the login (fixation) is never the one that gets rights.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracker.config import WebSettings
from tracker.desk import passwords
from tracker.errors import TrackerError, UsageError
from tracker.store import Store
from tracker.store import people as pp
from tracker.store.people import ROLES, SessionRow, UserRow

LINK_LIFETIME = timedelta(hours=24)
LOCKOUT_CAP_S = 3600.0
_NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")


class LoginRefused(TrackerError):
    """Wrong name or password (which of the two is not said)."""

    http_status = 401


class LoginThrottled(TrackerError):
    """Too many wrong passwords for this account: wait."""

    http_status = 429

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many failed logins: try again in {int(retry_after) + 1} s")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Started:
    """A new session: the cookie value (shown once) and the form token that goes with it."""

    token: str
    csrf: str
    expires_at: datetime
    user: UserRow


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise UsageError(
            f"bad user name {name!r}: lower-case letters, digits and . _ @ -, at most 64"
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UsageError(f"bad role {role!r}: viewer, editor or admin")
    return role


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown time zone {name!r} (use an IANA name: Europe/Berlin)") from None
    return name


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/desk/welcome?token={token}"


def _issue_link(store: Store, name: str, now: datetime) -> str:
    token = new_secret()
    store.write(pp.set_link, name, digest(token), now + LINK_LIFETIME)
    return token


def add_user(
    store: Store,
    name: str,
    role: str,
    *,
    now: datetime,
    password: str | None = None,
    display_name: str = "",
    timezone: str = "UTC",
) -> tuple[UserRow, str | None]:
    """Create an account; with no password, returns the one-time link's token as well."""
    check_name(name), check_role(role), check_timezone(timezone)
    if password is not None and (why := passwords.problem(password)):
        raise UsageError(why)
    user = store.write(
        pp.add_user, name, role=role, display_name=display_name, timezone=timezone, now=now
    )
    store.write(pp.audit, None, "user.add", name, now=now, detail=f"role={role}")
    if password is not None:
        store.write(pp.set_password, user.id, passwords.hash_password(password))
        return store.read(pp.user_by_id, user.id), None
    return user, _issue_link(store, name, now)


def reset(store: Store, name: str, *, now: datetime, password: str | None = None) -> str | None:
    """A new password, or (None) a new one-time link; either way every session ends."""
    user = store.read(pp.user_by_name, name)
    store.write(pp.audit, None, "user.reset", name, now=now)
    if password is None:
        return _issue_link(store, name, now)
    if why := passwords.problem(password):
        raise UsageError(why)
    store.write(pp.set_password, user.id, passwords.hash_password(password))
    return None


def use_link(store: Store, token: str, password: str, now: datetime) -> UserRow:
    """Set the password with a one-time link; the link then stops working."""
    user = store.read(pp.user_by_link, digest(token), now) if token else None
    if user is None:
        raise LoginRefused("this link is unknown, used or expired: ask an admin for a new one")
    if why := passwords.problem(password):
        raise UsageError(why)
    store.write(pp.set_password, user.id, passwords.hash_password(password))
    return user


def login(store: Store, web: WebSettings, name: str, password: str, now: datetime) -> Started:
    """Check a password and start a session; throttled per account after too many misses."""
    found = store.read(pp.credentials, name)
    if found is None:
        passwords.verify(passwords.decoy(), password)  # as slow as a real check
        raise LoginRefused("wrong name or password")
    if found.locked_until is not None and found.locked_until > now:
        raise LoginThrottled((found.locked_until - now).total_seconds())
    if not passwords.verify(found.password_hash, password):
        store.write(
            pp.login_failed,
            found.user.id,
            now=now,
            free=web.login_free_attempts,
            base_s=web.login_lockout,
            cap_s=LOCKOUT_CAP_S,
        )
        raise LoginRefused("wrong name or password")
    assert found.password_hash is not None
    upgraded = (
        passwords.hash_password(password) if passwords.needs_rehash(found.password_hash) else None
    )
    store.write(pp.login_succeeded, found.user.id, upgraded)
    return start_session(store, web, found.user, now)


def start_session(store: Store, web: WebSettings, user: UserRow, now: datetime) -> Started:
    token, csrf = new_secret(), new_secret()
    expires = now + timedelta(seconds=web.session_lifetime)
    store.write(
        pp.start_session, user.id, token_hash=digest(token), csrf=csrf, now=now, expires_at=expires
    )
    return Started(token, csrf, expires, user)


def session(store: Store, token: str | None, now: datetime) -> SessionRow | None:
    if not token or len(token) > 256:
        return None
    return store.read(pp.session_by_token, digest(token), now)


def logout(store: Store, token: str | None) -> None:
    if token and len(token) <= 256:
        store.write(pp.end_session, digest(token))


def new_token(store: Store, name: str, label: str, now: datetime) -> str:
    """A bearer token for scripts, bound to ``name`` and acting with that user's role."""
    token = new_secret()
    store.write(pp.add_token, name, token_hash=digest(token), label=label, now=now)
    store.write(pp.audit, None, "token.add", name, now=now, detail=label)
    return token


def bearer_user(store: Store, token: str | None) -> UserRow | None:
    if not token or len(token) > 256:
        return None
    return store.read(pp.user_by_token, digest(token))
