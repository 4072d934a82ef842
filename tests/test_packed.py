"""What a version costs on disk (issue 17): packed reports and headers, binary SHA-256s.

Readers see the same values whatever the stored form; migration 0010_i17g converts an
archive and back, on SQLite and PostgreSQL, without a reader noticing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from tests.conftest import make_settings, sessions
from tests.servers import LocalServer, article_html
from tracker.searchquery import parse
from tracker.service import Tracker
from tracker.store import db, ever, sentences
from tracker.store import queries as q
from tracker.store.history import changes, checks, versions
from tracker.store.models import Story
from tracker.store.packed import (
    HEADERS_DICT_V1,
    HEADERS_V1,
    REPORT_DICT_V1,
    Digest,
    pack,
    unpack,
    unpack_text,
)
from tracker.store.reports import full, slim

PARAS = [
    "The council approved the budget of 4.2 million after a three-hour debate on Tuesday.",
    "Opposition members said the cuts to libraries would hurt the poorest districts most.",
]
CORRECTED = [
    PARAS[0].replace("4.2", "4.5"),
    PARAS[1],
    "Correction: an earlier version of this article misstated the size of the budget.",
]


def test_the_dictionaries_never_change():
    # Rows written with a dictionary can only be read with the same bytes: a new one needs
    # a new format byte (store.packed.FORMATS), never an edit of these.
    digests = {
        "report": hashlib.sha256(REPORT_DICT_V1.encode()).hexdigest()[:16],
        "headers": hashlib.sha256(HEADERS_DICT_V1.encode()).hexdigest()[:16],
    }
    assert digests == {"report": PINNED_REPORT, "headers": PINNED_HEADERS}


PINNED_REPORT = "9bc8fda19907e198"
PINNED_HEADERS = "d24e72ad241c5574"


@pytest.mark.parametrize(
    "value",
    [
        {"summary": "caf\u00e9 \u2026 \U0001f600", "n": [1, 2.5, None, True]},
        {"lone": "\ud800 surrogate from a hostile page"},
        [],
        "",
    ],
)
def test_pack_round_trips_any_json(value: Any):
    blob = pack(value)
    assert blob[0] == 1 and unpack(blob) == value
    assert unpack(pack(value, HEADERS_V1)) == value and unpack(pack(value, 0)) == value


def test_unknown_format_is_an_error():
    with pytest.raises(ValueError, match="unknown packed format"):
        unpack(b"\x7f" + pack({})[1:])


def test_digest_keeps_hex_as_32_bytes_and_anything_else_as_text():
    d = Digest()
    sha = hashlib.sha256(b"x").hexdigest()
    stored = d.process_bind_param(sha, None)  # type: ignore[arg-type]
    assert stored == bytes.fromhex(sha) and len(stored) == 32
    assert d.process_result_value(stored, None) == sha  # type: ignore[arg-type]
    assert d.process_result_value(d.process_bind_param("ABC", None), None) == "ABC"  # type: ignore[arg-type]
    assert d.process_result_value(sha, None) == sha  # type: ignore[arg-type]  (unconverted)
    assert d.process_bind_param(None, None) is None  # type: ignore[arg-type]


def test_summary_and_class_are_stored_once_and_read_back_in_place():
    report = {"version": 1, "class": "minor", "summary": "1 sentence updated", "diff": {}}
    stored = slim(report, "1 sentence updated", "minor")
    assert "summary" not in stored and "class" not in stored
    back = full(stored, "1 sentence updated", "minor")
    assert back == report and list(back) == list(report)  # the same keys, in the same order
    # a revert's summary column says more than its report: the report keeps its own
    revert = slim(report, "reverted to version 1; 1 sentence updated", "minor")
    assert revert["summary"] == "1 sentence updated" and "class" not in revert


# ---------------------------------------------------------------- the migration, both ways


@pytest.fixture
def archive(db_url: str) -> Iterator[tuple[Tracker, LocalServer]]:
    server = LocalServer().start()
    t = Tracker(make_settings(db_url))
    t.init()
    yield t, server
    t.close()
    server.stop()


def _record(t: Tracker, server: LocalServer) -> int:
    url = server.page("/budget", article_html("Budget approved", PARAS))
    (added,) = t.add([url])
    assert t.check([added.story_id])[0].outcome == "first_version"
    server.page("/budget", article_html("Budget approved", CORRECTED))
    assert t.check([added.story_id])[0].outcome == "new_version"
    server.page("/budget", article_html("Budget approved in full", CORRECTED))
    assert t.check([added.story_id])[0].outcome == "new_version"
    return added.story_id


def _everything(t: Tracker, sid: int) -> dict[str, Any]:
    """What readers get: versions, changes (by listing and by id), checks, the filters."""
    with sessions(t)() as s:
        listed = changes(s, story_id=sid)
        corrected = select(Story.id).where(ever.ever_condition("correction"))
        budget, since = parse("budget"), before_all(s, sid)
        return {
            "sentences": sentences.story_sentences(s, sid),
            "search": sentences.search(s, budget),
            "search_until": sentences.search(s, budget, sentences.SearchFilter(until=since)),
            "search_gone": sentences.search(s, budget, sentences.SearchFilter(present=False)),
            "versions": versions(s, sid),
            "changes": listed,
            "by_id": [q.change_by_id(s, c.id) for c in listed],
            "checks": checks(s, sid),
            "reports": ever.change_reports(s, sid),
            "corrected": list(s.scalars(corrected)),
        }


def before_all(s: Any, sid: int) -> Any:
    """A time inside the story's history: after version 1, before version 2."""
    (first, second, *_) = versions(s, sid)
    return first.first_seen + (second.first_seen - first.first_seen) / 2


