"""The outbox's SQL: notification rows written with their change, claimed, recorded.

(The claim, record, counts and digest queries move here from ``notify/store.py``.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tracker.store.models import Notification


@dataclass(frozen=True, slots=True)
class OutboxTarget:
    """One channel that wants a change: a row due now, or held for the channel's digest."""

    channel: str
    digest: bool = False


def enqueue(
    session: Session, change_id: int, targets: Sequence[OutboxTarget], now: datetime
) -> None:
    """One row per target, in the caller's transaction (the same one that wrote the change)."""
    session.add_all(
        Notification(
            change_id=change_id,
            channel=t.channel,
            state="digest" if t.digest else "pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        for t in targets
    )
