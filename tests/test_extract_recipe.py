"""Learned extraction recipes on real pages: a recipe reproduces trafilatura on edited
versions of the page it was learned on, or sends the page to trafilatura; a structure change
inside the article falls back; the host state machine learns, uses, verifies and drops."""

from __future__ import annotations

import json
from functools import cache

import pytest

from tests.conftest import CORPUS
from tests.recipe_edits import CONTENT_EDITS, edit
from tracker import extract_recipe as er
from tracker.extract import (
    _CONTROL,
    ExtractOptions,
    _bare_extraction,
    decode_html,
    extract_from_html,
)
from tracker.extract_recipe_host import RECIPES, Recipes

pytestmark = pytest.mark.skipif(
    not (CORPUS / "manifest.json").exists(), reason="real-page corpus absent ($TRACKER_CORPUS)"
)
FULL = ExtractOptions()


def _full(html: str) -> er.Extracted:
    title, byline, paragraphs, _, language = _bare_extraction(
        html, "https://news.example/a", FULL, fast=False
    )
    return er.Extracted(title, byline, tuple(paragraphs), language)


@cache
def _learned() -> list[tuple[str, str, er.Recipe]]:
    """(file, page, recipe) for every corpus page a recipe is learned on."""
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    found = []
    for page in manifest["pages"]:
        html = _CONTROL.sub("", decode_html((CORPUS / "pages" / page["file"]).read_bytes()))
        tree = er.parse(html)
        recipe = er.learn(tree, _full(html)) if tree is not None else None
        if recipe is not None:
            found.append((page["file"], html, recipe))
    return found


def test_a_recipe_reproduces_the_page_it_was_learned_on() -> None:
    learned = _learned()
    assert len(learned) >= 10  # half the corpus: measured 20 of 40
    for name, html, recipe in learned:
        got = er.run(recipe, er.parse(html))
        assert got.result is not None, name
        assert er.same(got.result, _full(html)), name


@pytest.mark.parametrize("kind", CONTENT_EDITS)
def test_edited_pages_read_as_trafilatura_reads_them_or_fall_back(kind: str) -> None:
    used = 0
    for name, html, recipe in _learned():
        edited = edit(html, recipe, kind)
        if edited is None:
            continue
        got = er.run(recipe, er.parse(edited))
        if got.result is not None:
            used += 1
            assert er.same(got.result, _full(edited)), (name, kind)
    assert used >= 5, "the recipe read too few edited pages to say anything"


@pytest.mark.parametrize(("kind", "miss"), [("ad", "structure"), ("renamed", "container")])
def test_structure_change_inside_the_container_falls_back(kind: str, miss: str) -> None:
    tried = 0
    for name, html, recipe in _learned():
        edited = edit(html, recipe, kind)
        if edited is None:
            continue
        tried += 1
        assert er.run(recipe, er.parse(edited)).miss == miss, name
    assert tried >= 5


def _page() -> tuple[str, er.Recipe]:
    _name, html, recipe = _learned()[0]
    return html, recipe


def test_state_machine_learns_uses_verifies_and_drops() -> None:
    html, _ = _page()
    recipes = Recipes(learn=3, verify_every=4)
    full = _full(html)
    for _ in range(3):
        assert recipes.plan("a.example")[0] == "full"
        recipes.observe("a.example", er.parse(html), full, recall_replaced=False)
    plans = [recipes.plan("a.example")[0] for _ in range(8)]
    assert plans == ["recipe", "recipe", "recipe", "full"] * 2  # every 4th page verifies
    # a verification that disagrees sends the host back to learning
    wrong = er.Extracted(full.title, full.byline, (*full.paragraphs, "Another line."), None)
    recipes.observe("a.example", er.parse(html), wrong, recall_replaced=False)
    assert recipes.plan("a.example")[0] == "full"
    assert recipes.stats().disagreements == 1
    assert recipes.stats().recipe_hosts == 0


