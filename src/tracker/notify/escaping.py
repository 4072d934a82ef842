"""Page text made inert for the target format of a message.

Apprise turns a Markdown body into HTML (email, Matrix, Slack...) with raw HTML passing
through, so every field a Markdown template prints is escaped: HTML entities for ``<>&``
(the form both CommonMark and Python-Markdown, Apprise's converter, read back as the
character) and backslashes for Markdown punctuation. URLs are percent-encoded instead, so
they still work as links.
"""

from __future__ import annotations

import re

from markupsafe import Markup

from tracker.render.common import safe_url as _http_url

_MD_SPECIAL = re.compile(r"([\\`*_\[\]~|#])")


def md_escape(text: object) -> str:
    """Page text made inert in Markdown: HTML entities for <>&, backslashes for the rest."""
    s = "" if text is None else str(text)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


class SafeURL(str):
    """A URL with the characters that could end a Markdown link or an HTML attribute
    percent-encoded; Markdown templates insert it as it is, HTML ones still escape ``&``."""


def safe_url(url: str | None) -> SafeURL | None:
    """http(s) URLs only (the renderers' rule), percent-encoded where markup could break."""
    checked = _http_url(url)
    return SafeURL(checked) if checked else None


def md_finalize(value: object) -> object:
    """Jinja2 ``finalize`` for Markdown templates: escape all but the already-safe values."""
    if value is None:
        return ""
    if isinstance(value, Markup | SafeURL):
        return str(value)
    if isinstance(value, bool | int | float):
        return value
    return md_escape(value)
