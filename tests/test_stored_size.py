"""What a version costs on disk: an unchanged title, byline or date is stored once in the
change's report, and every reader still gets the full report."""

from __future__ import annotations

import sqlite3

from tests.conftest import sessions
from tests.servers import article_html
from tracker.revision import ChangeReport
from tracker.store import queries as q
from tracker.store.packed import unpack_text
from tracker.store.reports import full, slim

PARAS = [
    "The council approved the budget of 4.2 million after a three-hour debate on Tuesday.",
    "Opposition members said the cuts to libraries would hurt the poorest districts most.",
]


def test_unchanged_diff_fields_are_stored_once_and_read_in_full(tracker, server, sqlite_url):
    url = server.page("/budget", article_html("Budget approved", PARAS))
    (added,) = tracker.add([url])
    assert tracker.check([added.story_id])[0].outcome == "first_version"
    server.page("/budget", article_html("Budget approved", [PARAS[0].replace("4.2", "4.5")]))
    assert tracker.check([added.story_id])[0].outcome == "new_version"

    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        (blob,) = db.execute("SELECT report FROM change").fetchone()
    db.close()
    raw = unpack_text(blob)  # stored packed (zstd with a dictionary, store.packed)
    assert len(blob) < len(raw) / 2
    assert '"title_old":"Budget approved"' in raw and "title_new" not in raw
    assert '": ' not in raw and '", "' not in raw, "JSON columns are stored without spaces"

    with sessions(tracker)() as s:
        (change,) = q.changes(s, story_id=added.story_id)
        again = q.change_by_id(s, change.id)
    for report in (change.report, again.report):
        d = report["diff"]
        assert d["title_new"] == d["title_old"] == "Budget approved"
        assert d["byline_new"] == d["byline_old"]
        assert ChangeReport.from_json(report).diff.title_new == "Budget approved"


def test_slim_keeps_what_changed():
    report = {
        "diff": {
            "title_old": "A",
            "title_new": "B",
            "byline_old": "X",
            "byline_new": "X",
            "published_old": None,
            "published_new": "2026-11-30",
            "ops": [],
        }
    }
    stored = slim(report)
    assert stored["diff"] == {
        "title_old": "A",
        "title_new": "B",
        "byline_old": "X",
        "published_old": None,
        "published_new": "2026-11-30",
        "ops": [],
    }
    assert full(stored) == report
    assert full({"diff": "not a dict"}) == {"diff": "not a dict"}
