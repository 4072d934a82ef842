"""``/api/docs``: the OpenAPI schema as a plain page.

FastAPI's Swagger UI loads scripts from a CDN and runs inline code; both break the
Content-Security-Policy and the rule that nothing here talks to the outside.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from tracker.web.views import render

router = APIRouter(include_in_schema=False)
METHODS = ("get", "post", "put", "patch", "delete")


def operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Flatten ``paths`` into one row per operation, for the template."""
    out = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            out.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "tags": op.get("tags", []),
                    "parameters": op.get("parameters", []),
                    "body": body.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1],
                    "responses": sorted(op.get("responses", {})),
                }
            )
    return out


@router.get("/api", include_in_schema=False)
def api_root() -> RedirectResponse:
    """`/api` itself: the API's documentation."""
    return RedirectResponse("/api/docs", status_code=307)


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    schema = request.app.openapi()
    return render(request, "apidocs.html", info=schema["info"], ops=operations(schema))
