import pytest

from tracker.records import Article
from tracker.revision import CLASSES, analyze, class_at_least
from tracker.revision.classify import (
    LEDE_MIN_WORDS,
    LEDE_REWRITE_SHARE,
    MAJOR_MIN_WORDS,
    MAJOR_SHARE,
    MINOR_MAX_WORDS,
)
from tracker.revision.cosmetic import TYPO_MAX_EDITS, hunk_is_cosmetic, osa_distance

FILLER = tuple(
    f"Paragraph {w} holds the steady background text that nobody edits at all today."
    for w in ("one", "two", "three", "four", "five", "six", "seven", "eight")
)


def art(*paragraphs: str, title: str = "Title") -> Article:
    return Article(title, "By A. Writer", None, None, paragraphs)


def test_classes_are_ordered():
    assert CLASSES == ("cosmetic", "minor", "substantive", "major")
    assert class_at_least("major", "substantive")
    assert class_at_least("minor", "minor")
    assert not class_at_least("cosmetic", "minor")


@pytest.mark.parametrize(
    ("a", "b", "d"),
    [
        ("teh", "the", 1),
        ("hgih", "high", 1),
        ("kitten", "sitting", 3),
        ("", "ab", 2),
        ("a", "a", 0),
    ],
)
def test_osa_distance(a, b, d):
    assert osa_distance(a, b) == d


@pytest.mark.parametrize(
    ("deleted", "inserted", "cosmetic"),
    [
        ("  ", " ", True),
        ("Fire", "fire", True),
        (",", "", True),
        ("recieve", "receive", True),
        ("investigaton", "investigation", True),
        ("abcdef", "abcxyz", False),  # three edits: more than TYPO_MAX_EDITS
        ("homes", "houses", False),  # two edits in a short word
        ("goverment", "governmint", True),  # two edits in a long word
        ("goverment", "guvernmint", False),  # three
        ("now", "not", False),  # a negation is never a typo
        ("12", "15", False),  # figures are never typos
        ("3,800", "3800", False),
        ("cat", "dog", False),
        ("the fire", "a fire", False),
    ],
)
def test_cosmetic_hunks(deleted, inserted, cosmetic):
    assert TYPO_MAX_EDITS == 2
    assert hunk_is_cosmetic(deleted, inserted) is cosmetic


def _edit_words(n: int) -> str:
    return " ".join(f"new{i}" for i in range(n))


def test_minor_limit_edge():
    # One long sentence, n of its words replaced in one run: minor up to MINOR_MAX_WORDS.
    words = [f"w{i}" for i in range(40)]
    old = art(" ".join(words) + ".", *FILLER)

    def replaced(n):
        return art(
            " ".join(words[:5] + [f"x{i}" for i in range(n)] + words[5 + n :]) + ".", *FILLER
        )

    assert analyze(old, replaced(MINOR_MAX_WORDS)).change_class == "minor"
    assert analyze(old, replaced(MINOR_MAX_WORDS + 1)).change_class == "substantive"


def test_major_share_edge():
    lede = "The lede stays exactly the same in every version of this story."
    body = [f"Sentence {i} w{i}a w{i}b w{i}c w{i}d w{i}e w{i}f w{i}g w{i}h." for i in range(10)]
    old = art(lede, *body)
    # Each sentence is 10 words; replace k sentences with 10 new words each.
    total = 12 + 100  # words in old (the lede has 12)

    def replaced(k):
        new_body = [f"Other {i} v{i}a v{i}b v{i}c v{i}d v{i}e v{i}f v{i}g v{i}h." for i in range(k)]
        return art(lede, *new_body, *body[k:])

    def share(k):
        return 2 * 10 * k / (2 * total)

    k_major = next(k for k in range(11) if share(k) >= MAJOR_SHARE)
    assert 10 * 2 * k_major >= MAJOR_MIN_WORDS
    assert analyze(old, replaced(k_major)).change_class == "major"
    assert analyze(old, replaced(k_major - 1)).change_class == "substantive"
    assert analyze(old, replaced(k_major)).stats["share_changed"] == pytest.approx(
        share(k_major), abs=1e-3
    )


def test_major_share_needs_enough_words():
    # A tiny story: 4 of 10 words changed is 40% but far below MAJOR_MIN_WORDS.
    old, new = art("Lede stays.", "Fire grows fast."), art("Lede stays.", "Fire shrinks slowly.")
    report = analyze(old, new)
    assert report.stats["share_changed"] >= MAJOR_SHARE
    assert MAJOR_MIN_WORDS > 4
    assert report.change_class == "substantive"


def test_lede_rewrite_edge():
    lede = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima."
    words = lede[:-1].split()
    old = art(lede.capitalize(), *FILLER)

    def changed(n):
        return art(" ".join([f"z{i}" for i in range(n)] + words[n:]).capitalize() + ".", *FILLER)

    # Replacing n of 12 words changes 2n of 24: a rewrite from 6 words (share 0.5).
    n = next(n for n in range(13) if 2 * n / 24 >= LEDE_REWRITE_SHARE)
    assert 2 * n >= LEDE_MIN_WORDS
    assert analyze(old, changed(n)).change_class == "major"
    assert "lede rewritten" in analyze(old, changed(n)).summary
    assert analyze(old, changed(n - 1)).change_class != "major"
