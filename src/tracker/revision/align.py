"""Sentence alignment between two versions: equal, update, insert, delete, move.

Three passes, each cheap enough for a 10,000-word article:

1. **Exact.** Every distinct sentence becomes one character, and diff-match-patch (Myers'
   minimal diff) aligns the two strings of sentences. Sentences found on one side only are
   left out first: they cannot match, and without them a rewrite costs nothing. Matching
   sentences are ``equal``; what lies between them are *gaps* of deleted and inserted ones.
2. **Moves, exact.** A sentence deleted in one gap and inserted, word for word, in another is
   a ``move``.
3. **Updates, within a gap.** The rest of a gap is paired by similarity: a deleted and an
   inserted sentence with ``similarity >= UPDATE_THRESHOLD`` are one sentence edited
   (``update``, with its word diff). Pairs are taken best first and never cross, so the order
   of the text is kept; in a long gap only sentences within ``GAP_WINDOW`` places of each
   other's proportional position are compared.
4. **Moves, edited.** Whatever is still unpaired, anywhere in the article, pairs when
   ``similarity >= MOVE_THRESHOLD``: a sentence moved and edited (``move`` with words).

Similarity is the Dice coefficient of the two sentences' sets of lower-cased words
(``2 |A ∩ B| / (|A| + |B|)``). Candidate pairs come from a prefix-filtered set join
(tokens ordered rarest first; two sets that reach the threshold must share a token among their
first few), so a full rewrite never compares every sentence with every other.

The pairs also give the body's word diff without running diff-match-patch over the whole text:
equal sentences stay equal, updates carry their own word diff, the rest is whole-sentence
deletes and inserts. Its ops join back to both texts exactly.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from diff_match_patch import diff_match_patch

from tracker.diff import word_diff
from tracker.records import DiffOp
from tracker.revision.cosmetic import words
from tracker.revision.sentences import Sentence

# Dice similarity at or above which a deleted and an inserted sentence in the same gap are one
# sentence, edited. 0.5: half the words survive (a 10-word sentence keeps 5 of them).
UPDATE_THRESHOLD = 0.5
# Similarity at or above which two sentences in different places are one sentence, moved.
# Stricter than an update: far apart, only a near copy is believable.
MOVE_THRESHOLD = 0.8
# Inside one gap an old sentence is compared with the new ones within this many places of
# its proportional position: edits keep their place, and a rewrite stays linear.
GAP_WINDOW = 30
# diff-match-patch gives up after this many seconds and returns a valid, coarser diff; the
# passes below still find what it left as moves. Only a wholesale reshuffle gets near it.
EXACT_TIMEOUT_S = 0.2

OpName = Literal["equal", "update", "insert", "delete", "move"]


@dataclass(frozen=True, slots=True)
class SentenceOp:
    """One step of the sentence alignment; ``words`` is the word diff of an edited sentence."""

    op: OpName
    old: str | None
    new: str | None
    old_index: int | None
    new_index: int | None
    paragraph: int | None
    words: tuple[tuple[DiffOp, str], ...] = ()


def word_set(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in words(text))


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the word sets: 1.0 same words, 0.0 none shared (or no words)."""
    return _dice(word_set(a), word_set(b))


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    total = len(a) + len(b)
    return 2 * len(a & b) / total if total else 0.0


def similar_pairs(
    left: list[frozenset[str]],
    right: list[frozenset[str]],
    threshold: float,
    window: int | None = None,
) -> list[tuple[float, int, int]]:
    """All (similarity, i, j) with Dice >= threshold, by a prefix-filtered set join; with a
    window, only pairs within that many places of the diagonal (j ~ i * len(right) / len(left))."""
    if not left or not right:
        return []
    jaccard = threshold / (2 - threshold)  # Dice >= t implies Jaccard >= t / (2 - t)
    freq = Counter(tok for s in (*left, *right) for tok in s)

    def prefix(s: frozenset[str]) -> list[str]:
        ordered = sorted(s, key=lambda tok: (freq[tok], tok))
        return ordered[: len(s) - math.ceil(jaccard * len(s) - 1e-9) + 1]

    index: dict[str, list[int]] = {}
    for j, s in enumerate(right):
        for tok in prefix(s):
            index.setdefault(tok, []).append(j)
    out: list[tuple[float, int, int]] = []
    ratio = len(right) / len(left)
    for i, a in enumerate(left):
        seen: set[int] = set()
        for tok in prefix(a):
            seen.update(index.get(tok, ()))
        for j in seen:
            if window is not None and abs(j - i * ratio) > window:
                continue
            b = right[j]
            # Cheap size bound first: Dice can never exceed 2 min / (|A| + |B|).
            if 2 * min(len(a), len(b)) < threshold * (len(a) + len(b)):
                continue
            sim = _dice(a, b)
            if sim >= threshold:
                out.append((sim, i, j))
    return out


