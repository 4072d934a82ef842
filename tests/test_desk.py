"""The desk through the real app: accounts, sessions, CSRF, roles, editor forms, follows,
destinations and subscriptions, the audit log. A cookie jar per person (TestClient)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.desk_helpers import PASSWORD, Desk, csrf_of, desk_people
from tests.servers import LocalServer, article_html
from tests.test_notify_channels import SmtpSink
from tests.test_notify_pipeline import PARAS, deliver_now
from tracker.desk import accounts
from tracker.service import Tracker
from tracker.store import desk as dk
from tracker.store import people
from tracker.web import create_app


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    s = SmtpSink()
    s.controller.start()
    yield s
    s.controller.stop()


desk = desk_people


def test_with_no_users_the_desk_is_off_and_the_ui_read_only(tracker: Tracker) -> None:
    client = TestClient(create_app(tracker), follow_redirects=False)
    assert client.get("/desk/login").status_code == 404
    assert client.post("/desk/stories", data={"urls": "http://x"}).status_code == 404
    assert client.get("/").status_code == 200
    assert "Log out" not in client.get("/").text


def test_login_sets_a_strict_httponly_cookie_with_expiry_and_logout_ends_it(desk: Tracker) -> None:
    d = Desk(desk)
    page = d.client.get("/desk/login")
    r = d.client.post(
        "/desk/login", data={"csrf": csrf_of(page.text), "name": "ana", "password": PASSWORD}
    )
    assert r.status_code == 303 and r.headers["location"] == "/desk"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("tracker_session="))
    low = cookie.lower()
    assert "httponly" in low and "samesite=strict" in low and "max-age=43200" in low
    assert "secure" not in low  # plain HTTP here; on HTTPS the cookie is Secure
    home = d.get("/desk")
    assert "Ana" in home and "Europe/Berlin" in home
    token = d.client.cookies.get("tracker_session")
    assert d.post("/desk/logout", {}) == 303
    # The old cookie is dead on the server, not just deleted in this jar.
    again = TestClient(create_app(desk), follow_redirects=False)
    again.cookies.set("tracker_session", token)
    assert again.get("/desk").status_code == 401


def test_secure_cookie_on_https(desk: Tracker) -> None:
    client = TestClient(create_app(desk), base_url="https://desk.example", follow_redirects=False)
    page = client.get("/desk/login")
    r = client.post(
        "/desk/login", data={"csrf": csrf_of(page.text), "name": "ana", "password": PASSWORD}
    )
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("tracker_session="))
    assert "secure" in cookie.lower()


def test_editor_adds_stories_by_form_viewer_cannot(desk: Tracker, server: LocalServer) -> None:
    urls = [server.page(f"/s{i}", article_html(f"Story {i}", PARAS)) for i in range(2)]
    viewer = Desk(desk)
    viewer.login("vic")
    assert viewer.client.get("/desk/add").status_code == 403
    assert viewer.post("/desk/stories", {"urls": urls[0]}) == 403
    assert desk.stories() == []
    editor = Desk(desk)
    editor.login("ana")
    r = editor.client.post(
        "/desk/stories",
        data={
            "csrf": editor.csrf(),
            "urls": "\n".join(urls),
            "labels": "storm, coast",
            "interval": "15m",
            "follow": "1",
        },
    )
    assert r.status_code == 200 and "2 added" in r.text
    stories = desk.stories()
    assert {s.url for s in stories} == set(urls)
    assert all(
        s.labels == ("coast", "storm") or set(s.labels) == {"storm", "coast"} for s in stories
    )
    assert all(s.interval_s == 900 for s in stories)
    mine = editor.get("/desk")
    assert all(f"/stories/{s.id}" in mine for s in stories)


def test_editor_pauses_relabels_checks_and_removes(desk: Tracker, server: LocalServer) -> None:
    url = server.page("/p", article_html("Pause me", PARAS))
    [added] = desk.add([url], labels=("old",))
    sid = added.story_id
    d = Desk(desk)
    d.login("ana")
    assert d.post(f"/desk/stories/{sid}/pause", {}) == 303
    assert desk.story(url).paused
    assert d.post(f"/desk/stories/{sid}/resume", {}) == 303
    assert not desk.story(url).paused
    assert d.post(f"/desk/stories/{sid}/labels", {"labels": "new, other"}) == 303
    assert set(desk.story(url).labels) == {"new", "other"}
    r = d.client.post(f"/desk/stories/{sid}/check", data={"csrf": d.csrf()})
    assert r.status_code == 303 and "first_version" in r.headers["location"]
    assert desk.story(url).version_count == 1
    assert d.post(f"/desk/stories/{sid}/remove", {}) == 303
    assert desk.story(url).display_state == "removed"
    viewer = Desk(desk)
    viewer.login("vic")
    assert viewer.post(f"/desk/stories/{sid}/resume", {}) == 403
    actions = [a.action for a in desk.store.read(people.audit_log)]
    assert {"story.pause", "story.resume", "story.labels", "story.check", "story.remove"} <= set(
        actions
    )


def test_feeds_add_and_remove(desk: Tracker, server: LocalServer) -> None:
    d = Desk(desk)
    d.login("ana")
    feed = server.url("/feed.xml")
    assert d.post("/desk/feeds", {"url": feed, "match": "all", "interval": "10m"}) == 303
    page = d.get("/desk/feeds")
    assert feed in page
    from tracker.store import queries as q

    [info] = desk.store.read(q.list_feeds)
    assert d.post(f"/desk/feeds/{info.id}/remove", {}) == 303
    assert desk.store.read(q.list_feeds) == []


def test_alerts_follow_a_story_email_reaches_only_the_follower(
    desk: Tracker, server: LocalServer, smtp: SmtpSink
) -> None:
    url = server.page("/storm", article_html("Storm hits coast", PARAS))
    [added] = desk.add([url], labels=("weather",))
    desk.check([added.story_id])
    ana, vic = Desk(desk), Desk(desk)
    ana.login("ana")
    vic.login("vic")
    assert ana.post("/desk/follow", {"kind": "story", "target": str(added.story_id)}) == 303
    for who, to in ((ana, "ana@example.org"), (vic, "vic@example.org")):
        mail = f"mailto://127.0.0.1:{smtp.port}?from=alerts@example.org&to={to}"
        assert (
            who.post("/desk/destinations", {"name": "mail", "kind": "apprise", "url": mail}) == 303
        )
        [dest] = desk.store.read(dk.destinations, desk.store.read(people.user_by_name, to[:3]).id)
        # Both subscribe to followed stories only; only Ana follows this one.
        assert (
            who.post(f"/desk/destinations/{dest.id}/rules", {"min_class": "minor", "followed": "1"})
            == 303
        )
    new = [PARAS[0], PARAS[1].replace("12,000", "48,000"), *PARAS[2:]]
    server.page("/storm", article_html("Storm batters coast, thousands without power", new))
    [outcome] = desk.check([added.story_id])
    assert outcome.outcome == "new_version"
    stats = deliver_now(desk)
    assert stats.delivered == 1
    assert [m["To"] for m in smtp.messages] == ["ana@example.org"]
    assert "Storm batters coast" in smtp.messages[0]["Subject"] + "".join(smtp.bodies())
    assert "delivered" in ana.get("/desk/alerts")
    # Delivered once: another pass sends nothing again.
    assert deliver_now(desk).delivered == 0


def test_send_test_shows_the_services_answer(desk: Tracker, smtp: SmtpSink) -> None:
    d = Desk(desk)
    d.login("vic")
    mail = f"mailto://127.0.0.1:{smtp.port}?from=alerts@example.org&to=vic@example.org"
    d.post("/desk/destinations", {"name": "mail", "kind": "apprise", "url": mail})
    vic = desk.store.read(people.user_by_name, "vic")
    [dest] = desk.store.read(dk.destinations, vic.id)
    r = d.client.post(f"/desk/destinations/{dest.id}/test", data={"csrf": d.csrf()})
    assert r.status_code == 303 and "delivered" in r.headers["location"]
    assert len(smtp.messages) == 1
    page = d.get("/desk/alerts")
    assert "the service answered" in page and "delivered" in page


def test_destinations_are_validated_and_private_addresses_refused(desk: Tracker) -> None:
    desk.settings.web.desk_private_destinations = False
    d = Desk(desk)
    d.login("vic")
    for kind, url in (
        ("webhook", "ftp://example.org/x"),
        ("apprise", "nosuchscheme://x"),
        ("webhook", "http://127.0.0.1:8080/hook"),
        ("apprise", "json://10.0.0.5/hook"),
    ):
        assert d.post("/desk/destinations", {"name": "x", "kind": kind, "url": url}) == 400, url
    vic = desk.store.read(people.user_by_name, "vic")
    assert desk.store.read(dk.destinations, vic.id) == []


def test_admin_adds_a_person_who_sets_a_password_by_the_one_time_link(desk: Tracker) -> None:
    admin = Desk(desk)
    admin.login("root")
    r = admin.client.post(
        "/desk/admin/users", data={"csrf": admin.csrf(), "name": "newbie", "role": "viewer"}
    )
    assert r.status_code == 200
    token = r.text.split("/desk/welcome?token=")[1].split("<")[0]
    newbie = Desk(desk)
    page = newbie.client.get(f"/desk/welcome?token={token}")
    form = {"csrf": csrf_of(page.text), "token": token, "password": "a new long password"}
    assert newbie.client.post("/desk/welcome", data=form).status_code == 303
    used = newbie.client.post("/desk/welcome", data=form)
    assert used.status_code == 400 and "unknown, used or expired" in used.text
    assert newbie.login("newbie", "a new long password") == 303
    export = admin.client.get("/desk/admin/audit.jsonl")
    rows = [json.loads(line) for line in export.text.splitlines()]
    assert {"user.add", "user.password"} <= {r["action"] for r in rows}
    assert any(r["actor"] == "root" and r["target"] == "newbie" for r in rows)


def test_api_tokens_are_bound_to_a_user_and_role(desk: Tracker, server: LocalServer) -> None:
    client = TestClient(create_app(desk))
    url = server.page("/api", article_html("API", PARAS))
    viewer_token = accounts.new_token(desk.store, "vic", "script", desk.clock())
    editor_token = accounts.new_token(desk.store, "ana", "script", desk.clock())
    r = client.post(
        "/api/stories", json={"urls": [url]}, headers={"Authorization": f"Bearer {viewer_token}"}
    )
    assert r.status_code == 403
    r = client.post(
        "/api/stories", json={"urls": [url]}, headers={"Authorization": f"Bearer {editor_token}"}
    )
    assert r.status_code == 201
    [row] = [a for a in desk.store.read(people.audit_log) if a.action == "api"]
    assert row.actor == "ana" and row.target == "POST /api/stories"


def test_a_digest_subscription_collects_and_sends_on_its_schedule(
    desk: Tracker, server: LocalServer, smtp: SmtpSink
) -> None:
    from tracker.notify.people import send_desk_digests

    url = server.page("/dg", article_html("Storm hits coast", PARAS))
    [added] = desk.add([url], labels=("weather",))
    desk.check([added.story_id])
    d = Desk(desk)
    d.login("ana")
    mail = f"mailto://127.0.0.1:{smtp.port}?from=alerts@example.org&to=ana@example.org"
    d.post("/desk/destinations", {"name": "mail", "kind": "apprise", "url": mail})
    ana = desk.store.read(people.user_by_name, "ana")
    [dest] = desk.store.read(dk.destinations, ana.id)
    assert (
        d.post(
            f"/desk/destinations/{dest.id}/rules",
            {"min_class": "minor", "labels": "weather", "digest": "not cron"},
        )
        == 400
    )
    assert (
        d.post(
            f"/desk/destinations/{dest.id}/rules",
            {"min_class": "minor", "labels": "weather", "digest": "0 8 * * *"},
        )
        == 303
    )
    new = [PARAS[0], PARAS[1].replace("12,000", "48,000"), *PARAS[2:]]
    server.page("/dg", article_html("Storm batters coast, thousands without power", new))
    assert desk.check([added.story_id])[0].outcome == "new_version"
    assert deliver_now(desk).delivered == 0  # held for the digest
    now = desk.clock()
    # 08:00 in Berlin (Ana's zone) has not come in a window that does not contain it ...
    berlin_8 = now.astimezone(ZoneInfo("Europe/Berlin")).replace(
        hour=8, minute=0, second=0, microsecond=0
    )
    window_end = berlin_8 - timedelta(minutes=1)
    assert (
        send_desk_digests(
            desk.store,
            desk.settings,
            owner="t",
            since=window_end - timedelta(minutes=5),
            now=window_end,
        )
        == []
    )
    # ... and fires in the one that does.
    [result] = send_desk_digests(
        desk.store,
        desk.settings,
        owner="t",
        since=berlin_8 - timedelta(minutes=1),
        now=berlin_8 + timedelta(seconds=30),
    )
    assert result.delivered and result.changes == 1
    assert [m["To"] for m in smtp.messages] == ["ana@example.org"]


def test_quiet_hours_are_kept_in_the_persons_time_zone(
    desk: Tracker, server: LocalServer, smtp: SmtpSink
) -> None:
    url = server.page("/q", article_html("Storm hits coast", PARAS))
    [added] = desk.add([url], labels=("weather",))
    desk.check([added.story_id])
    # Ana lives in Berlin: a window around Berlin's "now" holds her alert ...
    berlin = desk.clock().astimezone(ZoneInfo("Europe/Berlin"))
    start, end = berlin - timedelta(hours=1), berlin + timedelta(hours=1)
    quiet = f"{start:%H:%M}-{end:%H:%M}"
    for name, window in (("ana", quiet), ("vic", "")):
        d = Desk(desk)
        d.login(name)
        mail = f"mailto://127.0.0.1:{smtp.port}?from=alerts@example.org&to={name}@example.org"
        d.post("/desk/destinations", {"name": "mail", "kind": "apprise", "url": mail})
        user = desk.store.read(people.user_by_name, name)
        [dest] = desk.store.read(dk.destinations, user.id)
        rules = {"min_class": "minor", "labels": "weather", "quiet_hours": window}
        assert d.post(f"/desk/destinations/{dest.id}/rules", rules) == 303
    new = [PARAS[0], PARAS[1].replace("12,000", "48,000"), *PARAS[2:]]
    server.page("/q", article_html("Storm batters coast, thousands without power", new))
    assert desk.check([added.story_id])[0].outcome == "new_version"
    stats = deliver_now(desk)
    # ... while Vic's, with no quiet hours, goes out now.
    assert (stats.delivered, stats.postponed) == (1, 1)
    assert [m["To"] for m in smtp.messages] == ["vic@example.org"]


def test_my_stories_say_why_a_story_fails(desk: Tracker, server: LocalServer) -> None:
    from tests.servers import Route

    url = server.page("/f", article_html("Fails soon", PARAS))
    [added] = desk.add([url])
    desk.check([added.story_id])
    server.routes["/f"] = Route(body=b"oops", status=503)
    assert desk.check([added.story_id])[0].outcome == "failed"
    d = Desk(desk)
    d.login("vic")
    d.post("/desk/follow", {"kind": "story", "target": str(added.story_id)})
    page = d.get("/desk")
    assert "1 failed check, last" in page and "HTTP 503" in page


def test_a_long_lived_runner_sees_a_subscription_made_after_its_last_batch(
    desk: Tracker, server: LocalServer
) -> None:
    """The check reads "is anyone subscribed at all" once a batch, not once a change: the
    daemon's runner lives for months, so a subscription made between two batches counts."""
    import asyncio

    from sqlalchemy import func, select

    from tracker.check.runner import CheckRunner
    from tracker.fetch import Fetcher
    from tracker.store.models import Notification

    url = server.page("/flood", article_html("Flood waters rise", PARAS))
    [added] = desk.add([url])
    desk.check([added.story_id])

    def notifications() -> int:
        return desk.store.read(lambda s: s.scalar(select(func.count()).select_from(Notification)))

    def edit(n: int) -> None:
        paras = [PARAS[0], PARAS[1].replace("12,000", f"{n},000"), *PARAS[2:]]
        server.page("/flood", article_html("Flood waters rise", paras))

    async def two_batches() -> tuple[int, int]:
        async with Fetcher(desk.settings.fetch) as fetcher:
            runner = CheckRunner(desk.settings, desk.store, fetcher, worker="daemon-test")
            edit(31)
            [first] = await runner.check([added.story_id])
            assert first.outcome == "new_version"
            before = notifications()
            vic = desk.store.read(people.user_by_name, "vic")
            d = desk.store.write(
                dk.add_destination,
                vic.id,
                name="hook",
                kind="webhook",
                url="https://hooks.example/x",
                now=desk.clock(),
            )
            desk.store.write(
                dk.subscribe,
                vic.id,
                d.id,
                dk.Rules(min_class="cosmetic", followed=False),
                desk.clock(),
            )
            edit(47)
            [second] = await runner.check([added.story_id])
            assert second.outcome == "new_version"
            return before, notifications()

    before, after = asyncio.run(two_batches())
    assert before == 0, "no one was subscribed"
    assert after == 1, "the subscription made between the batches got the second change"
