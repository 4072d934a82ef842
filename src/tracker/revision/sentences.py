"""Paragraphs -> sentences, with the abbreviations news copy is full of.

A boundary is a run of ``.``, ``!``, ``?`` or ``…`` (plus closing quotes and brackets), then
whitespace, then something that can open a sentence: an upper-case letter, a digit or an
opening quote or bracket. CJK full stops (``。！？``) end a sentence without the whitespace.
A ``.`` boundary is then vetoed when the word before it is

- a title, a month or a place abbreviation that is always followed by more of the name:
  ``Gov.``, ``Mr.``, ``St. Louis``, ``D-St. Louis County``, ``Sept. 30``, ``Mt.``;
- a single letter, i.e. an initial: ``John F. Kennedy``, ``J. K. Rowling``;
- ``No.`` or ``Nos.`` before a digit;
- ``a.m.`` or ``p.m.`` before a day, a month or a time zone: "at 9 a.m. Tuesday" and
  "5 p.m. ET" stay whole, "at 5 p.m. Nobody was hurt" splits;
- a dotted acronym or a company suffix (``U.S.``, ``D.C.``, ``Inc.``, ``Jr.``), unless the
  next word is a common sentence opener (``The``, ``He``, ``But``...): "the U.S. Army" stays
  whole, "moved to the U.S. The next day" splits.

Beyond English (``tracker.lang.data``): the abbreviations of the major European languages
(``z. B.``, ``bzw.``, ``Mme``, ``Sra.``, ``ul.``...), a day number before a month or after
an article (``30. September``, ``der 3. Platz``), Arabic ``؟``, Devanagari ``।`` and the
Urdu ``۔`` as full stops, and quotes in ``«»``, ``„“``, ``»«``, ``「」``: a closing mark after
the full stop stays with its sentence (``« Nous partons. » Il`` splits after ``»``).

Decimals (``3.5``) never split: there is no whitespace after their point. Neither does an
ellipsis or a ``?"`` followed by a lower-case word (``"Why?" she asked.``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from tracker.lang.data import ABBREVIATIONS, MONTHS, ORDINAL_CONTEXT
from tracker.lang.phrases import ABBREVIATED_SCALES, UNITS

# Paragraphs whose sentences (and word counts) a process remembers. A version shares nearly
# all its paragraphs with the one before it, and the same article is split again by the
# sentence index: an edit costs the paragraphs it touched. 1,024 paragraphs (some 25-50
# articles) hold what one check splits twice; 4,096 took the daemon's main process past its
# memory target (152 MB against 150 at 10,000 first versions).
PARAGRAPH_CACHE = 1024


def wordlist(words: str) -> frozenset[str]:
    """A set of words written as one string, for the word lists here and in the other modules."""
    return frozenset(words.split())


# Always followed by more of a name, a date or a number: never the end of a sentence.
TITLES = wordlist(
    "mr mrs ms messrs dr prof gov lt col gen sgt capt cmdr adm maj cpl pvt sen rep reps sens "
    "rev fr sr sra hon pres supt atty det insp gov gens ald amb asst assoc st ste mt ft pt "
    "jan feb mar apr jun jul aug sep sept oct nov dec vs v fig ave blvd rd hwy"
)
# Before a digit only: "No. 5", "Nos. 3 and 4", "Vol. 2", "pp. 12".
BEFORE_NUMBER = wordlist("no nos vol pp p ch art sec")
# "9 a.m. Tuesday", "5 p.m. ET": after a clock time these keep the sentence going; any other
# capitalised word starts a new one ("at 5 p.m. Nobody was hurt.").
AFTER_CLOCK = wordlist(
    "monday tuesday wednesday thursday friday saturday sunday today tonight tomorrow "
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "et est edt pt pst pdt ct cst cdt mt mst mdt gmt utc bst cet local eastern pacific central "
    "mountain"
)
CLOCK = wordlist("a.m p.m am pm")
# May end a sentence: split only when a usual sentence opener follows.
AMBIGUOUS = wordlist("inc corp co ltd llc plc jr bros etc al dept univ")
STARTERS = wordlist(
    "the a an he she it they we i you his her its their our this that these those there then "
    "but and or so yet if when while after before as at in on by for from with no not one two "
    "police officials authorities some many most several all both each no none what who why "
    "how where however meanwhile still also later earlier now today yesterday"
)

# The lookahead names every character a boundary can start with, so the regex skips other
# positions without trying both alternatives (the same matches in half the time).
_BOUNDARY = re.compile(
    r"""(?=[.!?…؟।॥۔。！？｡])"""
    r"""(?:(?P<term>[.!?…؟।॥۔]+)(?:[\s\u00a0\u202f]?[»›])?["'”’“»›«‹」』)\]]*\s+"""
    r"""|[。！？｡]+(?P<close>["'”’」』)）]*)\s*)"""
)
_HYPHEN = re.compile(r"[-/]")
_OPENER = re.compile(r"""[\W_]*([^\W_])""")
_DOTTED = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]$")


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence: its stripped text, where it sits, and the exact slice it came from."""

    text: str
    paragraph: int
    raw: str  # text plus the whitespace / paragraph break that follows it, as in Article.text


def _next_word(text: str, pos: int) -> str:
    m = re.match(r"""[\s"'“‘(\[«„»「]*([\w'’\-]+)""", text[pos : pos + 80])
    return m.group(1) if m else ""


