"""A Markdown message for chat: headline change, summary, the changed sentences.

Deleted text is ``~~struck~~``, inserted text **bold**; at most ``MAX_CHANGES`` sentences are
listed. Page text cannot open its own HTML, emphasis or links: ``<`` and ``&`` become HTML
entities (CommonMark and Python-Markdown, which Apprise uses, both read them back as the
character, while Python-Markdown would pass ``\\<script>`` through as raw HTML; a ``>`` opens
nothing mid-line, and every line starts with our own text), Markdown punctuation gets a
backslash. Links are only ever http(s).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tracker.diff import word_diff
from tracker.records import DiffOp
from tracker.render.common import Meta, changes, one_line, safe_url, versions
from tracker.render.registry import renderer
from tracker.revision import ChangeReport, SentenceOp

MAX_CHANGES = 20
_MARKERS = {"delete": "~~", "insert": "**"}
_SPECIAL = re.compile(r"([\\`*_\[\]~|#])")
_SPACE = re.compile(r"\s+")
_EDGE = re.compile(r"^(\s*)(.*?)(\s*)$", re.S)


def escape(text: str) -> str:
    """Page text made inert; whitespace runs become one space, edges kept."""
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return _SPECIAL.sub(r"\\\1", _SPACE.sub(" ", text))


def _mark(text: str, marker: str) -> str:
    """Wrap the visible part only: ``~~ x~~`` is not strikethrough in CommonMark."""
    m = _EDGE.match(text)
    lead, core, trail = m.groups() if m else ("", text, "")
    return f"{lead}{marker}{escape(core)}{marker}{trail}" if core.strip() else text


def _words(ops: Sequence[tuple[DiffOp, str]]) -> str:
    out = []
    previous: DiffOp = "equal"
    for op, text in ops:
        if op == "insert" and previous == "delete":
            out.append(" ")  # "~~old~~ **new**", not "~~old~~**new**"
        out.append(
            _mark(text, {"delete": "~~", "insert": "**"}[op]) if op != "equal" else escape(text)
        )
        previous = op
    return one_line("".join(out))


def _item(op: SentenceOp) -> str:
    if op.op == "insert":
        return f"- added: **{escape(op.new or '')}**"
    if op.op == "delete":
        return f"- removed: ~~{escape(op.old or '')}~~"
    if op.op == "move":
        body = _words(op.words) if op.words else escape(op.new or "")
        return f"- moved (was sentence {(op.old_index or 0) + 1}): {body}"
    return f"- changed: {_words(op.words)}"


@renderer("markdown")
def render_markdown(report: ChangeReport, meta: Meta) -> str:
    d = report.diff
    lines = [f"**[{escape(report.change_class)}]** {escape(report.summary)}"]
    if d.title_changed:
        lines.append(f"Headline: {_words(word_diff(d.title_old, d.title_new).ops)}")
    elif d.title_new:
        lines.append(f"*{escape(d.title_new)}*")
    if d.byline_changed:
        lines.append(f"Byline: {_words(word_diff(d.byline_old, d.byline_new).ops)}")
    link = safe_url(meta.get("web_url")) or safe_url(meta.get("url"))
    where = escape(versions(meta))
    lines.append(f"[{where}]({link})" if link else where)
    todo = changes(report.sentences)
    if todo:
        lines.append("")
        lines += [_item(op) for op in todo[:MAX_CHANGES]]
        if len(todo) > MAX_CHANGES:
            lines.append(f"- … and {len(todo) - MAX_CHANGES} more")
    return "\n".join(lines) + "\n"
