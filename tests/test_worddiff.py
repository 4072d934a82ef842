import pytest

from tracker.diff import tokenize, word_diff
from tracker.records import WordDiff


def joined(ops, keep):
    return "".join(t for op, t in ops if op in keep)


def replacements(diff: WordDiff) -> list[tuple[str, str]]:
    """Adjacent delete+insert pairs, e.g. ``("4,300", "4,307")``."""
    ops = diff.ops
    return [
        (ops[i][1].strip(), ops[i + 1][1].strip())
        for i in range(len(ops) - 1)
        if ops[i][0] == "delete" and ops[i + 1][0] == "insert"
    ]


@pytest.mark.parametrize(
    ("old", "new", "pair"),
    [
        ("About 4,300 acres burned.", "About 4,307 acres burned.", ("4,300", "4,307")),
        ("Up 12.5% today.", "Up 13.1% today.", ("12.5%", "13.1%")),
        (
            "It cost $1,000,000 in total.",
            "It cost $1,200,000 in total.",
            ("$1,000,000", "$1,200,000"),
        ),
        ("At 3:45 p.m. police said", "At 4:10 p.m. police said", ("3:45", "4:10")),
    ],
)
def test_numbers_change_as_whole_tokens(old, new, pair):
    d = word_diff(old, new)
    assert pair in replacements(d)


def test_ops_rebuild_both_texts_exactly():
    old = "The governor said Monday that 12 people died.\n\nMore later."
    new = "The governor said Tuesday that 15 people died, officials said.\n\nMore later."
    d = word_diff(old, new)
    assert joined(d.ops, {"equal", "delete"}) == old
    assert joined(d.ops, {"equal", "insert"}) == new
    assert d.changed


def test_identical_and_empty_texts():
    assert word_diff("same", "same").ops == (("equal", "same"),)
    assert word_diff("", "").ops == ()
    assert word_diff("", "new text").ops == (("insert", "new text"),)


def test_tokenizer_keeps_words_and_abbreviations_whole():
    toks = tokenize("D-St. Louis County's 4,300 don't")
    assert "D-St" in toks and "County's" in toks and "4,300" in toks and "don't" in toks
    assert "".join(toks) == "D-St. Louis County's 4,300 don't"


def test_huge_vocabulary_stays_one_to_one():
    old = " ".join(f"w{i}" for i in range(70_000))
    new = old.replace("w69999", "changed")
    d = word_diff(old, new)
    assert joined(d.ops, {"equal", "insert"}) == new
    assert ("w69999", "changed") in replacements(d)
