"""A small server-side SVG bar chart of change activity: no scripts, no inline styles.

Colours come from classes (``bar-major`` ...) styled by the static CSS, so the chart obeys the
Content-Security-Policy (``style-src 'self'``) like every other part of the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from markupsafe import Markup, escape

from tracker.vocab import CHANGE_CLASSES, class_rank

RANK: dict[str, int] = {name: class_rank(name) for name in CHANGE_CLASSES}
_STEPS = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(days=1),
    timedelta(weeks=1),
    timedelta(days=30),
]


def _bin_size(span: timedelta, max_bins: int) -> timedelta:
    for step in _STEPS:
        if span / step <= max_bins:
            return step
    return span / max_bins


def bins(
    points: Sequence[tuple[datetime, str | None]],
    *,
    end: datetime | None = None,
    max_bins: int = 48,
    min_bins: int = 24,
) -> tuple[datetime, timedelta, list[tuple[int, str | None]]]:
    """Group (time, class) points into equal bins from the first point to ``end``:
    (count, biggest class) per bin, between ``min_bins`` and about ``max_bins`` of them."""
    start = min(t for t, _ in points)
    stop = max(max(t for t, _ in points), end or start)
    step = _bin_size(stop - start, max_bins)
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    start = epoch + ((start - epoch) // step) * step  # align bins to round times
    n = max(min_bins, int((stop - start) // step) + 1)
    out: list[tuple[int, str | None]] = [(0, None)] * n
    for t, cls in points:
        i = int((t - start) // step)
        count, top = out[i]
        if cls and RANK.get(cls, 0) > RANK.get(top or "", 0):
            top = cls
        out[i] = (count + 1, top)
    return start, step, out


def activity_svg(
    points: Sequence[tuple[datetime, str | None]],
    *,
    end: datetime | None = None,
    width: int = 640,
    height: int = 120,
) -> Markup:
    """An SVG fragment: one bar per time bin up to ``end`` (now), height = versions first
    seen in it, colour = the biggest class of change among them."""
    if not points:
        return Markup('<p class="muted">No versions yet.</p>')
    start, step, counts = bins(points, end=end)
    top = max(c for c, _ in counts) or 1
    pad, axis = 4, 18
    bar_w = (width - 2 * pad) / len(counts)
    plot_h = height - axis - pad
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-label="{len(points)} versions over time">'
    ]
    for i, (count, cls) in enumerate(counts):
        if not count:
            continue
        h = max(2.0, plot_h * count / top)
        x, y = pad + i * bar_w, pad + plot_h - h
        label = f"{count} version(s) from {(start + i * step):%Y-%m-%d %H:%M} UTC"
        if cls:
            label += f", largest change {cls}"
        parts.append(
            f'<rect class="bar bar-{escape(cls or "first")}" x="{x:.1f}" y="{y:.1f}" '
            f'width="{max(1.0, bar_w - 1):.1f}" height="{h:.1f}"><title>{escape(label)}</title>'
            "</rect>"
        )
    end = start + len(counts) * step
    parts.append(
        f'<line class="axis" x1="{pad}" x2="{width - pad}" y1="{pad + plot_h + 0.5}" '
        f'y2="{pad + plot_h + 0.5}"/>'
        f'<text class="tick" x="{pad}" y="{height - 4}">{start:%Y-%m-%d %H:%M}</text>'
        f'<text class="tick" x="{width - pad}" y="{height - 4}" text-anchor="end">'
        f"{end:%Y-%m-%d %H:%M} UTC</text></svg>"
    )
    return Markup("".join(parts))
