"""Learned extraction recipes on the real corpus (issue 17): learned where, right how often.

    PYTHONPATH=src:. TRACKER_CORPUS=../shared/corpus .venv/bin/python benchmarks/bench_recipe.py

For every corpus page: learn a recipe on it (trafilatura's full mode is the truth), then apply
it to six edits of the page (``tests/recipe_edits.py``: words changed, a paragraph added,
removed, moved; an ad box inside the article; the container's class renamed). Each edit is
either read by the recipe (its result compared with trafilatura's on the edited page) or sent
to the full extractor (container missing, structure not seen while learning, too short).
Also the CPU of a recipe's reading against trafilatura's, per page (process time, medians).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from tests.recipe_edits import CONTENT_EDITS, STRUCTURE_EDITS, edit  # noqa: E402

from tracker import extract_recipe as er  # noqa: E402
from tracker.extract import (  # noqa: E402
    _CONTROL,
    ExtractOptions,
    _bare_extraction,
    decode_html,
    extract_from_html,
)
from tracker.extract_recipe_host import RECIPES  # noqa: E402

CORPUS = Path(os.environ.get("TRACKER_CORPUS", ROOT.parent / "shared" / "corpus"))


def _full(html: str) -> er.Extracted:
    t, b, paragraphs, _, lang = _bare_extraction(
        html, "https://x.example/", ExtractOptions(), fast=False
    )
    return er.Extracted(t, b, tuple(paragraphs), lang)


def _cpu(fn: object, *args: object, reps: int = 5) -> float:
    times = []
    for _ in range(reps):
        t0 = time.process_time()
        fn(*args)  # type: ignore[operator]
        times.append(time.process_time() - t0)
    return statistics.median(times) * 1000


def _read(recipe: er.Recipe, html: str) -> er.Run:
    return er.run(recipe, er.parse(html))


def _articles_equal(name: str, html: str) -> tuple[bool, bool]:
    """The Article read on a host's 4th page (the recipe's, once 3 pages taught it) equals the
    one without profiles or recipes; and whether the recipe read it."""
    url = f"https://{name}.bench-recipe.example/story"
    want = extract_from_html(html, url, ExtractOptions())
    on = ExtractOptions(learned_profiles=True)
    for _ in range(3):
        extract_from_html(html, url, on)
    used = RECIPES.plan(url.split("/")[2])[0] == "recipe"
    return extract_from_html(html, url, on) == want, used


def main() -> None:
    pages = json.loads((CORPUS / "manifest.json").read_text())["pages"]
    outcomes: Counter[str] = Counter()
    learned, recipe_ms, full_ms = 0, [], []
    for page in pages:
        html = _CONTROL.sub("", decode_html((CORPUS / "pages" / page["file"]).read_bytes()))
        recipe = er.learn(er.parse(html), _full(html))
        if recipe is None:
            continue
        learned += 1
        equal, used = _articles_equal(page["file"], html)
        outcomes[
            f"article on the 4th page: {'equal' if equal else 'DIFFERENT'}, "
            f"{'recipe' if used else 'full'}"
        ] += 1
        recipe_ms.append(_cpu(_read, recipe, html))
        full_ms.append(_cpu(_full, html, reps=3))
        for kind in CONTENT_EDITS + STRUCTURE_EDITS:
            edited = edit(html, recipe, kind)
            if edited is None:
                outcomes[f"{kind}: no room"] += 1
                continue
            got = er.run(recipe, er.parse(edited))
            if got.result is None:
                outcomes[f"{kind}: full extractor ({got.miss})"] += 1
            elif er.same(got.result, _full(edited)):
                outcomes[f"{kind}: recipe, equal"] += 1
            else:
                outcomes[f"{kind}: recipe, DIFFERENT"] += 1
    print(f"recipe learned on {learned} of {len(pages)} pages")
    for key in sorted(outcomes):
        print(f"  {key}: {outcomes[key]}")
    print(
        "CPU per page (median over learned pages): recipe (parse + run) "
        f"{statistics.median(recipe_ms):.2f} ms, "
        f"trafilatura full {statistics.median(full_ms):.2f} ms"
    )


if __name__ == "__main__":
    main()
