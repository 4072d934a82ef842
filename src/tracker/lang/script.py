"""Scripts written without spaces between words: Chinese characters and Japanese kana.

Their text is compared character by character (``tracker.diff``), and each character counts
as a word in the change statistics: a changed figure or name in a Chinese sentence is that
change, not the whole sentence. Hangul is written with spaces and keeps its words.
"""

from __future__ import annotations

import re

# Kana, CJK ideographs (and extension A, compatibility), the iteration mark and the long vowel.
CJK = "\u3005\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_CHAR = re.compile(f"[{CJK}]")


def has_cjk(text: str) -> bool:
    return CJK_CHAR.search(text) is not None


# Combining marks Python's ``\w`` leaves out: Devanagari vowel signs and virama, Arabic and
# Hebrew vowel points, Latin combining accents. Without them "हिंदी" falls apart into letters.
MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
    "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"
    "\u0900-\u0903\u093a-\u094f\u0951-\u0957\u0962\u0963"
)
# A letter of a word in a spaced script: a word character that is no digit, underscore or
# CJK character, or a combining mark.
LETTER = f"(?:[^\\W\\d_{CJK}]|[{MARKS}])"
# Letters and digits of such a word.
WORD_CHAR = f"(?:[^\\W_{CJK}]|[{MARKS}])"
# The same in text without combining marks (most text): one character class instead of an
# alternation per character, which Python's re scans about twice as fast.
WORD_CHAR_UNMARKED = f"[^\\W_{CJK}]"
_MARK = re.compile(f"[{MARKS}]")


def has_marks(text: str) -> bool:
    """Does the text hold a combining mark (the one case that needs ``WORD_CHAR`` in full)?"""
    return _MARK.search(text) is not None
