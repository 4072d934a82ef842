"""The change as a card: ``png`` (the image, bytes) and ``alt`` (its alt text).

Both come from ``tracker.cards``; Pillow is imported only when a card is drawn, so the other
renderings (and the CLI's start-up) do not pay for it.
"""

from __future__ import annotations

from tracker.render.common import Meta
from tracker.render.registry import renderer
from tracker.revision import ChangeReport


@renderer("png")
def render_png(report: ChangeReport, meta: Meta, *, width: int = 1200) -> bytes:
    """The card as PNG bytes: ``width`` px wide (400-1200), height fitted, under 1 MB."""
    from tracker.cards import render_card

    return render_card(report, meta, width).png


@renderer("alt")
def render_alt(report: ChangeReport, meta: Meta) -> str:
    """What changed, in words, within 1,000 characters: the card's alt text."""
    from tracker.cards import alt_text

    return alt_text(report, meta)
