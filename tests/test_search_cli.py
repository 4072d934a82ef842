"""`tracker search` and `tracker reindex` at the command line (SQLite; the store suite runs
the same search on PostgreSQL)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete

from tests.test_store_search import T0, A, B, C, D, story, write
from tracker.store import db
from tracker.store.models import Sentence, SentenceProgress


def _archive(config_file: Path) -> tuple[str, int]:
    url = config_file.read_text().split('url = "')[1].split('"')[0]
    engine = db.make_engine(url)
    db.migrate(engine)
    factory = db.session_factory(engine)
    sid = story(factory, "https://news.example/fire", labels=("europe",))
    write(factory, sid, T0, "Fire at the station", A, f"{B} {C}")
    write(factory, sid, T0 + timedelta(hours=1), "Station fire: two hurt", A, C, D)
    engine.dispose()
    return url, sid


def test_search_json_has_the_contract_fields(cli, config_file: Path) -> None:
    _, sid = _archive(config_file)
    r = cli("search", "HOSPITAL", "--json", config=config_file)
    assert r.code == 0, r.stderr
    (hit,) = json.loads(r.stdout)
    assert {k: hit[k] for k in ("story_id", "url", "text", "first_version", "last_version")} == {
        "story_id": sid,
        "url": "https://news.example/fire",
        "text": B,
        "first_version": 1,
        "last_version": 1,
    }
    assert hit["title"] == "Station fire: two hurt"  # the story's current title
    assert hit["present"] is False and hit["removed_at"] == "2026-11-28T13:00:00+00:00"
    assert hit["snippet"] == B.replace("hospital", "**hospital**")
    assert hit["removed_diff_url"] == f"/api/stories/{sid}/diff?from=1&to=2"


def test_search_filters_and_plain_output(cli, config_file: Path) -> None:
    _archive(config_file)
    present = cli("search", "station", "--present", "--json", config=config_file)
    assert {h["text"] for h in json.loads(present.stdout)} == {A, "Station fire: two hurt"}
    removed = cli("search", "station", "--removed", "--json", config=config_file)
    assert [h["text"] for h in json.loads(removed.stdout)] == ["Fire at the station"]
    other = cli("search", "station", "--label", "asia", "--json", config=config_file)
    assert json.loads(other.stdout) == []
    one = cli("search", "station OR mayor", "--limit", "1", "--json", config=config_file)
    assert len(json.loads(one.stdout)) == 1
    text = cli("search", "mayor", "--story", "https://news.example/fire", config=config_file)
    assert text.code == 0 and "v1-v2" in text.stdout and "**mayor**" in text.stdout


def test_search_usage_errors_are_one_line(cli, config_file: Path) -> None:
    _archive(config_file)
    for args in (["-"], ['""'], ["x", "--removed", "--present"], ["x", "--since", "soon"]):
        r = cli("search", *args, config=config_file)
        assert r.code == 2 and r.stderr.startswith("error: ") and r.stdout == "", (args, r)
    r = cli("search", "x" * 5000, config=config_file)
    assert r.code == 2 and "too long" in r.stderr


def test_reindex_fills_an_index_that_is_behind_and_is_idempotent(cli, config_file: Path) -> None:
    url, _ = _archive(config_file)
    engine = db.make_engine(url)
    with db.transaction(db.session_factory(engine)) as s:  # as a database from before 0006
        s.execute(delete(Sentence))
        s.execute(delete(SentenceProgress))
    engine.dispose()
    before = cli("search", "mayor", config=config_file)
    assert "not fully indexed" in before.stderr and "tracker reindex" in before.stderr
    r = cli("reindex", config=config_file)
    assert r.code == 0 and "indexed 2 versions of 1 stories" in r.stderr
    hits = json.loads(cli("search", "mayor", "--json", config=config_file).stdout)
    assert [(h["first_version"], h["last_version"], h["present"]) for h in hits] == [(1, 2, True)]
    again = cli("reindex", config=config_file)
    assert "indexed 0 versions of 0 stories (1 were up to date)" in again.stderr
    rebuilt = cli("reindex", "--rebuild", config=config_file)
    assert "indexed 2 versions of 1 stories" in rebuilt.stderr
