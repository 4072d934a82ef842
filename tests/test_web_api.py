"""The JSON API through the ASGI app, on data the real pipeline made."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.test_web_fixtures import Stories, make_stories
from tracker import render
from tracker.web import create_app

TOKEN = "s3cret-token"


@pytest.fixture
def stories(server, tracker) -> Stories:
    return make_stories(server, tracker)


@pytest.fixture
def client(tracker, stories) -> TestClient:
    return TestClient(create_app(tracker))


def test_stories_are_paginated_with_totals_and_links(client):
    first = client.get("/api/stories", params={"limit": 2, "order": "id"}).json()
    assert first["total"] == 3 and len(first["items"]) == 2 and first["prev"] is None
    second = client.get(first["next"]).json()
    assert [s["id"] for s in second["items"]] == [3] and second["next"] is None
    assert second["prev"] is not None
    by_page = client.get("/api/stories", params={"limit": 2, "page": 2, "order": "id"}).json()
    assert by_page["items"] == second["items"] and by_page["offset"] == 2


def test_story_filters(client, stories):
    def ids(**params: object) -> list[int]:
        page = client.get("/api/stories", params=params).json()
        assert page["total"] == len(page["items"])
        return sorted(s["id"] for s in page["items"])

    assert ids(label="fire") == [stories.fire]
    assert ids(label="local") == [stories.fire, stories.xss]
    assert ids(q="council") == [stories.xss]
    assert ids(state="developing") == [stories.fire, stories.xss, stories.broken]
    cls = client.get(f"/api/stories/{stories.fire}").json()["last_change_class"]
    assert stories.fire in ids(**{"class": cls})
    assert ids(label="nothing") == []


def test_sorted_by_last_change_newest_first(client, stories):
    items = client.get("/api/stories").json()["items"]
    assert [s["id"] for s in items][:2] == [stories.fire, stories.xss]
    assert items[-1]["last_changed_at"] is None


def test_story_detail_and_versions(client, stories):
    s = client.get(f"/api/stories/{stories.fire}").json()
    assert s["url"] == stories.fire_url and s["labels"] == ["fire", "local"]
    assert s["versions"] == 3 and s["events"][0]["kind"] == "added"
    assert s["links"]["versions"] == f"/api/stories/{stories.fire}/versions"
    page = client.get(s["links"]["versions"]).json()
    assert page["total"] == 3 and [v["number"] for v in page["items"]] == [1, 2, 3]
    assert page["items"][0]["class"] is None and page["items"][1]["class"]
    v1 = client.get(f"/api/stories/{stories.fire}/versions/1").json()
    assert "3,800 acres" in v1["text"] and len(v1["raw_sha256"]) == 64
    assert v1["status_code"] == 200 and v1["headers"]["content-type"].startswith("text/html")
    assert v1["title"] == "Wildfire grows near Riverton"


def test_diff_is_the_cli_json(client, stories, tracker):
    got = client.get(f"/api/stories/{stories.fire}/diff", params={"from": 1, "to": 2}).json()
    result = tracker.diff(stories.fire_url, 1, 2)
    assert got == json.loads(
        json.dumps(render.render_json(result.report, result.meta), default=str)
    )
    assert got["from"] == 1 and got["to"] == 2
    assert ["delete", "3,800"] in got["ops"] and ["insert", "4,100"] in got["ops"]
    latest = client.get(f"/api/stories/{stories.fire}/diff").json()
    assert (latest["from"], latest["to"]) == (2, 3)


def test_changes_can_be_polled(client, stories):
    all_changes = client.get("/api/changes").json()
    assert all_changes["total"] == 3
    times = [c["at"] for c in all_changes["items"]]
    assert times == sorted(times, reverse=True)  # newest first without since
    oldest = min(times)
    polled = client.get("/api/changes", params={"since": oldest}).json()
    assert polled["total"] == 2 and [c["at"] for c in polled["items"]] == sorted(times)[1:]
    again = client.get("/api/changes", params={"since": polled["next_since"]}).json()
    assert again["items"] == [] and again["total"] == 0
    labelled = client.get("/api/changes", params={"label": "fire"}).json()
    assert {c["story_id"] for c in labelled["items"]} == {stories.fire}
    change = labelled["items"][0]
    assert client.get(change["diff_url"]).json()["to"] == change["to"]


def test_checks_of_a_story(client, stories):
    page = client.get(f"/api/stories/{stories.broken}/checks").json()
    assert page["total"] == 1
    check = page["items"][0]
    assert check["outcome"] == "failed" and check["status_code"] == 500
    assert client.get(f"/api/stories/{stories.fire}/checks?failed=true").json()["total"] == 0
    assert client.get(f"/api/stories/{stories.fire}/checks").json()["total"] == 3


def test_errors_are_json_with_the_error_status(client, stories):
    r = client.get("/api/stories/999")
    assert r.status_code == 404
    assert r.json() == {
        "error": {"error": "NotFound", "message": "no story with id 999", "status": 404}
    }
    r = client.get(f"/api/stories/{stories.fire}/versions/9")
    assert r.status_code == 404 and r.json()["error"]["error"] == "NotFound"
    r = client.get("/api/stories", params={"limit": 0})
    assert r.status_code == 422 and r.json()["error"]["error"] == "ValidationError"
    r = client.get(f"/api/stories/{stories.fire}/diff", params={"from": 2, "to": 2})
    assert r.status_code == 400 and r.json()["error"]["error"] == "UsageError"
    r = client.get("/api/nothing-here")
    assert r.status_code == 404 and r.json()["error"]["status"] == 404


def test_writes_are_refused_without_a_configured_token(client, stories):
    r = client.post("/api/stories", json={"urls": ["https://example.org/a"]})
    assert r.status_code == 403 and "read-only" in r.json()["error"]["message"]
    assert client.delete(f"/api/stories/{stories.fire}").status_code == 403
    r = client.post("/api/stories/1/pause", headers={"Authorization": "Bearer anything"})
    assert r.status_code == 403


def test_writes_need_the_right_token(client, tracker, stories):
    tracker.settings.web.token = TOKEN
    body = {"urls": ["https://example.org/news/1"], "labels": ["api"], "interval": "10m"}
    r = client.post("/api/stories", json=body)
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    r = client.post("/api/stories", json=body, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    r = client.post("/api/stories", json=body, headers=auth)
    assert r.status_code == 201
    (added,) = r.json()
    assert added["created"] and added["url"] == "https://example.org/news/1"
    story = client.get(f"/api/stories/{added['id']}").json()
    assert story["labels"] == ["api"] and story["origin"] == "api"
    assert story["interval_seconds"] == 600

    assert client.post(f"/api/stories/{added['id']}/pause", headers=auth).json()["paused"]
    assert client.get(f"/api/stories/{added['id']}").json()["state"] == "paused"
    assert not client.post(f"/api/stories/{added['id']}/resume", headers=auth).json()["paused"]
    removed = client.delete(f"/api/stories/{added['id']}", headers=auth)
    assert removed.status_code == 200 and removed.json()["state"] == "removed"
    assert client.get(f"/api/stories/{added['id']}").json()["state"] == "removed"  # kept
    purged = client.delete(f"/api/stories/{added['id']}?purge=true", headers=auth)
    assert purged.status_code == 200
    assert client.get(f"/api/stories/{added['id']}").status_code == 404
    assert client.delete("/api/stories/999", headers=auth).status_code == 404

    r = client.post("/api/stories", json={"urls": ["not a url"]}, headers=auth)
    assert r.status_code == 400
    r = client.post("/api/stories", json={"urls": []}, headers=auth)
    assert r.status_code == 422


def test_added_stories_say_their_interval_and_absurd_ones_are_422(client, tracker, stories):
    tracker.settings.web.token = TOKEN
    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = {"urls": ["https://example.org/news/2"], "interval": "20s"}
    (added,) = client.post("/api/stories", json=body, headers=auth).json()
    assert added["interval"] == 60 and "min_interval" in added["notice"]
    for absurd in ("99999999999d", "0s", "soon"):
        r = client.post("/api/stories", json={**body, "interval": absurd}, headers=auth)
        assert r.status_code == 422 and "interval" in r.text, r.text


def test_feeds_can_be_added_with_the_token(client, tracker, server):
    tracker.settings.web.token = TOKEN
    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = {"url": server.url("/feed.xml"), "labels": ["wires"], "match": "all"}
    assert client.post("/api/feeds", json=body).status_code == 401
    r = client.post("/api/feeds", json=body, headers=auth)
    assert r.status_code == 201, r.text
    assert r.json()["labels"] == ["wires"] and r.json()["created"]
    assert client.post("/api/feeds", json=body, headers=auth).status_code == 200
    r = client.post("/api/feeds", json={**body, "match": "(unclosed"}, headers=auth)
    assert r.status_code == 400


def test_reads_are_open_unless_configured(client, tracker, stories):
    assert client.get("/api/stories").status_code == 200
    tracker.settings.web.token = TOKEN
    tracker.settings.web.read_token_required = True
    assert client.get("/api/stories").status_code == 401
    assert client.get(f"/stories/{stories.fire}").status_code == 401
    assert client.get("/feeds/changes.atom").status_code == 401
    ok = client.get("/api/stories", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and ok.json()["total"] == 3
    # A browser logs in once; the token then travels in an HttpOnly, SameSite cookie.
    r = client.post(
        "/login",
        content=f"token={TOKEN}",
        follow_redirects=False,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 303 and "httponly" in r.headers["set-cookie"].lower()
    assert client.get(f"/stories/{stories.fire}").status_code == 200
    client.cookies.clear()
    r = client.post(
        "/login",
        content="token=nope",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 401


def test_openapi_schema_is_valid(client):
    schema = client.get("/api/openapi.json").json()
    try:
        from openapi_spec_validator import validate
    except ImportError:  # structural checks below still run
        validate = None
    if validate is not None:
        validate(schema)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in (
        "/api/stories",
        "/api/stories/{story_id}",
        "/api/stories/{story_id}/versions",
        "/api/stories/{story_id}/versions/{number}",
        "/api/stories/{story_id}/diff",
        "/api/changes",
        "/api/stories/{story_id}/checks",
        "/api/feeds",
    ):
        assert path in paths, path
        for op in paths[path].values():
            assert op["responses"] and op.get("summary")
    assert {"get", "delete"} <= set(paths["/api/stories/{story_id}"])
    assert "post" in paths["/api/stories"] and "post" in paths["/api/stories/{story_id}/pause"]
    names = {p["name"] for p in paths["/api/stories"]["get"]["parameters"]}
    assert {"limit", "offset", "page", "label", "state", "class", "q", "order"} <= names
    assert {"Story", "Version", "VersionDetail", "Change", "Check"} <= set(
        schema["components"]["schemas"]
    )
    assert "/stories/{story_id}" not in paths and "/" not in paths  # pages stay out
    assert "/feeds/changes.atom" in paths
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "/api/stories/{story_id}/diff" in docs.text


def test_security_headers_on_every_response(client, stories):
    for path in ("/api/stories", "/api/stories/999", "/", "/static/style.css", "/api/docs"):
        h = client.get(path).headers
        assert h["content-security-policy"].startswith("default-src 'none'"), path
        assert "script-src" not in h["content-security-policy"]
        assert h["x-frame-options"] == "DENY" and h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "no-referrer"


def test_head_on_raw_downloads_and_api_root(client, stories):
    for path in (
        f"/api/stories/{stories.fire}/versions/1/raw",
        f"/stories/{stories.fire}/versions/1/raw",
    ):
        head = client.head(path)
        assert head.status_code == 200, (path, head.status_code)
        assert head.headers["content-type"] and int(head.headers["content-length"]) > 0
        assert head.headers["x-content-type-options"] == "nosniff"
    root = client.get("/api", follow_redirects=False)
    assert root.status_code == 307 and root.headers["location"] == "/api/docs"
