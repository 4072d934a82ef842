"""The card's alt text: what changed, in words, complete within ``MAX_ALT`` characters.

Sentences in order of importance: the story (title, outlet, versions, class), unpublished,
the headline, the figures ("35,000 homes became 48,000 homes."), then the sentences added,
removed, edited and moved. Quoted text is shortened with "…"; a sentence that would pass the
limit is left out whole and counted in a last "And N more changes." — the text never stops
in the middle of a sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tracker.cards.model import clean, host
from tracker.revision import ChangeReport, SentenceOp

MAX_ALT = 1000
_QUOTE = 160  # characters of one quoted sentence or headline


def _q(text: str | None, cap: int = _QUOTE) -> str:
    return "'" + clean(text, cap) + "'"


def _opening(report: ChangeReport, meta: Mapping[str, Any]) -> str:
    title = clean(report.diff.title_new or report.diff.title_old, 120)
    where = host(meta.get("url"))
    a, b = meta.get("from"), meta.get("to")
    versions = f"version {a} to {b}" if a is not None and a != b else f"version {b}"
    story = f"'{title}'" + (f" on {where}" if where else "")
    return f"A {report.change_class} change to {story}, {versions}."


def _sentence_parts(ops: tuple[SentenceOp, ...]) -> list[str]:
    parts = []
    for op in ops:
        if op.op == "insert":
            parts.append(f"A sentence was added: {_q(op.new)}.")
        elif op.op == "delete":
            parts.append(f"A sentence was removed: {_q(op.old)}.")
        elif op.op == "update":
            parts.append(f"A sentence was edited from {_q(op.old, 110)} to {_q(op.new, 110)}.")
        elif op.op == "move":
            parts.append(f"A sentence was moved: {_q(op.new, 110)}.")
    return parts


def alt_parts(report: ChangeReport, meta: Mapping[str, Any]) -> list[str]:
    """Every sentence the alt text could say, most important first."""
    f = report.facts
    parts = [_opening(report, meta)]
    if f.unpublished:
        parts.append("The story was unpublished.")
    if f.returned:
        parts.append("The story is back after being unpublished.")
    if f.headline:
        parts.append(f"Headline changed from {_q(f.headline[0])} to {_q(f.headline[1])}.")
    if f.byline:
        parts.append(f"Byline changed from {_q(f.byline[0], 80)} to {_q(f.byline[1], 80)}.")
    parts += [f"{clean(a, 80)} became {clean(b, 80)}." for a, b in f.numbers_changed]
    parts += _sentence_parts(report.sentences)
    return parts


def alt_text(report: ChangeReport, meta: Mapping[str, Any], limit: int = MAX_ALT) -> str:
    """The alt text (see the module docstring); never longer than ``limit``."""
    parts = alt_parts(report, meta)
    if len(parts) == 1 and not report.facts.unpublished:
        summary = clean(report.summary, 300)
        parts.append(summary[:1].upper() + summary[1:] + ".")
    kept: list[str] = []
    for n, part in enumerate(parts):
        rest = len(parts) - n
        tail = f" And {rest - 1} more change{'s' if rest - 1 != 1 else ''}." if rest > 1 else ""
        if len(" ".join([*kept, part])) + len(tail) > limit:
            more = f"And {rest} more change{'s' if rest != 1 else ''}."
            return " ".join([*kept, more])[:limit]
        kept.append(part)
    return " ".join(kept)
