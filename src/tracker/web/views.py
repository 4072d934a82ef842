"""Jinja2 for the pages: autoescaping on everywhere, a few filters, one render function."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from tracker.timeparse import format_duration
from tracker.vocab import CHANGE_CLASSES as CLASSES
from tracker.vocab import DISPLAY_STATES as STATES


def when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def iso(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat() if value else ""


def safe_href(url: str | None) -> str | None:
    """Only http(s) links to the outside: a stored URL never becomes ``javascript:``."""
    if url and url.lower().startswith(("http://", "https://")):
        return url
    return None


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("tracker.web", "templates"),
        autoescape=select_autoescape(["html", "xml"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=when, iso=iso, duration=format_duration, safe_href=safe_href)
    env.globals.update(CLASSES=CLASSES, STATES=STATES)
    return env


def query(params: dict[str, Any], **changes: Any) -> str:
    """A query string: ``params`` with ``changes`` applied, empty values dropped."""
    merged = {**params, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = environment().get_template(name).render(request=request, query=query, **context)
    return HTMLResponse(html, status_code=status_code)
