"""What an editor would point at: headline, byline, lede, numbers, quotes, notes, markers.

- **numbers** are figures as the word diff tokenises them (``4,300``, ``12.5%``, ``$1,000``,
  ``3:45``, ordinals like ``14th``; not codes glued to Latin letters like ``M4``, ``A380``
  or ``COVID-19``; in CJK text ``約85％`` is the figure ``85％``)
  plus the unit that follows when it is one of ``UNITS`` (``3,800 acres``,
  ``$2 million``, ``9 a.m.``), in every language's formats, scales and units
  (``4.300 Menschen``, ``4 300 personnes``, ``4,3 Mio.``, ``١٢٣``; ``tracker.lang``).
  Inside an edited (or moved-and-edited) sentence, old and new figures are aligned in order
  and a replaced one pairs with its replacement by position:
  ``12 -> 15``; a pair whose figure, scale and clock agree (``12 people -> 12``) is no
  change. A date, a tally (``20-8``) or a road number (``Highway 299``) pairs only with one
  of its own kind (``tracker.lang.numbers.kind``): a date added beside a figure is no
  "12 -> 30", while a changed date still reads "30 -> 31"; dates are not listed as figures
  added or removed. Figures in inserted sentences are *added*, in deleted ones *removed*; a figure
  both removed and added (a rewritten sentence repeating it) cancels out. Each distinct
  figure or pair is listed once.
- **quotes** are text between straight or curly double quotes, guillemets, „German“ or
  「CJK」 marks with at least ``QUOTE_MIN_WORDS`` words (CJK: ``QUOTE_MIN_CJK_CHARS``
  characters) (shorter ones are names and scare quotes). Quotes are compared
  over the whole article, so a quote that moves is unchanged; a removed and an added quote
  with similarity ``>= QUOTE_ALTERED_THRESHOLD`` are one quote *altered*, unless the edit
  inside it is cosmetic (a typo fixed, curly quotes): then it is the same quote.
- **corrections** are new or edited sentences that now carry a ``CORRECTION`` phrase
  ("Correction:", "Editor's note", "This story has been updated", "An earlier version of
  this story", and their like in every language: ``tracker.lang.phrases``) they did not
  carry before.
- **developing marker**: a ``DEVELOPING`` phrase in the title or text, or the extractor's
  ``Article.developing`` flag, appeared or disappeared.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Literal, TypeVar

from tracker.diff import word_diff
from tracker.lang import numbers as local_numbers
from tracker.lang import phrases
from tracker.lang.script import LETTER, has_cjk
from tracker.records import Article
from tracker.revision.align import SentenceOp, similar_pairs, word_set
from tracker.revision.cosmetic import edit_is_cosmetic
from tracker.revision.sentences import PARAGRAPH_CACHE, wordlist

T = TypeVar("T")

QUOTE_MIN_WORDS = 3
QUOTE_ALTERED_THRESHOLD = 0.5

SCALES = phrases.SCALES
UNITS = (
    wordlist(
        """acres acre hectares square miles mile kilometers kilometres km meters metres feet foot
    inches inch yards pounds kilograms kg tons tonnes gallons liters litres barrels degrees mph
    percent per cent points dollars euros cents people persons residents homes houses
    buildings structures businesses deaths dead injured injuries victims casualties cases
    patients students children adults families households customers workers employees jobs
    votes voters seats members officers firefighters troops soldiers migrants refugees
    arrests suspects vehicles cars flights passengers hours minutes seconds days weeks months
    years counties states countries shots times"""
    )
    | phrases.UNITS
)
_NUMBER = re.compile(
    r"(?<![0-9A-Za-z_.,])(?<![^\W\d_]-)(?:[%％](?=\d))?[-+]?[$€£¥₹₽]?"
    rf"(?:{local_numbers.DIGITS})(?:[ \u00a0\u202f]?[%％‰]|st|nd|rd|th)?"
    r"(?![0-9A-Za-z_])"
)
_CLOCK = re.compile(r"\s*[ap]\.m\.", re.I)
_NEXT_WORD = re.compile(rf"\s+({LETTER}+)(?!\w)")
_QUOTE = phrases.QUOTE
CORRECTION = phrases.CORRECTION
DEVELOPING = re.compile(
    r"developing story|will be updated|live updates|this story is developing", re.I
)
_STRAIGHT = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
_WORDISH = re.compile(r"\w")


@dataclass(frozen=True, slots=True)
class Facts:
    """The notable changes between two versions (see the module docstring for the rules)."""

    headline: tuple[str, str] | None
    byline: tuple[str, str] | None
    lede_changed: bool
    numbers_changed: tuple[tuple[str, str], ...]
    numbers_added: tuple[str, ...]
    numbers_removed: tuple[str, ...]
    quotes_added: tuple[str, ...]
    quotes_removed: tuple[str, ...]
    quotes_altered: tuple[tuple[str, str], ...]
    corrections: tuple[str, ...]
    developing_marker: Literal["appeared", "disappeared"] | None
    unpublished: bool = False
    returned: bool = False

    @property
    def numbers(self) -> bool:
        return bool(self.numbers_changed or self.numbers_added or self.numbers_removed)

    @property
    def quotes(self) -> bool:
        return bool(self.quotes_added or self.quotes_removed or self.quotes_altered)


def numbers(text: str) -> list[str]:
    """The figures in text, each with its scale word and unit when present."""
    return [mention for mention, _ in mentions(text)]


def mentions(text: str) -> list[tuple[str, local_numbers.Kind]]:
    """The figures in text with their kind (figure, date, tally, route)."""
    out: list[tuple[str, local_numbers.Kind]] = []
    for m in _NUMBER.finditer(text):
        parts, end = [m.group()], m.end()
        clock = _CLOCK.match(text, end)
        if clock:
            parts.append(clock.group().strip())
        else:
            for allowed in (SCALES, UNITS):  # "$2 million", "3,800 acres", "4.5 million acres"
                w = _NEXT_WORD.match(text, end)
                if w and (w.group(1).lower() in allowed or _is_unit(w.group(1), allowed)):
                    word, end = w.group(1), w.end()
                    if word.lower() in phrases.ABBREVIATED_SCALES and text[end : end + 1] == ".":
                        word, end = word + ".", end + 1  # "4,3 Mio."
                    parts.append(word)
        out.append((" ".join(parts), local_numbers.kind(text, m.start(), m.end())))
    return out


def _value(mention: str) -> str:
    """The figure with its scale and clock, without the unit: "12 people" and "12" agree."""
    head, _, last = mention.rpartition(" ")
    return head if head and _is_unit(last, UNITS) else mention


def _is_unit(word: str, allowed: frozenset[str]) -> bool:
    w = word.lower()
    return w in allowed or w + "s" in allowed


def _number_facts(
    ops: Sequence[SentenceOp],
) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    changed: list[tuple[str, str]] = []
    added: list[str] = []
    removed: list[str] = []
    for op in ops:
        if op.op == "insert":
            added += _not_dates(op.new)
        elif op.op == "delete":
            removed += _not_dates(op.old)
        elif op.op in ("update", "move") and op.words:
            c, r, d = _sentence_figures(op.old or "", op.new or "")
            changed += c
            removed += r
            added += d
    both = Counter(added) & Counter(removed)  # repeated by a rewrite: neither added nor removed
    added = list((Counter(added) - both).elements())
    removed = list((Counter(removed) - both).elements())
    return _unique(changed), _unique(added), _unique(removed)


def _sentence_figures(
    old_text: str, new_text: str
) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """(changed pairs, removed, added) between two versions of one sentence: each kind pairs
    alone, dates are never "added" or "removed", and a figure that only changed kind is
    neither (a typo in "November 12" leaves a bare "12": the figure is still there)."""
    old, new = mentions(old_text), mentions(new_text)
    changed: list[tuple[str, str]] = []
    removed: Counter[str] = Counter()
    added: Counter[str] = Counter()
    dates_gone: Counter[str] = Counter()
    dates_new: Counter[str] = Counter()
    for k in dict.fromkeys(kind for _, kind in old + new):  # each kind pairs alone
        a = [m for m, kind in old if kind == k]
        b = [m for m, kind in new if kind == k]
        c, r, d = _pair(a, b)
        changed += c
        if k == "date":
            dates_gone.update(r)
            dates_new.update(d)
        else:
            removed.update(r)
            added.update(d)
    return changed, list((removed - dates_new).elements()), list((added - dates_gone).elements())


def _not_dates(text: str | None) -> list[str]:
    return [m for m, kind in mentions(text or "") if kind != "date"]


def _pair(a: list[str], b: list[str]) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """(changed pairs, removed, added) between two sentences' figures of one kind."""
    changed: list[tuple[str, str]] = []
    removed: list[str] = []
    added: list[str] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        k = min(i2 - i1, j2 - j1)  # replaced figures pair up by position
        pairs = zip(a[i1 : i1 + k], b[j1 : j1 + k], strict=True)
        changed += [(x, y) for x, y in pairs if _value(x) != _value(y)]
        removed += a[i1 + k : i2]
        added += b[j1 + k : j2]
    return changed, removed, added


