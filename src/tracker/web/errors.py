"""The one place where the web turns errors into responses: JSON under /api, else a page."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from tracker.errors import TrackerError
from tracker.web.views import render

log = logging.getLogger("tracker.web")


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api") or path.endswith(".atom")


def error_response(
    request: Request,
    status: int,
    kind: str,
    message: str,
    headers: dict[str, str] | None = None,
    details: object = None,
) -> Response:
    if _wants_json(request):
        body: dict[str, object] = {"error": kind, "message": message, "status": status}
        if details is not None:
            body["details"] = details
        return JSONResponse({"error": body}, status_code=status, headers=headers)
    resp = render(request, "error.html", status_code=status, status=status, message=message)
    resp.headers.update(headers or {})
    return resp


async def on_tracker_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TrackerError)
    return error_response(
        request,
        exc.http_status,
        type(exc).__name__,
        str(exc),
        headers=getattr(exc, "headers", None),
    )


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    kind = {404: "NotFound", 413: "TooLarge"}.get(exc.status_code, "HTTPError")
    headers = dict(exc.headers) if exc.headers else None
    return error_response(request, exc.status_code, kind, str(exc.detail), headers)


async def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
        for e in exc.errors()
    ]
    text = "; ".join(f"{p['where']}: {p['problem']}" for p in problems)
    return error_response(request, 422, "ValidationError", text, details=problems)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s", request.url.path)
    return error_response(request, 500, "InternalError", "internal error (see the server log)")


def install(app: FastAPI) -> None:
    app.add_exception_handler(TrackerError, on_tracker_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)
