import random
import time

import pytest

from tracker.records import Article
from tracker.revision import MOVE_THRESHOLD, UPDATE_THRESHOLD, analyze, similarity
from tracker.revision.align import _dice, align, similar_pairs
from tracker.revision.sentences import split_paragraphs

SEVEN = "Evacuation centers opened at two high schools."  # 7 distinct words


@pytest.mark.parametrize(
    ("new", "value"),
    [
        ("Evacuation centers opened at a church and county fairgrounds.", 8 / 16),
        ("Evacuation centers opened at a church and the county fairgrounds.", 8 / 17),
        ("Evacuation centers opened at three high schools today.", 12 / 15),
        ("Evacuation centers opened at three high schools on Tuesday.", 12 / 16),
    ],
)
def test_similarity_is_dice_of_word_sets(new, value):
    assert similarity(SEVEN, new) == pytest.approx(value)


def test_thresholds_sit_between_the_edge_cases():
    # The YAML cases threshold_*_edge rely on these exact values.
    assert 8 / 17 < UPDATE_THRESHOLD <= 8 / 16
    assert 12 / 16 < MOVE_THRESHOLD <= 12 / 15
    assert similarity("", "") == 0.0
    assert similarity("Same words here.", "same WORDS here") == 1.0


def _ops(old, new):
    ops, _ = align(split_paragraphs(old), split_paragraphs(new))
    return [(op.op, op.old, op.new) for op in ops if op.op != "equal"]


def test_update_just_at_threshold_and_just_below():
    base = ("Intro sentence stays.", SEVEN, "Outro sentence stays.")
    at = (
        "Intro sentence stays.",
        "Evacuation centers opened at a church and county fairgrounds.",
        "Outro sentence stays.",
    )
    below = (
        "Intro sentence stays.",
        "Evacuation centers opened at a church and the county fairgrounds.",
        "Outro sentence stays.",
    )
    assert [o for o, _, _ in _ops(base, at)] == ["update"]
    assert [o for o, _, _ in _ops(base, below)] == ["delete", "insert"]


def test_move_just_at_threshold_and_just_below():
    base = (SEVEN + " Second stays here.", "Third stays too.")
    at = (
        "Second stays here.",
        "Third stays too. Evacuation centers opened at three high schools today.",
    )
    below = (
        "Second stays here.",
        "Third stays too. Evacuation centers opened at three high schools on Tuesday.",
    )
    assert [o for o, _, _ in _ops(base, at)] == ["move"]
    assert [o for o, _, _ in _ops(base, below)] == ["delete", "insert"]


def test_updates_keep_the_order_and_moves_carry_old_index():
    old = ("A b c d e f.", "G h i j k l. G2 h i j k l.", "M n o p q r.")
    new = ("M n o p q r.", "A b c d e x.", "G h i j k l. G2 h i j k l.")
    ops, _ = align(split_paragraphs(old), split_paragraphs(new))
    assert [op.op for op in ops] == ["move", "update", "equal", "equal"]
    moved = ops[0]
    assert (moved.old_index, moved.new_index, moved.words) == (3, 0, ())
    updated = [op for op in ops if op.op == "update"]
    assert [(op.old, op.new) for op in updated] == [("A b c d e f.", "A b c d e x.")]


def test_prefix_join_finds_exactly_what_brute_force_finds():
    rng = random.Random(7)
    for _ in range(200):
        vocab = rng.randint(3, 25)

        def make(vocab=vocab):
            return frozenset(f"t{rng.randint(0, vocab)}" for _ in range(rng.randint(0, 10)))

        left = [make() for _ in range(rng.randint(0, 12))]
        right = [make() for _ in range(rng.randint(0, 12))]
        for t in (UPDATE_THRESHOLD, MOVE_THRESHOLD):
            got = sorted((i, j) for _, i, j in similar_pairs(left, right, t))
            want = sorted(
                (i, j) for i, a in enumerate(left) for j, b in enumerate(right) if _dice(a, b) >= t
            )
            assert got == want


def _random_article(rng, n_paragraphs):
    words = [f"w{i}" for i in range(400)] + ["the", "a", "said", "police", "fire"] * 20

    def sentence():
        body = " ".join(rng.choice(words) for _ in range(rng.randint(4, 20)))
        return body[0].upper() + body[1:] + rng.choice([".", ".", "?", "!"])

    return [" ".join(sentence() for _ in range(rng.randint(1, 5))) for _ in range(n_paragraphs)]


def _edit(rng, paragraphs):
    out = list(paragraphs)
    for _ in range(rng.randint(1, 6)):
        k = rng.randrange(len(out))
        kind = rng.choice(["word", "drop", "add", "move", "merge", "split"])
        if kind == "word":
            words = out[k].split(" ")
            words[rng.randrange(len(words))] = "changed"
            out[k] = " ".join(words)
        elif kind == "drop" and len(out) > 1:
            out.pop(k)
        elif kind == "add":
            out.insert(k, "Brand new words appear here.")
        elif kind == "move":
            out.insert(rng.randrange(len(out)), out.pop(k))
        elif kind == "merge" and k + 1 < len(out):
            out[k : k + 2] = [out[k] + " " + out[k + 1]]
        elif kind == "split" and ". " in out[k]:
            a, b = out[k].split(". ", 1)
            out[k : k + 1] = [a + ".", b]
    return out


def test_body_ops_rebuild_both_texts_on_random_edits():
    rng = random.Random(42)
    for _ in range(150):
        old = _random_article(rng, rng.randint(0, 8))
        new = _edit(rng, old) if old else _random_article(rng, 3)
        a = Article("t", "b", None, None, tuple(old))
        b = Article("t", "b", None, None, tuple(new))
        report = analyze(a, b)
        ops = report.diff.text.ops
        assert "".join(t for op, t in ops if op != "insert") == a.text
        assert "".join(t for op, t in ops if op != "delete") == b.text
        assert all(ops[i][0] != ops[i + 1][0] for i in range(len(ops) - 1))
        # Every sentence of each side is accounted for exactly once.
        olds = sorted(s.old_index for s in report.sentences if s.old_index is not None)
        news = sorted(s.new_index for s in report.sentences if s.new_index is not None)
        assert olds == list(range(len(split_paragraphs(old))))
        assert news == list(range(len(split_paragraphs(new))))


def test_ten_thousand_words_align_and_classify_fast():
    rng = random.Random(3)
    old = []
    while sum(len(p.split()) for p in old) < 10_000:
        old += _random_article(rng, 1)
    new = list(old)
    new[5] = new[5].replace(new[5].split()[2], "edited", 1)
    new.insert(40, new.pop(12))  # a paragraph moved
    new[60] += " The toll rose to 57 people."
    del new[80]
    a = Article("t", "b", None, None, tuple(old))
    b = Article("t", "b", None, None, tuple(new))
    analyze(a, b)  # warm up
    best = min(_timed(analyze, a, b) for _ in range(5))
    # Target: 50 ms on a 2-core machine (benchmarks/bench_revision.py measures it); the bound
    # here leaves room for a loaded CI runner.
    assert best < 0.25


def test_a_full_rewrite_of_a_long_article_stays_bounded():
    rng = random.Random(5)
    a = Article("t", "b", None, None, tuple(_random_article(rng, 120)))
    b = Article("t", "b", None, None, tuple(_random_article(rng, 120)))
    assert min(_timed(analyze, a, b) for _ in range(3)) < 1.0
    assert analyze(a, b).change_class == "major"


def _timed(fn, *args):
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t
