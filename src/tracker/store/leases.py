"""The one leasing mechanism every queue uses (stories, feeds, the outbox).

A row is free when it has no lease or its lease has expired; a claim locks candidate rows with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL (so workers on several machines never take the same
row) and plainly on SQLite (one writer at a time anyway), then stamps owner and expiry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, or_, update
from sqlalchemy.orm import Session

# Any SELECT, whatever its columns (``Select`` is generic over the tuple of their types).
S = TypeVar("S", bound=Select[*tuple[Any, ...]])


def lease_free(model: Any, now: datetime) -> ColumnElement[bool]:
    return or_(model.lease_until.is_(None), model.lease_until < now)


def skip_locked(session: Session, stmt: S) -> S:
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True)
    return stmt


def stamp(session: Session, model: Any, ids: Sequence[int], owner: str, until: datetime) -> None:
    if ids:
        session.execute(
            update(model).where(model.id.in_(ids)).values(lease_owner=owner, lease_until=until)
        )


def release(session: Session, model: Any, ids: Sequence[int], owner: str) -> None:
    """Drop the leases ``owner`` still holds; a row another worker took keeps its lease."""
    if ids:
        session.execute(
            update(model)
            .where(model.id.in_(ids), model.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )
