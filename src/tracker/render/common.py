"""What the renderers share: the meta line, hunks of changed sentences, safe links, and the
plain-text form of a word diff (git's ``--word-diff=plain`` markers)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from tracker.records import DiffOp
from tracker.revision import SentenceOp

Meta = Mapping[str, Any]

# git --word-diff=plain: deleted words as [-old-], inserted ones as {+new+}.
PLAIN_MARKS: dict[DiffOp, tuple[str, str]] = {"delete": ("[-", "-]"), "insert": ("{+", "+}")}
_EDGES = re.compile(r"^(\s*)(.*?)(\s*)$", re.S)


def versions(meta: Meta) -> str:
    """``version 3 -> version 4``, or just ``version 4`` when there is no "from"."""
    a, b = meta.get("from"), meta.get("to")
    if a is None or a == b:
        return f"version {b}"
    return f"version {a} -> version {b}"


def times(meta: Meta) -> str:
    """``2026-11-30 06:52 UTC -> 2026-11-30 09:12 UTC``: minutes and the zone, as people
    read them everywhere else (the metadata keeps the full ISO times)."""
    a, b = _readable(meta.get("from_time")), _readable(meta.get("to_time"))
    if a and b:
        return f"{a} -> {b}"
    return b or a


def _readable(value: object) -> str:
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def safe_url(url: object) -> str | None:
    """An http(s) URL with the characters that could break out of markup percent-encoded;
    None for anything else (``javascript:``, ``data:``...)."""
    if not isinstance(url, str) or urlsplit(url.strip()).scheme.lower() not in ("http", "https"):
        return None
    return quote(url.strip(), safe="/:?#&=;%+,~@!$*'-._")


def one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def hunks(ops: Sequence[SentenceOp], context: int = 1) -> list[range]:
    """Ranges of op indices around the changes (moves apart), with context equal sentences
    on each side; ranges closer than 2 * context + 1 merge, as in a unified diff."""
    changed = [k for k, op in enumerate(ops) if op.op not in ("equal", "move")]
    out: list[range] = []
    for k in changed:
        lo, hi = max(0, k - context), min(len(ops), k + context + 1)
        if out and lo <= out[-1].stop:
            out[-1] = range(out[-1].start, hi)
        else:
            out.append(range(lo, hi))
    return out


def moves(ops: Sequence[SentenceOp]) -> list[SentenceOp]:
    return [op for op in ops if op.op == "move"]


def changes(ops: Sequence[SentenceOp]) -> list[SentenceOp]:
    return [op for op in ops if op.op != "equal"]


def plain_mark(op: DiffOp, text: str) -> str:
    """One word op in plain text. The markers hug the words: edge whitespace stays outside,
    as git prints it; a change of whitespace alone is marked as it is."""
    if op == "equal":
        return text
    opening, closing = PLAIN_MARKS[op]
    m = _EDGES.match(text)
    lead, core, trail = m.groups() if m else ("", text, "")
    if not core:
        return f"{opening}{text}{closing}"
    return f"{lead}{opening}{core}{closing}{trail}"


def plain_words(ops: Sequence[tuple[DiffOp, str]]) -> str:
    """A word diff as one line of plain text: ``Governor [-sends-]{+sent+} troops``.

    Every plain rendering (the piped ``tracker diff``, text alerts) marks words with this."""
    return one_line("".join(plain_mark(op, text) for op, text in ops))


def plain_link(text: str, url: str | None) -> str:
    """A link as plain text shows its address: ``permalink <https://...>``."""
    return f"{text} <{url}>" if url else text
