"""CardLayout -> PNG bytes, with Pillow.

Changes read without colour too: deleted text is struck through on a pale red ground,
inserted text underlined on a pale green one; the class is a badge in words, moved sentences
carry a MOVED badge. The PNG stays under ``MAX_BYTES``: when a card would not (it never has at
1200×1500), it is saved again with a 64-colour palette.
"""

from __future__ import annotations

import io
import logging
from dataclasses import replace
from functools import cache, lru_cache

from PIL import Image, ImageDraw, ImageFont

from tracker.cards.fonts import Script, font_path, raqm_available
from tracker.cards.layout import CardLayout, Line, Piece

log = logging.getLogger(__name__)

MAX_BYTES = 1_000_000
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
_INK, _GREY, _BG = "#1a1a1a", "#5a5f66", "#ffffff"
_DEL_INK, _DEL_BG = "#a50e0e", "#fde4e4"
_INS_INK, _INS_BG = "#0a5c28", "#dcf2e3"
CLASS_COLOURS = {
    "cosmetic": "#5a5f66",
    "minor": "#1d4ed8",
    "substantive": "#a14a00",
    "major": "#b01c1c",
}
_MOVED = "#5b21b6"
_GREY_KINDS = frozenset({"when", "summary", "context", "gap", "footer"})


@lru_cache(maxsize=128)
def load_font(script: Script, bold: bool, size: int) -> Font:
    """The font for a script at a size; a missing one falls back (see fonts.py), logged once."""
    path = font_path(script, bold) or font_path(script, False)
    if path is None and script != "base":
        _warn_missing(script)
        return load_font("base", bold, size)
    if path is None:
        _warn_missing("base")
        return ImageFont.load_default(size)
    engine = ImageFont.Layout.RAQM if raqm_available() else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(path), size, layout_engine=engine)


@cache
def _warn_missing(script: str) -> None:
    log.warning("cards: no font for %s text; it draws with a fallback (see docs/cards.md)", script)


@lru_cache(maxsize=20000)
def measure(text: str, script: Script, bold: bool, size: int) -> float:
    """Advance width in px of text in its font (the layout's ``Measure``)."""
    return float(load_font(script, bold, size).getlength(text))


def _ink(line: Line, piece: Piece) -> str:
    if piece.mark == "delete":
        return _DEL_INK
    if piece.mark == "insert":
        return _INS_INK
    return _GREY if line.kind in _GREY_KINDS else _INK


def _badge(draw: ImageDraw.ImageDraw, line: Line, piece: Piece, colour: str) -> None:
    pad = piece.size // 2
    box = (piece.x, line.top + 4, piece.x + piece.width, line.top + line.height - 4)
    draw.rounded_rectangle(box, radius=pad // 2, fill=colour)
    font = load_font("base", True, piece.size)
    draw.text((piece.x + pad, line.baseline), piece.text, font=font, fill="#ffffff", anchor="ls")


def _grounds(draw: ImageDraw.ImageDraw, line: Line) -> None:
    """The pale grounds go first so that no glyph is painted over."""
    for p in line.pieces:
        if p.mark in ("delete", "insert"):
            fill = _DEL_BG if p.mark == "delete" else _INS_BG
            draw.rectangle(
                (p.x, line.top + 2, p.x + p.width, line.top + line.height - 2), fill=fill
            )


def _piece(draw: ImageDraw.ImageDraw, line: Line, p: Piece, colour: str) -> None:
    if p.mark == "badge":
        _badge(draw, line, p, _MOVED if line.kind == "moved" else colour)
        return
    ink = _ink(line, p)
    draw.text(
        (p.x, line.baseline),
        p.text,
        font=load_font(p.script, p.bold, p.size),
        fill=ink,
        anchor="ls",
    )
    thick = max(2, p.size // 12)
    if p.mark == "delete" and not p.text.isspace():
        y = line.baseline - round(p.size * 0.3)
        draw.line((p.x, y, p.x + p.width, y), fill=ink, width=thick)
    elif p.mark == "insert" and not p.text.isspace():
        y = line.baseline + round(p.size * 0.14)
        draw.line((p.x, y, p.x + p.width, y), fill=ink, width=thick)


def _runs(line: Line) -> list[Piece]:
    """Neighbouring pieces in one font and mark drawn as one (fewer calls, one unbroken rule
    under an inserted phrase); right-to-left lines keep their pieces as placed."""
    out: list[Piece] = []
    for p in line.pieces:
        last = out[-1] if out else None
        same = last is not None and (last.script, last.bold, last.size, last.mark) == (
            p.script, p.bold, p.size, p.mark)  # fmt: skip
        if same and last is not None and p.mark != "badge" and last.x + last.width == p.x:
            out[-1] = replace(last, text=last.text + p.text, width=last.width + p.width)
        else:
            out.append(p)
    return out


def paint(layout: CardLayout) -> Image.Image:
    """The card as an RGB image."""
    colour = CLASS_COLOURS.get(layout.change_class, _GREY)
    image = Image.new("RGB", (layout.width, layout.height), _BG)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, layout.width, max(6, layout.margin // 6)), fill=colour)
    for line in layout.lines:
        _grounds(draw, line)
        for p in _runs(line):
            _piece(draw, line, p, colour)
    return image


def to_png(image: Image.Image) -> bytes:
    """PNG bytes under ``MAX_BYTES`` (a palette image when the full-colour one is too big)."""
    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=3)  # 6 costs 2-3x the time for ~5% less
    if buf.tell() <= MAX_BYTES:
        return buf.getvalue()
    buf = io.BytesIO()
    image.quantize(colors=64).save(buf, "PNG", optimize=True)
    return buf.getvalue()
