"""How a change's report is kept: a ``*_new`` title, byline or date equal to its ``*_old``
is stored once (most edits leave them alone), and put back on every read, so readers always
see the full shape ``ChangeReport.to_json`` wrote. Likewise its ``summary`` and ``class``
when they equal the change's own columns (the store passes them both ways). The column
itself is packed (zstd with a dictionary, ``store.packed``)."""

from __future__ import annotations

from typing import Any

PAIRS = ("title", "byline", "published", "modified")
HEAD = ("version", "class", "summary")  # the first keys of ChangeReport.to_json


def slim(
    report: dict[str, Any], summary: str | None = None, change_class: str | None = None
) -> dict[str, Any]:
    """The report as stored: unchanged ``*_new`` fields of its diff left out, and its
    ``summary`` and ``class`` when the change's columns say the same."""
    kept_columns = {"summary": summary, "class": change_class}
    same = [k for k, v in kept_columns.items() if v is not None and report.get(k) == v]
    if same:
        report = {k: v for k, v in report.items() if k not in same}
    diff = report.get("diff")
    if not isinstance(diff, dict):
        return report
    kept = dict(diff)
    for key in PAIRS:
        old, new = f"{key}_old", f"{key}_new"
        if old in kept and new in kept and kept[new] == kept[old]:
            del kept[new]
    return {**report, "diff": kept}


def full(report: Any, summary: str | None = None, change_class: str | None = None) -> Any:
    """The report as read: every ``*_new`` back (equal to its ``*_old`` when left out), and
    the change's ``summary`` and ``class`` when the stored report left them out."""
    if not isinstance(report, dict):
        return report
    columns = {"class": change_class, "summary": summary}
    if any(v is not None and k not in report for k, v in columns.items()):
        # the keys in the order to_json writes them, as if they had never been left out
        head = {k: report[k] if k in report else columns.get(k) for k in HEAD}
        report = {**{k: v for k, v in head.items() if k in report or v is not None}, **report}
    diff = report.get("diff")
    if not isinstance(diff, dict) or all(f"{k}_new" in diff for k in PAIRS if f"{k}_old" in diff):
        return report
    restored = dict(diff)
    for key in PAIRS:
        if f"{key}_old" in restored:
            restored.setdefault(f"{key}_new", restored[f"{key}_old"])
    return {**report, "diff": restored}
