"""The language noise harness over the real corpus (``tests/lang_harness.py``).

Runs only when ``$TRACKER_CORPUS`` names the corpus: each page is served from 127.0.0.1 with
its own language's noise inside the article (0 versions from it), then edited three times
(each edit a version, its words in the JSON diff).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.lang_harness import run_page
from tracker.extract import decode_html

CORPUS = Path(os.environ.get("TRACKER_CORPUS", "/nonexistent"))
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        "TRACKER_CORPUS" not in os.environ or not (CORPUS / "manifest.json").exists(),
        reason="set $TRACKER_CORPUS to the corpus directory",
    ),
]


def _pages() -> list[dict[str, str]]:
    if not (CORPUS / "manifest.json").exists():
        return []
    return json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["pages"]


@pytest.mark.parametrize("page", _pages(), ids=lambda p: f"{p['file']}-{p['language']}")
def test_noise_makes_no_version_and_edits_are_found(tracker, server, page) -> None:
    # Static noise is what this harness measures. In auto mode some real pages (059: its
    # JSON-LD body is longer than its text, its scripts never settle) would also try the
    # browser on every check, a 30 s deadline each; test_rendering covers that fallback.
    tracker.settings.fetch.render = "never"
    html = decode_html((CORPUS / "pages" / page["file"]).read_bytes())
    res = run_page(tracker, server, page["file"].removesuffix(".html"), html, page["language"])
    if res.skipped:
        pytest.skip(res.skipped)
    assert res.noise_versions == 0
    assert res.found and all(res.found.values()), res.found
    assert all(res.in_diff.values()), res.in_diff
