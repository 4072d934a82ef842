"""The server-rendered pages and Atom feeds, on data the real pipeline made."""

from __future__ import annotations

import re

import feedparser
import pytest
from fastapi.testclient import TestClient
from lxml import etree

from tests.test_web_fixtures import HOSTILE, HOSTILE_IMG, Stories, make_stories
from tracker.web import create_app


@pytest.fixture
def stories(server, tracker) -> Stories:
    return make_stories(server, tracker)


@pytest.fixture
def client(tracker, stories) -> TestClient:
    return TestClient(create_app(tracker))


def no_markup_from_pages(html: str) -> None:
    """Hostile text from a fetched page appears escaped, never as markup."""
    assert "<script" not in html.lower()
    assert "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    assert "<img" not in html.lower()


def test_stories_page_filters_sorts_and_counts(client, stories):
    html = client.get("/").text
    assert "Wildfire forces evacuations near Riverton" in html and "3 matches" in html
    assert re.search(r"developing <b>3</b>", html)
    assert html.index("Wildfire forces") < html.index("Council debates")  # last change first
    assert "Council" not in client.get("/?label=fire").text
    only = client.get("/stories?q=council").text
    assert "1 match" in only and "Council debates the budget" in only
    assert "0 matches" in client.get("/?state=paused").text
    r = client.get("/?order=url&label=local")
    assert r.status_code == 200 and "2 matches" in r.text
    assert '<option value="fire">fire (1)</option>' in r.text
    assert client.get("/?order=nonsense").status_code == 422


def test_story_page(client, stories):
    html = client.get(f"/stories/{stories.fire}").text
    assert "<svg" in html and 'class="bar' in html  # the activity chart, server-side
    assert html.count(f'href="/stories/{stories.fire}/versions/') >= 3
    assert f'href="/stories/{stories.fire}/diff/2/3"' in html
    assert "added" in html  # lifecycle
    assert f'href="/stories/{stories.fire}/changes.atom"' in html
    broken = client.get(f"/stories/{stories.broken}").text
    assert "Failed checks" in broken and "500" in broken


def test_diff_page_inline_and_side_by_side(client, stories, tracker):
    for layout in ("inline", "side"):
        r = client.get(f"/stories/{stories.fire}/diff/1/2", params={"layout": layout})
        assert r.status_code == 200
        assert "<ins" in r.text and "<del" in r.text
        assert "4,100" in r.text and "3,800" in r.text
    other = client.get(f"/stories/{stories.fire}/diff/1/3").text
    assert "Wildfire forces evacuations near Riverton" in other
    r = client.get(
        f"/stories/{stories.fire}/diff",
        params={"from": 1, "to": 3, "layout": "side"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/stories/{stories.fire}/diff/1/3?layout=side"
    assert client.get(f"/stories/{stories.fire}/diff/1/1").status_code == 400
    assert client.get(f"/stories/{stories.fire}/diff/1/9").status_code == 404


def test_alert_links_resolve_to_the_diff_page(client, stories, tracker):
    tracker.settings.web.base_url = "http://testserver"
    link = tracker.diff(stories.fire_url, 2, 3).meta["web_url"]
    assert link == f"http://testserver/stories/{stories.fire}/diff/2/3"
    assert client.get(link).status_code == 200


def test_hostile_text_is_escaped_everywhere(client, stories):
    for path in (
        f"/stories/{stories.xss}/diff/1/2",
        f"/stories/{stories.xss}/diff/1/2?layout=side",
        f"/stories/{stories.xss}/versions/2",
        f"/stories/{stories.xss}",
        "/",
    ):
        html = client.get(path).text
        no_markup_from_pages(html)
    version = client.get(f"/stories/{stories.xss}/versions/2").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in version
    assert "&lt;img src=x onerror=alert(1)&gt;" in version


def test_version_page_and_raw_download(client, stories, tracker):
    html = client.get(f"/stories/{stories.fire}/versions/1").text
    v = tracker.show(stories.fire_url, 1)[0]
    assert v.content_sha256 in html and v.raw_sha256 in html and "3,800 acres" in html
    r = client.get(f"/stories/{stories.fire}/versions/1/raw")
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in r.headers["content-security-policy"]
    assert r.content == tracker.raw(stories.fire_url, 1)[1]
    t = client.get(f"/stories/{stories.xss}/versions/1/raw", params={"view": "text"})
    assert t.headers["content-type"].startswith("text/plain") and "&lt;script&gt;" in t.text
    api = client.get(f"/api/stories/{stories.fire}/versions/1/raw")
    assert api.headers["content-type"] == "application/octet-stream" and api.content == r.content


def test_error_pages_are_html_with_headers(client):
    r = client.get("/stories/999")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "no story with id 999" in r.text
    assert r.headers["x-frame-options"] == "DENY"


def test_pages_have_no_scripts_or_inline_styles(client, stories):
    for path in (
        "/",
        f"/stories/{stories.fire}",
        f"/stories/{stories.fire}/diff/1/2",
        f"/stories/{stories.fire}/versions/2",
        "/api/docs",
        "/login",
    ):
        html = client.get(path).text
        assert "<script" not in html and " style=" not in html and "<style" not in html, path


def _entries(body: bytes) -> list[etree._Element]:
    root = etree.fromstring(body)
    return root.findall("{http://www.w3.org/2005/Atom}entry")


def test_atom_feeds(client, stories):
    r = client.get("/feeds/changes.atom")
    assert r.headers["content-type"].startswith("application/atom+xml")
    assert len(_entries(r.content)) == 3
    # Links are relative (no base_url): a reader resolves them against the URL it fetched.
    fetched = {
        "content-location": "http://testserver/feeds/changes.atom",
        "content-type": r.headers["content-type"],
    }
    parsed = feedparser.parse(r.content, response_headers=fetched)
    assert not parsed.bozo and len(parsed.entries) == 3
    assert all(e.link.startswith("http://testserver/stories/") for e in parsed.entries)
    assert len(_entries(client.get("/feeds/labels/fire.atom").content)) == 2
    assert len(_entries(client.get("/feeds/labels/nope.atom").content)) == 0
    one = client.get(f"/stories/{stories.xss}/changes.atom").content
    (entry,) = _entries(one)
    content = entry.find("{http://www.w3.org/2005/Atom}content")
    assert content.get("type") == "html"
    # The HTML inside is what a feed reader renders: fetched text is still escaped there.
    no_markup_from_pages(content.text)
    assert "&lt;img src=x onerror=alert(1)&gt;" in content.text
    assert HOSTILE not in content.text and HOSTILE_IMG not in content.text
    assert entry.find("{http://www.w3.org/2005/Atom}summary").text
    assert client.get("/stories/999/changes.atom").status_code == 404


def test_an_unpublished_story(client, stories, server, tracker):
    server.page("/council", "gone", status=404)
    for _ in range(tracker.settings.schedule.confirm_gone):  # confirmed before it counts
        assert tracker.check([stories.xss])[0].outcome == "failed"
    assert tracker.check([stories.xss])[0].outcome == "gone"
    story = client.get(f"/stories/{stories.xss}").text
    assert "unpublished" in story and "HTTP 404" in story
    diff = client.get(f"/stories/{stories.xss}/diff/2/3")
    assert diff.status_code == 200 and "unpublished" in diff.text.lower()
    assert client.get(f"/stories/{stories.xss}/versions/3").status_code == 200
    raw = client.get(f"/stories/{stories.xss}/versions/3/raw")
    assert raw.status_code == 404 and "no raw snapshot" in raw.text
    assert "unpublished" in client.get(f"/stories/{stories.xss}/changes.atom").text
