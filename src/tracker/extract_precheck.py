"""When the fingerprint pre-check pays for itself, host by host.

A page whose bytes moved is fingerprinted first (``extract.fingerprint``: its visible text,
normalised, ~1 ms on a 100 KB page); only when the fingerprint moved is the article
extracted. The pre-check spares the extraction on the pages whose bytes moved but not their
text (cache-busters, nonces, ad slots). Where a host's text moves at nearly every fetch (a
live blog, a story being rewritten) or its extraction is cheap (a trusted recipe: ~1.5 ms),
the pre-check costs more than it spares.

Each extracting process keeps, per host, the CPU time the fingerprint and the extraction
took (moving averages) and the share of pages whose text held (the pre-check's savings):

- with the pre-check on, a page "held" when its fingerprint equals the story's last one;
- with it off, when the extracted article equals the story's newest version. Every page
  whose fingerprint holds also holds its article, so this share can only overstate what the
  pre-check would spare: the estimate errs toward turning it back on.

The pre-check is skipped while ``held share x extraction cost < fingerprint cost``, after
``MIN_PAGES`` observed pages. A check that skipped it stores no fingerprint, so the story's
next pre-check (if the host turns it back on) extracts once. Only the CPU spent changes: the
article, and so every version and change, is the same either way (tests hold to that).
``[extract] adaptive_precheck = false`` keeps the pre-check on every page.

Process-local and empty at every start, like the learned profiles and recipes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from tracker.extract_profile import MAX_HOSTS, HostStates

MIN_PAGES = 8  # pages observed before the pre-check may be skipped
WEIGHT = 1 / 16  # of a new observation in the moving averages (~the last 16 pages)


@dataclass
class HostCosts:
    """What the pre-check and the extraction cost on one host, and how often text held."""

    fingerprint_ms: float | None = None
    extract_ms: float | None = None
    held_share: float = 1.0  # starts where the pre-check is always worth it
    pages: int = 0  # observations of held_share

    def skip(self) -> bool:
        if self.pages < MIN_PAGES or self.fingerprint_ms is None or self.extract_ms is None:
            return False
        return self.held_share * self.extract_ms < self.fingerprint_ms


@dataclass(frozen=True, slots=True)
class PrecheckStats:
    hosts: int
    skipping: int  # hosts where the pre-check is off now


def _average(old: float | None, new: float) -> float:
    return new if old is None else old + WEIGHT * (new - old)


class Prechecks:
    """The per-host pre-check costs of one process; safe to use from several threads."""

    def __init__(self, max_hosts: int = MAX_HOSTS) -> None:
        self._hosts: HostStates[HostCosts] = HostStates(HostCosts, max_hosts)
        self._lock = threading.Lock()

    def worth_it(self, url: str) -> bool:
        """Whether to fingerprint this page before extracting it."""
        with self._lock:
            return not self._hosts.get(_host(url)).skip()

    def fingerprinted(self, url: str, ms: float, held: bool | None) -> None:
        """The pre-check ran and took ``ms`` of CPU; ``held``: the fingerprint equals the
        story's last one (None: there was none to compare with)."""
        with self._lock:
            costs = self._hosts.get(_host(url))
            costs.fingerprint_ms = _average(costs.fingerprint_ms, ms)
            if held is not None:
                self._observe(costs, held)

    def extracted(self, url: str, ms: float, held: bool | None) -> None:
        """The article was extracted in ``ms`` of CPU; ``held`` (pre-check skipped only): it
        equals the story's newest version (None: not known, or the pre-check ran)."""
        with self._lock:
            costs = self._hosts.get(_host(url))
            costs.extract_ms = _average(costs.extract_ms, ms)
            if held is not None:
                self._observe(costs, held)

    @staticmethod
    def _observe(costs: HostCosts, held: bool) -> None:
        costs.held_share = _average(costs.held_share if costs.pages else None, float(held))
        costs.pages += 1

    def stats(self) -> PrecheckStats:
        with self._lock:
            states = self._hosts.all()
            return PrecheckStats(len(states), sum(1 for s in states if s.skip()))


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


PRECHECKS = Prechecks()