def _unique(items: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(items))


def quotes(paragraphs: Iterable[str]) -> list[str]:
    """Quoted passages of at least QUOTE_MIN_WORDS words, per paragraph, in order."""
    return [q for para in paragraphs for q in _paragraph_quotes(para)]


@lru_cache(maxsize=PARAGRAPH_CACHE)  # an edit's unchanged paragraphs were read already
def _paragraph_quotes(para: str) -> tuple[str, ...]:
    out = []
    for m in _QUOTE.finditer(para):
        q = " ".join(next(g for g in m.groups() if g).split()).strip(" ,;:")
        long_cjk = has_cjk(q) and len(q) >= phrases.QUOTE_MIN_CJK_CHARS
        if len(q.split()) >= QUOTE_MIN_WORDS or long_cjk:
            out.append(q)
    return tuple(out)


def _quote_key(q: str) -> str:
    """Curly or straight apostrophes, case and edge punctuation do not make a new quote."""
    return q.translate(_STRAIGHT).strip(" ,.;:!?—–-").casefold()


def _quote_facts(old: Article, new: Article) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    a, b = quotes(old.paragraphs), quotes(new.paragraphs)
    ka, kb = Counter(map(_quote_key, a)), Counter(map(_quote_key, b))
    gone = ka - kb
    came = kb - ka
    removed = _unique(q for q in a if _take(gone, _quote_key(q)))
    added = _unique(q for q in b if _take(came, _quote_key(q)))
    cands = similar_pairs(
        [word_set(q) for q in removed], [word_set(q) for q in added], QUOTE_ALTERED_THRESHOLD
    )
    altered: list[tuple[str, str]] = []
    used_a: set[int] = set()
    used_b: set[int] = set()
    for _sim, i, j in sorted(cands, key=lambda c: (-c[0], c[1], c[2])):
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            # A typo fixed or a comma moved inside a quote leaves the quote what it was.
            if not edit_is_cosmetic(word_diff(removed[i], added[j]).ops):
                altered.append((removed[i], added[j]))
    altered.sort(key=lambda pair: added.index(pair[1]))
    return (
        [q for j, q in enumerate(added) if j not in used_b],
        [q for i, q in enumerate(removed) if i not in used_a],
        altered,
    )


