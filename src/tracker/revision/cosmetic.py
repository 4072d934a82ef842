"""What counts as a cosmetic edit: one that changes how the text looks, not what it says.

An edit is split into hunks (a run of deleted and inserted text between unchanged words). A
hunk is cosmetic when

- it changes only whitespace, punctuation or case: both sides read the same once
  punctuation is dropped and case folded (``"Fire officials" -> "fire officials,"``); or
- it replaces words one for one, each a typo of its replacement: one edit (a letter added,
  dropped, changed, or two neighbours swapped), or up to ``TYPO_MAX_EDITS`` when both words
  have at least ``TYPO_LONG_WORD`` letters: ``"teh" -> "the"``, ``"investigaton" ->
  "investigation"``, ``"Sao" -> "São"``, but not ``"homes" -> "houses"`` (two edits in a
  short word);

and never when a figure changes (``12 -> 15``, ``3,800 -> 3800``) or a negation is involved
(``now -> not``, ``NEGATIONS``). A Chinese character or kana is a word of its own (for the
counts too) and never a typo of another: ``张 -> 李`` is a changed name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

from tracker.lang.script import CJK, WORD_CHAR, WORD_CHAR_UNMARKED, has_cjk, has_marks
from tracker.records import DiffOp
from tracker.revision.sentences import PARAGRAPH_CACHE, wordlist

TYPO_MAX_EDITS = 2  # edits a typo may take in a long word (one in a short word)
TYPO_LONG_WORD = 7  # letters from which a word counts as long
# Short words one edit apart that change the meaning: never a typo fix.
NEGATIONS = wordlist("no not nor never none now")

WordOps = Sequence[tuple[DiffOp, str]]
WORD = re.compile(rf"[{CJK}]|{WORD_CHAR}+(?:['’\-.,:/]{WORD_CHAR}+)*")
# WORD for text without combining marks: the same matches, in about half the time.
_WORD_UNMARKED = re.compile(rf"[{CJK}]|{WORD_CHAR_UNMARKED}+(?:['’\-.,:/]{WORD_CHAR_UNMARKED}+)*")
_PUNCT = re.compile(r"[^\w\s]|_")
_DIGIT = re.compile(r"\d")


def words(text: str) -> list[str]:
    """``WORD.findall(text)``, by the faster pattern when the text has no combining mark."""
    return (WORD if has_marks(text) else _WORD_UNMARKED).findall(text)


def count_words(text: str | None) -> int:
    return len(words(text)) if text else 0


@lru_cache(maxsize=PARAGRAPH_CACHE)
def _paragraph_words(paragraph: str) -> int:
    return len(words(paragraph))


def paragraph_words(paragraphs: Sequence[str]) -> int:
    """``count_words`` of the paragraphs joined by blank lines (no word spans a paragraph
    break), each paragraph counted once per process: an edit's unchanged paragraphs are
    the old version's, already counted."""
    return sum(_paragraph_words(p) for p in paragraphs)


def hunks(ops: WordOps) -> Iterator[tuple[str, str]]:
    """(deleted, inserted) text of each run of non-equal word ops."""
    deleted = inserted = ""
    for op, text in ops:
        if op == "equal":
            if deleted or inserted:
                yield deleted, inserted
            deleted = inserted = ""
        elif op == "delete":
            deleted += text
        else:
            inserted += text
    if deleted or inserted:
        yield deleted, inserted


def osa_distance(a: str, b: str) -> int:
    """Edit distance counting a swap of neighbours as one edit (optimal string alignment)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _typo(a: str, b: str) -> bool:
    a, b = a.lower(), b.lower()
    if a == b:
        return True
    if a in NEGATIONS or b in NEGATIONS or _DIGIT.search(a + b) or has_cjk(a + b):
        return False
    allowed = TYPO_MAX_EDITS if min(len(a), len(b)) >= TYPO_LONG_WORD else 1
    return osa_distance(a, b) <= allowed


def hunk_is_cosmetic(deleted: str, inserted: str) -> bool:
    """Whitespace, punctuation or case only, or each word within a typo of its replacement."""
    if _DIGIT.search(deleted + inserted) and WORD.findall(deleted) != WORD.findall(inserted):
        return False
    a = WORD.findall(_PUNCT.sub(" ", deleted).lower())
    b = WORD.findall(_PUNCT.sub(" ", inserted).lower())
    if a == b:
        return True
    return len(a) == len(b) and all(_typo(x, y) for x, y in zip(a, b, strict=True))


def edit_is_cosmetic(ops: WordOps) -> bool:
    return all(hunk_is_cosmetic(d, i) for d, i in hunks(ops))
