"""The diff for a terminal, with rich: deletions red and struck through, insertions green.

Only changed sentences are shown, with ``CONTEXT`` unchanged ones around them, dimmed; ``…``
marks skipped text. Every piece of page text goes in as plain ``Text`` (never as console
markup), so a ``[bold]`` in an article prints as written.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.text import Text

from tracker.diff import word_diff
from tracker.records import DiffOp
from tracker.render.common import Meta, hunks, moves, one_line, times, versions
from tracker.render.registry import renderer
from tracker.revision import ChangeReport, SentenceOp
from tracker.vocab import ChangeClass

CONTEXT = 1
DELETED = "red strike"
INSERTED = "green"
CLASS_STYLES: dict[ChangeClass, str] = {  # one per vocab.CHANGE_CLASSES (a test checks)
    "cosmetic": "dim",
    "minor": "cyan",
    "substantive": "bold yellow",
    "major": "bold red",
}


def _words(ops: Sequence[tuple[DiffOp, str]], line: Text) -> Text:
    for op, text in ops:
        line.append(text, style={"delete": DELETED, "insert": INSERTED}.get(op, ""))
    return line


def _sentence(op: SentenceOp) -> Text:
    if op.op == "equal":
        return Text("  " + one_line(op.new), style="dim")
    if op.op == "insert":
        return Text("+ ", style=INSERTED).append(one_line(op.new), style=INSERTED)
    if op.op == "delete":
        return Text("- ", style="red").append(one_line(op.old), style=DELETED)
    if op.op == "move":
        mark = Text().append(f"↕ moved from sentence {(op.old_index or 0) + 1}: ", "magenta")
        return _words(op.words, mark) if op.words else mark.append(one_line(op.new))
    return _words(op.words, Text().append("~ ", style="yellow"))


def _header(report: ChangeReport, meta: Meta) -> list[Text]:
    head = Text().append(one_line(str(meta.get("url") or "")), style="bold")
    head.append(f"  {versions(meta)}")
    when = times(meta)
    if when:
        head.append(f"  ({when})", style="dim")
    cls = report.change_class
    line = Text().append(f"[{cls}]", style=CLASS_STYLES.get(cls, "")).append(" " + report.summary)
    return [head, line]


@renderer("text")
def render_terminal(report: ChangeReport, meta: Meta) -> Group:
    d = report.diff
    parts: list[Text] = _header(report, meta)
    if d.title_changed:
        parts.append(_words(word_diff(d.title_old, d.title_new).ops, Text("headline: ")))
    if d.byline_changed:
        parts.append(_words(word_diff(d.byline_old, d.byline_new).ops, Text("byline: ")))
    ops = [op for op in report.sentences if op.op != "move"]
    spans = hunks(ops, CONTEXT)
    for k, span in enumerate(spans):
        if span.start > 0 or k > 0:
            parts.append(Text("…", style="dim"))
        parts += [_sentence(op) for op in ops[span.start : span.stop]]
    parts += [_sentence(op) for op in moves(report.sentences)]
    if not spans and not moves(report.sentences):
        parts.append(Text("no sentence changed", style="dim"))
    return Group(*parts)
