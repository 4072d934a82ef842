"""What a change keeps in the database: the changes in full, nothing the versions already hold."""

import json

from tracker.records import Article
from tracker.revision import ChangeReport, analyze, compact_report

OLD = Article(
    "Fire grows",
    "Jane",
    None,
    None,
    (
        "Crews fought the fire overnight. About 3,800 acres have burned, officials said.",
        "Residents of 12 homes were told to leave. Roads north of town are closed.",
        "The cause is under investigation.",
    ),
)
NEW = Article(
    "Fire grows to 4,100 acres",
    "Jane",
    None,
    None,
    (
        "Crews fought the fire overnight. About 4,100 acres have burned, officials said.",
        "Residents of 12 homes were told to leave. Roads north of town are closed.",
        'The cause is under investigation. "We are doing all we can," the chief said.',
    ),
)


def test_stored_report_round_trips_everything_but_unchanged_sentences():
    full = analyze(OLD, NEW)
    stored = compact_report(full)
    back = ChangeReport.from_json(json.loads(json.dumps(stored)))
    changed = [(o.op, o.old, o.new, o.words) for o in full.sentences if o.op != "equal"]
    assert [(o.op, o.old, o.new, o.words) for o in back.sentences] == changed
    assert (back.change_class, back.summary, back.facts, back.stats) == (
        full.change_class,
        full.summary,
        full.facts,
        full.stats,
    )
    assert (
        back.diff.title_old == "Fire grows" and back.diff.title_new == "Fire grows to 4,100 acres"
    )
    assert all(s["op"] != "equal" for s in stored["sentences"])
    assert len(json.dumps(stored)) < len(json.dumps(full.to_json()))


def test_long_unchanged_text_is_cut_to_its_edges():
    paras = tuple(
        f"Paragraph {i} says nothing new at all, it is long and it stays." for i in range(50)
    )
    old = Article("T", "", None, None, paras)
    new = Article("T", "", None, None, (*paras[:25], "A new paragraph appears.", *paras[25:]))
    stored = compact_report(analyze(old, new))
    assert len(json.dumps(stored)) < 2000
    assert any(op == "insert" and "new paragraph" in text for op, text in stored["diff"]["ops"])


def test_published_basis_skips_tombstones():
    from tracker.revision import VersionRef, published_basis

    refs = [VersionRef(1), VersionRef(2), VersionRef(3, unpublished=True), VersionRef(4)]
    assert published_basis(refs, 4) == 4
    assert published_basis(refs, 3) == 2
    assert published_basis([VersionRef(1, unpublished=True)], 1) == 1
    tail = [VersionRef(1), VersionRef(2, unpublished=True), VersionRef(3, unpublished=True)]
    assert published_basis(tail, 3) == 1
