"""Charts drawn on the server as SVG geometry (the template writes the `<rect>`s): no
script, no CDN, and nothing but numbers from here goes into the drawing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH = 640
HEIGHT = 220
LEFT = 8
BOTTOM = 22  # room for the labels under the bars
TOP = 10


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # under the bar ("" to skip)
    title: str  # the tooltip: the bar's figure in words
    value: int


@dataclass(frozen=True, slots=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    baseline: float
    peak: int

    @property
    def empty(self) -> bool:
        return self.peak == 0


def bar_chart(
    points: Sequence[tuple[str, int, str]],
    width: int = WIDTH,
    height: int = HEIGHT,
    label_every: int = 1,
) -> BarChart:
    """Bars for (label, value, tooltip) points, scaled to the largest value; every
    `label_every`-th label is written (30 days of labels would overlap)."""
    peak = max((max(0, value) for _, value, _ in points), default=0)
    baseline = height - BOTTOM
    room = baseline - TOP
    slot = (width - 2 * LEFT) / max(1, len(points))
    gap = min(6.0, slot * 0.25)
    bars = []
    for n, (label, value, title) in enumerate(points):
        h = room * max(0, value) / peak if peak else 0.0
        h = max(h, 1.0) if value > 0 else 0.0  # a sale always shows
        bars.append(
            Bar(
                x=round(LEFT + n * slot + gap / 2, 2),
                y=round(baseline - h, 2),
                width=round(slot - gap, 2),
                height=round(h, 2),
                label=label if n % max(1, label_every) == 0 else "",
                title=title,
                value=value,
            )
        )
    return BarChart(bars, width, height, baseline, peak)


def share_width(part: int, whole: int, width: float = 100.0) -> float:
    """A funnel bar's length: `part` of `whole` on a `width` scale (0 for nothing)."""
    if whole <= 0 or part <= 0:
        return 0.0
    return round(max(1.0, width * min(part, whole) / whole), 2)


Formatter = Callable[[int], str]
