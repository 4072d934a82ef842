"""What the renderers share: the meta line, hunks of changed sentences, safe links."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from tracker.revision import SentenceOp

Meta = Mapping[str, Any]


def versions(meta: Meta) -> str:
    """``version 3 -> version 4``, or just ``version 4`` when there is no "from"."""
    a, b = meta.get("from"), meta.get("to")
    if a is None or a == b:
        return f"version {b}"
    return f"version {a} -> version {b}"


def times(meta: Meta) -> str:
    a, b = meta.get("from_time"), meta.get("to_time")
    if a and b:
        return f"{a} -> {b}"
    return str(b or a or "")


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
