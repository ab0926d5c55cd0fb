"""Server-rendered SVG chart geometry. The templates draw it; a data table always stands beside."""

from __future__ import annotations

from dataclasses import dataclass

BAR_HEIGHT = 22
BAR_GAP = 10
CHART_WIDTH = 320


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: float
    text_y: int


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int


def bar_chart(rows: list[tuple[str, int]]) -> BarChart:
    """Labels go above each bar rather than beside it, so long Finnish words fit a phone screen."""
    biggest = max((value for _label, value in rows), default=0) or 1
    bars = []
    y = 0
    for label, value in rows:
        text_y = y + 14
        bar_y = y + 20
        bars.append(Bar(label, value, bar_y, round((CHART_WIDTH - 50) * value / biggest, 1), text_y))
        y = bar_y + BAR_HEIGHT + BAR_GAP
    return BarChart(bars, CHART_WIDTH, max(y, 1))


@dataclass(frozen=True)
class Point:
    label: str
    value: int
    x: float
    y: float


@dataclass(frozen=True)
class LineChart:
    points: list[Point]
    polyline: str
    width: int
    height: int
    baseline: int


def line_chart(rows: list[tuple[str, int]], height: int = 160) -> LineChart:
    biggest = max((value for _label, value in rows), default=0) or 1
    top, bottom = 20, height - 40
    step = (CHART_WIDTH - 40) / max(len(rows) - 1, 1)
    points = [
        Point(label, value, round(20 + i * step, 1), round(bottom - (bottom - top) * value / biggest, 1))
        for i, (label, value) in enumerate(rows)
    ]
    return LineChart(points, " ".join(f"{p.x},{p.y}" for p in points), CHART_WIDTH, height, bottom)
