"""HTML of a change: a fragment (no ``<html>``), inline redline or side by side, or a
standalone page around it.

Every piece of text that came from a page or the store (titles, bylines, sentences, words,
the summary, the class, URLs) is escaped with ``html.escape(quote=True)``; links are only
http(s). Markup is ours alone:

- ``<del class="diff-del">`` / ``<ins class="diff-ins">`` for deleted / inserted words and
  sentences (sentences also get ``diff-sentence``);
- ``<span class="diff-sent diff-update">`` for an edited sentence, ``diff-move`` (plus a
  ``diff-move-mark`` badge and ``data-old-index``) for a moved one;
- ``layout="inline"``: the new version's paragraphs with the changes in place;
  ``layout="side"``: a two-column table, one row per sentence, old left, new right;
- ``plain_marks=True`` (HTML email): hidden ``<span class="diff-plain">`` elements around every
  change carry git's ``[-deleted-]{+inserted+}`` markers, and links their address, so the
  text/plain part a mail library derives from the HTML (tags dropped) still reads right.

``render_html_page`` wraps the fragment in a document: doctype, charset, a title, and the web
UI's stylesheet (``tracker/web/static/style.css``, read when rendering) inline.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from importlib.resources import files
from typing import Literal

from tracker.diff import word_diff
from tracker.records import DiffOp
from tracker.render.common import PLAIN_MARKS, Meta, one_line, safe_url, times, versions
from tracker.render.registry import renderer
from tracker.revision import CLASSES, ChangeReport, SentenceOp

Layout = Literal["inline", "side"]
# Hidden in every client that renders HTML (mso-hide for Outlook); kept by HTML-to-text.
_HIDDEN = '<span class="diff-plain" style="display:none;mso-hide:all">{}</span>'
_EDGES = re.compile(r"^(\s*)(.*?)(\s*)$", re.S)


def e(text: object) -> str:
    return escape(str(text if text is not None else ""), quote=True)


@dataclass(frozen=True, slots=True)
class _Marks:
    """Whether hidden plain-text markers go along with the markup (see the module doc)."""

    on: bool = False

    def hidden(self, text: str) -> str:
        return _HIDDEN.format(e(text)) if self.on else ""

    def change(self, op: Literal["insert", "delete"], text: str, sentence: bool = False) -> str:
        """``<ins>``/``<del>`` around escaped text, markers outside it, edge spaces outside
        both (``{+very+} fast``, as git prints it)."""
        tag, cls = ("ins", "diff-ins") if op == "insert" else ("del", "diff-del")
        cls += " diff-sentence" if sentence else ""
        m = _EDGES.match(text) if self.on else None
        lead, core, trail = m.groups() if m and m.group(2) else ("", text, "")
        opening, closing = PLAIN_MARKS[op]
        body = f'<{tag} class="{cls}">{e(core)}</{tag}>'
        return f"{e(lead)}{self.hidden(opening)}{body}{self.hidden(closing)}{e(trail)}"

    def link(self, href: str, text: str, cls: str) -> str:
        """A link that still shows where it goes once the tags are dropped."""
        return f'<a class="{cls}" href="{e(href)}">{e(text)}</a>' + self.hidden(f" <{href}>")


def _words(
    ops: Sequence[tuple[DiffOp, str]],
    side: Literal["both", "old", "new"] = "both",
    marks: _Marks = _Marks(),
) -> str:
    out = []
    for op, text in ops:
        if op == "equal":
            out.append(e(text))
        elif op == "delete" and side != "new":
            out.append(marks.change("delete", text))
        elif op == "insert" and side != "old":
            out.append(marks.change("insert", text))
    return "".join(out)


def _move_mark(op: SentenceOp) -> str:
    n = (op.old_index or 0) + 1
    return f'<span class="diff-move-mark" title="moved from sentence {n}">moved</span> '


def _inline_sentence(op: SentenceOp, marks: _Marks) -> str:
    if op.op == "equal":
        return f'<span class="diff-sent">{e(op.new)}</span>'
    if op.op == "insert":
        return marks.change("insert", op.new or "", sentence=True)
    if op.op == "delete":
        return marks.change("delete", op.old or "", sentence=True)
    if op.op == "move":
        body = _words(op.words, marks=marks) if op.words else e(op.new)
        return (
            f'<span class="diff-sent diff-move" data-old-index="{e(op.old_index)}">'
            f"{_move_mark(op)}{body}</span>"
        )
    return f'<span class="diff-sent diff-update">{_words(op.words, marks=marks)}</span>'


def _inline(ops: Sequence[SentenceOp], marks: _Marks) -> str:
    paras: list[list[str]] = []
    current: int | None = None
    for op in ops:
        # A new paragraph starts where a sentence of the new version opens one; deletions stay
        # where they were in the reading order.
        if not paras or (op.new_index is not None and op.paragraph != current):
            paras.append([])
            current = op.paragraph if op.new_index is not None else current
        paras[-1].append(_inline_sentence(op, marks))
    return "".join(f'<p class="diff-para">{" ".join(p)}</p>' for p in paras)


def _side_row(op: SentenceOp, marks: _Marks) -> str:
    if op.op == "equal":
        old, new = e(op.old), e(op.new)
    elif op.op == "insert":
        old, new = "", marks.change("insert", op.new or "", sentence=True)
    elif op.op == "delete":
        old, new = marks.change("delete", op.old or "", sentence=True), ""
    elif op.words:
        old, new = _words(op.words, "old", marks), _words(op.words, "new", marks)
    else:
        old, new = e(op.old), e(op.new)
    if op.op == "move":
        new = _move_mark(op) + new
    return (
        f'<tr class="diff-row diff-row-{e(op.op)}">'
        f'<td class="diff-old">{old}</td><td class="diff-new">{new}</td></tr>'
    )


def _side(ops: Sequence[SentenceOp], meta: Meta, marks: _Marks) -> str:
    head = (
        f'<thead><tr><th scope="col">version {e(meta.get("from"))}</th>'
        f'<th scope="col">version {e(meta.get("to"))}</th></tr></thead>'
    )
    rows = "".join(_side_row(op, marks) for op in ops)
    return f'<table class="diff-side">{head}<tbody>{rows}</tbody></table>'


def _field(name: str, old: str, new: str, tag: str, marks: _Marks) -> str:
    body = _words(word_diff(old, new).ops, marks=marks) if old != new else e(new)
    changed = " diff-changed" if old != new else ""
    return f'<{tag} class="diff-{name}{changed}">{body}</{tag}>'


def _header(report: ChangeReport, meta: Meta, marks: _Marks) -> str:
    cls = report.change_class if report.change_class in CLASSES else "unknown"
    url = meta.get("url")
    href = safe_url(url)
    link = f'<a class="diff-url" href="{e(href)}">{e(url)}</a>' if href else e(url or "")
    when = times(meta)
    web = safe_url(meta.get("web_url"))
    meta_line = (
        f'<p class="diff-meta">{link} <span class="diff-versions">{e(versions(meta))}</span>'
        + (f' <span class="diff-times">{e(when)}</span>' if when else "")
        + (" " + marks.link(web, "permalink", "diff-permalink") if web else "")
        + "</p>"
    )
    summary = (
        f'<p class="diff-summary">{marks.hidden("[")}<span class="diff-class diff-class-{cls}">'
        f"{e(cls)}</span>{marks.hidden(']')} {e(report.summary)}</p>"
    )
    return f'<header class="diff-header">{meta_line}{summary}</header>'


@renderer("html")
def render_html(
    report: ChangeReport, meta: Meta, *, layout: Layout = "inline", plain_marks: bool = False
) -> str:
    """The fragment; ``plain_marks`` adds the hidden plain-text markers an email needs."""
    if layout not in ("inline", "side"):
        raise ValueError(f"unknown layout {layout!r}")
    marks = _Marks(plain_marks)
    d = report.diff
    cls = report.change_class if report.change_class in CLASSES else "unknown"
    parts = [
        f'<div class="diff diff-{layout} diff-class-{cls}">',
        _header(report, meta, marks),
        _field("title", d.title_old, d.title_new, "h2", marks),
    ]
    if d.byline_old or d.byline_new:
        parts.append(_field("byline", d.byline_old, d.byline_new, "p", marks))
    if report.facts.unpublished:
        parts.append('<p class="diff-unpublished">The story was unpublished.</p>')
    body = (
        _inline(report.sentences, marks)
        if layout == "inline"
        else _side(report.sentences, meta, marks)
    )
    parts += [f'<div class="diff-body">{body}</div>', "</div>"]
    return "".join(parts)


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """The web UI's stylesheet, read from the package (one copy of the diff styles)."""
    return (files("tracker") / "web" / "static" / "style.css").read_text(encoding="utf-8")


def html_document(body: str, title: str) -> str:
    """A standalone page around trusted ``body`` markup; ``title`` is escaped here."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>\n{stylesheet()}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def render_html_page(report: ChangeReport, meta: Meta, *, layout: Layout = "inline") -> str:
    """``render_html`` as a document that opens in any browser, styled as in the web UI."""
    headline = one_line(report.diff.title_new or report.diff.title_old) or str(meta.get("url"))
    title = f"{headline} ({versions(meta)}) · tracker"
    return html_document(render_html(report, meta, layout=layout), title)