def _can_open(text: str, pos: int) -> bool:
    """Could a sentence start at pos? An upper-case letter, a digit or an opening mark."""
    if pos >= len(text):
        return False
    ch = text[pos]
    if ch in "\"“‘'(«[¿¡—–-„‚‹»›「『《":
        m = _OPENER.match(text, pos)
        return m is not None and not m.group(1).islower()
    return ch.isdigit() or ch.isupper() or (ch.isalpha() and not ch.islower())


def _vetoed(text: str, start: int, end: int) -> bool:
    """Is the "." boundary text[start:end] really an abbreviation?"""
    before = text[max(0, start - 40) : start].split()  # a window: no rescan of the paragraph
    if not before:
        return False
    word = before[-1].lstrip("\"“‘'([«")
    last = _HYPHEN.split(word)[-1]
    key = last.lower()
    nxt = text[end] if end < len(text) else ""
    if key in TITLES or key in ABBREVIATIONS:
        return True
    if last.isdigit() and len(last) <= 2 and _ordinal(before, text, end):
        return True  # "30. September", "der 3. Platz"
    if len(last) == 1 and last.islower() and _SPACED_ABBR.match(text, end):
        return True  # "z. B.", "d. h."
    if key in ABBREVIATED_SCALES and _next_word(text, end).lower() in UNITS:
        return True  # "4,3 Mio. Euro"
    if len(last) == 1 and last.isalpha() and last.isupper():
        return True  # an initial
    if key in BEFORE_NUMBER and nxt.isdigit():
        return True
    if key in CLOCK:
        return _next_word(text, end).lower() in AFTER_CLOCK
    if _DOTTED.match(last) or key in AMBIGUOUS:
        return _next_word(text, end).lower() not in STARTERS
    return False


_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_SPACED_ABBR = re.compile(r"[^\W\d_]\.")


def _ordinal(before: list[str], text: str, end: int) -> bool:
    """A day or rank number with a full stop: before a month, or after an article."""
    if _next_word(text, end).lower() in MONTHS:
        return True
    return len(before) > 1 and before[-2].lower() in ORDINAL_CONTEXT


def split_sentences(paragraph: str) -> list[str]:
    """The sentences of one paragraph, stripped, in order (see the module docstring)."""
    return [s.strip() for s in _pieces(paragraph) if s.strip()]


def _pieces(text: str) -> list[str]:
    """Exact slices of text, one per sentence, each with its trailing whitespace."""
    pieces: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.end()
        if end >= len(text) or not _can_open(text, end):
            continue
        if m.group("close") and _HIRAGANA.match(text, end):
            continue  # 「よし。」と言った: a quote, then the particle that reports it
        # Only a lone "." can be an abbreviation's; "?", "!" and "..." always end a sentence.
        if m.group("term") == "." and _vetoed(text, m.start(), end):
            continue
        pieces.append(text[start:end])
        start = end
    if start < len(text):
        pieces.append(text[start:])
    return pieces


@lru_cache(maxsize=PARAGRAPH_CACHE)
def _paragraph_pieces(paragraph: str) -> tuple[tuple[str, str], ...]:
    """(stripped, slice) of each sentence slice; stripped is "" for a whitespace-only one."""
    return tuple((piece.strip(), piece) for piece in _pieces(paragraph))


def split_paragraphs(paragraphs: tuple[str, ...] | list[str]) -> list[Sentence]:
    """Every sentence of an article; the raw slices join back to ``"\\n\\n".join(paragraphs)``."""
    return list(_split_article(tuple(paragraphs)))


# A new text is split to key it for the sentence index, then again to compare it with the
# version before, a batch of checks later: the last articles' sentences are kept (immutable,
# copied out).
@lru_cache(maxsize=64)
def _split_article(paragraphs: tuple[str, ...]) -> tuple[Sentence, ...]:
    out: list[Sentence] = []
    carry = ""  # text with no sentence in it (blank paragraphs) rides on the next sentence
    last = len(paragraphs) - 1
    for p, para in enumerate(paragraphs):
        sep = "\n\n" if p < last else ""
        pieces = _paragraph_pieces(para)
        if not any(stripped for stripped, _ in pieces):
            if out:
                prev = out[-1]
                out[-1] = Sentence(prev.text, prev.paragraph, prev.raw + para + sep)
            else:
                carry += para + sep
            continue
        final = len(pieces) - 1
        for k, (stripped, piece) in enumerate(pieces):
            raw = carry + piece + sep if k == final else carry + piece
            carry = ""
            if stripped:
                out.append(Sentence(stripped, p, raw))
            else:  # whitespace-only tail of a paragraph: glue to the sentence before it
                prev = out[-1]
                out[-1] = Sentence(prev.text, prev.paragraph, prev.raw + raw)
    return tuple(out)
