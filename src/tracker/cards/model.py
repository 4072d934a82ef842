"""ChangeReport + meta -> the card's content: blocks of marked spans, no pixels yet.

A card shows, top to bottom: the outlet (host) and the story's title; the class and the
versions and times; the headline's word diff when it changed; the summary; then only the
changed sentences, each hunk with one sentence of context either side (``…`` between hunks),
moved sentences marked; the permalink last. ``card_text`` writes the same content as plain
text with git's ``[-deleted-]{+inserted+}`` markers, which is how the tests read a card.

Page text is hostile: every string is capped (``MAX_SENTENCE``), context sentences are
shortened to their near end, and control characters become spaces.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from tracker.diff import word_diff
from tracker.records import DiffOp
from tracker.revision import ChangeReport, SentenceOp

BlockKind = Literal[
    "site", "when", "headline", "summary", "context", "change", "moved", "gap", "note", "footer"
]
MAX_SENTENCE = 3000  # characters of one sentence on a card (a hostile page can send more)
MAX_CONTEXT = 220  # a context sentence keeps this many characters nearest the change
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of text and how it changed: equal, delete (struck), insert (underlined)."""

    text: str
    mark: DiffOp = "equal"


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph of the card. ``change`` counts the changes it shows (for "+ N more")."""

    kind: BlockKind
    spans: tuple[Span, ...]
    change: int = 0


@dataclass(frozen=True, slots=True)
class CardModel:
    """The card's content; ``head`` is always drawn, ``body`` is trimmed to fit."""

    head: tuple[Block, ...]
    body: tuple[Block, ...]
    footer: Block | None
    change_class: str


def clean(text: str | None, cap: int = MAX_SENTENCE) -> str:
    """One line of safe text: controls and bidi overrides out, runs of space folded, capped."""
    flat = " ".join(_CONTROL.sub(" ", text or "").split())
    return flat if len(flat) <= cap else flat[: cap - 1] + "…"


def host(url: object) -> str:
    try:
        name = urlsplit(str(url or "")).hostname or ""
    except ValueError:
        return ""
    return name.removeprefix("www.")


def when_line(meta: Mapping[str, Any]) -> str:
    """``version 3 → 4, 09:12 → 09:40 UTC`` (dates when they differ or for a single time)."""
    a, b = meta.get("from"), meta.get("to")
    versions = f"version {b}" if a is None or a == b else f"version {a} → {b}"
    t0, t1 = _moment(meta.get("from_time")), _moment(meta.get("to_time"))
    if t0 and t1 and t0.date() == t1.date():
        return f"{versions}, {t0:%Y-%m-%d %H:%M} → {t1:%H:%M} UTC"
    if t0 and t1:
        return f"{versions}, {t0:%Y-%m-%d %H:%M} → {t1:%Y-%m-%d %H:%M} UTC"
    return f"{versions}, {t1:%Y-%m-%d %H:%M} UTC" if t1 else versions


def _moment(value: object) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _spans(ops: Sequence[tuple[DiffOp, str]]) -> tuple[Span, ...]:
    """Word ops as spans; the space at either edge of a piece is kept (one space)."""
    out = []
    for op, text in ops:
        core = clean(text)
        lead = " " if text[:1].isspace() and core else ""
        trail = " " if text[-1:].isspace() else ""
        out.append(Span(f"{lead}{core}{trail}", op))
    return tuple(s for s in out if s.text)


def _context(text: str | None, before: bool) -> Span:
    """A context sentence, shortened at the end away from the change."""
    flat = clean(text)
    if len(flat) <= MAX_CONTEXT:
        return Span(flat)
    return Span("…" + flat[-MAX_CONTEXT:] if before else flat[:MAX_CONTEXT] + "…")


def _sentence(op: SentenceOp) -> Block:
    if op.op == "insert":
        return Block("change", (Span(clean(op.new), "insert"),), change=1)
    if op.op == "delete":
        return Block("change", (Span(clean(op.old), "delete"),), change=1)
    spans = _spans(op.words) if op.words else (Span(clean(op.new or op.old)),)
    return Block("moved" if op.op == "move" else "change", spans, change=1)


def hunks(ops: Sequence[SentenceOp]) -> list[range]:
    """Op ranges around each change (moves included) with one context sentence each side."""
    out: list[range] = []
    for k, op in enumerate(ops):
        if op.op == "equal":
            continue
        lo, hi = max(0, k - 1), min(len(ops), k + 2)
        if out and lo <= out[-1].stop:
            out[-1] = range(out[-1].start, hi)
        else:
            out.append(range(lo, hi))
    return out


def _body(ops: Sequence[SentenceOp]) -> list[Block]:
    blocks: list[Block] = []
    for n, hunk in enumerate(hunks(ops)):
        if n or hunk.start > 0:
            blocks.append(Block("gap", (Span("…"),)))
        first_change = next(k for k in hunk if ops[k].op != "equal")
        for k in hunk:
            op = ops[k]
            if op.op == "equal":
                blocks.append(Block("context", (_context(op.new, before=k < first_change),)))
            else:
                blocks.append(_sentence(op))
    return blocks


def build_card(report: ChangeReport, meta: Mapping[str, Any]) -> CardModel:
    """The content of the card for one change (see the module docstring)."""
    d = report.diff
    title = clean(d.title_new or d.title_old, 300)
    head = [
        Block("site", (Span(host(meta.get("url")) or "?"), Span(" · "), Span(title))),
        Block("when", (Span(when_line(meta)),)),
    ]
    if clean(d.title_old) != clean(d.title_new):
        head.append(Block("headline", _spans(word_diff(d.title_old, d.title_new).ops), change=1))
    head.append(Block("summary", (Span(clean(report.summary, 400)),)))
    body = _body(report.sentences)
    if report.facts.unpublished:
        body.insert(0, Block("note", (Span("The story was unpublished."),), change=1))
    link = meta.get("web_url") or meta.get("url")
    footer = Block("footer", (Span(clean(str(link), 300)),)) if link else None
    return CardModel(tuple(head), tuple(body), footer, str(report.change_class))


def block_text(block: Block) -> str:
    """A block as one line, git's word-diff markers around deleted and inserted text."""
    marks = {"delete": ("[-", "-]"), "insert": ("{+", "+}"), "equal": ("", "")}
    text = "".join(f"{marks[s.mark][0]}{s.text}{marks[s.mark][1]}" for s in block.spans)
    return f"[moved] {text}" if block.kind == "moved" else text


def card_text(model: CardModel) -> str:
    """The whole card's content as text, one block per line (before trimming)."""
    blocks = [*model.head, *model.body, *([model.footer] if model.footer else [])]
    return "\n".join(block_text(b) for b in blocks) + "\n"
