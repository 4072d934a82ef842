"""The FastAPI application: pages, JSON API, Atom feeds, static files, one error handler."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp

from tracker import __version__
from tracker.service import Tracker
from tracker.web import api, api_write, apidocs, atom, auth_pages, cards, errors, pages
from tracker.web.limits import BodyLimit
from tracker.web.security import SecurityHeaders
from tracker.web.state import WebState

STATIC = Path(__file__).resolve().parent / "static"
DESCRIPTION = """Read the tracked stories, their versions, diffs, checks and changes.

Reads are open unless `[web] read_token_required`; writes need
`Authorization: Bearer <[web] token>` and are refused (403) when no token is configured.
Every list is paginated (`limit`/`offset` or `page`) and carries `total`, `next` and `prev`.
Errors are JSON: `{"error": {"error": kind, "message": text, "status": code}}`.
"""


class _App(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        # The headers go on outside everything, also outside the server-error layer, so an
        # unexpected exception's 500 carries them like any other response.
        return SecurityHeaders(super().build_middleware_stack())


def create_app(tracker: Tracker) -> FastAPI:
    """The web UI and API over ``tracker``'s store. Opens nothing until the first request."""
    app = _App(
        title="tracker",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.web = WebState.of(tracker)
    errors.install(app)
    # Before routing: no body is parsed, and no token checked, past the size limit.
    app.add_middleware(BodyLimit, max_bytes=tracker.settings.web.max_body_bytes)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # cards before pages: its ``{b}.png`` would otherwise reach the diff page's ``{b}``.
    for module in (api, api_write, apidocs, atom, auth_pages, cards, pages):
        app.include_router(module.router)
    from tracker.web import downloads, search  # issue 13: /search, /api/search, /export.*

    app.include_router(search.router)
    app.include_router(downloads.router)
    from tracker.web import desk_admin, desk_alerts, desk_edit, desk_routes  # issue 18: the desk

    for module in (desk_routes, desk_edit, desk_alerts, desk_admin):
        app.include_router(module.router)
    from tracker.web import api_desk

    for router in (api_desk.edit, api_desk.me_router, api_desk.admin_router):
        app.include_router(router)
    from tracker.web import api_shared, desk_shared  # issue 18: the desk's shared channels

    app.include_router(desk_shared.router)
    app.include_router(api_shared.router)
    return app
