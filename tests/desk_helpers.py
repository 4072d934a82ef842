"""Helpers for the desk tests (no tests here): people made through the real account code,
a browser-like client with a cookie jar that reads each form's CSRF token off the page."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from tracker.desk import accounts
from tracker.service import Tracker
from tracker.web import create_app

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def person(
    tracker: Tracker, name: str, role: str, *, display_name: str = "", tz: str = "UTC"
) -> None:
    accounts.add_user(
        tracker.store,
        name,
        role,
        now=tracker.clock(),
        password=PASSWORD,
        display_name=display_name,
        timezone=tz,
    )


class Desk:
    """One person's browser: a cookie jar, GETs, and POSTs that carry the page's CSRF token."""

    def __init__(self, tracker: Tracker) -> None:
        self.client = TestClient(create_app(tracker), follow_redirects=False)

    def login(self, name: str, password: str = PASSWORD) -> int:
        page = self.client.get("/desk/login")
        r = self.client.post(
            "/desk/login", data={"csrf": csrf_of(page.text), "name": name, "password": password}
        )
        return r.status_code

    def get(self, path: str) -> str:
        r = self.client.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        return r.text

    def csrf(self) -> str:
        return csrf_of(self.get("/desk"))

    def post(self, path: str, data: dict[str, str], *, csrf: bool = True) -> int:
        body = {"csrf": self.csrf(), **data} if csrf else data
        return self.client.post(path, data=body).status_code


def csrf_of(html: str) -> str:
    m = _CSRF.search(html)
    assert m, "no CSRF token on the page"
    return unescape(m.group(1))


@pytest.fixture
def desk_people(tracker: Tracker) -> Tracker:
    """Ana (editor, Berlin), Vic (viewer), Root (admin); destinations may be on loopback."""
    tracker.settings.web.desk_private_destinations = True  # the SMTP sinks are on 127.0.0.1
    person(tracker, "ana", "editor", display_name="Ana", tz="Europe/Berlin")
    person(tracker, "vic", "viewer")
    person(tracker, "root", "admin")
    return tracker