def _take(counter: Counter[str], key: str) -> bool:
    if counter[key] > 0:
        counter[key] -= 1
        return True
    return False


def _corrections(ops: Sequence[SentenceOp]) -> list[str]:
    out = []
    for op in ops:
        if op.op not in ("insert", "update", "move") or not op.new:
            continue
        if CORRECTION.search(op.new) and not CORRECTION.search(op.old or ""):
            out.append(op.new)
    return _unique(out)


def has_developing_marker(article: Article) -> bool:
    return article.developing or bool(DEVELOPING.search(article.title + "\n" + article.text))


def _marker(old: Article, new: Article) -> Literal["appeared", "disappeared"] | None:
    was, now = has_developing_marker(old), has_developing_marker(new)
    if was == now:
        return None
    return "appeared" if now else "disappeared"


def has_content(text: str | None) -> bool:
    """Does a sentence have a word or figure in it (not just a dash or a bullet)?"""
    return bool(text and _WORDISH.search(text))


def find_facts(old: Article, new: Article, ops: Sequence[SentenceOp]) -> Facts:
    """The facts of a change, from the two articles and their sentence alignment."""
    changed, added, removed = _number_facts(ops)
    q_added, q_removed, q_altered = _quote_facts(old, new)
    lede_old = " ".join(old.paragraphs[0].split()) if old.paragraphs else ""
    lede_new = " ".join(new.paragraphs[0].split()) if new.paragraphs else ""
    return Facts(
        headline=(old.title, new.title) if old.title != new.title else None,
        byline=(old.byline, new.byline) if old.byline != new.byline else None,
        lede_changed=lede_old != lede_new,
        numbers_changed=tuple(changed),
        numbers_added=tuple(added),
        numbers_removed=tuple(removed),
        quotes_added=tuple(q_added),
        quotes_removed=tuple(q_removed),
        quotes_altered=tuple(q_altered),
        corrections=tuple(_corrections(ops)),
        developing_marker=_marker(old, new),
    )
