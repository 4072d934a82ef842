"""A page's language: what it declares, else what its text reads as.

The declaration is read in the order ``<html lang>``, ``og:locale``, JSON-LD
``inLanguage`` and normalised to its primary subtag (``de-CH`` -> ``de``, ``pt_BR`` ->
``pt``; ``nb``/``nn`` -> ``no``, the old ``iw``/``in`` -> ``he``/``id``). A declaration
whose script contradicts the text (a site-wide ``lang="en"`` on a Chinese article) loses to
the text.

The text is judged on a sample: the script decides for scripts one language owns here
(Hangul: ko; kana: ja; Han alone: zh; Hebrew, Devanagari, Arabic, Greek, Thai), Cyrillic is
Ukrainian when it has і/ї/є/ґ, else Russian; Latin text goes to the language whose common
short words (``STOPWORDS``) and letters of its own (``LETTER_HINTS``: ı, ł, ř, ß, ñ, ã) it
uses most, when at least ``MIN_STOPWORDS`` are found.
"""

from __future__ import annotations

import re
from collections import Counter

from tracker.lang.data import LETTER_HINTS, STOPWORDS

# The languages with noise patterns, sentence rules and number formats (docs/languages.md).
LANGUAGES = (
    "en es fr de pt it nl sv da no pl cs ru uk tr ar he hi id zh ja ko".split()  # noqa: SIM905
)
SAMPLE_CHARS = 4000
MIN_STOPWORDS = 3
_HEAD = 300_000

_HTML_LANG = re.compile(
    r"""<html\b[^>]*?\blang\s*=\s*["']?\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)""", re.I
)
_META = re.compile(r"<meta\b[^<>]*>", re.I)
_OG_LOCALE = re.compile(r"""og:locale["']""", re.I)
_CONTENT = re.compile(r"""content\s*=\s*["']\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)""", re.I)
_JSONLD = re.compile(r""""inLanguage"\s*:\s*"([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)""")
_ALIASES = {"nb": "no", "nn": "no", "iw": "he", "in": "id", "ji": "yi", "jw": "jv"}
_NOT_A_LANGUAGE = {"und", "mul", "zxx", "mis", "x", "i"}
_WORD = re.compile(r"[^\W\d_]+")

# Script ranges, checked by code point (no regex per character).
_SCRIPTS: tuple[tuple[str, int, int], ...] = (
    ("hangul", 0xAC00, 0xD7AF),
    ("hangul", 0x1100, 0x11FF),
    ("kana", 0x3040, 0x30FF),
    ("han", 0x4E00, 0x9FFF),
    ("han", 0x3400, 0x4DBF),
    ("cyrillic", 0x0400, 0x04FF),
    ("arabic", 0x0600, 0x06FF),
    ("hebrew", 0x0590, 0x05FF),
    ("devanagari", 0x0900, 0x097F),
    ("greek", 0x0370, 0x03FF),
    ("thai", 0x0E00, 0x0E7F),
)
_SCRIPT_LANGUAGE = {
    "hangul": "ko",
    "kana": "ja",
    "han": "zh",
    "arabic": "ar",
    "hebrew": "he",
    "devanagari": "hi",
    "greek": "el",
    "thai": "th",
}
_LANGUAGE_SCRIPT = {"ko": "hangul", "ja": "kana", "zh": "han", "ru": "cyrillic", "uk": "cyrillic"}
_LANGUAGE_SCRIPT.update({v: k for k, v in _SCRIPT_LANGUAGE.items() if v not in _LANGUAGE_SCRIPT})
_UKRAINIAN = frozenset("іїєґІЇЄҐ")


def normalise_tag(tag: str | None) -> str | None:
    """A language tag's primary subtag, lower case, with old and Norwegian aliases merged."""
    if not tag:
        return None
    primary = re.split(r"[-_]", tag.strip(), maxsplit=1)[0].lower()
    if not primary.isalpha() or not 2 <= len(primary) <= 3 or primary in _NOT_A_LANGUAGE:
        return None
    return _ALIASES.get(primary, primary)


def declared_language(html: str) -> str | None:
    """The language the page declares: <html lang>, then og:locale, then JSON-LD inLanguage."""
    head = html[:_HEAD]
    m = _HTML_LANG.search(head)
    if m and (tag := normalise_tag(m.group(1))):
        return tag
    for meta in _META.findall(head):
        c = _CONTENT.search(meta) if _OG_LOCALE.search(meta) else None
        if c and (tag := normalise_tag(c.group(1))):
            return tag
    m = _JSONLD.search(html)
    return normalise_tag(m.group(1)) if m else None


def _script_counts(sample: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    if sample.isascii():  # most pages: no character to look up (a Python loop costs ~4 ms)
        letters = sum(map(str.isalpha, sample))
        if letters:
            counts["latin"] = letters
        return counts
    for ch in sample:
        code = ord(ch)
        if code < 0x0370:
            if ch.isalpha():
                counts["latin"] += 1
            continue
        for name, low, high in _SCRIPTS:
            if low <= code <= high:
                counts[name] += 1
                break
    return counts


def _main_script(counts: Counter[str]) -> str | None:
    if not counts:
        return None
    # Japanese is Han plus kana: any real share of kana makes it Japanese.
    if counts["kana"] and counts["kana"] * 10 >= counts["han"]:
        return "kana"
    return counts.most_common(1)[0][0]


def detect_text_language(text: str) -> str | None:
    """The language the text reads as (see the module docstring), or None when unsure."""
    sample = text[:SAMPLE_CHARS]
    script = _main_script(_script_counts(sample))
    if script is None:
        return None
    if script == "cyrillic":
        return "uk" if any(ch in _UKRAINIAN for ch in sample) else "ru"
    if script != "latin":
        return _SCRIPT_LANGUAGE.get(script)
    return _latin_language(sample)


def _latin_language(sample: str) -> str | None:
    words = Counter(w.lower() for w in _WORD.findall(sample) if len(w) > 1)
    scores = {lang: sum(words[w] for w in stop) for lang, stop in STOPWORDS.items()}
    for lang, letters in LETTER_HINTS.items():
        scores[lang] += sum(n for w, n in words.items() if any(ch in letters for ch in w))
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] >= MIN_STOPWORDS else None


def page_language(html: str, text: str) -> str | None:
    """The page's language: its declaration, unless the text's script contradicts it."""
    declared = declared_language(html)
    if declared is None:
        return detect_text_language(text)
    script = _main_script(_script_counts(text[:SAMPLE_CHARS]))
    # A text in the declared script keeps the declaration, whichever Latin language its words
    # suggest: the word count is only needed when the scripts disagree.
    if script is None or script == _script_of(declared):
        return declared
    return detect_text_language(text) or declared


def _script_of(lang: str) -> str:
    return _LANGUAGE_SCRIPT.get(lang, "latin")
