"""Learned per-host extraction profiles: when trafilatura's fast mode is as good as its full one.

trafilatura's full mode extracts the article, then runs readability and jusText on the same
page and compares the three (``compare_extraction``): on a ~100 KB news page that comparison
is 60% of the extraction's CPU. On most sites it never changes the result. A host earns the
fast mode by proof: its first ``learn`` extractions in this process run both modes, and only
when every one gives the same title, byline, language and text does the host switch to the
fast mode alone. From then on every ``verify_every``-th page of the host runs both again (the
full result is the one used); the first disagreement sends the host back to learning. A fast
result that found no article text is never trusted: the full mode runs for that page.

The state lives in the process that extracts (each extraction worker learns for itself) and
starts empty on every start: nothing is stored, so a site redesign is met by a restart or by
the next disagreement. ``[extract] learned_profiles = false`` keeps the full mode everywhere.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

Plan = Literal["full", "fast", "both"]
State = TypeVar("State")

LEARN_PAGES = 3
VERIFY_EVERY = 16
MAX_HOSTS = 4096  # least recently used hosts are forgotten beyond this


class HostStates(Generic[State]):
    """Each host's state, made on first use; beyond ``max_hosts`` the least recently used is
    forgotten. Not locked: its owner holds its own lock around every use."""

    def __init__(self, make: Callable[[], State], max_hosts: int) -> None:
        self._make = make
        self.max_hosts = max_hosts
        self._states: OrderedDict[str, State] = OrderedDict()

    def get(self, host: str) -> State:
        state = self._states.get(host)
        if state is None:
            state = self._states[host] = self._make()
            if len(self._states) > self.max_hosts:
                self._states.popitem(last=False)
        else:
            self._states.move_to_end(host)
        return state

    def all(self) -> list[State]:
        return list(self._states.values())


@dataclass
class HostProfile:
    """What this process has seen of one host's pages."""

    agreed: int = 0  # consecutive pages where both modes gave the same result
    fast: bool = False  # the host has earned the fast mode
    since_verified: int = 0  # fast-only pages since the last page that ran both
    disagreements: int = 0


@dataclass(frozen=True, slots=True)
class ProfileStats:
    hosts: int
    fast_hosts: int
    disagreements: int


class Profiles:
    """The per-host profiles of one process; safe to use from several threads."""

    def __init__(
        self, learn: int = LEARN_PAGES, verify_every: int = VERIFY_EVERY, max_hosts: int = MAX_HOSTS
    ) -> None:
        self.learn = learn
        self.verify_every = verify_every
        self._hosts = HostStates(HostProfile, max_hosts)
        self._lock = threading.Lock()

    def plan(self, host: str) -> Plan:
        """Which mode(s) to run for the next page of ``host``."""
        with self._lock:
            profile = self._hosts.get(host)
            if not profile.fast:
                return "both"
            profile.since_verified += 1
            if profile.since_verified >= self.verify_every:
                profile.since_verified = 0
                return "both"
            return "fast"

    def record(self, host: str, agreed: bool) -> None:
        """The outcome of a page that ran both modes."""
        with self._lock:
            profile = self._hosts.get(host)
            if agreed:
                profile.agreed += 1
                profile.fast = profile.fast or profile.agreed >= self.learn
                return
            profile.agreed, profile.fast, profile.since_verified = 0, False, 0
            profile.disagreements += 1

    def stats(self) -> ProfileStats:
        with self._lock:
            hosts = self._hosts.all()
        return ProfileStats(
            hosts=len(hosts),
            fast_hosts=sum(p.fast for p in hosts),
            disagreements=sum(p.disagreements for p in hosts),
        )


# One per process: extraction runs in worker processes, each learning for itself.
PROFILES = Profiles()
