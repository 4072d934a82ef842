"""The extraction's fast paths give what the plain ones give (issue 17: cheaper, not other).

- the built-in noise regex starts with a lookahead of the characters a match can start with:
  it must find the same matches as the plain alternation, on every case text, on page-like
  text and on text built from the patterns' own words;
- ``normalise_text`` returns a long one-line text's noise untouched without searching it,
  and collapses whitespace with ``str.split``: the same result as the rules it replaces.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from tracker import extract
from tracker.extract import NOISE_MAX_LINE, NOISE_PATTERNS, ExtractOptions, normalise_text

CASES = yaml.safe_load(
    (Path(__file__).parent / "data" / "extract_cases.yaml").read_text(encoding="utf-8")
)
PLAIN = re.compile("|".join(f"(?:{p})" for p in NOISE_PATTERNS), re.I)
FAST = re.compile(extract.noise_regex(NOISE_PATTERNS), re.I)
WORD_TEXT = (
    "one an a few 12 3,800 1.2K 7m just now ago views read reads comments shares likes "
    "reactions share tweet post email send this on to via article story page facebook x "
    "copy link copied Views: View COMMENTS ſhares ＳＨＡＲＥ ٣ ١٢ views Ⅻ ³ seconds minutes"
)
WORDS = WORD_TEXT.split()


def _spans(rx: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in rx.finditer(text)]


def _texts() -> list[str]:
    texts = [c["text"] for c in CASES["normalise"]]
    # every pair and triple of the patterns' words, in both cases, with spaces and lines
    for i, a in enumerate(WORDS):
        for b in WORDS[i:]:
            texts += [f"{a} {b}", f"{b} {a}", f"{a}\n{b}", f"x{a} {b}y", f"{a} {b} ago"]
            texts += [f"{a.upper()} {b}", f"{a} {b.title()} now"]
    return texts


def test_noise_lookahead_finds_the_same_matches() -> None:
    texts = _texts()
    assert sum(bool(_spans(PLAIN, t)) for t in texts) > 300  # the texts do hold noise
    for text in texts:
        assert _spans(FAST, text) == _spans(PLAIN, text), text


def test_noise_lookahead_on_every_starting_character() -> None:
    # A match must start with a character the lookahead admits: try each code point in
    # front of each pattern word, so a pattern starting elsewhere would show up here.
    tails = ("5 minutes ago", " views", "s ago", "ust now", "hare this", "iews: 12", "opy link")
    for c in range(sys.maxunicode + 1):
        if c % 97 and not chr(c).isalnum():
            continue  # every letter and digit; a sample of the rest
        for tail in tails:
            text = chr(c) + tail
            assert _spans(FAST, text) == _spans(PLAIN, text), repr(text)


def test_custom_noise_patterns_are_used_as_given() -> None:
    assert extract.noise_regex((r"\bfoo\b",)) == r"(?:\bfoo\b)"


def _reference_normalise(text: str) -> str:
    """normalise_text as it was: search every text, collapse whitespace with a regex."""
    cleaners = extract._compile(ExtractOptions())
    text = extract.unicodedata.normalize("NFC", extract._INVISIBLE.sub("", text))
    for noise in (cleaners.local, PLAIN):
        if noise is not None and noise.search(text) is not None:
            parts, last = [], 0
            for m in noise.finditer(text):
                start = text.rfind("\n", 0, m.start()) + 1
                end = text.find("\n", m.end())
                end = len(text) if end < 0 else end
                if end - start <= NOISE_MAX_LINE:
                    parts += [text[last : m.start()], " "]
                    last = m.end()
            parts.append(text[last:])
            text = "".join(parts)
    return re.sub(r"\s+", " ", text).strip()


def test_normalise_matches_the_reference() -> None:
    cleaners = extract._compile(ExtractOptions())
    spaces = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    long_tail = " and the council met again on Tuesday to discuss the bridge repairs"
    texts = [c["text"] for c in CASES["normalise"]]
    texts += [t + long_tail for t in texts]  # one long line: its noise is content
    texts += [f"{t}\n{t}{long_tail}" for t in texts]
    texts += [f"a{spaces}b{spaces}5 minutes ago{spaces}", spaces, "", "x" * NOISE_MAX_LINE]
    for text in texts:
        assert normalise_text(text, cleaners) == _reference_normalise(text), repr(text)


def test_a_long_line_keeps_its_relative_time() -> None:
    cleaners = extract._compile(ExtractOptions())
    short = "Updated 5 minutes ago"
    long = short + " " + "x" * NOISE_MAX_LINE
    assert normalise_text(short, cleaners) == ""  # the local noise takes "Updated" too
    assert normalise_text(long, cleaners) == long


def _reference_binary_text(text: str) -> bool:
    sample = text[: extract.SNIFF_BYTES]
    controls = len(sample) - len(re.sub("[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]", "", sample))
    failed = sample.count("\ufffd")
    floor = max(extract.MIN_BINARY, len(sample) * extract.MAX_BINARY_RATIO)
    return controls > floor or failed > 2 * floor


def test_binary_text_counts_control_characters_as_before() -> None:
    every = "".join(chr(c) for c in range(0x20)) + "é€😀\ud800\ufffd" + "\x7f"
    texts = ["<p>plain</p>" * 500, every * 3, every * 300, "a\x00" * 40 + "x" * 6000]
    texts += ["\x00" * n + "é" * 1000 for n in (7, 8, 9, 10, 11, 12)]
    texts += ["\x1b" * 9 + "😀" * 100, "\x0c\x0a\x0d\x09" * 1000]
    for text in texts:
        assert extract.binary_text(text) == _reference_binary_text(text), repr(text[:40])


def test_without_controls_removes_what_the_regex_removes() -> None:
    """The bytes screen decides only whether the regex runs: the same text, every time."""
    import random

    rng = random.Random(17)
    alphabet = (
        [chr(c) for c in range(0x00, 0x80)]
        + list("éß€—’“”\u200b\u00ad\ufeff")
        + [
            "\U0001f600",
            "\ud800",  # a lone surrogate (pages decoded with errors kept)
            "\x85",  # C1 controls are not removed (lxml accepts them)
            "\x9f",
        ]
    )
    texts = ["", "plain <p>text</p>", "a\x00b", "\x7f", "tab\tnew\nline\rcr", "\x0b\x0c"]
    texts += ["".join(rng.choices(alphabet, k=rng.randint(1, 60))) for _ in range(3000)]
    texts += ["x" * 5000 + "\x1f", "é" * 5000]
    for text in texts:
        assert extract.without_controls(text) == extract._CONTROL.sub("", text), repr(text)
    clean = "<html>" + "é—’ text " * 1000 + "</html>"
    assert extract.without_controls(clean) is clean  # nothing to remove: no copy made
