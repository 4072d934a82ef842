"""A story's timeline on its page: a note per change (new headline, changed sentence) and
the filter by class or fact over every change (``?show=major``, ``correction``...)."""

from __future__ import annotations

from typing import Any

from tracker.errors import UsageError
from tracker.revision.timeline import TimelineNote, timeline_note
from tracker.store.rows import VersionInfo
from tracker.vocab import CHANGE_CLASSES

SHOW = (*CHANGE_CLASSES, "correction", "headline", "unpublished")


def _shown(v: VersionInfo, note: TimelineNote, show: str) -> bool:
    if show in CHANGE_CLASSES:
        return v.change_class == show
    if show == "correction":
        return note.correction
    if show == "headline":
        return note.headline is not None
    return v.unpublished


def timeline(
    versions: list[VersionInfo], reports: dict[int, dict[str, Any]], show: str | None
) -> tuple[list[VersionInfo], dict[int, TimelineNote]]:
    """The versions to list (newest first, filtered by ``show``) and each one's note."""
    if show and show not in SHOW:
        raise UsageError(f"unknown filter {show!r} (choose from {', '.join(SHOW)})")
    notes = {n: timeline_note(r) for n, r in reports.items()}
    newest_first = list(reversed(versions))
    if show:
        blank = TimelineNote()
        newest_first = [v for v in newest_first if _shown(v, notes.get(v.number, blank), show)]
    return newest_first, notes
