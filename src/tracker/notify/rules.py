"""Which channels a change goes to. Pure functions of the change and the channel settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tracker import vocab
from tracker.config import ChannelSettings
from tracker.patterns import Pattern, compile_user_pattern


def class_rank(name: str) -> int:
    """The vocabulary's rank of a class; a class it does not know ranks above ``major``, so a
    change nobody could classify is never filtered out by ``min_class``."""
    return vocab.class_rank(name) or len(vocab.CHANGE_CLASSES) + 1


def changed_text(report: Mapping[str, object]) -> str:
    """The inserted and deleted text of a change, for keyword rules."""
    parts: list[str] = []
    sentences = report.get("sentences")
    for op in sentences if isinstance(sentences, list) else []:
        if isinstance(op, Mapping) and op.get("op") != "equal":
            parts.extend(str(op.get(k) or "") for k in ("old", "new"))
    facts = report.get("facts") or {}
    headline = facts.get("headline") if isinstance(facts, Mapping) else None
    if isinstance(headline, list | tuple):
        parts.extend(str(x) for x in headline)
    return "\n".join(parts)


def wants(
    channel: ChannelSettings,
    *,
    change_class: str,
    report: Mapping[str, object],
    labels: Sequence[str],
    revert: bool,
) -> bool:
    """Does this channel want this change? Reverts (flip-flops) never alert twice."""
    if revert:
        return False
    if channel.labels and not set(channel.labels) & set(labels):
        return False
    facts = report.get("facts") or {}
    facts = facts if isinstance(facts, Mapping) else {}
    if channel.always_unpublished and (facts.get("unpublished") or facts.get("returned")):
        return True
    if channel.always_corrections and facts.get("corrections"):
        return True
    if channel.headline_only and not facts.get("headline"):
        return False
    if class_rank(change_class) < class_rank(channel.min_class):
        return False
    if channel.keywords:
        text = changed_text(report)
        if not any(_keyword(k).search(text) for k in channel.keywords):
            return False
    return True


def _keyword(text: str) -> Pattern:
    """A keyword rule: RE2, case-insensitive (checked when the config loaded)."""
    return compile_user_pattern(text, "keywords", ignore_case=True)


def select_channels(
    channels: Sequence[ChannelSettings],
    *,
    change_class: str,
    report: Mapping[str, object],
    labels: Sequence[str],
    revert: bool,
) -> list[ChannelSettings]:
    return [
        c
        for c in channels
        if wants(c, change_class=change_class, report=report, labels=labels, revert=revert)
    ]