Gap = tuple[int, int, int, int]  # old[i1:i2] deleted, new[j1:j2] inserted
Sets = dict[int, frozenset[str]]


@dataclass
class _Pairs:
    """The pairings found by passes 2-4, by old and by new index."""

    update: dict[int, int]
    move_old: dict[int, int]  # old index -> new index
    move_new: dict[int, int]  # new index -> old index


def _non_crossing(cands: list[tuple[float, int, int]]) -> list[tuple[int, int]]:
    """Best-first pairs that keep the order on both sides."""
    olds: list[int] = []
    news: list[int] = []
    used_new: set[int] = set()
    for _sim, i, j in sorted(cands, key=lambda c: (-c[0], c[1], c[2])):
        p = bisect.bisect_left(olds, i)
        if (p < len(olds) and olds[p] == i) or j in used_new:
            continue
        if (p > 0 and news[p - 1] > j) or (p < len(news) and news[p] < j):
            continue
        olds.insert(p, i)
        news.insert(p, j)
        used_new.add(j)
    return list(zip(olds, news, strict=True))


def _exact_moves(old: list[Sentence], new: list[Sentence], gaps: list[Gap], pairs: _Pairs) -> None:
    """Pass 2: a sentence deleted in one gap and inserted word for word in another."""
    waiting: dict[str, list[int]] = {}
    for _i1, _i2, j1, j2 in gaps:
        for j in range(j1, j2):
            waiting.setdefault(new[j].text, []).append(j)
    for i1, i2, _j1, _j2 in gaps:
        for i in range(i1, i2):
            js = waiting.get(old[i].text)
            if js:
                j = js.pop(0)
                pairs.move_old[i], pairs.move_new[j] = j, i


def _gap_updates(sets_old: Sets, sets_new: Sets, gaps: list[Gap], pairs: _Pairs) -> None:
    """Pass 3: similar sentences in the same gap, best first, never crossing."""
    for i1, i2, j1, j2 in gaps:
        olds = [i for i in range(i1, i2) if i not in pairs.move_old]
        news = [j for j in range(j1, j2) if j not in pairs.move_new]
        if olds and news:
            cands = similar_pairs(
                [sets_old[i] for i in olds],
                [sets_new[j] for j in news],
                UPDATE_THRESHOLD,
                GAP_WINDOW,
            )
            for a, b in _non_crossing(cands):
                pairs.update[olds[a]] = news[b]


def _edited_moves(sets_old: Sets, sets_new: Sets, pairs: _Pairs) -> None:
    """Pass 4: near copies among what is left, anywhere in the article."""
    used_new = set(pairs.update.values()) | set(pairs.move_new)
    olds = [i for i in sets_old if i not in pairs.update and i not in pairs.move_old]
    news = [j for j in sets_new if j not in used_new]
    cands = similar_pairs([sets_old[i] for i in olds], [sets_new[j] for j in news], MOVE_THRESHOLD)
    for _sim, a, b in sorted(cands, key=lambda c: (-c[0], c[1], c[2])):
        i, j = olds[a], news[b]
        if i not in pairs.move_old and j not in pairs.move_new:
            pairs.move_old[i], pairs.move_new[j] = j, i


def _pair(old: list[Sentence], new: list[Sentence], gaps: list[Gap]) -> _Pairs:
    pairs = _Pairs({}, {}, {})
    _exact_moves(old, new, gaps, pairs)
    sets_old = {i: word_set(old[i].text) for a, b, _, _ in gaps for i in range(a, b)}
    sets_new = {j: word_set(new[j].text) for _, _, a, b in gaps for j in range(a, b)}
    _gap_updates(sets_old, sets_new, gaps, pairs)
    _edited_moves(sets_old, sets_new, pairs)
    return pairs


