"""When a host's learned recipe (``extract_recipe``) is trusted: by proof, like the fast mode.

- **Learning.** Every page runs the full extraction (the profile's plan) and the result is
  the one used; the host's candidate recipe is run on the same parse and compared. After
  ``learn`` pages in a row where it reproduced the result, the recipe is trusted. A page it
  does not reproduce replaces the candidate with one learned on that page (or none).
- **Use.** A trusted recipe reads the host's pages; every ``verify_every``-th page runs the
  full extraction again, and its result is used; a disagreement sends the host back to
  learning. Trust grows with proof: each verification the recipe passes doubles the
  interval, up to ``verify_max`` (16, 32, 64 pages); a disagreement resets it. A page
  whose container is missing, whose structure holds an element the recipe never saw, or
  whose text is shorter than ``fallback_min_chars`` is read by the full extraction too, and
  counts as a verification: when the recipe (read without the signature check) agrees, the
  signature is widened to that page's structure.
- **Giving up for a while.** A host where no recipe could be learned on ``learn`` pages in
  a row (trafilatura cuts or merges text inside elements there) tries again on every
  ``verify_every``-th page only: each try costs a parse and a walk of the page (~7 ms on a
  real page) that such a host rarely repays.
- **Recall check.** ``_longer_faithful`` (readability's longer text) runs on the host's recipe
  pages only if it ever replaced the text of one of the host's fully extracted pages.

Process-local, empty at start, at most ``max_hosts`` hosts (least recently used forgotten).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from tracker.extract_profile import LEARN_PAGES, MAX_HOSTS, VERIFY_EVERY, HostStates
from tracker.extract_recipe import Extracted, Recipe, Run, learn, run, same

Plan = Literal["recipe", "full"]
# The longest interval between verifications a recipe earns (each passed one doubles it, from
# VERIFY_EVERY). A verification is a full extraction (~30 ms on a 100 KB page): at 16 it is
# ~2 ms of every page, at 64 ~0.5 ms.
VERIFY_MAX = 64


class RecipePlan(NamedTuple):
    """How to read a host's next page."""

    kind: Plan
    recipe: Recipe | None
    recall: bool  # run the recall check after the recipe
    observe: bool = True  # compare the full result with the recipe, or learn one from it


@dataclass
class HostRecipe:
    recipe: Recipe | None = None
    agreed: int = 0  # consecutive full pages the recipe reproduced
    trusted: bool = False
    since_verified: int = 0  # pages since the last verification (or the last try to learn)
    interval: int = 0  # pages between verifications now (0: not set yet, verify_every)
    unlearnable: int = 0  # full pages in a row that no recipe could be learned from
    recall_replaced: bool = False  # readability's longer text replaced one of its pages
    disagreements: int = 0


@dataclass(frozen=True, slots=True)
class RecipeStats:
    hosts: int
    recipe_hosts: int
    disagreements: int


class Recipes:
    """The per-host recipes of one process; safe to use from several threads."""

    def __init__(
        self,
        learn: int = LEARN_PAGES,
        verify_every: int = VERIFY_EVERY,
        max_hosts: int = MAX_HOSTS,
        verify_max: int = VERIFY_MAX,
    ) -> None:
        self.learn = learn
        self.verify_every = verify_every
        self.verify_max = max(verify_max, verify_every)
        self._hosts = HostStates(HostRecipe, max_hosts)
        self._lock = threading.Lock()

    def plan(self, host: str) -> RecipePlan:
        """Recipe or full extraction for the next page, and what to do with it."""
        with self._lock:
            state = self._hosts.get(host)
            if not state.trusted or state.recipe is None:
                return RecipePlan("full", None, True, self._worth_learning(state))
            if self._due(state):
                return RecipePlan("full", None, True)
            return RecipePlan("recipe", state.recipe, state.recall_replaced)

    def _worth_learning(self, state: HostRecipe) -> bool:
        return state.recipe is not None or state.unlearnable < self.learn or self._due(state)

    def _due(self, state: HostRecipe) -> bool:
        """Whether this is the host's ``interval``-th page since the last look (while it has
        no trusted recipe: every ``verify_every``-th)."""
        state.since_verified += 1
        interval = state.interval if state.trusted and state.interval else self.verify_every
        if state.since_verified >= interval:
            state.since_verified = 0
            return True
        return False

    def use(self, recipe: Recipe, tree: Any, min_chars: int) -> Extracted | None:
        """The recipe's result for a page, or None when the full extraction must read it."""
        got = run(recipe, tree).result
        if got is None or sum(len(p) for p in got.paragraphs) < min_chars:
            return None
        return got

    def observe(self, host: str, tree: Any, full: Extracted, recall_replaced: bool) -> None:
        """A page of ``host`` read by the full extraction: learn, verify, or drop."""
        with self._lock:
            state = self._hosts.get(host)
            recipe = state.recipe
            state.recall_replaced |= recall_replaced
        outcome: Run | None = run(recipe, tree, strict=False) if recipe is not None else None
        agreed = outcome is not None and outcome.result is not None and same(outcome.result, full)
        fresh = None if agreed else learn(tree, full)  # outside the lock: ~1-10 ms
        with self._lock:
            state = self._hosts.get(host)
            if state.recipe is not recipe:
                return  # another thread moved this host on meanwhile
            if agreed and recipe is not None and outcome is not None:
                state.recipe = recipe.widened(outcome.seen)
                state.agreed += 1
                state.since_verified = 0  # a fall-back page is a verification too
                if state.trusted:  # one more proof: the next look comes later
                    state.interval = min(2 * (state.interval or self.verify_every), self.verify_max)
                state.trusted = state.trusted or state.agreed >= self.learn
                return
            state.disagreements += state.trusted
            state.interval = 0
            state.recipe, state.since_verified = fresh, 0
            state.unlearnable = 0 if fresh is not None else state.unlearnable + 1
            state.agreed = 1 if fresh is not None else 0  # a fresh recipe reproduces its page
            state.trusted = state.agreed >= self.learn

    def stats(self) -> RecipeStats:
        with self._lock:
            states = self._hosts.all()
        return RecipeStats(
            hosts=len(states),
            recipe_hosts=sum(s.trusted for s in states),
            disagreements=sum(s.disagreements for s in states),
        )


# One per process, like extract_profile.PROFILES.
RECIPES = Recipes()
