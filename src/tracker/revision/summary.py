"""The one-line summary of a change.

It joins, in this order and with ``"; "``, the parts that apply:

- ``unpublished (HTTP 404)`` / ``returned``
- ``headline changed``, ``byline changed``, ``lede rewritten`` (the major-class lede rule)
- sentence counts: ``+2 sentences, -1, 3 updated, 1 moved`` (the noun goes with the first
  count: ``1 sentence updated``, ``2 sentences moved``)
- ``1 number changed (12 -> 15)``, ``2 numbers added (40, 3 p.m.)``, ``1 number removed (7)``
  (at most ``SUMMARY_MAX_ITEMS`` figures are listed, then ``...``)
- ``1 quote added``, ``1 quote removed``, ``1 quote altered``
- ``correction added`` (or ``2 corrections added``)
- ``developing marker appeared`` / ``developing marker disappeared``

and, when none of them applies, ``layout only`` (the text changed only in its paragraph
breaks or whitespace) or ``no change``.
"""

from __future__ import annotations

from collections.abc import Sequence

from tracker.revision.facts import Facts

SUMMARY_MAX_ITEMS = 3


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(items[:SUMMARY_MAX_ITEMS])
    return shown + (", ..." if len(items) > SUMMARY_MAX_ITEMS else "")


def _sentence_part(stats: dict[str, float | int]) -> str | None:
    counts = [
        (int(stats["sentences_added"]), "+", ""),
        (int(stats["sentences_deleted"]), "-", ""),
        (int(stats["sentences_updated"]), "", " updated"),
        (int(stats["sentences_moved"]), "", " moved"),
    ]
    shown = [c for c in counts if c[0]]
    if not shown:
        return None
    n, sign, what = shown[0]
    first = f"{sign}{n} sentence{'' if n == 1 else 's'}{what}"
    return ", ".join([first, *(f"{s}{k}{w}" for k, s, w in shown[1:])])


def summarize(
    facts: Facts,
    stats: dict[str, float | int],
    *,
    lede_rewritten: bool = False,
    text_changed: bool = False,
    status_code: int | None = None,
) -> str:
    """The one-line summary (wording in the module docstring)."""
    parts: list[str] = []
    if facts.unpublished:
        parts.append(f"unpublished (HTTP {status_code})" if status_code else "unpublished")
    if facts.returned:
        parts.append("returned")
    if facts.headline:
        parts.append("headline changed")
    if facts.byline:
        parts.append("byline changed")
    if lede_rewritten:
        parts.append("lede rewritten")
    sentences = _sentence_part(stats)
    if sentences:
        parts.append(sentences)
    if facts.numbers_changed:
        pairs = [f"{a} -> {b}" for a, b in facts.numbers_changed]
        parts.append(f"{_plural(len(pairs), 'number')} changed ({_listed(pairs)})")
    for items, verb in ((facts.numbers_added, "added"), (facts.numbers_removed, "removed")):
        if items:
            parts.append(f"{_plural(len(items), 'number')} {verb} ({_listed(items)})")
    for n, verb in (
        (len(facts.quotes_added), "added"),
        (len(facts.quotes_removed), "removed"),
        (len(facts.quotes_altered), "altered"),
    ):
        if n:
            parts.append(f"{_plural(n, 'quote')} {verb}")
    if facts.corrections:
        n = len(facts.corrections)
        parts.append("correction added" if n == 1 else f"{n} corrections added")
    if facts.developing_marker:
        parts.append(f"developing marker {facts.developing_marker}")
    if not parts:
        parts.append("layout only" if text_changed else "no change")
    return "; ".join(parts)
