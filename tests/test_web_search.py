"""/search, its downloads and /api/search: the same rows as `tracker search --json`."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.conftest import sessions
from tests.test_store_search import T0, A, B, C, D, story, write
from tracker.service import Tracker
from tracker.web import create_app


@pytest.fixture
def client(tracker: Tracker) -> TestClient:
    factory = sessions(tracker)
    sid = story(factory, "https://news.example/fire", labels=("europe",))
    write(factory, sid, T0, "Fire <script>alert(1)</script>", A, f"{B} {C}")
    write(factory, sid, T0 + timedelta(hours=1), "Station fire: two hurt", A, C, D)
    return TestClient(create_app(tracker))


def test_api_search_is_paginated_like_the_story_list(client: TestClient) -> None:
    r = client.get("/api/search", params={"q": "fire OR mayor", "limit": 3})
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == 5 and len(page["items"]) == 3 and page["next"] and page["prev"] is None
    rest = client.get(page["next"]).json()
    assert len(rest["items"]) == 2 and rest["next"] is None
    texts = {h["text"] for h in page["items"] + rest["items"]}
    assert texts == {A, B, C, "Fire <script>alert(1)</script>", "Station fire: two hurt"}
    removed = client.get("/api/search", params={"q": "hospital", "which": "removed"}).json()
    (hit,) = removed["items"]
    assert hit["present"] is False and hit["last_version"] == 1 and hit["removed_version"] == 2


@pytest.mark.parametrize("bad", ["-", '"', "*", "x" * 1001])
def test_api_search_refuses_a_query_with_nothing_to_find(client: TestClient, bad: str) -> None:
    r = client.get("/api/search", params={"q": bad})
    assert r.status_code in (400, 422) and "error" in r.json()


def test_the_page_highlights_escapes_and_links_the_diffs(client: TestClient) -> None:
    r = client.get("/search", params={"q": "hospital"})
    assert r.status_code == 200
    assert "<mark>hospital</mark>" in r.text
    assert 'href="/stories/1/versions/1"' in r.text  # appeared in the first version
    assert 'href="/stories/1/diff/1/2"' in r.text  # vanished in version 2
    page = client.get("/search", params={"q": "script"}).text
    assert "<script>" not in page and "&lt;<mark>script</mark>&gt;" in page
    assert client.get("/search", params={"q": "-"}).status_code == 400
    assert "No sentence matches" in client.get("/search", params={"q": "zebra"}).text


def test_downloads_carry_the_same_rows(client: TestClient) -> None:
    api = client.get("/api/search", params={"q": "fire", "limit": 100}).json()["items"]
    jsonl = client.get("/search.jsonl", params={"q": "fire"})
    assert jsonl.headers["content-disposition"] == 'attachment; filename="search.jsonl"'
    assert [json.loads(line) for line in jsonl.text.splitlines()] == api
    rows = list(csv.DictReader(io.StringIO(client.get("/search.csv", params={"q": "fire"}).text)))
    assert [r["text"] for r in rows] == [h["text"] for h in api]
    assert rows[0]["present"] in ("true", "false")
