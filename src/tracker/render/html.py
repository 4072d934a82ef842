"""An HTML fragment of a change (no ``<html>``): inline redline or side by side.

Every piece of text that came from a page or the store (titles, bylines, sentences, words,
the summary, the class, URLs) is escaped with ``html.escape(quote=True)``; links are only
http(s). Markup is ours alone:

- ``<del class="diff-del">`` / ``<ins class="diff-ins">`` for deleted / inserted words and
  sentences (sentences also get ``diff-sentence``);
- ``<span class="diff-sent diff-update">`` for an edited sentence, ``diff-move`` (plus a
  ``diff-move-mark`` badge and ``data-old-index``) for a moved one;
- ``layout="inline"``: the new version's paragraphs with the changes in place;
  ``layout="side"``: a two-column table, one row per sentence, old left, new right.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Literal

from tracker.diff import word_diff
from tracker.records import DiffOp
from tracker.render.common import Meta, safe_url, times, versions
from tracker.render.registry import renderer
from tracker.revision import CLASSES, ChangeReport, SentenceOp

Layout = Literal["inline", "side"]
_ADD = '<ins class="diff-ins">{}</ins>'
_DEL = '<del class="diff-del">{}</del>'


def e(text: object) -> str:
    return escape(str(text if text is not None else ""), quote=True)


def _words(ops: Sequence[tuple[DiffOp, str]], side: Literal["both", "old", "new"] = "both") -> str:
    out = []
    for op, text in ops:
        if op == "equal":
            out.append(e(text))
        elif op == "delete" and side != "new":
            out.append(_DEL.format(e(text)))
        elif op == "insert" and side != "old":
            out.append(_ADD.format(e(text)))
    return "".join(out)


def _move_mark(op: SentenceOp) -> str:
    n = (op.old_index or 0) + 1
    return f'<span class="diff-move-mark" title="moved from sentence {n}">moved</span> '


def _inline_sentence(op: SentenceOp) -> str:
    if op.op == "equal":
        return f'<span class="diff-sent">{e(op.new)}</span>'
    if op.op == "insert":
        return f'<ins class="diff-ins diff-sentence">{e(op.new)}</ins>'
    if op.op == "delete":
        return f'<del class="diff-del diff-sentence">{e(op.old)}</del>'
    if op.op == "move":
        body = _words(op.words) if op.words else e(op.new)
        return (
            f'<span class="diff-sent diff-move" data-old-index="{e(op.old_index)}">'
            f"{_move_mark(op)}{body}</span>"
        )
    return f'<span class="diff-sent diff-update">{_words(op.words)}</span>'


def _inline(ops: Sequence[SentenceOp]) -> str:
    paras: list[list[str]] = []
    current: int | None = None
    for op in ops:
        # A new paragraph starts where a sentence of the new version opens one; deletions stay
        # where they were in the reading order.
        if not paras or (op.new_index is not None and op.paragraph != current):
            paras.append([])
            current = op.paragraph if op.new_index is not None else current
        paras[-1].append(_inline_sentence(op))
    return "".join(f'<p class="diff-para">{" ".join(p)}</p>' for p in paras)


def _side_row(op: SentenceOp) -> str:
    if op.op == "equal":
        old, new = e(op.old), e(op.new)
    elif op.op == "insert":
        old, new = "", f'<ins class="diff-ins diff-sentence">{e(op.new)}</ins>'
    elif op.op == "delete":
        old, new = f'<del class="diff-del diff-sentence">{e(op.old)}</del>', ""
    elif op.words:
        old, new = _words(op.words, "old"), _words(op.words, "new")
    else:
        old, new = e(op.old), e(op.new)
    if op.op == "move":
        new = _move_mark(op) + new
    return (
        f'<tr class="diff-row diff-row-{e(op.op)}">'
        f'<td class="diff-old">{old}</td><td class="diff-new">{new}</td></tr>'
    )


def _side(ops: Sequence[SentenceOp], meta: Meta) -> str:
    head = (
        f'<thead><tr><th scope="col">version {e(meta.get("from"))}</th>'
        f'<th scope="col">version {e(meta.get("to"))}</th></tr></thead>'
    )
    rows = "".join(_side_row(op) for op in ops)
    return f'<table class="diff-side">{head}<tbody>{rows}</tbody></table>'


def _field(name: str, old: str, new: str, tag: str) -> str:
    body = _words(word_diff(old, new).ops) if old != new else e(new)
    changed = " diff-changed" if old != new else ""
    return f'<{tag} class="diff-{name}{changed}">{body}</{tag}>'


def _header(report: ChangeReport, meta: Meta) -> str:
    cls = report.change_class if report.change_class in CLASSES else "unknown"
    url = meta.get("url")
    href = safe_url(url)
    link = f'<a class="diff-url" href="{e(href)}">{e(url)}</a>' if href else e(url or "")
    when = times(meta)
    web = safe_url(meta.get("web_url"))
    meta_line = (
        f'<p class="diff-meta">{link} <span class="diff-versions">{e(versions(meta))}</span>'
        + (f' <span class="diff-times">{e(when)}</span>' if when else "")
        + (f' <a class="diff-permalink" href="{e(web)}">permalink</a>' if web else "")
        + "</p>"
    )
    summary = (
        f'<p class="diff-summary"><span class="diff-class diff-class-{cls}">{e(cls)}</span> '
        f"{e(report.summary)}</p>"
    )
    return f'<header class="diff-header">{meta_line}{summary}</header>'


@renderer("html")
def render_html(report: ChangeReport, meta: Meta, *, layout: Layout = "inline") -> str:
    if layout not in ("inline", "side"):
        raise ValueError(f"unknown layout {layout!r}")
    d = report.diff
    cls = report.change_class if report.change_class in CLASSES else "unknown"
    parts = [
        f'<div class="diff diff-{layout} diff-class-{cls}">',
        _header(report, meta),
        _field("title", d.title_old, d.title_new, "h2"),
    ]
    if d.byline_old or d.byline_new:
        parts.append(_field("byline", d.byline_old, d.byline_new, "p"))
    if report.facts.unpublished:
        parts.append('<p class="diff-unpublished">The story was unpublished.</p>')
    body = _inline(report.sentences) if layout == "inline" else _side(report.sentences, meta)
    parts += [f'<div class="diff-body">{body}</div>', "</div>"]
    return "".join(parts)
