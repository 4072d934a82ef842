"""Fonts for the cards: which script a character belongs to, and the font file for each.

Pillow draws one font per call and has no per-glyph fallback, so the card splits text into
runs by script and gives each run its font. The fonts come from the system (Debian:
``fonts-noto-core``, ``fonts-noto-cjk``, ``fonts-dejavu-core``): first at their usual paths,
then by file name anywhere under the font directories. What is missing degrades, never
crashes: Arabic and Hebrew fall back to DejaVu Sans (it has both), CJK to the base font
(boxes instead of characters), the base font to Pillow's built-in one (Latin only).
``font_report()`` says which file serves each script, so ``--help``-level docs and the tests
can tell what a machine lacks.

Arabic and Hebrew need shaping and bidi: Pillow does them when built with libraqm
(``PIL.features.check("raqm")``, true for the PyPI wheels with the system's FriBiDi). Without
it letters draw unjoined and in storage order; ``raqm_available()`` says which.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

Script = Literal["base", "arabic", "hebrew", "cjk", "devanagari", "thai", "symbol"]
SCRIPTS: tuple[Script, ...] = ("base", "arabic", "hebrew", "cjk", "devanagari", "thai", "symbol")
RTL_SCRIPTS: frozenset[Script] = frozenset({"arabic", "hebrew"})

log = logging.getLogger(__name__)

# Inclusive code point ranges of the scripts that need a font of their own; all else (Latin,
# Greek, Cyrillic, punctuation, digits) is "base".
_RANGES: tuple[tuple[int, int, Script], ...] = (
    (0x0590, 0x05FF, "hebrew"),
    (0x0600, 0x06FF, "arabic"),
    (0x0750, 0x077F, "arabic"),
    (0x08A0, 0x08FF, "arabic"),
    (0x0900, 0x097F, "devanagari"),
    (0x0E00, 0x0E7F, "thai"),
    (0x1100, 0x11FF, "cjk"),
    (0x2190, 0x21FF, "symbol"),  # arrows: the card's "3 → 4" (Noto Sans has none)
    (0x2E80, 0x2FDF, "cjk"),
    (0x3000, 0x30FF, "cjk"),
    (0x3100, 0x31FF, "cjk"),
    (0x3200, 0x4DBF, "cjk"),
    (0x4E00, 0x9FFF, "cjk"),
    (0xAC00, 0xD7AF, "cjk"),
    (0xF900, 0xFAFF, "cjk"),
    (0xFB1D, 0xFB4F, "hebrew"),
    (0xFB50, 0xFDFF, "arabic"),
    (0xFE30, 0xFE4F, "cjk"),
    (0xFE70, 0xFEFF, "arabic"),
    (0xFF00, 0xFFEF, "cjk"),
    (0x20000, 0x3134F, "cjk"),
)

_ROOTS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
_NOTO, _NOTO_CJK, _DEJAVU = "truetype/noto", "opentype/noto", "truetype/dejavu"
# Preferred files per (script, bold), best first, relative to a font root.
_CANDIDATES: dict[tuple[Script, bool], tuple[str, ...]] = {
    ("base", False): (f"{_NOTO}/NotoSans-Regular.ttf", f"{_DEJAVU}/DejaVuSans.ttf"),
    ("base", True): (f"{_NOTO}/NotoSans-Bold.ttf", f"{_DEJAVU}/DejaVuSans-Bold.ttf"),
    ("arabic", False): (f"{_NOTO}/NotoSansArabic-Regular.ttf", f"{_DEJAVU}/DejaVuSans.ttf"),
    ("arabic", True): (f"{_NOTO}/NotoSansArabic-Bold.ttf", f"{_DEJAVU}/DejaVuSans-Bold.ttf"),
    ("hebrew", False): (f"{_NOTO}/NotoSansHebrew-Regular.ttf", f"{_DEJAVU}/DejaVuSans.ttf"),
    ("hebrew", True): (f"{_NOTO}/NotoSansHebrew-Bold.ttf", f"{_DEJAVU}/DejaVuSans-Bold.ttf"),
    ("cjk", False): (f"{_NOTO_CJK}/NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf"),
    ("cjk", True): (f"{_NOTO_CJK}/NotoSansCJK-Bold.ttc", "NotoSansCJKsc-Bold.otf"),
    ("devanagari", False): (f"{_NOTO}/NotoSansDevanagari-Regular.ttf",),
    ("devanagari", True): (f"{_NOTO}/NotoSansDevanagari-Bold.ttf",),
    ("thai", False): (f"{_NOTO}/NotoSansThai-Regular.ttf",),
    ("thai", True): (f"{_NOTO}/NotoSansThai-Bold.ttf",),
    ("symbol", False): (f"{_DEJAVU}/DejaVuSans.ttf", f"{_NOTO}/NotoSansSymbols-Regular.ttf"),
    ("symbol", True): (f"{_DEJAVU}/DejaVuSans-Bold.ttf", f"{_NOTO}/NotoSansSymbols-Bold.ttf"),
}


def script_of(ch: str) -> Script:
    """The script whose font draws this character ("base" for Latin, Cyrillic, digits...)."""
    code = ord(ch)
    if code < 0x0590:
        return "base"
    for lo, hi, script in _RANGES:
        if lo <= code <= hi:
            return script
    return "base"


def script_runs(text: str) -> list[tuple[Script, str]]:
    """Text cut where the script changes; spaces and neutral marks join the run they are in."""
    runs: list[tuple[Script, str]] = []
    for ch in text:
        script = script_of(ch)
        if runs and (script == runs[-1][0] or (script == "base" and not ch.isalnum())):
            runs[-1] = (runs[-1][0], runs[-1][1] + ch)
        else:
            runs.append((script, ch))
    return runs


def _roots() -> list[Path]:
    return [Path(os.path.expanduser(r)) for r in _ROOTS]


@lru_cache(maxsize=1)
def _installed_by_name() -> dict[str, Path]:
    """Every font file under the font roots by file name: the fallback search, walked once."""
    found: dict[str, Path] = {}
    for root in _roots():
        if root.is_dir():
            for path in root.rglob("*"):
                if path.suffix.lower() in (".ttf", ".otf", ".ttc"):
                    found.setdefault(path.name, path)
    return found


@cache
def font_path(script: Script, bold: bool = False) -> Path | None:
    """The file that draws this script, or None when the machine has none of the candidates."""
    for rel in _CANDIDATES[(script, bold)]:
        for root in _roots():
            if (root / rel).is_file():
                return root / rel
        by_name = _installed_by_name().get(Path(rel).name)
        if by_name is not None:
            return by_name
    return None


def raqm_available() -> bool:
    """Whether Pillow shapes complex scripts (Arabic joining, right-to-left order)."""
    from PIL import features

    return bool(features.check("raqm"))


@dataclass(frozen=True, slots=True)
class FontReport:
    """Which file serves each script (None: missing) and whether shaping is on."""

    files: dict[str, str | None]
    shaping: bool

    def missing(self) -> list[str]:
        return [s for s, f in self.files.items() if f is None]


def font_report() -> FontReport:
    files: dict[str, str | None] = {s: (str(p) if (p := font_path(s)) else None) for s in SCRIPTS}
    return FontReport(files=files, shaping=raqm_available())
