"""The text diff: coloured for a terminal (rich), or plain with git's word-diff markers.

Only changed sentences are shown, with ``CONTEXT`` unchanged ones around them; ``…`` marks
skipped text. On a colour terminal deletions are red and struck through, insertions green,
context dimmed. Without colour (piped, in a log, ``NO_COLOR``) the same lines are plain text:
deleted words ``[-like this-]``, inserted ones ``{+like this+}`` (``common.plain_words``), one
line per sentence, never wrapped. Every piece of page text goes in as plain ``Text`` (never as
console markup), so a ``[bold]`` in an article prints as written.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.text import Text

from tracker.diff import word_diff
from tracker.records import DiffOp
from tracker.render.common import (
    Meta,
    hunks,
    moves,
    one_line,
    plain_mark,
    plain_words,
    times,
    versions,
)
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


def _words(ops: Sequence[tuple[DiffOp, str]], line: Text, plain: bool) -> Text:
    if plain:
        return line.append(plain_words(ops))
    for op, text in ops:
        line.append(text, style={"delete": DELETED, "insert": INSERTED}.get(op, ""))
    return line


def _whole(op: DiffOp, text: str | None, plain: bool) -> str:
    """A whole inserted or deleted sentence: marked like words when there is no colour."""
    return plain_mark(op, one_line(text)) if plain else one_line(text)


def _sentence(op: SentenceOp, plain: bool) -> Text:
    if op.op == "equal":
        return Text("  " + one_line(op.new), style="dim")
    if op.op == "insert":
        return Text("+ ", style=INSERTED).append(_whole("insert", op.new, plain), style=INSERTED)
    if op.op == "delete":
        return Text("- ", style="red").append(_whole("delete", op.old, plain), style=DELETED)
    if op.op == "move":
        mark = Text().append(f"↕ moved from sentence {(op.old_index or 0) + 1}: ", "magenta")
        return _words(op.words, mark, plain) if op.words else mark.append(one_line(op.new))
    return _words(op.words, Text().append("~ ", style="yellow"), plain)


def _header(report: ChangeReport, meta: Meta) -> list[Text]:
    head = Text().append(one_line(str(meta.get("url") or "")), style="bold")
    head.append(f"  {versions(meta)}")
    when = times(meta)
    if when:
        head.append(f"  ({when})", style="dim")
    cls = report.change_class
    line = Text().append(f"[{cls}]", style=CLASS_STYLES.get(cls, "")).append(" " + report.summary)
    return [head, line]


def _lines(report: ChangeReport, meta: Meta, plain: bool) -> list[Text]:
    d = report.diff
    parts: list[Text] = _header(report, meta)
    if d.title_changed:
        parts.append(_words(word_diff(d.title_old, d.title_new).ops, Text("headline: "), plain))
    if d.byline_changed:
        parts.append(_words(word_diff(d.byline_old, d.byline_new).ops, Text("byline: "), plain))
    ops = [op for op in report.sentences if op.op != "move"]
    spans = hunks(ops, CONTEXT)
    for k, span in enumerate(spans):
        if span.start > 0 or k > 0:
            parts.append(Text("…", style="dim"))
        parts += [_sentence(op, plain) for op in ops[span.start : span.stop]]
    parts += [_sentence(op, plain) for op in moves(report.sentences)]
    if not spans and not moves(report.sentences):
        parts.append(Text("no sentence changed", style="dim"))
    return parts


@renderer("text")
def render_terminal(report: ChangeReport, meta: Meta) -> Group:
    """The coloured diff, for a console that shows colour."""
    return Group(*_lines(report, meta, plain=False))


def render_plain(report: ChangeReport, meta: Meta) -> str:
    """The same lines as plain text with ``[-deleted-]{+inserted+}`` markers, for pipes, logs
    and ``NO_COLOR``: one line per sentence, nothing wrapped or cut."""
    return "\n".join(line.plain for line in _lines(report, meta, plain=True)) + "\n"
