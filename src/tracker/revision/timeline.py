"""What a story's timeline shows for each change, read from the stored report: the new
headline when it changed, the sentence that changed for a small update, and the facts the
timeline filters on (a correction)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tracker.revision.report import ChangeReport

NOTE_CHARS = 300  # a changed sentence is cut here on the timeline (the diff has it whole)


@dataclass(frozen=True, slots=True)
class TimelineNote:
    """One change, in a line: the new headline, or the sentence that changed, and how."""

    headline: str | None = None  # the new headline, when it changed
    op: str | None = None  # the first changed sentence's op: update, insert, delete, move
    sentence: str | None = None  # its new text (old text for a delete), cut to NOTE_CHARS
    correction: bool = False


def timeline_note(report: dict[str, Any]) -> TimelineNote:
    """The note for a stored change report; an empty note when the report cannot be read."""
    try:
        r = ChangeReport.from_json(report)
    except (KeyError, TypeError, ValueError):
        return TimelineNote()
    headline = r.facts.headline[1] if r.facts.headline else None
    changed = next((s for s in r.sentences if s.op != "equal"), None)
    text = None
    if changed is not None:
        text = changed.old if changed.op == "delete" else changed.new
    if text and len(text) > NOTE_CHARS:
        text = text[:NOTE_CHARS] + "…"
    return TimelineNote(
        headline=headline,
        op=changed.op if changed is not None else None,
        sentence=text,
        correction=bool(r.facts.corrections),
    )
