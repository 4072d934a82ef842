"""The desk's operations in the API, with users' bearer tokens; and in the OpenAPI schema."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.desk_helpers import person
from tests.servers import LocalServer, article_html
from tests.test_notify_pipeline import PARAS
from tracker.desk import accounts
from tracker.service import Tracker
from tracker.web import create_app


@pytest.fixture
def api(tracker: Tracker) -> TestClient:
    for name, role in (("ana", "editor"), ("vic", "viewer"), ("root", "admin")):
        person(tracker, name, role)
    return TestClient(create_app(tracker))


def auth(tracker: Tracker, name: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {accounts.new_token(tracker.store, name, 't', tracker.clock())}"
    }


def test_editor_relabels_and_checks_viewer_cannot(
    api: TestClient, tracker: Tracker, server: LocalServer
) -> None:
    url = server.page("/a", article_html("A story", PARAS))
    [added] = tracker.add([url], labels=("old",))
    sid, ana, vic = added.story_id, auth(tracker, "ana"), auth(tracker, "vic")
    assert (
        api.post(f"/api/stories/{sid}/labels", json={"labels": ["x"]}, headers=vic).status_code
        == 403
    )
    r = api.post(f"/api/stories/{sid}/labels", json={"labels": ["new", "x"]}, headers=ana)
    assert r.status_code == 200 and sorted(r.json()["labels"]) == ["new", "x"]
    r = api.post(f"/api/stories/{sid}/check", headers=ana)
    assert r.status_code == 200 and r.json()["outcome"] == "first_version"


def test_my_follows_stories_destinations_and_rules(
    api: TestClient, tracker: Tracker, server: LocalServer
) -> None:
    tracker.settings.web.desk_private_destinations = True
    url = server.page("/b", article_html("B story", PARAS))
    [added] = tracker.add([url], labels=("weather",))
    vic = auth(tracker, "vic")
    assert api.get("/api/me", headers=vic).json()["role"] == "viewer"
    assert api.get("/api/me").status_code == 401
    assert (
        api.post(
            "/api/me/follows", json={"kind": "label", "target": "weather"}, headers=vic
        ).status_code
        == 201
    )
    assert (
        api.post(
            "/api/me/follows", json={"kind": "story", "target": "999"}, headers=vic
        ).status_code
        == 404
    )
    assert [s["id"] for s in api.get("/api/me/stories", headers=vic).json()] == [added.story_id]
    r = api.post(
        "/api/me/destinations",
        json={"name": "hook", "kind": "webhook", "url": server.url("/hook")},
        headers=vic,
    )
    assert r.status_code == 201, r.text
    dest = r.json()["id"]
    assert "url" not in r.json()  # destinations' URLs often hold secrets
    bad = api.put(
        f"/api/me/destinations/{dest}/rules", json={"keywords": ["(unclosed"]}, headers=vic
    )
    assert bad.status_code == 400
    r = api.put(
        f"/api/me/destinations/{dest}/rules",
        json={"min_class": "major", "quiet_hours": "22:00-06:00"},
        headers=vic,
    )
    assert r.status_code == 200 and r.json()["rules"]["min_class"] == "major"
    # Another person cannot see or touch it.
    ana = auth(tracker, "ana")
    assert api.get("/api/me/destinations", headers=ana).json() == []
    assert api.put(f"/api/me/destinations/{dest}/rules", json={}, headers=ana).status_code == 404
    assert api.delete(f"/api/me/destinations/{dest}", headers=ana).status_code == 404
    assert api.delete(f"/api/me/destinations/{dest}", headers=vic).status_code == 204


def test_audit_log_is_for_admins(api: TestClient, tracker: Tracker) -> None:
    assert api.get("/api/audit", headers=auth(tracker, "ana")).status_code == 403
    rows = api.get("/api/audit", headers=auth(tracker, "root")).json()
    assert {"user.add", "token.add"} <= {r["action"] for r in rows}


def test_openapi_documents_the_desk_operations(api: TestClient) -> None:
    paths = api.get("/api/openapi.json").json()["paths"]
    for path, method in (
        ("/api/stories/{story_id}/labels", "post"),
        ("/api/stories/{story_id}/check", "post"),
        ("/api/feeds/{feed_id}", "delete"),
        ("/api/me", "get"),
        ("/api/me/stories", "get"),
        ("/api/me/follows", "post"),
        ("/api/me/destinations", "post"),
        ("/api/me/destinations/{destination_id}/rules", "put"),
        ("/api/me/destinations/{destination_id}/test", "post"),
        ("/api/audit", "get"),
    ):
        assert method in paths[path], path
        assert paths[path][method].get("description") or paths[path][method].get("summary")
    assert not any(p.startswith("/desk") for p in paths)  # the pages are not API
