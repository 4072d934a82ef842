"""How much a change matters: cosmetic < minor < substantive < major.

The first rule that fires decides, from the top:

**major**
  - the story was unpublished (HTTP 404/410);
  - the headline changed, other than cosmetically;
  - the lede (first paragraph) was rewritten: at least ``LEDE_REWRITE_SHARE`` of its words
    changed, and at least ``LEDE_MIN_WORDS`` of them;
  - at least ``MAJOR_SHARE`` of the text changed (``share_changed``: words added + deleted,
    cosmetic edits aside, over the words of both versions), and at least ``MAJOR_MIN_WORDS``
    words.

**substantive**
  - a sentence with content (a word or a figure) was added or deleted;
  - edited sentences changed more than ``MINOR_MAX_WORDS`` words in all (cosmetic edits
    aside; a hunk counts its larger side);
  - a figure changed, was added or removed; a quote was added, removed or altered;
  - a correction or editor's note appeared; the byline changed (not cosmetically);
  - the story returned after being unpublished.

**minor**
  - any edit that is not cosmetic (a few words), a sentence moved, the developing marker
    appeared or disappeared.

**cosmetic**
  - everything else: whitespace and paragraph breaks, punctuation, case, and typo fixes
    (see ``tracker.revision.cosmetic``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tracker.diff import word_diff
from tracker.revision.align import SentenceOp
from tracker.revision.cosmetic import (
    WordOps,
    count_words,
    edit_is_cosmetic,
    hunk_is_cosmetic,
    hunks,
)
from tracker.revision.facts import Facts, has_content
from tracker.vocab import CHANGE_CLASSES, ChangeClass

CLASSES = CHANGE_CLASSES  # the vocabulary's classes, least to most important

MINOR_MAX_WORDS = 12  # words a minor change may edit inside its sentences
MAJOR_SHARE = 0.4  # share of all words added or deleted that makes a change major
MAJOR_MIN_WORDS = 20  # ...but a short text needs this many words changed too
LEDE_REWRITE_SHARE = 0.5  # share of the lede's words changed that makes it a rewrite
LEDE_MIN_WORDS = 4


def class_at_least(a: str, b: str) -> bool:
    """Is class a at least as serious as class b?"""
    return CLASSES.index(a) >= CLASSES.index(b)


def edit_counts(ops: WordOps) -> tuple[int, int, int, int]:
    """(added, deleted, edited, cosmetic) words of an edit, cosmetic hunks apart.

    ``edited`` counts each non-cosmetic hunk once, by its larger side: "said" -> "stated" is
    one word edited, one added and one deleted.
    """
    added = deleted = edited = cosmetic = 0
    for d, i in hunks(ops):
        nd, ni = count_words(d), count_words(i)
        if hunk_is_cosmetic(d, i):
            cosmetic += max(nd, ni)
        else:
            added, deleted, edited = added + ni, deleted + nd, edited + max(nd, ni)
    return added, deleted, edited, cosmetic


def change_share(old: str, new: str) -> tuple[float, int]:
    """Share of words added + deleted (cosmetic hunks aside) between two short texts, and
    their number."""
    if old == new:
        return 0.0, 0
    added, deleted, _, _ = edit_counts(word_diff(old, new).ops)
    total = count_words(old) + count_words(new)
    return ((added + deleted) / total if total else 0.0), added + deleted


STATS = (
    "sentences_added",
    "sentences_deleted",
    "sentences_updated",
    "sentences_moved",
    "words_added",
    "words_deleted",
    "words_edited",
    "words_cosmetic",
)


def sentence_stats(
    ops: Iterable[SentenceOp], old_words: int, new_words: int
) -> dict[str, float | int]:
    """Counts over the alignment.

    Words added/deleted are those of inserted/deleted sentences plus the non-cosmetic edits
    inside updated and moved sentences; ``share_changed = (added + deleted) / (old + new
    words)``. A moved sentence's words count only where it was edited.
    """
    s: dict[str, float | int] = dict.fromkeys(STATS, 0)
    for op in ops:
        if op.op == "insert":
            s["sentences_added"] += 1
            s["words_added"] += count_words(op.new)
        elif op.op == "delete":
            s["sentences_deleted"] += 1
            s["words_deleted"] += count_words(op.old)
        elif op.op in ("update", "move"):
            s["sentences_updated" if op.op == "update" else "sentences_moved"] += 1
            added, deleted, edited, cosmetic = edit_counts(op.words)
            s["words_added"] += added
            s["words_deleted"] += deleted
            s["words_edited"] += edited
            s["words_cosmetic"] += cosmetic
    total = old_words + new_words
    s["old_words"], s["new_words"] = old_words, new_words
    s["share_changed"] = round((s["words_added"] + s["words_deleted"]) / total, 4) if total else 0.0
    return s


def classify(
    ops: Sequence[SentenceOp],
    facts: Facts,
    stats: dict[str, float | int],
    *,
    title_cosmetic: bool,
    byline_cosmetic: bool,
    lede_share: tuple[float, int],
) -> ChangeClass:
    """The class of a change, by the rules in the module docstring."""
    if facts.unpublished:
        return "major"
    if facts.headline and not title_cosmetic:
        return "major"
    if lede_share[0] >= LEDE_REWRITE_SHARE and lede_share[1] >= LEDE_MIN_WORDS:
        return "major"
    changed = stats["words_added"] + stats["words_deleted"]
    if stats["share_changed"] >= MAJOR_SHARE and changed >= MAJOR_MIN_WORDS:
        return "major"
    edited = [op for op in ops if op.words]
    if (
        facts.returned
        or any(op.op in ("insert", "delete") and has_content(op.old or op.new) for op in ops)
        or stats["words_edited"] > MINOR_MAX_WORDS
        or facts.numbers
        or facts.quotes
        or facts.corrections
        or (facts.byline and not byline_cosmetic)
    ):
        return "substantive"
    if (
        any(not edit_is_cosmetic(op.words) for op in edited)
        or any(op.op == "move" for op in ops)
        or facts.developing_marker
    ):
        return "minor"
    return "cosmetic"