class _Builder:
    """Collects sentence ops and the body's word ops, in reading order."""

    def __init__(self, old: list[Sentence], new: list[Sentence]) -> None:
        self.old, self.new = old, new
        self.ops: list[SentenceOp] = []
        self._body: list[tuple[DiffOp, list[str]]] = []  # runs of one op, joined once at the end

    def text(self, op: DiffOp, text: str) -> None:
        if not text:
            return
        if self._body and self._body[-1][0] == op:
            self._body[-1][1].append(text)
        else:
            self._body.append((op, [text]))

    def body(self) -> tuple[tuple[DiffOp, str], ...]:
        return tuple((op, "".join(chunks)) for op, chunks in self._body)

    def texts(self, ops: tuple[tuple[DiffOp, str], ...] | list[tuple[DiffOp, str]]) -> None:
        for op, text in ops:
            self.text(op, text)

    def edited(self, i: int, j: int) -> tuple[tuple[DiffOp, str], ...]:
        """Word diff of sentence i -> j; the body gets it with the surrounding whitespace."""
        a, b = self.old[i], self.new[j]
        words = word_diff(a.text, b.text).ops
        lead_a, trail_a = _edges(a)
        lead_b, trail_b = _edges(b)
        self.texts(_swap(lead_a, lead_b))
        self.texts(words)
        self.texts(_swap(trail_a, trail_b))
        return words

    def equal(self, i: int, j: int) -> None:
        a, b = self.old[i], self.new[j]
        self.ops.append(SentenceOp("equal", a.text, b.text, i, j, b.paragraph))
        if a.raw == b.raw:
            self.text("equal", a.raw)
        else:
            self.edited(i, j)

    def delete(self, i: int, moved: bool) -> None:
        a = self.old[i]
        if not moved:  # a moved sentence is reported once, where it went
            self.ops.append(SentenceOp("delete", a.text, None, i, None, a.paragraph))
        self.text("delete", a.raw)

    def insert(self, j: int, moved_from: int | None) -> None:
        b = self.new[j]
        if moved_from is None:
            self.ops.append(SentenceOp("insert", None, b.text, None, j, b.paragraph))
        else:
            a = self.old[moved_from]
            words = () if a.text == b.text else word_diff(a.text, b.text).ops
            self.ops.append(SentenceOp("move", a.text, b.text, moved_from, j, b.paragraph, words))
        self.text("insert", b.raw)

    def update(self, i: int, j: int) -> None:
        words = self.edited(i, j)
        a, b = self.old[i], self.new[j]
        self.ops.append(SentenceOp("update", a.text, b.text, i, j, b.paragraph, words))


def _edges(s: Sentence) -> tuple[str, str]:
    start = s.raw.find(s.text)
    return s.raw[:start], s.raw[start + len(s.text) :]


def _swap(a: str, b: str) -> list[tuple[DiffOp, str]]:
    return [("equal", a)] if a == b else [("delete", a), ("insert", b)]


def _matches(a: list[int], b: list[int]) -> list[tuple[int, int]]:
    """Index pairs of equal sentences, in order on both sides (a minimal diff's equalities)."""
    common = set(a) & set(b)
    ai = [i for i, x in enumerate(a) if x in common]
    bi = [j for j, x in enumerate(b) if x in common]
    # One character per distinct sentence, above the BMP so no surrogate is ever made.
    sa = "".join(chr(0x10000 + a[i]) for i in ai)
    sb = "".join(chr(0x10000 + b[j]) for j in bi)
    dmp = diff_match_patch()
    dmp.Diff_Timeout = EXACT_TIMEOUT_S
    out: list[tuple[int, int]] = []
    pa = pb = 0
    for code, chars in dmp.diff_main(sa, sb, False):
        if code == 0:
            out.extend((ai[pa + k], bi[pb + k]) for k in range(len(chars)))
        pa += len(chars) if code <= 0 else 0
        pb += len(chars) if code >= 0 else 0
    return out


def _blocks(
    pairs: list[tuple[int, int]], n_old: int, n_new: int
) -> list[tuple[bool, int, int, int, int]]:
    """(is_equal, i1, i2, j1, j2) runs covering both sides, like SequenceMatcher opcodes."""
    out: list[tuple[bool, int, int, int, int]] = []
    i = j = 0
    for pi, pj in [*pairs, (n_old, n_new)]:
        if pi > i or pj > j:
            out.append((False, i, pi, j, pj))
        if pi < n_old:
            out.append((True, pi, pi + 1, pj, pj + 1))
        i, j = pi + 1, pj + 1
    return out


def align(
    old: list[Sentence], new: list[Sentence]
) -> tuple[tuple[SentenceOp, ...], tuple[tuple[DiffOp, str], ...]]:
    """Sentence ops in reading order (deletes at their old place) and the body's word ops."""
    ids: dict[str, int] = {}
    a = [ids.setdefault(s.text, len(ids)) for s in old]
    b = [ids.setdefault(s.text, len(ids)) for s in new]
    blocks = _blocks(_matches(a, b), len(a), len(b))
    gaps = [(i1, i2, j1, j2) for equal, i1, i2, j1, j2 in blocks if not equal]
    pairs = _pair(old, new, gaps)
    out = _Builder(old, new)
    for equal, i1, i2, j1, j2 in blocks:
        if equal:
            out.equal(i1, j1)
            continue
        i, j = i1, j1
        for pi, pj in sorted((x, y) for x, y in pairs.update.items() if i1 <= x < i2):
            _flush(out, pairs, range(i, pi), range(j, pj))
            out.update(pi, pj)
            i, j = pi + 1, pj + 1
        _flush(out, pairs, range(i, i2), range(j, j2))
    return tuple(out.ops), out.body()


def _flush(out: _Builder, pairs: _Pairs, olds: range, news: range) -> None:
    for i in olds:
        out.delete(i, moved=i in pairs.move_old)
    for j in news:
        out.insert(j, pairs.move_new.get(j))
