"""The tracker's vocabulary, declared once: every other module imports these names.

Plain ``Literal`` types for the type checker and a tuple of the values in their natural
order for loops, validation and ranking. A test checks the tuples against the registries
(channel kinds) and against the ``Literal``s.
"""

from __future__ import annotations

from typing import Literal, get_args

ChangeClass = Literal["cosmetic", "minor", "substantive", "major"]
CHANGE_CLASSES: tuple[ChangeClass, ...] = get_args(ChangeClass)  # least to most important

StoryState = Literal["developing", "settled", "gone", "archived"]
STORY_STATES: tuple[StoryState, ...] = get_args(StoryState)
# What people see: a paused story shows as "paused" whatever its lifecycle state, and one no
# longer tracked (history kept) as "removed".
DISPLAY_STATES: tuple[str, ...] = (*STORY_STATES, "paused", "removed")

CheckOutcomeKind = Literal[
    "first_version", "new_version", "unchanged", "not_modified", "failed", "gone", "returned"
]
CHECK_OUTCOMES: tuple[CheckOutcomeKind, ...] = get_args(CheckOutcomeKind)
# Outcomes that wrote a new version (and, but for the first, a change).
VERSION_OUTCOMES: frozenset[CheckOutcomeKind] = frozenset(
    {"first_version", "new_version", "returned"}
)
# Outcomes retention may remove after `[database] keep_checks`, counted in check_rollup; the
# rest (versions, "gone") are what research reads and are kept for ever.
PRUNABLE_OUTCOMES: frozenset[CheckOutcomeKind] = frozenset({"unchanged", "not_modified", "failed"})

OutboxState = Literal["pending", "digest", "delivered", "failed"]
OUTBOX_STATES: tuple[OutboxState, ...] = get_args(OutboxState)

ChannelKind = Literal["webhook", "apprise", "command"]
CHANNEL_KINDS: tuple[ChannelKind, ...] = get_args(ChannelKind)


def class_rank(change_class: str | None) -> int:
    """0 for no class, then 1 (cosmetic) to 4 (major): for filters and thresholds."""
    try:
        return CHANGE_CLASSES.index(change_class) + 1
    except ValueError:
        return 0
