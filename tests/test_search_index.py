"""SQLite's full-text index fed after the write, in bulk (migration 0012_i17f): every search
sees every sentence written before it, deletes and reused ids never leave a stale entry,
and the migration goes down and up again with the index whole."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.conftest import make_settings, sessions
from tests.servers import article_html
from tracker.searchquery import parse
from tracker.service import Tracker
from tracker.store import db, search_index
from tracker.store import queries as q

PARAS = [
    "The harbour bridge closed at dawn after a barge struck one of its piers.",
    "Engineers will inspect the structure before any traffic returns, officials said.",
]


@pytest.fixture
def t(tmp_path):
    tracker = Tracker(make_settings(f"sqlite:///{tmp_path / 'fts.db'}"))
    tracker.init()
    yield tracker
    tracker.close()


def _sql(t: Tracker, statement: str, **params: object) -> object:
    with sessions(t)() as s, s.begin():
        result = s.execute(text(statement), params)
        return result.scalar() if result.returns_rows else None


def _intact(t: Tracker) -> None:
    # rank 1: the index checked against the content table too (external content).
    _sql(t, "INSERT INTO sentence_fts(sentence_fts, rank) VALUES ('integrity-check', 1)")


def _found(t: Tracker, words: str) -> list[str]:
    search_index.bring_up_to_date(t.store)
    return [h.text for h in t.store.read(q.search, parse(words), limit=100).items]


def _checked(t: Tracker, server, path: str, paras: list[str]) -> int:
    added = t.add([server.page(path, article_html("Bridge", paras))])[0]
    assert t.check([added.story_id])[0].outcome == "first_version"
    return added.story_id


def test_sentences_enter_the_index_after_their_write_and_before_any_search(t, server):
    sid = _checked(t, server, "/a", PARAS)
    assert not t.store.read(q.search_index_behind)  # `tracker check` indexed them at its end
    assert _found(t, "barge") == [PARAS[0]]
    # Written without the index (as the daemon's shards write): pending until a search.
    _sql(
        t,
        "INSERT INTO sentence (story_id, kind, hash, text, norm, first_version) "
        "VALUES (:sid, 'text', 7, 'A ferry now runs.', 'a ferry now runs', 1)",
        sid=sid,
    )
    assert t.store.read(q.search_index_behind)
    assert _found(t, "ferry") == ["A ferry now runs."]
    assert not t.store.read(q.search_index_behind)
    _intact(t)


def test_an_id_sqlite_hands_out_again_is_indexed_afresh(t, server):
    sid = _checked(t, server, "/b", PARAS)
    highest = _sql(t, "SELECT max(id) FROM sentence")
    old = str(_sql(t, "SELECT norm FROM sentence WHERE id = :id", id=highest))
    _sql(t, "DELETE FROM sentence WHERE id = :id", id=highest)  # the newest, indexed one
    _sql(
        t,
        "INSERT INTO sentence (story_id, kind, hash, text, norm, first_version) "
        "VALUES (:sid, 'text', 8, 'Tugboats stand by.', 'tugboats stand by', 1)",
        sid=sid,
    )
    assert _sql(t, "SELECT max(id) FROM sentence") == highest  # the same rowid, reused
    assert _found(t, "tugboats") == ["Tugboats stand by."]
    word = max(old.split(), key=len)
    assert _found(t, word) == []  # the deleted sentence left no entry behind
    _intact(t)


def test_deleting_a_story_with_sentences_not_yet_indexed_keeps_the_index_whole(t, server):
    kept = _checked(t, server, "/c", PARAS)
    gone = _checked(t, server, "/d", ["Divers searched the river for the barge's anchor."])
    _sql(
        t,
        "INSERT INTO sentence (story_id, kind, hash, text, norm, first_version) "
        "VALUES (:sid, 'text', 9, 'Not indexed yet.', 'not indexed yet', 1)",
        sid=gone,
    )
    _sql(t, "DELETE FROM sentence WHERE story_id = :sid", sid=gone)
    assert _found(t, "divers") == [] and _found(t, "indexed") == []
    assert _found(t, "barge") == [PARAS[0]]
    assert kept
    _intact(t)


def test_the_migration_goes_down_and_up_with_the_index_whole(t, server):
    from alembic import command

    sid = _checked(t, server, "/e", PARAS)
    _sql(
        t,
        "INSERT INTO sentence (story_id, kind, hash, text, norm, first_version) "
        "VALUES (:sid, 'text', 10, 'Pending at the downgrade.', 'pending at the downgrade', 1)",
        sid=sid,
    )
    cfg = db._alembic_config(t.store.engine)
    with t.store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0011_i17s")  # the pending sentence goes into the index
    _intact(t)
    with sessions(t)() as s:
        hits = q.search(s, parse("downgrade"), limit=10).items
    assert [h.text for h in hits] == ["Pending at the downgrade."]
    with t.store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert not t.store.read(q.search_index_behind)
    assert _found(t, "harbour") == [PARAS[0]]
    _intact(t)


def test_postgresql_has_nothing_to_bring_up(pg_url):
    t = Tracker(make_settings(pg_url))
    t.init()
    try:
        assert not t.store.read(q.search_index_behind)
        search_index.bring_up_to_date(t.store)  # no table to read there: a no-op
    finally:
        t.close()
