import json

from tracker.records import Article
from tracker.render import RENDERERS, render_json
from tracker.revision import analyze, analyze_unpublished

OLD = Article(
    "Fire grows to 3,800 acres",
    "By Maria Lopez",
    None,
    None,
    ("The fire grew to 3,800 acres. Crews are working.", "Roads are closed.", "More soon."),
)
NEW = Article(
    "Fire grows to 4,100 acres",
    "By Maria Lopez",
    None,
    None,
    ("The fire grew to 4,100 acres. Crews are working.", "More soon.", "Schools closed."),
)
META = {
    "url": "https://example.org/fire",
    "from": 3,
    "to": 4,
    "from_time": "2026-11-28T10:00:00+00:00",
    "to_time": "2026-11-28T11:00:00+00:00",
    "web_url": "https://tracker.example/stories/1/diff/3/4",
}


def test_contract_keys_and_types():
    out = render_json(analyze(OLD, NEW), META)
    json.dumps(out)  # serialisable as is
    assert out["from"] == 3 and out["to"] == 4
    assert isinstance(out["from"], int) and isinstance(out["to"], int)
    assert out["title"] == {"old": "Fire grows to 3,800 acres", "new": "Fire grows to 4,100 acres"}
    assert out["url"] == "https://example.org/fire"
    assert out["class"] == "major"
    assert out["summary"].startswith("headline changed")
    assert {"facts", "stats", "sentences", "ops", "byline"} <= set(out)
    for s in out["sentences"]:
        assert {"op", "old", "new", "old_index", "new_index", "words"} <= set(s)


def test_ops_are_word_level_and_rebuild_both_texts():
    out = render_json(analyze(OLD, NEW), META)
    ops = out["ops"]
    assert all(op in ("equal", "insert", "delete") for op, _ in ops)
    assert "".join(t for op, t in ops if op != "insert") == OLD.text
    assert "".join(t for op, t in ops if op != "delete") == NEW.text
    # The changed figure is its own op: word granularity, not whole sentences.
    assert ["delete", "3,800"] in ops and ["insert", "4,100"] in ops


def test_meta_numbers_as_strings_become_ints_and_missing_times_are_none():
    out = render_json(analyze(OLD, NEW), {"url": "u", "from": "1", "to": "2"})
    assert (out["from"], out["to"], out["from_time"], out["web_url"]) == (1, 2, None, None)


def test_unpublished_report_renders():
    out = render_json(analyze_unpublished(OLD, 410), META)
    assert out["facts"]["unpublished"] is True
    assert out["class"] == "major" and out["ops"] == [] and out["sentences"] == []


def test_registered():
    assert RENDERERS["json"] is render_json
