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
