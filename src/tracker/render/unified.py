"""A unified-diff-style text: one sentence per line, ``-`` old, ``+`` new, `` `` context.

    --- URL  version 3  (time)
    +++ URL  version 4  (time)
    # substantive: headline changed; +1 sentence
    @@ headline @@
    -Old headline
    +New headline
    @@ -5,3 +5,4 @@ paragraph 2
     a context sentence
    -a deleted or edited sentence, as it was
    +an inserted or edited sentence, as it is
    @@ moved: sentence 9 -> 3 @@
    -the sentence where it was
    +the sentence where it is

Hunk numbers count sentences (1-based) in the old and new version; each hunk keeps
``CONTEXT`` unchanged sentences around its changes. Moves get their own hunks at the end.
"""

from __future__ import annotations

from collections.abc import Sequence

from tracker.render.common import Meta, hunks, moves, one_line
from tracker.render.registry import renderer
from tracker.revision import ChangeReport, SentenceOp

CONTEXT = 1


def _header(report: ChangeReport, meta: Meta) -> list[str]:
    url = one_line(str(meta.get("url") or ""))
    a, b = meta.get("from"), meta.get("to")
    ta, tb = meta.get("from_time"), meta.get("to_time")
    return [
        f"--- {url}  version {a}" + (f"  ({ta})" if ta else ""),
        f"+++ {url}  version {b}" + (f"  ({tb})" if tb else ""),
        f"# {report.change_class}: {one_line(report.summary)}",
    ]


def _pair(name: str, old: str, new: str) -> list[str]:
    return [f"@@ {name} @@", f"-{one_line(old)}", f"+{one_line(new)}"]


def _lines(op: SentenceOp) -> list[str]:
    if op.op == "equal":
        return [f" {one_line(op.new)}"]
    out = []
    if op.old is not None:
        out.append(f"-{one_line(op.old)}")
    if op.new is not None:
        out.append(f"+{one_line(op.new)}")
    return out


def _hunk(ops: Sequence[SentenceOp]) -> list[str]:
    olds = [op.old_index for op in ops if op.old_index is not None]
    news = [op.new_index for op in ops if op.new_index is not None]
    a = f"-{olds[0] + 1},{len(olds)}" if olds else "-0,0"
    b = f"+{news[0] + 1},{len(news)}" if news else "+0,0"
    para = next((op.paragraph for op in ops if op.paragraph is not None), None)
    where = f" paragraph {para + 1}" if para is not None else ""
    return [f"@@ {a} {b} @@{where}"] + [line for op in ops for line in _lines(op)]


@renderer("unified")
def render_unified(report: ChangeReport, meta: Meta) -> str:
    d = report.diff
    lines = _header(report, meta)
    if d.title_changed:
        lines += _pair("headline", d.title_old, d.title_new)
    if d.byline_changed:
        lines += _pair("byline", d.byline_old, d.byline_new)
    ops = [op for op in report.sentences if op.op != "move"]
    for span in hunks(ops, CONTEXT):
        lines += _hunk(ops[span.start : span.stop])
    for op in moves(report.sentences):
        lines.append(
            f"@@ moved: sentence {(op.old_index or 0) + 1} -> {(op.new_index or 0) + 1} @@"
        )
        lines += [f"-{one_line(op.old)}", f"+{one_line(op.new)}"]
    return "\n".join(lines) + "\n"
