"""Comparison end to end: which versions to compare, and the compact report the store keeps.

- ``published_basis``: an unpublished (404/410) version has no text, so it stands for the
  last published version before it. Diffs across a gap and the "returned" report use it.
- ``compare``: the report between two versions, whichever of them is a tombstone.
- ``compact_report``: what a change row stores. The versions hold the texts, so unchanged
  sentences are cut to their edges; ``ChangeReport.from_json`` reads it back for rendering
  (the changed sentences, words and facts in full).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from tracker.records import Article
from tracker.revision.report import (
    ChangeReport,
    analyze,
    analyze_returned,
    analyze_unpublished,
)

EQUAL_CONTEXT = 40  # characters of unchanged text kept on each side of an edit in stored reports


@dataclass(frozen=True, slots=True)
class VersionRef:
    """A version as the comparison rules see it: its number and whether it is a tombstone."""

    number: int
    unpublished: bool = False


def published_basis(versions: Sequence[VersionRef], number: int) -> int:
    """The version whose text stands for ``number``: itself, or the last published before it."""
    basis = number
    for v in versions:
        if v.number <= number and not v.unpublished and (basis == number or v.number > basis):
            basis = v.number
    return basis


def compare(
    old: Article,
    new: Article,
    *,
    old_unpublished: bool = False,
    new_unpublished: bool = False,
    status_code: int | None = None,
) -> ChangeReport:
    """The report from ``old`` to ``new`` (each the article of its ``published_basis``)."""
    if new_unpublished and not old_unpublished:
        return analyze_unpublished(old, status_code or 404)
    if old_unpublished and not new_unpublished:
        return analyze_returned(old, new)
    return analyze(old, new)


def tombstone(last: Article) -> Article:
    """The version written when a story is unpublished: its last metadata, no text."""
    return Article(
        title=last.title,
        byline=last.byline,
        published=last.published,
        modified=last.modified,
        paragraphs=(),
        extractor="none",
    )


def compact_report(report: ChangeReport) -> dict[str, Any]:
    """A change's report as stored: the changes in full, unchanged text cut to its edges.

    Keeping only the changed sentences makes a one-sentence edit cost a few hundred bytes,
    not the article; the full report can always be recomputed from the versions.
    """
    # Equal sentences are dropped below: leave them out before serialising, not after.
    changed = tuple(op for op in report.sentences if op.op != "equal")
    data = replace(report, sentences=changed).to_json()
    out = dict(data)
    out["compact"] = True
    out["sentences"] = [_compact_sentence(s) for s in data["sentences"]]
    out["facts"] = {k: v for k, v in data["facts"].items() if v}
    diff = dict(data["diff"])
    diff["ops"] = [[op, _elide(text) if op == "equal" else text] for op, text in diff["ops"]]
    out["diff"] = diff
    return out


def _compact_sentence(s: dict[str, Any]) -> dict[str, Any]:
    s = {k: v for k, v in s.items() if v is not None}
    if s.get("words"):  # the word ops spell out both texts (see ChangeReport.from_json)
        s.pop("old", None)
        s.pop("new", None)
    return s


def _elide(text: str) -> str:
    if len(text) <= 2 * EQUAL_CONTEXT + 5:
        return text
    return f"{text[:EQUAL_CONTEXT]} … {text[-EQUAL_CONTEXT:]}"
