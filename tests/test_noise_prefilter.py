"""The RE2 screen in front of the Python noise pass: it never says "no match" where Python's
pattern matches, so normalised text and fingerprints are the same with it as without it."""

from __future__ import annotations

import json
import random
import re
from dataclasses import replace

import pytest

from tests.conftest import CORPUS
from tracker import extract
from tracker.extract import NOISE_PATTERNS, ExtractOptions, decode_html, normalise_text
from tracker.noise_prefilter import loosen, noise_prefilter

# What the defaults are made of, and the characters where Python's re and RE2 differ: Unicode
# digits and spaces, the letters Python's case folding pairs with ASCII ones.
ALPHABET = [
    *"agominutesecshourdyjwvwrlkKmMcpfbxz 0123456789,.:!",
    *["٥", "४", "\u00a0", "\u2009", "\u3000", "\n", "\x1c", "\x85", "\t"],
    *["K", "ſ", "İ", "ı", "é", "ß", "Ж"],
]
WORDS = [
    "ago", "just now", "views", "view", "reads", "comments", "shares", "likes", "reactions",
    "minutes", "mins", "hrs", "an", "a few", "share this", "copy link", "link copied",
    "tweet on twitter", "email to email", "send via whatsapp", "Views:", "٥", "5", "12K",
]  # fmt: skip


def _samples(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        pieces = [
            rng.choice(WORDS) if rng.random() < 0.4 else rng.choice(ALPHABET)
            for _ in range(rng.randint(1, 12))
        ]
        glue = rng.choice(["", " ", "\u00a0", "\n", "é", "ı"])
        out.append(glue.join(pieces))
    return out


def test_the_screen_matches_wherever_python_does() -> None:
    screen = noise_prefilter(NOISE_PATTERNS)
    assert screen is not None
    patterns = [re.compile(p, re.I) for p in NOISE_PATTERNS]
    matched = 0
    for text in _samples(30_000, seed=17):
        if any(p.search(text) for p in patterns):
            matched += 1
            assert screen.search(text) is not None, repr(text)
    assert matched > 3_000  # the samples did exercise the patterns


@pytest.mark.parametrize(
    "text",
    [
        "5 minutes ago",
        "٥ minutes ago",  # Arabic-Indic digit: Python's \d
        "४ hrs ago",
        "views:\u00a012",  # no-break space: Python's \s
        "comments\u300012",
        "ſhare thiſ",  # long s: Python's re.I
        "copy lİnk",  # dotted capital I: Python's re.I, not RE2's
        "lınk copied",  # dotless i
        "12K shares",
        "3 mins ago.",
    ],
)
def test_unicode_corners_python_matches_are_screened_in(text: str) -> None:
    assert re.search("|".join(NOISE_PATTERNS), text, re.I), "the case is one Python matches"
    screen = noise_prefilter(NOISE_PATTERNS)
    assert screen is not None and screen.search(text) is not None


@pytest.mark.parametrize(
    "pattern", [r"(?<=x)y", r"\w+ ago", r"[^a-z]+", r"(?P<n>\d+) views", r"(?i)foo", "[\\b]"]
)
def test_patterns_it_cannot_loosen_get_no_screen(pattern: str) -> None:
    assert loosen(pattern) is None
    assert noise_prefilter((pattern,)) is None


def test_a_users_plain_patterns_get_a_screen() -> None:
    assert noise_prefilter((r"\bsponsored\b", r"\d+ readers? online")) is not None


def test_a_page_without_noise_skips_the_python_pass_and_text_is_the_same() -> None:
    page = "\n".join(f"Paragraph {i} of the story, with nothing else in it." for i in range(60))
    screened = extract._compile(ExtractOptions())
    plain = replace(screened, screen=None)
    assert not extract._may_hold_noise(page, screened)
    assert normalise_text(page, screened) == normalise_text(page, plain)
    noisy = page + "\nUpdated 5 minutes ago\n1,234 views"
    assert extract._may_hold_noise(noisy, screened)
    assert normalise_text(noisy, screened) == normalise_text(noisy, plain)
    assert "5 minutes ago" not in normalise_text(noisy, screened)


@pytest.mark.skipif(not (CORPUS / "manifest.json").exists(), reason="corpus absent")
def test_real_pages_fingerprint_the_same_with_the_screen() -> None:
    options = ExtractOptions()
    screened = extract._compile(options)
    plain = replace(screened, screen=None)
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    skipped = 0
    for page in manifest["pages"]:
        html = decode_html((CORPUS / "pages" / page["file"]).read_bytes())
        assert extract.fingerprint(html, options, screened) == extract.fingerprint(
            html, options, plain
        ), page["file"]
        visible = extract._strip_tags(extract._strip_comments(extract._strip_hidden(html)), "\n")
        skipped += not extract._may_hold_noise(visible, screened)
    assert skipped >= len(manifest["pages"]) // 2  # measured: 30 of 40 pages hold no match
