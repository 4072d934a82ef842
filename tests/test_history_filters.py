"""Filters over a story's whole history (stories list, API, a story's timeline) and the
timeline's notes; the store part runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import sessions
from tests.test_store_search import T0, A, B, C, D, story, write
from tracker.errors import UsageError
from tracker.service import Tracker
from tracker.store import db
from tracker.store import queries as q
from tracker.web import create_app

FIX = "Correction: An earlier version of this story misstated the number of people hurt."
H = timedelta(hours=1)


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = db.make_engine(db_url)
    db.migrate(engine)
    yield db.session_factory(engine)
    engine.dispose()


def _histories(factory: sessionmaker[Session]) -> dict[str, int]:
    """Four stories; each had one kind of event, and then a dull last change."""
    ids = {}
    ids["headline"] = sid = story(factory, "https://news.example/headline")
    write(factory, sid, T0, "Fire at the station", A, B)
    write(factory, sid, T0 + H, "Station fire: two hurt", A, B)
    write(factory, sid, T0 + 2 * H, "Station fire: two hurt", A, B + "  ")
    ids["correction"] = sid = story(factory, "https://news.example/correction")
    write(factory, sid, T0, "Fire", A, B)
    write(factory, sid, T0 + H, "Fire", A, B, FIX)
    write(factory, sid, T0 + 2 * H, "Fire", A, B, FIX, D)
    ids["unpublished"] = sid = story(factory, "https://news.example/gone")
    write(factory, sid, T0, "Fire", A, C)
    write(factory, sid, T0 + H, "", unpublished=True)
    write(factory, sid, T0 + 2 * H, "Fire", A, C)
    ids["quiet"] = sid = story(factory, "https://news.example/quiet")
    write(factory, sid, T0, "Fire", A)
    return ids


def test_filters_see_every_change_not_only_the_latest(factory: sessionmaker[Session]) -> None:
    ids = _histories(factory)
    with factory() as s:
        for kind in ("headline", "correction", "unpublished"):
            found = q.find_stories(s, ever=kind, order="id")
            assert [x.id for x in found.items] == [ids[kind]], kind
            assert found.total == 1
        v2, v3 = (v.change_class for v in q.versions(s, ids["headline"])[1:])
        assert v2 != v3  # the headline change, then a dull one
        assert ids["headline"] in {x.id for x in q.list_stories(s, ever=v2)}
        assert ids["headline"] not in {x.id for x in q.list_stories(s, change_class=v2)}
        assert q.count_matching_stories(s, ever=v2) == len(q.list_stories(s, ever=v2))
        with pytest.raises(UsageError):
            q.list_stories(s, ever="nonsense")


def test_the_timeline_shows_the_new_headline_and_the_changed_sentence(tracker: Tracker) -> None:
    ids = _histories(sessions(tracker))
    client = TestClient(create_app(tracker))
    page = client.get(f"/stories/{ids['headline']}").text
    assert "New headline: <q>Station fire: two hurt</q>" in page
    corrected = client.get(f"/stories/{ids['correction']}").text
    assert "insert: <q>Correction: An earlier version" in corrected
    assert f'href="/export.warc?story={ids["correction"]}"' in corrected
    only = client.get(f"/stories/{ids['correction']}", params={"show": "correction"}).text
    assert only.count('<li class="cls-edge-') == 1 and "v2</a>" in only
    assert client.get(f"/stories/{ids['quiet']}", params={"show": "bogus"}).status_code == 400
    listing = client.get("/", params={"ever": "unpublished"}).text
    assert "news.example/gone" in listing and "news.example/quiet" not in listing
    api = client.get("/api/stories", params={"ever": "headline"}).json()
    assert [s["id"] for s in api["items"]] == [ids["headline"]]


def test_download_buttons_serve_the_exports(tracker: Tracker) -> None:
    ids = _histories(sessions(tracker))
    client = TestClient(create_app(tracker))
    sid = ids["correction"]
    jsonl = client.get("/export.jsonl", params={"what": "versions", "story": sid})
    assert jsonl.status_code == 200 and len(jsonl.text.splitlines()) == 3
    assert "attachment" in jsonl.headers["content-disposition"]
    ops = client.get("/export.csv", params={"what": "sentences", "story": sid}).text
    assert ops.splitlines()[0].startswith("story_id,url,from_version")
    warc = client.get("/export.warc", params={"story": sid})
    assert warc.status_code == 200 and warc.content[:2] == b"\x1f\x8b"  # gzipped records
    assert "/export.csv?what=changes" in client.get("/").text
