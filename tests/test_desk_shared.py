"""The desk's shared channels through the real app: admins add, edit, test and remove them on
the admin page and in the API, an edit reaches the shared inbox (local aiosmtpd), viewers and
editors are refused, everyone sees them read-only, every admin write is in the audit log,
names are escaped. The store part runs on SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tests.desk_helpers import Desk, desk_people
from tests.servers import LocalServer, article_html
from tests.test_desk_api import auth
from tests.test_notify_channels import SmtpSink
from tests.test_notify_pipeline import PARAS, deliver_now
from tracker.desk import accounts
from tracker.errors import NotFound
from tracker.service import Tracker
from tracker.store import desk as dk
from tracker.store import people
from tracker.store import shared as sh
from tracker.web import create_app

desk = desk_people
EVIL = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    s = SmtpSink()
    s.controller.start()
    yield s
    s.controller.stop()


def _mail(smtp: SmtpSink, to: str) -> str:
    return f"mailto://127.0.0.1:{smtp.port}?from=alerts@example.org&to={to}"


def test_admin_adds_a_shared_email_channel_and_an_edit_reaches_it(
    desk: Tracker, server: LocalServer, smtp: SmtpSink
) -> None:
    url = server.page("/storm", article_html("Storm hits coast", PARAS))
    [added] = desk.add([url], labels=("weather",))
    desk.check([added.story_id])
    root = Desk(desk)
    root.login("root")
    mail = _mail(smtp, "team@example.org")
    form = {"name": "team", "kind": "apprise", "url": mail, "timezone": "Europe/Berlin"}
    assert root.post("/desk/admin/shared", form) == 303
    [channel] = desk.store.read(sh.shared_channels)
    cid = channel.destination.id
    assert channel.destination.user_id is None and channel.timezone == "Europe/Berlin"
    rules = {"min_class": "minor", "labels": "weather", "followed": "1"}
    assert root.post(f"/desk/admin/shared/{cid}/rules", rules) == 303
    got = desk.store.read(sh.shared_channel, cid).rules
    assert got is not None and got.labels == ("weather",) and not got.followed
    # Nobody follows the story: the shared channel gets it by its label.
    new = [PARAS[0], PARAS[1].replace("12,000", "48,000"), *PARAS[2:]]
    server.page("/storm", article_html("Storm batters coast, thousands without power", new))
    [outcome] = desk.check([added.story_id])
    assert outcome.outcome == "new_version"
    assert deliver_now(desk).delivered == 1
    assert [m["To"] for m in smtp.messages] == ["team@example.org"]
    assert "Storm batters coast" in smtp.messages[0]["Subject"] + "".join(smtp.bodies())
    assert deliver_now(desk).delivered == 0
    page = root.get("/desk/admin/shared")
    assert "delivered" in page and "team" in page
    # Not a person's destination: nobody's alerts page lists it.
    for name in ("ana", "vic", "root"):
        uid = desk.store.read(people.user_by_name, name).id
        assert desk.store.read(dk.destinations, uid) == []


def test_send_test_edit_and_remove_by_the_admin(desk: Tracker, smtp: SmtpSink) -> None:
    root = Desk(desk)
    root.login("root")
    form = {"name": "desk", "kind": "apprise", "url": _mail(smtp, "a@example.org")}
    assert root.post("/desk/admin/shared", {**form, "timezone": "UTC"}) == 303
    [channel] = desk.store.read(sh.shared_channels)
    cid = channel.destination.id
    assert root.post(f"/desk/admin/shared/{cid}/test", {}) == 303
    assert [m["To"] for m in smtp.messages] == ["a@example.org"]
    assert "delivered" in (desk.store.read(sh.shared_channel, cid).destination.last_test or "")
    edit = {"name": "desk two", "kind": "apprise", "url": _mail(smtp, "b@example.org")}
    assert root.post(f"/desk/admin/shared/{cid}/edit", {**edit, "timezone": "Asia/Tokyo"}) == 303
    row = desk.store.read(sh.shared_channel, cid)
    assert row.destination.name == "desk two" and row.timezone == "Asia/Tokyo"
    assert "to=b@example.org" in row.destination.url
    bad = {**edit, "timezone": "Mars/Olympus"}
    r = root.client.post(f"/desk/admin/shared/{cid}/edit", data={"csrf": root.csrf(), **bad})
    assert r.status_code == 400
    assert desk.store.read(sh.shared_channel, cid).timezone == "Asia/Tokyo"
    assert root.post(f"/desk/admin/shared/{cid}/remove", {}) == 303
    assert desk.store.read(sh.shared_channels) == []
    actions = [a.action for a in desk.store.read(people.audit_log) if a.actor == "root"]
    assert {"shared.add", "shared.test", "shared.edit", "shared.remove"} <= set(actions)


def test_destinations_of_shared_channels_are_checked_and_guarded(desk: Tracker) -> None:
    desk.settings.web.desk_private_destinations = False
    root = Desk(desk)
    root.login("root")
    for kind, url in (("webhook", "http://127.0.0.1:9/hook"), ("apprise", "nope://x")):
        r = root.client.post(
            "/desk/admin/shared",
            data={"csrf": root.csrf(), "name": "x", "kind": kind, "url": url, "timezone": "UTC"},
        )
        assert r.status_code == 400
    assert desk.store.read(sh.shared_channels) == []


def test_viewers_and_editors_are_refused_but_see_the_channels(
    desk: Tracker, smtp: SmtpSink
) -> None:
    root = Desk(desk)
    root.login("root")
    form = {"name": "team", "kind": "apprise", "url": _mail(smtp, "t@example.org")}
    assert root.post("/desk/admin/shared", {**form, "timezone": "UTC"}) == 303
    [channel] = desk.store.read(sh.shared_channels)
    cid = channel.destination.id
    for name in ("vic", "ana"):
        d = Desk(desk)
        d.login(name)
        assert d.client.get("/desk/admin/shared").status_code == 403
        assert d.post("/desk/admin/shared", {**form, "timezone": "UTC"}) == 403  # valid CSRF
        for action in ("edit", "rules", "test", "remove"):
            assert d.post(f"/desk/admin/shared/{cid}/{action}", {"name": "mine"}) == 403
        # nor through one's own destinations by a tampered id
        assert d.post(f"/desk/destinations/{cid}/remove", {}) == 404
        page = d.get("/desk/shared")
        assert "team" in page and "mailto://127.0.0.1" in page
        assert "t@example.org" not in page  # the URL's secrets are not shown
        assert "/desk/admin/shared" not in page.split("<h1>", 1)[1]
    assert len(desk.store.read(sh.shared_channels)) == 1
    assert smtp.messages == []


def test_stored_xss_through_a_shared_channel_name_is_escaped(desk: Tracker) -> None:
    root = Desk(desk)
    root.login("root")
    form = {"name": EVIL, "kind": "webhook", "url": "http://127.0.0.1:9/<script>"}
    assert root.post("/desk/admin/shared", {**form, "timezone": "UTC"}) == 303
    vic = Desk(desk)
    vic.login("vic")
    for html in (root.get("/desk/admin/shared"), vic.get("/desk/shared")):
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)" in html
    assert "&lt;script&gt;" in root.get("/desk/admin/audit")


def test_the_api_admins_write_everyone_reads(desk: Tracker, smtp: SmtpSink) -> None:
    api = TestClient(create_app(desk))
    root, vic, ana = (auth(desk, n) for n in ("root", "vic", "ana"))
    body = {
        "name": "wire",
        "kind": "apprise",
        "url": _mail(smtp, "w@example.org"),
        "timezone": "America/New_York",
        "rules": {"min_class": "major", "labels": ["politics"], "quiet_hours": "22:00-07:00"},
    }
    for who in (vic, ana):
        assert api.post("/api/shared-channels", json=body, headers=who).status_code == 403
    assert (
        api.post(
            "/api/shared-channels", json={**body, "rules": {"min_class": "x"}}, headers=root
        ).status_code
        == 400
    )
    r = api.post("/api/shared-channels", json=body, headers=root)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["rules"]["labels"] == ["politics"] and out["rules"]["followed"] is False
    assert out["where"] == f"mailto://127.0.0.1:{smtp.port}" and "url" not in out
    listed = api.get("/api/shared-channels", headers=vic)
    assert listed.status_code == 200 and [c["name"] for c in listed.json()] == ["wire"]
    assert api.get("/api/shared-channels").status_code == 401
    cid = out["id"]
    assert api.delete(f"/api/shared-channels/{cid}", headers=ana).status_code == 403
    assert api.delete(f"/api/shared-channels/{cid}", headers=root).status_code == 204
    assert api.delete(f"/api/shared-channels/{cid}", headers=root).status_code == 404
    actions = [a.action for a in desk.store.read(people.audit_log)]
    assert {"shared.add", "shared.rules", "shared.remove"} <= set(actions)
    paths = api.get("/api/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/shared-channels"])
    assert "delete" in paths["/api/shared-channels/{channel_id}"]


@pytest.fixture
def t(db_url: str) -> Iterator[Tracker]:
    tracker = Tracker(make_settings(db_url))
    tracker.init()
    yield tracker
    tracker.close()


def test_store_keeps_shared_channels_apart_and_routes_them(t: Tracker) -> None:
    store, now = t.store, t.clock()
    ana, _ = accounts.add_user(store, "ana", "viewer", now=now, password="a long password")
    mine = store.write(
        dk.add_destination, ana.id, name="m", kind="webhook", url="https://h.example/", now=now
    )
    row = store.write(
        sh.add_shared,
        name="team",
        kind="webhook",
        url="https://t.example/",
        timezone="Asia/Tokyo",
        now=now,
    )
    cid = row.destination.id
    with pytest.raises(NotFound):
        store.read(sh.shared_channel, mine.id)
    with pytest.raises(NotFound):
        store.read(dk.destination, ana.id, cid)
    store.write(sh.set_shared_rules, cid, dk.Rules(followed=False, labels=("x",)), now)
    store.write(dk.subscribe, ana.id, mine.id, dk.Rules(), now)
    routes = {r.destination_id: r for r in store.read(dk.routes, 1)}
    assert set(routes) == {mine.id, cid} and not routes[cid].follows_story
    zones = {c.destination_id: c.timezone for c in store.read(dk.desk_channels)}
    assert zones == {mine.id: "UTC", cid: "Asia/Tokyo"}
    # Removing a person leaves the desk's channels alone.
    store.write(people.remove_user, "ana")
    assert [c.destination.id for c in store.read(sh.shared_channels)] == [cid]
    store.write(sh.remove_shared, cid)
    assert store.read(sh.shared_channels) == [] and store.read(dk.routes, 1) == []
