"""Revision and noise cases per language, from tests/data/lang_cases/<language>.yaml.

Each file holds one article in its language (``title``, ``paragraphs``), how many
sentences it has (``sentences``), and two lists of cases:

- ``noise``: ``[old line, new line]`` pairs (``null``: no line) placed as a paragraph in the
  article's page. Each line must vanish in normalisation, and the two pages must extract to
  the same content hash: no new version.
- ``edits``: a ``replace: [old text, new text]`` on the article's paragraphs (or ``add``: a
  paragraph appended), with the ``class`` the change must get and a subset of its
  ``facts``, compared key by key.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracker.extract import ExtractOptions, content_hash, extract_from_html, normalise_text
from tracker.extract import _compile as compile_cleaners
from tracker.lang import LANGUAGES
from tracker.lang.noise import leftover
from tracker.records import Article
from tracker.revision import analyze
from tracker.revision.sentences import split_paragraphs

CASES = Path(__file__).parent / "data" / "lang_cases"
FILES = sorted(CASES.glob("*.yaml"))
DATA = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in FILES}
NOISE = [(lang, i) for lang, d in DATA.items() for i in range(len(d["noise"]))]
EDITS = [(lang, i) for lang, d in DATA.items() for i in range(len(d["edits"]))]


def page(data: dict[str, Any], line: str | None) -> str:
    """The article as a news page, the noise line (if any) after its first paragraph."""
    paras = [f"<p>{html.escape(p)}</p>" for p in data["paragraphs"]]
    if line is not None:
        paras.insert(1, f'<p class="meta">{html.escape(line)}</p>')
    title = html.escape(data["title"])
    return (
        f'<!doctype html><html lang="{data["language"]}"><head><title>{title}</title></head>'
        f"<body><article><h1>{title}</h1>{''.join(paras)}</article></body></html>"
    )


def article(data: dict[str, Any], paragraphs: list[str] | None = None) -> Article:
    return Article(data["title"], "", None, None, tuple(paragraphs or data["paragraphs"]))


def edited(data: dict[str, Any], edit: dict[str, Any]) -> list[str]:
    paras = list(data["paragraphs"])
    if "replace" in edit:
        old, new = edit["replace"]
        hits = [i for i, p in enumerate(paras) if old in p]
        assert hits, f"{old!r} is not in the article"
        paras[hits[0]] = paras[hits[0]].replace(old, new, 1)
    if "add" in edit:
        paras.append(edit["add"])
    return paras


def test_every_language_has_its_cases() -> None:
    assert sorted(DATA) == sorted(LANGUAGES)
    for lang, d in DATA.items():
        assert d["language"] == lang
        assert len(d["noise"]) + len(d["edits"]) >= 8, lang


@pytest.mark.parametrize("lang", sorted(DATA))
def test_sentences_are_split_in_each_language(lang: str) -> None:
    d = DATA[lang]
    assert len(split_paragraphs(d["paragraphs"])) == d["sentences"]


@pytest.mark.parametrize("lang", sorted(DATA))
def test_the_page_language_is_read(lang: str) -> None:
    d = DATA[lang]
    got = extract_from_html(page(d, None), "https://news.example/a", ExtractOptions())
    assert got.language == lang
    # Without a declaration, the text alone tells.
    bare = page(d, None).replace(f' lang="{lang}"', "")
    assert extract_from_html(bare, "https://news.example/a", ExtractOptions()).language == lang


@pytest.mark.parametrize(("lang", "i"), NOISE, ids=[f"{lang}-noise-{i}" for lang, i in NOISE])
def test_noise_makes_no_version(lang: str, i: int) -> None:
    d = DATA[lang]
    old_line, new_line = d["noise"][i]
    cleaners = compile_cleaners(ExtractOptions())
    for line in (old_line, new_line):
        if line is not None:
            rest = normalise_text(line, cleaners)
            assert rest == "" or leftover(rest), (line, rest)
    opts = ExtractOptions()
    base = extract_from_html(page(d, None), "https://news.example/a", opts)
    old = extract_from_html(page(d, old_line), "https://news.example/a", opts)
    new = extract_from_html(page(d, new_line), "https://news.example/a", opts)
    assert content_hash(old) == content_hash(new) == content_hash(base)


@pytest.mark.parametrize(
    ("lang", "i"), EDITS, ids=[f"{lang}-{DATA[lang]['edits'][i]['name']}" for lang, i in EDITS]
)
def test_edit_is_found_with_its_class(lang: str, i: int) -> None:
    d = DATA[lang]
    edit = d["edits"][i]
    report = analyze(article(d), article(d, edited(d, edit)))
    assert report.change_class == edit["class"], report.summary
    facts = report.to_json()["facts"]
    for key, value in (edit.get("facts") or {}).items():
        assert facts[key] == value, key
