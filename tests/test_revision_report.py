import json

import tracker.revision as revision
from tracker.records import Article, Diff
from tracker.revision import (
    ChangeReport,
    Facts,
    SentenceOp,
    analyze,
    analyze_returned,
    analyze_unpublished,
)
from tracker.revision.summary import summarize

OLD = Article(
    "Fire grows to 3,800 acres",
    "By Maria Lopez",
    "2026-11-27",
    None,
    (
        "The fire grew to 3,800 acres, officials said. Gov. Newsom declared an emergency.",
        '"We are asking everyone to be ready to go," the sheriff said.',
        "Roads are closed.",
    ),
)
NEW = Article(
    "Fire grows to 4,100 acres",
    "By Maria Lopez",
    "2026-11-27",
    "2026-11-28",
    (
        "The fire grew to 4,100 acres, officials said. Gov. Newsom declared an emergency.",
        '"We are asking everyone to be ready to leave," the sheriff said.',
        "Roads are closed. Correction: An earlier version misspelt a name.",
    ),
)


def test_public_api_is_exported():
    for name in (
        "analyze",
        "analyze_unpublished",
        "analyze_returned",
        "ChangeReport",
        "Facts",
        "SentenceOp",
        "CLASSES",
        "class_at_least",
    ):
        assert name in revision.__all__
        assert hasattr(revision, name)


def test_report_shapes():
    r = analyze(OLD, NEW)
    assert isinstance(r.diff, Diff) and r.diff.title_changed
    assert all(isinstance(op, SentenceOp) for op in r.sentences)
    assert isinstance(r.facts, Facts)
    assert r.change_class == "major"  # the headline changed
    assert r.facts.headline == ("Fire grows to 3,800 acres", "Fire grows to 4,100 acres")
    assert r.facts.numbers_changed == (("3,800 acres", "4,100 acres"),)
    assert r.facts.corrections == ("Correction: An earlier version misspelt a name.",)
    assert len(r.facts.quotes_altered) == 1
    assert r.summary == (
        "headline changed; +1 sentence, 2 updated; 1 number changed (3,800 acres -> 4,100 acres); "
        "1 quote altered; correction added"
    )
    assert set(r.stats) >= {
        "words_added",
        "words_deleted",
        "sentences_added",
        "sentences_deleted",
        "sentences_updated",
        "sentences_moved",
        "share_changed",
    }
    assert 0 < r.stats["share_changed"] < 1


def test_json_round_trip_is_exact_through_json_text():
    r = analyze(OLD, NEW)
    data = r.to_json()
    text = json.dumps(data)
    back = ChangeReport.from_json(json.loads(text))
    assert back == r
    assert back.to_json() == data
    assert data["diff"]["modified_new"] == "2026-11-28"


def test_json_for_the_notify_rules():
    data = analyze(OLD, NEW).to_json()
    assert data["facts"]["headline"] == ["Fire grows to 3,800 acres", "Fire grows to 4,100 acres"]
    assert {"op", "old", "new", "old_index", "new_index", "words"} <= set(data["sentences"][0])
    assert data["class"] == "major"


def test_unpublished():
    r = analyze_unpublished(OLD, 404)
    assert r.change_class == "major"
    assert r.facts.unpublished and not r.facts.returned
    assert r.summary == "unpublished (HTTP 404)"
    assert r.sentences == ()
    assert ChangeReport.from_json(json.loads(json.dumps(r.to_json()))) == r


def test_returned_is_at_least_substantive_and_keeps_major():
    same = analyze_returned(OLD, OLD)
    assert same.change_class == "substantive" and same.facts.returned
    assert same.summary == "returned"
    changed = analyze_returned(OLD, NEW)
    assert changed.change_class == "major"
    assert changed.summary.startswith("returned; headline changed; ")


def _facts(**kw):
    base = dict(
        headline=None,
        byline=None,
        lede_changed=False,
        numbers_changed=(),
        numbers_added=(),
        numbers_removed=(),
        quotes_added=(),
        quotes_removed=(),
        quotes_altered=(),
        corrections=(),
        developing_marker=None,
    )
    return Facts(**{**base, **kw})


def _stats(a=0, d=0, u=0, m=0):
    return {
        "sentences_added": a,
        "sentences_deleted": d,
        "sentences_updated": u,
        "sentences_moved": m,
    }


def test_summary_wording():
    assert (
        summarize(_facts(headline=("a", "b"), numbers_changed=(("12", "15"),)), _stats(2, 1))
        == "headline changed; +2 sentences, -1; 1 number changed (12 -> 15)"
    )
    assert summarize(_facts(), _stats(u=1)) == "1 sentence updated"
    assert summarize(_facts(), _stats(m=2, u=3)) == "3 sentences updated, 2 moved"
    assert summarize(_facts(), _stats(d=1)) == "-1 sentence"
    many = tuple(str(n) for n in range(5))
    assert summarize(_facts(numbers_added=many), _stats()) == "5 numbers added (0, 1, 2, ...)"
    assert summarize(_facts(corrections=("x", "y")), _stats()) == "2 corrections added"
    assert summarize(_facts(developing_marker="disappeared"), _stats()) == (
        "developing marker disappeared"
    )
    assert summarize(_facts(), _stats()) == "no change"
    assert summarize(_facts(), _stats(), text_changed=True) == "layout only"
