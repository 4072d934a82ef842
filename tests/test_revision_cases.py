"""Revision cases from tests/data/revision_cases/*.yaml, one phenomenon per file.

Each file has ``old`` and ``new`` articles (``new`` fields default to ``old``'s), an optional
``call`` (``unpublished`` with ``status``, or ``returned``) and ``expect``:

- ``changes``: the non-equal sentence ops, in order (required);
- ``class``: the change class (required);
- ``summary``: the exact summary line;
- ``facts``: a subset of ``report.to_json()["facts"]``, compared key by key;
- ``sentences``: the non-equal ops, each a subset of its JSON form.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracker.records import Article
from tracker.revision import ChangeReport, analyze, analyze_returned, analyze_unpublished

CASES = Path(__file__).parent / "data" / "revision_cases"
FILES = sorted(CASES.glob("*.yaml"))


def article(data: dict[str, Any], base: dict[str, Any] | None = None) -> Article:
    d = {**(base or {}), **data}
    return Article(
        title=d.get("title", ""),
        byline=d.get("byline", ""),
        published=d.get("published"),
        modified=d.get("modified"),
        paragraphs=tuple(d.get("paragraphs", ())),
        developing=bool(d.get("developing", False)),
    )


def run(case: dict[str, Any]) -> ChangeReport:
    old = article(case["old"])
    if case.get("call") == "unpublished":
        return analyze_unpublished(old, case["status"])
    new = article(case.get("new") or {}, case["old"])
    if case.get("call") == "returned":
        return analyze_returned(old, new)
    return analyze(old, new)


def test_there_are_enough_cases():
    assert len(FILES) >= 40


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_case(path: Path) -> None:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    expect = case["expect"]
    report = run(case)
    data = report.to_json()
    changed = [s for s in data["sentences"] if s["op"] != "equal"]
    assert [s["op"] for s in changed] == expect["changes"]
    assert report.change_class == expect["class"]
    if "summary" in expect:
        assert report.summary == expect["summary"]
    for key, value in (expect.get("facts") or {}).items():
        assert data["facts"][key] == value, key
    for got, want in zip(changed, expect.get("sentences") or [], strict=False):
        assert {k: got[k] for k in want} == want
    # Every report survives the store: JSON text and back, exactly.
    stored = json.loads(json.dumps(data))
    assert ChangeReport.from_json(stored) == report
    assert ChangeReport.from_json(stored).to_json() == data
