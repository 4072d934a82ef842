"""The changed sentences of a report as plain text, Markdown and HTML, for alert bodies.

Page text is hostile: the Markdown form escapes it (Apprise turns Markdown into HTML for email
and chat, and raw HTML would pass through), the HTML form escapes every piece.

Plain text::

    Headline: Old title -> New title
    ~ The toll rose to [-12-]{+15+}.
    + A new sentence.
    - A removed sentence.
    > A moved sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from markupsafe import Markup, escape

_MD_SPECIAL = re.compile(r"([\\`*_\[\]~|#])")
_URL_UNSAFE = str.maketrans({c: f"%{ord(c):02X}" for c in " <>()[]\"'`"})


def md_escape(text: object) -> str:
    """Page text made inert in Markdown: HTML entities for <>&, backslashes for the rest."""
    s = "" if text is None else str(text)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


def safe_url(url: str | None) -> Markup | None:
    """A URL that cannot break out of Markdown link syntax or an HTML attribute."""
    if not url:
        return None
    return Markup(str(escape(url.translate(_URL_UNSAFE))))


def word_ops(op: Mapping[str, object]) -> list[tuple[str, str]]:
    """The word diff of one sentence operation as (equal|insert|delete, text) pairs."""
    words = op.get("words")
    out: list[tuple[str, str]] = []
    if isinstance(words, Sequence) and not isinstance(words, str):
        for w in words:
            if isinstance(w, Mapping):
                out.append((str(w.get("op", "equal")), str(w.get("text", ""))))
            elif isinstance(w, Sequence) and len(w) == 2:
                out.append((str(w[0]), str(w[1])))
    if not out:  # no word diff stored: the old sentence out, the new one in
        if op.get("old"):
            out.append(("delete", str(op["old"])))
        if op.get("new"):
            out.append(("insert", str(op["new"])))
    return out


def _headline(facts: Mapping[str, object]) -> tuple[str, str] | None:
    h = facts.get("headline")
    if isinstance(h, Sequence) and not isinstance(h, str) and len(h) == 2:
        return str(h[0] or ""), str(h[1] or "")
    return None


def _sentence_text(op: Mapping[str, object]) -> str:
    return str(op.get("new") or op.get("old") or "")


def diff_text(sentences: Iterable[Mapping[str, object]], facts: Mapping[str, object]) -> str:
    lines = []
    if head := _headline(facts):
        lines.append(f"Headline: {head[0]} -> {head[1]}")
    for op in sentences:
        kind = op.get("op")
        if kind == "update":
            marks = {"delete": "[-{}-]", "insert": "{{+{}+}}", "equal": "{}"}
            lines.append("~ " + "".join(marks.get(o, "{}").format(t) for o, t in word_ops(op)))
        elif kind == "insert":
            lines.append(f"+ {op.get('new') or ''}")
        elif kind == "delete":
            lines.append(f"- {op.get('old') or ''}")
        elif kind == "move":
            lines.append(f"> {_sentence_text(op)}")
    return "\n".join(lines)


def _md_wrap(mark: str, text: str) -> str:
    """``~~words~~`` with the spaces outside the marks, or Markdown ignores them."""
    core = text.strip()
    if not mark or not core:
        return md_escape(text)
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    return f"{lead}{mark}{md_escape(core)}{mark}{trail}"


def diff_markdown(
    sentences: Iterable[Mapping[str, object]], facts: Mapping[str, object]
) -> Markup:
    """A Markdown list; returned as Markup because the page text in it is already escaped."""
    lines = []
    if head := _headline(facts):
        lines.append(f"- **Headline:** ~~{md_escape(head[0])}~~ → {md_escape(head[1])}")
    for op in sentences:
        kind = op.get("op")
        if kind == "update":
            marks = {"delete": "~~", "insert": "**"}
            body = "".join(_md_wrap(marks.get(o, ""), t) for o, t in word_ops(op))
            lines.append(f"- **Changed:** {body}")
        elif kind == "insert":
            lines.append(f"- **Added:** {md_escape(op.get('new'))}")
        elif kind == "delete":
            lines.append(f"- **Removed:** ~~{md_escape(op.get('old'))}~~")
        elif kind == "move":
            lines.append(f"- **Moved:** {md_escape(_sentence_text(op))}")
    return Markup("\n".join(lines))


def diff_html(sentences: Iterable[Mapping[str, object]], facts: Mapping[str, object]) -> Markup:
    """An HTML list with <del>/<ins>; every piece of page text escaped."""
    items = []
    if head := _headline(facts):
        items.append(
            Markup('<li class="headline"><b>Headline:</b> <del>{}</del> &rarr; <ins>{}</ins></li>')
            .format(*head)
        )
    tags = {"delete": Markup("<del>{}</del>"), "insert": Markup("<ins>{}</ins>")}
    for op in sentences:
        kind = str(op.get("op"))
        if kind == "update":
            body = Markup("").join(tags.get(o, Markup("{}")).format(t) for o, t in word_ops(op))
        elif kind == "insert":
            body = tags["insert"].format(op.get("new") or "")
        elif kind == "delete":
            body = tags["delete"].format(op.get("old") or "")
        else:
            body = escape(_sentence_text(op))
        items.append(Markup('<li class="{}">{}</li>').format(kind, body))
    return Markup('<ul class="diff">\n{}\n</ul>').format(Markup("\n").join(items))
