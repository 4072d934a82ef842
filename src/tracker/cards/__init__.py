"""Diff cards: one change as an image ready to post, with its alt text.

A pipeline of pure stages, each testable alone:

``build_card`` (model.py)   ChangeReport + meta -> ``CardModel``: blocks of marked spans
``lay_out`` (layout.py)     CardModel + a measuring function -> ``CardLayout``: wrapped,
                            placed, trimmed lines (``layout_text`` reads it back as text)
``paint``/``to_png`` (draw.py)  CardLayout -> a Pillow image -> PNG bytes (< 1 MB)
``alt_text`` (alt.py)       ChangeReport + meta -> what changed, in words (<= 1,000 chars)

``render_card`` runs them all. Fonts and their fallbacks: fonts.py and docs/cards.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tracker.cards.alt import MAX_ALT, alt_text
from tracker.cards.fonts import FontReport, font_report
from tracker.cards.layout import (
    DEFAULT_WIDTH,
    MAX_HEIGHT,
    MAX_WIDTH,
    MIN_FONT,
    MIN_WIDTH,
    CardLayout,
    lay_out,
    layout_text,
)
from tracker.cards.model import CardModel, build_card, card_text
from tracker.revision import ChangeReport

__all__ = [
    "DEFAULT_WIDTH",
    "MAX_ALT",
    "MAX_HEIGHT",
    "MAX_WIDTH",
    "MIN_FONT",
    "MIN_WIDTH",
    "Card",
    "CardLayout",
    "CardModel",
    "FontReport",
    "alt_text",
    "build_card",
    "card_layout",
    "card_text",
    "font_report",
    "lay_out",
    "layout_text",
    "render_card",
]


@dataclass(frozen=True, slots=True)
class Card:
    """A rendered card: PNG bytes, its alt text and what was drawn."""

    png: bytes
    alt: str
    layout: CardLayout


def card_layout(
    report: ChangeReport, meta: Mapping[str, Any], width: int = DEFAULT_WIDTH
) -> CardLayout:
    """The placed card, measured with the real fonts, not drawn."""
    from tracker.cards.draw import measure

    return lay_out(build_card(report, meta), measure, width)


def render_card(report: ChangeReport, meta: Mapping[str, Any], width: int = DEFAULT_WIDTH) -> Card:
    """The card for one change: ``meta`` as for the renderers (url, from, to, times, web_url)."""
    from tracker.cards.draw import paint, to_png

    layout = card_layout(report, meta, width)
    return Card(png=to_png(paint(layout)), alt=alt_text(report, meta), layout=layout)
