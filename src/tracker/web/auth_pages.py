"""``/login``: a form that stores the read token in a cookie, for read_token_required setups.

The form posts ``application/x-www-form-urlencoded``; parsing it by hand spares a dependency
(python-multipart) for one field.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracker.config import WebSettings
from tracker.web.security import COOKIE, token_matches
from tracker.web.state import get_web
from tracker.web.views import render

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return render(request, "login.html", failed=False)


@router.post("/login")
async def login(request: Request, web: WebSettings = Depends(get_web)) -> Response:
    body = (await request.body())[:4096].decode("utf-8", "replace")
    token = parse_qs(body).get("token", [""])[0]
    if not token_matches(token, web.token):
        return render(request, "login.html", status_code=401, failed=True)
    resp = RedirectResponse("/", status_code=303)
    secure = request.url.scheme == "https"
    resp.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=secure)
    return resp


@router.post("/logout")
def logout() -> Response:
    resp = RedirectResponse("/", status_code=303)
    resp.delete_cookie(COOKIE)
    return resp
