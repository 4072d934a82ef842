"""The one-line summary, as the revision report wrote it (wording: tracker.revision.report)."""

from __future__ import annotations

from tracker.render.common import Meta
from tracker.render.registry import renderer
from tracker.revision import ChangeReport


@renderer("summary")
def render_summary(report: ChangeReport, meta: Meta) -> str:
    """``headline changed; +2 sentences, -1; 1 number changed (12 -> 15)``."""
    return report.summary
