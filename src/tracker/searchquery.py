"""The search language, parsed once and translated for each database; pure, no I/O.

A query is what a researcher types::

    fire station            both words, anywhere in the sentence (or title)
    "central station"       the words side by side, in this order
    fire OR blaze           either word (OR, in capitals, binds the words on its sides)
    fire -drill             fire, but not drill
    evacuat*                any word starting with "evacuat"

Case and accents never matter: the text and the query are folded the same way
(:func:`fold`: Unicode compatibility form, accents dropped, case folded), and the database
indexes the folded words joined by single spaces (:func:`index_text`), so SQLite's FTS5
and PostgreSQL's ``tsvector`` see the very same words and answer alike.

User text never reaches SQL: the translations (:func:`fts5_match`, :func:`pg_tsquery`)
are bound as parameters, and they are built only from folded words (letters and digits),
quotes and operators of our own. A query that leaves nothing to look for (``-``, ``*``,
``""``, only exclusions) is a :class:`~tracker.errors.UsageError` that says why.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from tracker.errors import UsageError

MAX_QUERY_CHARS = 1000  # longer input is refused, not cut: a cut query would mean another thing
MAX_TERMS = 32
MAX_WORD_CHARS = 100  # longer "words" are not words (base64, hashes): never indexed
MAX_INDEX_WORDS = 2000  # one sentence's indexed words; PostgreSQL positions stop at 16383

_WORD = re.compile(r"[^\W_]+")
# A word of the original text, combining marks included (they fold away).
_TEXT_WORD = re.compile(r"(?:[^\W_]|[\u0300-\u036f\u1ab0-\u1aff\u20d0-\u20ff])+")
_LEX = re.compile(r'"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+)')

MARK_OPEN = "**"
MARK_CLOSE = "**"


def fold(text: str) -> str:
    """Case- and accent-free text: compatibility form, combining marks dropped, casefolded."""
    if text.isascii():  # the same result, without a Python loop over every character
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFKD", bare.casefold())


def words(text: str) -> list[str]:
    """The folded words of a text, as both databases index them."""
    return [w for w in _WORD.findall(fold(text)) if len(w) <= MAX_WORD_CHARS]


def index_text(text: str) -> str:
    """What the full-text index holds for a sentence: its folded words, one space apart."""
    return " ".join(words(text)[:MAX_INDEX_WORDS])


@dataclass(frozen=True, slots=True)
class Term:
    """Words that must stand side by side (one word, or a phrase); the last may be a prefix."""

    words: tuple[str, ...]
    prefix: bool = False

    def matches(self, word: str) -> bool:
        """Does a folded word of the text belong to this term (for highlighting)?"""
        if self.prefix and word.startswith(self.words[-1]):
            return True
        return word in self.words


@dataclass(frozen=True, slots=True)
class Query:
    """All of ``groups`` must match (each group: any of its terms), none of ``excluded``."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()

    @property
    def terms(self) -> tuple[Term, ...]:
        return tuple(t for group in self.groups for t in group)


@dataclass(frozen=True, slots=True)
class _Item:
    term: Term | None  # None: the keyword OR
    negated: bool = False


def _term(raw: str) -> Term | None:
    """A lexed word or phrase as a term; None when it holds no letter or digit."""
    found = tuple(words(raw))
    if not found:
        return None
    # "covid-19" is two indexed words side by side: the same as the phrase "covid 19".
    return Term(found, prefix=raw.rstrip().endswith("*"))


def _items(text: str) -> Iterator[_Item]:
    for m in _LEX.finditer(text):
        if m.group("phrase") is not None:
            term = _term(m.group("phrase"))
            negated = m.start() > 0 and text[m.start() - 1] == "-"
        else:
            raw = m.group("word")
            if raw == "OR":
                yield _Item(None)
                continue
            negated = raw.startswith("-")
            if raw.endswith("-") and raw.strip("-") == "":
                continue  # a lone "-" (or the "-" of -"a phrase", read with the phrase)
            term = _term(raw.lstrip("-"))
        if term is not None:
            yield _Item(term, negated)


def parse(text: str) -> Query:
    """Parse a query (see the module docstring); a ``UsageError`` says what is wrong."""
    if len(text) > MAX_QUERY_CHARS:
        raise UsageError(
            f"the search is too long ({len(text)} characters, at most {MAX_QUERY_CHARS})"
        )
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = False
    for item in _items(text):
        if item.term is None:
            join_next = bool(groups)  # a leading or doubled OR joins nothing
            continue
        if item.negated:
            excluded.append(item.term)
        elif join_next:
            groups[-1].append(item.term)
        else:
            groups.append([item.term])
        join_next = False
    if not groups:
        why = "only excluded words" if excluded else "no word to look for"
        raise UsageError(f"nothing to search for in {text[:80]!r}: {why}")
    if sum(len(g) for g in groups) + len(excluded) > MAX_TERMS:
        raise UsageError(f"the search has too many terms (at most {MAX_TERMS})")
    return Query(tuple(tuple(g) for g in groups), tuple(excluded))


# ---------------------------------------------------------------- translations


def _fts5_term(t: Term) -> str:
    return '"' + " ".join(t.words) + '"' + ("*" if t.prefix else "")


def fts5_match(query: Query) -> str:
    """The query as an SQLite FTS5 MATCH expression (bind it as a parameter)."""
    groups = ["(" + " OR ".join(_fts5_term(t) for t in g) + ")" for g in query.groups]
    expr = "(" + " AND ".join(groups) + ")"
    return expr + "".join(f" NOT {_fts5_term(t)}" for t in query.excluded)


def _pg_term(t: Term) -> str:
    lexemes = [f"'{w}'" for w in t.words]
    if t.prefix:
        lexemes[-1] += ":*"
    return "(" + " <-> ".join(lexemes) + ")"


def pg_tsquery(query: Query) -> str:
    """The query as PostgreSQL ``to_tsquery('simple', ...)`` input (bind it as a parameter)."""
    groups = ["(" + " | ".join(_pg_term(t) for t in g) + ")" for g in query.groups]
    return " & ".join(groups + [f"!{_pg_term(t)}" for t in query.excluded])


# ---------------------------------------------------------------- highlighting


def highlight(text: str, query: Query) -> list[tuple[str, bool]]:
    """The text cut into (piece, matched) runs: the words the query's terms match are marked."""
    terms = query.terms
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in _TEXT_WORD.finditer(text):
        if not any(t.matches(w) for w in _WORD.findall(fold(m.group())) for t in terms):
            continue
        if m.start() > pos:
            out.append((text[pos : m.start()], False))
        out.append((m.group(), True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def snippet(text: str, query: Query, width: int = 240) -> str:
    """The text (cut to about ``width`` characters around the first match) with each matched
    word between ``**`` marks."""
    pieces = highlight(text, query)
    first = next((i for i, (_, hit) in enumerate(pieces) if hit), 0)
    before = sum(len(p) for p, _ in pieces[:first])
    start = max(0, before - width // 3) if len(text) > width else 0
    shown, out = 0, []
    for piece, hit in pieces:
        lo, hi = max(start - shown, 0), min(len(piece), start + width - shown)
        shown += len(piece)
        if hi <= lo:
            continue
        part = piece[lo:hi]
        out.append(f"{MARK_OPEN}{part}{MARK_CLOSE}" if hit else part)
    body = "".join(out)
    return ("…" if start > 0 else "") + body + ("…" if start + width < len(text) else "")