def _migrate(engine: Engine, rev: str, *, down: bool = False) -> None:
    from alembic import command

    with engine.begin() as conn:
        cfg = db._alembic_config(engine)
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, rev)


def test_migration_converts_an_archive_and_back_without_a_reader_noticing(archive):
    t, server = archive
    sid = _record(t, server)
    before = _everything(t, sid)
    assert before["corrected"] == [sid]
    assert before["search_gone"].items and before["search_until"].total > 0
    assert before["search_until"].total < before["search"].total
    assert all(v.headers for v in before["versions"])  # the local server's headers
    engine = t.store.engine

    _migrate(engine, "0009_i18", down=True)
    with engine.connect() as conn:
        report = conn.execute(text("SELECT CAST(report AS TEXT) FROM change")).scalars().all()
        sha = conn.execute(text("SELECT sha256 FROM snapshot")).scalars().all()
    assert all('"facts"' in r for r in report)  # JSON text again, summary and class back
    assert all('"summary"' in r and '"class"' in r for r in report)
    assert all(isinstance(h, str) and len(h) == 64 for h in sha)

    _migrate(engine, "head")
    with engine.connect() as conn:
        blobs = conn.execute(
            text(
                "SELECT report, headers FROM change JOIN version "
                "ON version.id = change.to_version_id"
            )
        ).all()
        sha = conn.execute(text("SELECT sha256 FROM snapshot")).scalars().all()
    assert all(len(bytes(h)) == 32 for h in sha)
    assert all('"facts"' in unpack_text(bytes(r)) for r, _ in blobs)
    assert all(bytes(h)[0] == HEADERS_V1 for _, h in blobs)
    assert _everything(t, sid) == before


def test_rows_from_before_the_migration_still_read(sqlite_url):
    """A report or hash a crashed migration left as text reads as it did (SQLite keeps it)."""
    t = Tracker(make_settings(sqlite_url))
    t.init()
    try:
        server = LocalServer().start()
        sid = _record(t, server)
        server.stop()
        before = _everything(t, sid)
        with t.store.engine.begin() as conn:
            for (cid,) in conn.execute(text("SELECT id FROM change")).all():
                blob = conn.execute(text("SELECT report FROM change WHERE id = :i"), {"i": cid})
                as_text = unpack_text(bytes(blob.scalar_one()))
                conn.execute(
                    text("UPDATE change SET report = :r WHERE id = :i"), {"r": as_text, "i": cid}
                )
            conn.execute(text("UPDATE snapshot SET sha256 = lower(hex(sha256))"))
        assert _everything(t, sid) == before
    finally:
        t.close()
