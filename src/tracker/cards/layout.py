"""CardModel -> CardLayout: lines wrapped to the width, placed top to bottom, trimmed to fit.

Measuring is the only thing that needs fonts, and it comes in as a function
(``Measure(text, script, bold, size) -> px``), so the layout is testable with real fonts but
without drawing, and ``layout_text`` reads back exactly what will be drawn.

Rules: sizes scale with the width and never go below ``MIN_FONT`` px; a word wider than the
line is cut by characters (a 2,000-character word wraps); CJK breaks between any two
characters; a block whose text starts right-to-left (Arabic, Hebrew) is right-aligned with its
words placed right to left. The height fits the content up to ``MAX_HEIGHT``; body blocks that
do not fit are dropped and counted in a "+ N more changes" line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Literal

from tracker.cards.fonts import RTL_SCRIPTS, Script, script_runs
from tracker.cards.model import Block, BlockKind, CardModel, Span
from tracker.records import DiffOp

Measure = Callable[[str, Script, bool, int], float]
DEFAULT_WIDTH = 1200
MIN_WIDTH, MAX_WIDTH = 400, 1200
MAX_HEIGHT = 1500
MIN_FONT = 18
# Font sizes at 1200 px, by block kind; bold kinds listed apart.
_SIZES: dict[BlockKind | Literal["more"], int] = {
    "site": 22,
    "when": 20,
    "headline": 38,
    "summary": 20,
    "context": 26,
    "change": 26,
    "moved": 26,
    "gap": 26,
    "note": 26,
    "footer": 18,
    "more": 22,
}
_BOLD = frozenset({"site", "headline", "note", "more"})
_CJK = "\u3000-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
_TOKEN = re.compile(rf"\s+|[{_CJK}]|[^\s{_CJK}]+")
_RTL_FIRST = re.compile(r"[^\W\d_]")


@dataclass(frozen=True, slots=True)
class Piece:
    """Text in one font and one mark, at ``x`` (px from the left edge) on its line."""

    text: str
    script: Script
    bold: bool
    size: int
    mark: DiffOp | Literal["badge"]
    x: int
    width: int


@dataclass(frozen=True, slots=True)
class Line:
    kind: BlockKind | Literal["more"]
    top: int
    height: int
    baseline: int
    pieces: tuple[Piece, ...]


@dataclass(frozen=True, slots=True)
class CardLayout:
    """Everything the painter needs; ``omitted`` changes did not fit."""

    width: int
    height: int
    margin: int
    lines: tuple[Line, ...]
    change_class: str
    omitted: int


def scaled(size: int, width: int) -> int:
    return max(MIN_FONT, round(size * width / DEFAULT_WIDTH))


def tokens(text: str) -> list[str]:
    """Break opportunities: runs of space, single CJK characters, words."""
    return _TOKEN.findall(text)


@dataclass
class _Wrapper:
    """Greedy line filling for one block; pieces are placed left to right."""

    measure: Measure
    avail: int
    bold: bool
    size: int
    lines: list[list[Piece]]
    x: float = 0.0

    def piece(self, text: str, script: Script, mark: DiffOp) -> Piece:
        w = self.measure(text, script, self.bold, self.size)
        return Piece(text, script, self.bold, self.size, mark, round(self.x), round(w))

    def add_token(self, token: str, mark: DiffOp) -> None:
        if token.isspace():
            if self.lines[-1]:
                self.place([self.piece(" ", "base", mark)])
            return
        last = self.lines[-1][-1] if self.lines[-1] else None
        if last is not None and last.mark == "delete" and mark == "insert":
            self.x += self.size // 4  # "rise reach", not "risereach": a gap between the two
        parts = [self.piece(t, s, mark) for s, t in script_runs(token)]
        width = sum(p.width for p in parts)
        if self.x + width > self.avail and self.lines[-1]:
            self.newline()
        if width > self.avail:
            for s, t in script_runs(token):
                self.add_long(t, s, mark)
        else:
            self.place(parts)

    def add_long(self, text: str, script: Script, mark: DiffOp) -> None:
        """Cut a word wider than the line by characters: estimated from the widths of single
        characters (cached), then checked once and shortened while it is still too wide."""
        while text:
            room = self.avail - self.x
            n, used = 0, 0.0
            while n < len(text):
                used += self.measure(text[n], script, self.bold, self.size)
                if used > room:
                    break
                n += 1
            while n > 1 and self.measure(text[:n], script, self.bold, self.size) > room:
                n -= 1
            n = max(n, 1)  # a line narrower than one character still takes one
            if self.measure(text[:n], script, self.bold, self.size) > room and self.lines[-1]:
                self.newline()
                continue
            self.place([self.piece(text[:n], script, mark)])
            text = text[n:]
            if text:
                self.newline()

    def place(self, parts: list[Piece]) -> None:
        for p in parts:
            self.lines[-1].append(replace(p, x=round(self.x)))
            self.x += p.width

    def newline(self) -> None:
        while self.lines[-1] and self.lines[-1][-1].text.isspace():
            self.lines[-1].pop()
        self.lines.append([])
        self.x = 0.0


def _is_rtl(block: Block) -> bool:
    for span in block.spans:
        m = _RTL_FIRST.search(span.text)
        if m:
            return script_runs(m.group())[0][0] in RTL_SCRIPTS
    return False


def wrap(block: Block, measure: Measure, avail: int, size: int, bold: bool) -> list[list[Piece]]:
    """A block's pieces in lines no wider than ``avail``; x from the line's left edge."""
    w = _Wrapper(measure, avail, bold, size, [[]])
    for span in block.spans:
        for token in tokens(span.text):
            w.add_token(token, span.mark)
    w.newline()
    lines = [line for line in w.lines if line]
    if _is_rtl(block):
        lines = [[replace(p, x=avail - p.x - p.width) for p in line] for line in lines]
    return lines


def _badge(text: str, measure: Measure, size: int) -> Piece:
    pad = size // 2
    return Piece(
        text, "base", True, size, "badge", 0, round(measure(text, "base", True, size)) + 2 * pad
    )


def _shift(pieces: list[Piece], dx: int) -> list[Piece]:
    return [replace(p, x=p.x + dx) for p in pieces]


def _block_lines(
    block: Block, model: CardModel, measure: Measure, width: int, margin: int
) -> list[tuple[int, list[Piece]]]:
    """(line height, pieces at absolute x) for one block, badges in front where it has one."""
    size = scaled(_SIZES[block.kind], width)
    lead = round(size * 1.45)
    avail = width - 2 * margin
    badge: Piece | None = None
    if block.kind == "when":
        badge = _badge(model.change_class.upper(), measure, size)
    elif block.kind == "moved":
        badge = _badge("MOVED", measure, size)
    indent = badge.width + size // 2 if badge else 0
    lines = wrap(block, measure, avail - indent, size, block.kind in _BOLD)
    out = [(lead, _shift(line, margin + indent)) for line in lines]
    if badge and out:
        out[0] = (lead, [replace(badge, x=margin), *out[0][1]])
    return out


def _lines_of(
    kind: BlockKind | Literal["more"], top: int, rows: list[tuple[int, list[Piece]]]
) -> Iterator[Line]:
    for lead, pieces in rows:
        size = max((p.size for p in pieces), default=MIN_FONT)
        yield Line(kind, top, lead, top + round(lead * 0.5 + size * 0.36), tuple(pieces))
        top += lead


def _fitting(rows: list[tuple[int, list[Piece]]], room: int) -> list[tuple[int, list[Piece]]]:
    out: list[tuple[int, list[Piece]]] = []
    for row in rows:
        if sum(h for h, _ in out) + row[0] > room:
            break
        out.append(row)
    return out


def lay_out(model: CardModel, measure: Measure, width: int = DEFAULT_WIDTH) -> CardLayout:
    """Place the card: head in full, body while it fits, footer and "+ N more" at the end."""
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ValueError(f"card width must be {MIN_WIDTH}-{MAX_WIDTH} px, not {width}")
    margin = max(24, round(48 * width / DEFAULT_WIDTH))
    gap = scaled(14, width)
    lines: list[Line] = []
    y = margin
    for block in model.head:
        lines += _lines_of(block.kind, y, _block_lines(block, model, measure, width, margin))
        y = (lines[-1].top + lines[-1].height if lines else y) + gap
    y += gap
    foot = _block_lines(model.footer, model, measure, width, margin) if model.footer else []
    more_rows = _block_lines(
        Block("gap", (Span("+ 99 more changes"),)), model, measure, width, margin
    )
    reserve = sum(h for h, _ in foot) + sum(h for h, _ in more_rows) + 2 * gap + margin
    omitted, full = 0, False
    room = MAX_HEIGHT - reserve
    for block in model.body:
        rows = [] if full else _block_lines(block, model, measure, width, margin)
        if not full and y + sum(h for h, _ in rows) > room:
            full = True
            # A change taller than a card (a hostile 2,000-character word) shows its start.
            fit = _fitting(rows, room - y) if block.change and lines[-1].kind != "gap" else []
            rows = fit if len(fit) >= 2 else []
        if not rows:
            omitted += block.change
            continue
        lines += _lines_of(block.kind, y, rows)
        y += sum(h for h, _ in rows) + gap
    if omitted:
        text = f"+ {omitted} more change{'s' if omitted != 1 else ''}"
        more = _block_lines(Block("note", (Span(text),)), model, measure, width, margin)
        lines += _lines_of("more", y, more)
        y += sum(h for h, _ in more) + gap
    if foot:
        y += gap
        lines += _lines_of("footer", y, foot)
        y += sum(h for h, _ in foot)
    return CardLayout(
        width, min(MAX_HEIGHT, y + margin), margin, tuple(lines), model.change_class, omitted
    )


def layout_text(layout: CardLayout) -> str:
    """What the card draws, line by line, with ``[-deleted-]`` / ``{+inserted+}`` markers."""
    out = []
    for line in layout.lines:
        text, mark = "", "equal"
        for p in line.pieces:  # reading order (x is the drawing order)
            m = "equal" if p.mark == "badge" else p.mark
            if m != mark:
                text += {"delete": "-]", "insert": "+}"}.get(mark, "")
                text += {"delete": "[-", "insert": "{+"}.get(m, "")
                mark = m
            text += f"[{p.text}] " if p.mark == "badge" else p.text
        text += {"delete": "-]", "insert": "+}"}.get(mark, "")
        out.append(text)
    return "\n".join(out) + "\n"
