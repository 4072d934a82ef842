"""Revision intelligence: what changed between two versions of a story, and how much.

``analyze(old, new)`` (``report``) splits both versions into sentences (``sentences``),
aligns them (``align``: equal / update / insert / delete / move), reads the facts an editor
cares about (``facts``: headline, byline, lede, figures, quotes, corrections, developing
marker), classes the change (``classify``: cosmetic < minor < substantive < major, with
``cosmetic`` saying what a cosmetic edit is) and writes a one-line summary (``summary``).
Each module's docstring states its rules; thresholds are named constants there. Everything
here is a pure function of two ``Article`` values; ``stored`` decides which versions are
compared and what a change row keeps of the report. What depends on one paragraph alone (its
sentences, word count and quotes) is cached per process (``sentences.PARAGRAPH_CACHE``), so
comparing a one-edit version costs little more than its edited paragraph, after the first
read of the old version.
"""

from tracker.revision.align import MOVE_THRESHOLD, UPDATE_THRESHOLD, SentenceOp, similarity
from tracker.revision.classify import CLASSES, class_at_least
from tracker.revision.facts import Facts
from tracker.revision.report import ChangeReport, analyze, analyze_returned, analyze_unpublished
from tracker.revision.sentences import split_sentences
from tracker.revision.stored import (
    VersionRef,
    compact_report,
    compare,
    published_basis,
    tombstone,
)
from tracker.vocab import ChangeClass

__all__ = [
    "CLASSES",
    "MOVE_THRESHOLD",
    "UPDATE_THRESHOLD",
    "ChangeClass",
    "ChangeReport",
    "Facts",
    "SentenceOp",
    "VersionRef",
    "analyze",
    "analyze_returned",
    "analyze_unpublished",
    "class_at_least",
    "compact_report",
    "compare",
    "published_basis",
    "similarity",
    "split_sentences",
    "tombstone",
]
