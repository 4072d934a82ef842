"""Renderers: one ChangeReport (plus a meta dict) in, one output format out.

``meta = {"url", "from", "to", "from_time", "to_time", "web_url"}`` (times and web_url may be
missing or None). Rendering never sends anything: a channel sends what a renderer made.

``RENDERERS`` maps a ``--format`` name to its function (each module registers its own with
``@renderer(name)``); ``text`` gives a rich renderable, ``json`` a dict, ``png`` bytes (the
diff card), the others a string.
Without colour, ``text`` is ``render_plain`` (git's ``[-old-]{+new+}`` word markers, made by
``common.plain_words`` for every plain rendering); ``render_html_page`` is ``html`` as a
standalone document.
"""

from __future__ import annotations

from tracker.render.card import render_alt, render_png
from tracker.render.html import render_html, render_html_page
from tracker.render.jsonout import render_json
from tracker.render.markdown import render_markdown
from tracker.render.registry import RENDERERS, renderer
from tracker.render.summary import render_summary
from tracker.render.terminal import render_plain, render_terminal
from tracker.render.unified import render_unified

__all__ = [
    "RENDERERS",
    "render_alt",
    "render_html",
    "render_html_page",
    "render_json",
    "render_markdown",
    "render_plain",
    "render_png",
    "render_summary",
    "render_terminal",
    "render_unified",
    "renderer",
]
