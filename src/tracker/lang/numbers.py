"""Figures as newsrooms write them, in every language, and what kind of figure each is.

A figure is one token however it is grouped and marked:

- thousands grouped by ``,`` or ``.`` (``4,300``, ``4.300``), by a space, a no-break or a
  thin space (``4 300``), or by an apostrophe (``4’300``, Swiss); a decimal comma
  (``4,3``); Arabic-Indic and other decimal digits (``١٢٣``), the Arabic separators ``٫٬``;
- a currency sign before it (``$``, ``€``, ``£``, ``¥``, ``₹``, ``₽``), a percent or
  per-mille sign after it, with or without a space (``4,3 %``), or before it (``%25``,
  Turkish).

``kind`` tells a date (``Sept. 30``, ``30. September 2026``, ``30.09.2026``, ``2026年9月30日``),
a tally or range (``20-8``) and a road number (``Highway 299``, ``A 7``, ``Route 66``) from
a plain figure, so that ``facts`` pairs a changed figure only with one of its own kind: a
date that appears is never "12 -> 30", while a changed date still reads "30 -> 31".
"""

from __future__ import annotations

import re
from typing import Literal

from tracker.lang.data import MONTHS, words
from tracker.lang.script import LETTER

Kind = Literal["figure", "date", "tally", "route"]

_GROUP = r"(?:[ \u00a0\u202f\u2009]|['’])"  # a space of some width, or a Swiss apostrophe
# One figure's digits, longest form first (the alternatives are tried in order).
DIGITS = (
    rf"\d{{1,3}}(?:{_GROUP}\d{{3}})+(?!\d)(?:[.,]\d+)?"  # 4 300  4’300  1 234,5
    r"|\d[\d,.:/٫٬]*\d|\d"  # 4,300  4.300  12.5  3:45  9/11  ١٢٣
)
_PERCENT = r"(?:[ \u00a0\u202f]?[%％‰](?!\w))?"
# For the word diff: a whole figure is one token.
NUMBER_TOKEN = rf"[-+]?[$€£¥₹₽]?(?:{DIGITS}){_PERCENT}|[%％][-+]?\d[\d,.]*"

ROAD_WORDS = words(
    "route highway hwy interstate rte road sr us state autobahn bundesstraße bundesstrasse "
    "landstraße b l k n m autoroute rn rd d carretera autovía autopista ruta rodovia br "
    "sp strada statale ss provinciale sp rijksweg weg väg riksväg rv fv riksvei droga dk "
    "trasa dálnice silnice трасса шоссе дорога автодорога траса yol otoyol jalan tol "
    "línea linea ligne linie line bus tram"
)
_TALLY_AFTER = re.compile(r"[-–]\d")
_TALLY_BEFORE = re.compile(r"\d[-–]$")
_DOTTED_DATE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
_CJK_DATE = re.compile(r"\s?[年月日号號]|\s?[년월일]")
_WORD_AFTER = re.compile(rf"\.?,?\s+({LETTER}+)")
_WORD_BEFORE = re.compile(rf"({LETTER}+)\.?,?\s+(?:\d{{1,2}},?\s+)?$")


def kind(text: str, start: int, end: int) -> Kind:
    """What the figure at text[start:end] is: a date, a tally, a road number or a figure."""
    token = text[start:end]
    if _DOTTED_DATE.match(token) or _CJK_DATE.match(text, end):
        return "date"
    after = _WORD_AFTER.match(text, end)
    before = _WORD_BEFORE.search(text, max(0, start - 40), start)
    if after and after.group(1).lower() in MONTHS:
        return "date"  # "30 September", "30. September"
    if before and before.group(1).lower() in MONTHS:
        return "date"  # "Sept. 30", "September 30, 2026"
    if _TALLY_AFTER.match(text, end) or _TALLY_BEFORE.search(text, max(0, start - 4), start):
        return "tally"
    if (
        before
        and before.group(1).lower() in ROAD_WORDS
        and text[before.end(1) : start].strip(" .") == ""
    ):
        return "route"
    return "figure"
