"""Article x Article -> ChangeReport: the alignment, the facts, the class and a summary line.

``ChangeReport.to_json()`` is what the store keeps and what ``from_json`` reads back, exactly;
a report read from the store renders the same as the one computed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tracker.diff import word_diff
from tracker.records import Article, Diff, DiffOp, WordDiff
from tracker.revision.align import SentenceOp, align
from tracker.revision.classify import (
    LEDE_MIN_WORDS,
    LEDE_REWRITE_SHARE,
    change_share,
    classify,
    sentence_stats,
)
from tracker.revision.cosmetic import edit_is_cosmetic, paragraph_words
from tracker.revision.facts import Facts, find_facts
from tracker.revision.sentences import split_paragraphs
from tracker.revision.summary import summarize
from tracker.vocab import ChangeClass

JSON_VERSION = 1


@dataclass(frozen=True, slots=True)
class ChangeReport:
    """Everything known about one change; ``to_json`` is what the store keeps."""

    change_class: ChangeClass
    diff: Diff
    sentences: tuple[SentenceOp, ...]
    facts: Facts
    stats: dict[str, float | int] = field(hash=False)
    summary: str

    def to_json(self) -> dict[str, Any]:
        d = self.diff
        return {
            "version": JSON_VERSION,
            "class": self.change_class,
            "summary": self.summary,
            "diff": {
                "title_old": d.title_old,
                "title_new": d.title_new,
                "byline_old": d.byline_old,
                "byline_new": d.byline_new,
                "published_old": d.published_old,
                "published_new": d.published_new,
                "modified_old": d.modified_old,
                "modified_new": d.modified_new,
                "ops": [[op, text] for op, text in d.text.ops],
            },
            "sentences": [_op_json(op) for op in self.sentences],
            "facts": _facts_json(self.facts),
            "stats": dict(self.stats),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChangeReport:
        d = data["diff"]
        diff = Diff(
            title_old=d["title_old"],
            title_new=d["title_new"],
            byline_old=d["byline_old"],
            byline_new=d["byline_new"],
            text=WordDiff(ops=_word_ops(d["ops"])),
            published_old=d.get("published_old"),
            published_new=d.get("published_new"),
            modified_old=d.get("modified_old"),
            modified_new=d.get("modified_new"),
        )
        return cls(
            change_class=data["class"],
            diff=diff,
            sentences=tuple(_op_from(s) for s in data["sentences"]),
            facts=_facts_from(data["facts"]),
            stats=dict(data["stats"]),
            summary=data["summary"],
        )


def _word_ops(ops: Iterable[Sequence[Any]]) -> tuple[tuple[DiffOp, str], ...]:
    # Read back from to_json: each pair is [DiffOp, str] as written there.
    return tuple((op, text) for op, text in ops)


def _op_json(op: SentenceOp) -> dict[str, Any]:
    # By hand, in the field order ``asdict`` gives: asdict deep-copies every field, and a
    # report serialises one dict per sentence of the article.
    return {
        "op": op.op,
        "old": op.old,
        "new": op.new,
        "old_index": op.old_index,
        "new_index": op.new_index,
        "paragraph": op.paragraph,
        "words": [[o, t] for o, t in op.words],
    }


def _op_from(d: dict[str, Any]) -> SentenceOp:
    words = _word_ops(d.get("words") or ())
    old, new = d.get("old"), d.get("new")
    # Stored reports keep an edited sentence once, as its word ops; both texts follow from them.
    if words and "old" not in d:
        old = "".join(text for op, text in words if op != "insert")
    if words and "new" not in d:
        new = "".join(text for op, text in words if op != "delete")
    return SentenceOp(
        op=d["op"],
        old=old,
        new=new,
        old_index=d.get("old_index"),
        new_index=d.get("new_index"),
        paragraph=d.get("paragraph"),
        words=words,
    )


_PAIRS = ("headline", "byline")
_PAIR_LISTS = ("numbers_changed", "quotes_altered")
_LISTS = ("numbers_added", "numbers_removed", "quotes_added", "quotes_removed", "corrections")


def _facts_json(f: Facts) -> dict[str, Any]:
    out: dict[str, Any] = {
        "headline": list(f.headline) if f.headline else None,
        "byline": list(f.byline) if f.byline else None,
        "lede_changed": f.lede_changed,
        "developing_marker": f.developing_marker,
        "unpublished": f.unpublished,
        "returned": f.returned,
    }
    for k in _PAIR_LISTS:
        out[k] = [list(p) for p in getattr(f, k)]
    for k in _LISTS:
        out[k] = list(getattr(f, k))
    return out


def _facts_from(d: dict[str, Any]) -> Facts:
    kwargs: dict[str, Any] = {k: tuple(d[k]) if d.get(k) else None for k in _PAIRS}
    kwargs.update({k: tuple(tuple(p) for p in d.get(k) or ()) for k in _PAIR_LISTS})
    kwargs.update({k: tuple(d.get(k) or ()) for k in _LISTS})
    return Facts(
        lede_changed=bool(d.get("lede_changed")),
        developing_marker=d.get("developing_marker"),
        unpublished=bool(d.get("unpublished")),
        returned=bool(d.get("returned")),
        **kwargs,
    )


def analyze(old: Article, new: Article) -> ChangeReport:
    """Compare two versions of an article (see the revision package docstring)."""
    return _analyze(old, new, returned=False)


def _analyze(old: Article, new: Article, *, returned: bool) -> ChangeReport:
    a, b = split_paragraphs(old.paragraphs), split_paragraphs(new.paragraphs)
    ops, body = align(a, b)
    diff = Diff(
        title_old=old.title,
        title_new=new.title,
        byline_old=old.byline,
        byline_new=new.byline,
        text=WordDiff(ops=body),
        published_old=old.published,
        published_new=new.published,
        modified_old=old.modified,
        modified_new=new.modified,
    )
    facts = replace(find_facts(old, new, ops), returned=returned)
    stats = sentence_stats(ops, paragraph_words(old.paragraphs), paragraph_words(new.paragraphs))
    lede = change_share(
        old.paragraphs[0] if old.paragraphs else "", new.paragraphs[0] if new.paragraphs else ""
    )
    cls = classify(
        ops,
        facts,
        stats,
        title_cosmetic=edit_is_cosmetic(word_diff(old.title, new.title).ops),
        byline_cosmetic=edit_is_cosmetic(word_diff(old.byline, new.byline).ops),
        lede_share=lede,
    )
    summary = summarize(
        facts,
        stats,
        lede_rewritten=lede[0] >= LEDE_REWRITE_SHARE and lede[1] >= LEDE_MIN_WORDS,
        text_changed=diff.text.changed,
    )
    return ChangeReport(cls, diff, ops, facts, stats, summary)


def analyze_unpublished(old: Article, status_code: int) -> ChangeReport:
    """The story is gone (404/410): a major change with no new text to compare."""
    facts = Facts(
        headline=None,
        byline=None,
        lede_changed=False,
        numbers_changed=(),
        numbers_added=(),
        numbers_removed=(),
        quotes_added=(),
        quotes_removed=(),
        quotes_altered=(),
        corrections=(),
        developing_marker=None,
        unpublished=True,
    )
    diff = Diff(
        title_old=old.title,
        title_new=old.title,
        byline_old=old.byline,
        byline_new=old.byline,
        text=WordDiff(ops=()),
        published_old=old.published,
        published_new=old.published,
        modified_old=old.modified,
        modified_new=old.modified,
    )
    stats = sentence_stats((), 0, 0)
    summary = summarize(facts, stats, status_code=status_code)
    return ChangeReport("major", diff, (), facts, stats, summary)


def analyze_returned(old: Article, new: Article) -> ChangeReport:
    """The story is back after being unpublished, compared with its last published version:
    at least substantive (the classify rules), ``returned`` first in the summary."""
    return _analyze(old, new, returned=True)