def test_each_passed_verification_doubles_the_interval_up_to_the_maximum() -> None:
    html, _ = _page()
    recipes = Recipes(learn=2, verify_every=4, verify_max=16)
    full, tree = _full(html), er.parse(html)
    for _ in range(2):
        recipes.observe("d.example", tree, full, recall_replaced=False)

    def pages_to_next_verification() -> int:
        n = 1
        while recipes.plan("d.example").kind == "recipe":
            n += 1
        return n

    gaps = []
    for _ in range(5):
        gaps.append(pages_to_next_verification())
        recipes.observe("d.example", tree, full, recall_replaced=False)  # it agrees
    assert gaps == [4, 8, 16, 16, 16]
    wrong = er.Extracted(full.title, full.byline, (*full.paragraphs, "Another line."), None)
    assert pages_to_next_verification() == 16
    recipes.observe("d.example", tree, wrong, recall_replaced=False)  # back to learning
    recipes.observe("d.example", tree, full, recall_replaced=False)
    recipes.observe("d.example", tree, full, recall_replaced=False)
    assert pages_to_next_verification() == 4  # trust starts over


def test_a_host_no_recipe_fits_tries_again_only_every_so_often() -> None:
    """Learning costs a parse and a walk of the page: a host where it keeps failing pays
    for it on every verify_every-th page only, until a recipe fits again."""
    html, _ = _page()
    full = _full(html)
    unfit = er.Extracted(full.title, full.byline, (*full.paragraphs, "Not on the page."), None)
    recipes = Recipes(learn=2, verify_every=4)
    for _ in range(2):
        assert recipes.plan("c.example").observe
        recipes.observe("c.example", er.parse(html), unfit, recall_replaced=False)
    assert [recipes.plan("c.example").observe for _ in range(8)] == [False, False, False, True] * 2
    recipes.observe("c.example", er.parse(html), full, recall_replaced=False)  # a recipe fits
    assert [recipes.plan("c.example").observe for _ in range(3)] == [True] * 3


def test_recall_check_is_skipped_only_while_it_never_replaced_the_text() -> None:
    html, _ = _page()
    recipes = Recipes(learn=1)
    recipes.observe("b.example", er.parse(html), _full(html), recall_replaced=False)
    assert recipes.plan("b.example")[2] is False
    recipes.observe("b.example", er.parse(html), _full(html), recall_replaced=True)
    assert recipes.plan("b.example")[2] is True


def test_articles_with_recipes_equal_articles_without() -> None:
    """extract_from_html through learning and then the recipe: the same Article each time."""
    on = ExtractOptions(learned_profiles=True)
    for name, html, _ in _learned()[:6]:
        url = f"https://{name}.recipe-test.example/story"
        want = extract_from_html(html, url, FULL)
        for _ in range(6):  # 3 learning pages, then the recipe
            assert extract_from_html(html, url, on) == want, name
        host = url.split("/")[2]
        assert RECIPES.plan(host)[0] == "recipe", name


def test_learned_profiles_off_never_uses_or_learns_a_recipe() -> None:
    html, _ = _page()
    url = "https://off.recipe-test.example/story"
    before = RECIPES.stats().hosts
    for _ in range(5):
        extract_from_html(html, url, FULL)
    assert RECIPES.stats().hosts == before
    assert RECIPES.plan("off.recipe-test.example")[0] == "full"


@pytest.mark.parametrize("kind", ["ad", "renamed", "added"])
def test_a_trusted_host_reads_an_edited_page_as_trafilatura_does(kind: str) -> None:
    """Through extract_from_html: a structure change goes to trafilatura (and the recipe is
    verified or dropped on it), a content edit is read by the recipe; the Article is the one
    without profiles either way."""
    on = ExtractOptions(learned_profiles=True)
    for name, html, recipe in _learned()[:6]:
        edited = edit(html, recipe, kind)
        if edited is None:
            continue
        url = f"https://{name}.{kind}.recipe-test.example/story"
        for _ in range(3):
            extract_from_html(html, url, on)
        assert extract_from_html(edited, url, on) == extract_from_html(edited, url, FULL), name
