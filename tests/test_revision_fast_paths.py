"""The comparison's fast paths give what the plain ones give (issue 17: cheaper, not other).

- words are found with one character class per letter when the text holds no combining
  mark: the same words as ``WORD`` (letters with marks, CJK, apostrophes, numbers);
- the sentence boundary regex starts with a lookahead of the characters a boundary can start
  with: the same boundaries as the plain alternation;
- ``content_hash`` keeps its last few answers: the same hash as computing it afresh, for
  equal articles built apart too;
- an article's sentences are kept for the next split of the same text: the same sentences,
  and each caller gets its own list.
"""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from tracker import extract
from tracker.extract import content_hash
from tracker.records import Article
from tracker.revision import cosmetic, sentences
from tracker.revision.cosmetic import WORD, count_words, words

PLAIN_BOUNDARY = re.compile(
    r"""(?P<term>[.!?…؟।॥۔]+)(?:[\s\u00a0\u202f]?[»›])?["'”’“»›«‹」』)\]]*\s+"""
    r"""|[。！？｡]+(?P<close>["'”’」』)）]*)\s*"""
)
# Letters of several scripts, combining marks, CJK and kana, digits, the joiners WORD allows
# inside a word, sentence ends of several scripts, quotes, brackets and spaces.
ALPHABET = [
    *"abcXYZéßøñ",
    *("e\u0301", "\u0915\u093f", "\u05d0\u05b8", "\u0627\u064e", "\u0300"),
    *"张李東京ひらカナ々ー",
    *"0123456789",
    *"'’-.,:/_",
    *".!?…؟।॥۔。！？｡",
    *'"“”‘»›«‹」』)]（）',
    *(" ", " ", " ", "\n", "\u00a0", "\u202f", "\t"),
]


def _random_texts(seed: int, count: int = 3000) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(ALPHABET, k=rng.randint(0, 60))) for _ in range(count)]


def test_words_match_the_full_pattern_with_and_without_marks() -> None:
    texts = _random_texts(3)
    texts += ["हिंदी में समाचार", "Cafe\u0301 crème", "Don't stop: 3,800 D-St 12.5% co-op"]
    for text in texts:
        assert words(text) == WORD.findall(text), text
        assert count_words(text) == len(WORD.findall(text))
    # both paths ran
    assert any(cosmetic.has_marks(t) for t in texts)
    assert any(not cosmetic.has_marks(t) for t in texts)


def test_sentence_boundaries_match_the_plain_alternation() -> None:
    texts = _random_texts(5)
    texts += [
        "He said so. Then he left! Did he? Yes… «Non.» Fine.” She went on.",
        "彼は「よし。」と言った。次の文。",
        "Dr. Smith arrived at 3 p.m. Monday. The U.S. team won.",
    ]
    for text in texts:
        fast = [
            (m.span(), m.group("term"), m.group("close"))
            for m in sentences._BOUNDARY.finditer(text)
        ]
        plain = [
            (m.span(), m.group("term"), m.group("close")) for m in PLAIN_BOUNDARY.finditer(text)
        ]
        assert fast == plain, text


@pytest.mark.parametrize("paragraphs", [("One. Two.", "Three."), ("Changed. Two.", "Three.")])
def test_content_hash_is_the_same_from_the_cache(paragraphs: tuple[str, ...]) -> None:
    a = Article(title="T", byline="B", published=None, modified=None, paragraphs=paragraphs)
    b = Article(title="T", byline="B", published=None, modified=None, paragraphs=tuple(paragraphs))
    fresh = extract._content_hash(a)
    assert content_hash(a) == fresh
    assert content_hash(a) == fresh  # from the cache
    assert content_hash(b) == fresh  # an equal article built apart
    other = Article(title="T2", byline="B", published=None, modified=None, paragraphs=paragraphs)
    assert content_hash(other) != fresh
    # an Article built with a list of paragraphs is no cache key: hashed all the same
    as_list: Any = list(paragraphs)
    listed = Article(title="T", byline="B", published=None, modified=None, paragraphs=as_list)
    assert content_hash(listed) == fresh


def test_an_article_split_twice_is_the_same_and_a_caller_cannot_change_the_kept_one() -> None:
    paragraphs = ("First one. Second one!", "  ", "Third, with Dr. Who. Fourth?")
    first = sentences.split_paragraphs(paragraphs)
    assert "".join(s.raw for s in first) == "\n\n".join(paragraphs)
    first.clear()  # a caller's list is its own
    again = sentences.split_paragraphs(list(paragraphs))
    assert [s.text for s in again] == [
        "First one.",
        "Second one!",
        "Third, with Dr. Who.",
        "Fourth?",
    ]
    assert again == sentences.split_paragraphs(paragraphs)
