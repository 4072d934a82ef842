"""Edited versions of a real page, for the learned-recipe tests and benchmark: what a story's
next version does inside its article (words changed, a paragraph added, removed or moved) and
what a site does around it (an ad box inside the article, the container's class renamed)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import lxml.html

from tracker import extract_recipe as er

CONTENT_EDITS = ("words", "added", "removed", "moved")
STRUCTURE_EDITS = ("ad", "renamed")


def edit(html: str, recipe: er.Recipe, kind: str) -> str | None:
    """The page with one edit inside the recipe's container, or None when it has no room."""
    tree = er.parse(html)
    container = er.locate(tree, recipe.path) if tree is not None else None
    if container is None:
        return None
    blocks = [
        el
        for el in container.iter("p", "li", "h2", "h3", "blockquote")
        if len(el.text_content().strip()) > 40 and not _skipped(el, container, recipe)
    ]
    if len(blocks) < 2:
        return None
    EDITS[kind](container, blocks)
    return str(lxml.html.tostring(tree, encoding="unicode"))


def _skipped(el: Any, container: Any, recipe: er.Recipe) -> bool:
    while el is not None and el is not container:
        if er.sig(el) in recipe.skip:
            return True
        el = el.getparent()
    return False


def _words(container: Any, blocks: list[Any]) -> None:
    target = blocks[len(blocks) // 2]
    target.text = "Officials later revised the figure. " + (target.text or "")


def _added(container: Any, blocks: list[Any]) -> None:
    new = copy.deepcopy(blocks[0])
    for child in list(new):
        new.remove(child)
    new.text = "A new paragraph: the agency confirmed the report on Thursday evening."
    new.tail = blocks[0].tail
    blocks[0].addnext(new)


def _removed(container: Any, blocks: list[Any]) -> None:
    blocks[-1].drop_tree()  # keeps its tail text


def _moved(container: Any, blocks: list[Any]) -> None:
    last = blocks[-1]
    tail = last.tail
    last.drop_tree()
    last.tail = tail
    blocks[0].addprevious(last)


def _ad(container: Any, blocks: list[Any]) -> None:
    box = lxml.html.fragment_fromstring(
        "<div class='sponsored-box-x'><p>Sponsored: the best mattress deals of the season, "
        "shop now and save.</p></div>"
    )
    blocks[0].addnext(box)


def _renamed(container: Any, blocks: list[Any]) -> None:
    container.set("class", (container.get("class") or "") + " redesign-2026")


EDITS: dict[str, Callable[[Any, list[Any]], None]] = {
    "words": _words,
    "added": _added,
    "removed": _removed,
    "moved": _moved,
    "ad": _ad,
    "renamed": _renamed,
}
