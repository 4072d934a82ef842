"""The desk under attack, through the real app: CSRF, session fixation, privilege
escalation by parameter tampering, stored XSS through display names, labels and destinations,
brute-force logins. (The browser flow is test_desk_browser.py.)"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.desk_helpers import PASSWORD, Desk, csrf_of, desk_people
from tests.servers import LocalServer, article_html
from tests.test_notify_pipeline import PARAS
from tracker.service import Tracker
from tracker.store import desk as dk
from tracker.store import people
from tracker.web import create_app

desk = desk_people


def test_wrong_password_refused_and_brute_force_slowed(desk: Tracker) -> None:
    desk.settings.web.login_free_attempts = 3
    d = Desk(desk)
    assert [d.login("ana", "wrong password!") for _ in range(3)] == [401, 401, 401]
    # Past the free attempts the account waits: even the right password is turned away.
    assert d.login("ana", "wrong password!") == 401
    page = d.client.get("/desk/login")
    r = d.client.post(
        "/desk/login", data={"csrf": csrf_of(page.text), "name": "ana", "password": PASSWORD}
    )
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert "tracker_session" not in d.client.cookies
    # An unknown name and a wrong password read the same.
    assert d.login("nobody", "whatever123") == 401


def test_login_form_without_its_csrf_token_is_refused(desk: Tracker) -> None:
    client = TestClient(create_app(desk), follow_redirects=False)
    r = client.post("/desk/login", data={"name": "ana", "password": PASSWORD})
    assert r.status_code == 403 and "tracker_session" not in client.cookies


def test_a_form_posted_without_its_csrf_token_is_refused(
    desk: Tracker, server: LocalServer
) -> None:
    d = Desk(desk)
    assert d.login("ana") == 303
    url = server.page("/a", article_html("A", PARAS))
    assert d.post("/desk/stories", {"urls": url}, csrf=False) == 403
    assert d.post("/desk/stories", {"urls": url, "csrf": "forged"}, csrf=False) == 403
    assert desk.stories() == []
    # Another person's token is no better: it belongs to their session.
    other = Desk(desk)
    other.login("vic")
    assert d.post("/desk/stories", {"urls": url, "csrf": other.csrf()}, csrf=False) == 403
    assert desk.stories() == []


def test_session_fixation_a_planted_cookie_never_gets_rights(desk: Tracker) -> None:
    d = Desk(desk)
    planted = "attacker-chose-this-session-id"
    d.client.cookies.set("tracker_session", planted)
    assert d.client.get("/desk").status_code == 401
    page = d.client.get("/desk/login")
    r = d.client.post(
        "/desk/login", data={"csrf": csrf_of(page.text), "name": "ana", "password": PASSWORD}
    )
    assert r.status_code == 303
    [issued] = [c for c in r.headers.get_list("set-cookie") if c.startswith("tracker_session=")]
    assert planted not in issued  # a fresh id, whatever the browser sent
    attacker = TestClient(create_app(desk), follow_redirects=False)
    attacker.cookies.set("tracker_session", planted)
    assert attacker.get("/desk").status_code == 401


def test_privilege_escalation_by_parameter_tampering(desk: Tracker) -> None:
    viewer = Desk(desk)
    viewer.login("vic")
    # A role in the profile form is never read.
    viewer.post("/desk/profile", {"display_name": "Vic", "timezone": "UTC", "role": "admin"})
    assert desk.store.read(people.user_by_name, "vic").role == "viewer"
    vic = desk.store.read(people.user_by_name, "vic")
    # The admin's forms, posted by a viewer with a valid CSRF token, are refused.
    assert viewer.post(f"/desk/admin/users/{vic.id}/role", {"role": "admin"}) == 403
    assert viewer.post("/desk/admin/users", {"name": "mallory", "role": "admin"}) == 403
    assert viewer.client.get("/desk/admin/audit").status_code == 403
    assert desk.store.read(people.user_by_name, "vic").role == "viewer"
    # Somebody else's destination, by id: 404, untouched.
    ana = desk.store.read(people.user_by_name, "ana")
    theirs = desk.store.write(
        dk.add_destination,
        ana.id,
        name="ana mail",
        kind="webhook",
        url="https://example.org/h",
        now=desk.clock(),
    )
    assert viewer.post(f"/desk/destinations/{theirs.id}/remove", {}) == 404
    assert viewer.post(f"/desk/destinations/{theirs.id}/rules", {"min_class": "cosmetic"}) == 404
    assert viewer.post(f"/desk/destinations/{theirs.id}/test", {}) == 404
    assert desk.store.read(dk.destinations, ana.id) == [theirs]


def test_stored_xss_through_display_names_labels_and_destinations(
    desk: Tracker, server: LocalServer
) -> None:
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    d = Desk(desk)
    d.login("ana")
    d.post("/desk/profile", {"display_name": evil, "timezone": "UTC"})
    url = server.page("/x", article_html("X", PARAS))
    d.client.post(
        "/desk/stories", data={"csrf": d.csrf(), "urls": url, "labels": evil[:100], "follow": "1"}
    )
    d.post("/desk/follow", {"kind": "label", "target": evil[:100]})
    d.post(
        "/desk/destinations",
        {"name": evil, "kind": "webhook", "url": "http://127.0.0.1:9/<script>"},
    )
    pages = [d.get(p) for p in ("/desk", "/desk/alerts", "/desk/profile")]
    admin = Desk(desk)
    admin.login("root")
    pages += [admin.get("/desk/admin/users"), admin.get("/desk/admin/audit"), admin.get("/")]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0]


def test_one_address_guessing_across_many_accounts_is_slowed(
    desk: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker.web import desk_routes

    monkeypatch.setattr(desk_routes, "IP_FAILURES", 3)
    d = Desk(desk)
    assert [d.login(name, "guess-guess-1") for name in ("ana", "vic", "nobody")] == [401] * 3
    page = d.client.get("/desk/login")
    r = d.client.post(
        "/desk/login", data={"csrf": csrf_of(page.text), "name": "root", "password": PASSWORD}
    )
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    # The address waits; Root's account itself is not locked (no password was even checked).
    creds = desk.store.read(people.credentials, "root")
    assert creds is not None and creds.failed_logins == 0 and creds.locked_until is None


def test_failure_window_counts_per_address_and_forgets() -> None:
    from datetime import UTC, datetime, timedelta

    from tracker.desk.throttle import FailureWindow

    w = FailureWindow(2, timedelta(minutes=10))
    t0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    w.failed("a", t0)
    assert w.blocked("a", t0) == 0
    w.failed("a", t0 + timedelta(minutes=1))
    assert w.blocked("a", t0 + timedelta(minutes=2)) == 8 * 60
    assert w.blocked("b", t0 + timedelta(minutes=2)) == 0
    assert w.blocked("a", t0 + timedelta(minutes=10, seconds=1)) == 0
