"""How a change's report is kept: a ``*_new`` title, byline or date equal to its ``*_old``
is stored once (most edits leave them alone), and put back on every read, so readers always
see the full shape ``ChangeReport.to_json`` wrote."""

from __future__ import annotations

from typing import Any

PAIRS = ("title", "byline", "published", "modified")


def slim(report: dict[str, Any]) -> dict[str, Any]:
    """The report as stored: unchanged ``*_new`` fields of its diff left out."""
    diff = report.get("diff")
    if not isinstance(diff, dict):
        return report
    kept = dict(diff)
    for key in PAIRS:
        old, new = f"{key}_old", f"{key}_new"
        if old in kept and new in kept and kept[new] == kept[old]:
            del kept[new]
    return {**report, "diff": kept}


def full(report: Any) -> Any:
    """The report as read: every ``*_new`` back (equal to its ``*_old`` when left out)."""
    if not isinstance(report, dict):
        return report
    diff = report.get("diff")
    if not isinstance(diff, dict) or all(f"{k}_new" in diff for k in PAIRS if f"{k}_old" in diff):
        return report
    restored = dict(diff)
    for key in PAIRS:
        if f"{key}_old" in restored:
            restored.setdefault(f"{key}_new", restored[f"{key}_old"])
    return {**report, "diff": restored}
