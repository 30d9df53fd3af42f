"""Geometry of the sweep page's line charts; the SVG is drawn by ``_line_chart.svg.j2``.

A sweep asks how totals move as one setting moves, which a line over the values shows best,
with the low-high range as a shaded band. Like :mod:`dealernet.render.charts`, this module only
turns values into SVG user units (so the template holds no arithmetic and the layout can be
tested without a browser); the template formats the numbers and escapes every label.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

#: Layout, in SVG user units (the chart scales to the width of its column).
WIDTH = 640
HEIGHT = 260
LEFT = 78
RIGHT = 18
TOP = 14
BOTTOM = 44
TICKS = 5


@dataclass(frozen=True)
class Tick:
    """A labelled position on an axis: ``pos`` in user units, ``value`` as data."""

    pos: float
    value: object


@dataclass(frozen=True)
class Point:
    """One marker: where it is drawn and the value it stands for (for its tooltip)."""

    x: float
    y: float
    x_value: object
    value: float


@dataclass(frozen=True)
class Line:
    """One series: a polyline, its markers and, if it has a range, the band's polygon."""

    label: str
    css: str
    points: str
    markers: tuple[Point, ...]
    band: str | None = None


@dataclass(frozen=True)
class LineChart:
    """A complete line chart: what the template needs to draw it."""

    title: str
    fmt: str
    x_label: str
    width: float
    height: float
    plot: tuple[float, float, float, float]  # left, top, right, bottom
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class LineSpec:
    """A series before layout: its values, and optionally its low and high values."""

    label: str
    css: str
    values: Sequence[float]
    low: Sequence[float] | None = None
    high: Sequence[float] | None = None


def nice_step(top: float, ticks: int = TICKS) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about ``ticks`` intervals."""
    if not math.isfinite(top) or top <= 0:
        return 1.0
    rough = top / ticks
    power = 10 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)


def _finite(values: Sequence[float] | None) -> list[float]:
    return [float(v) for v in values or () if v is not None and math.isfinite(float(v))]


def line_chart(
    title: str,
    x_values: Sequence[object],
    lines: Sequence[LineSpec],
    *,
    numeric_x: bool,
    fmt: str = "count",
    x_label: str = "",
) -> LineChart:
    """Lay out lines over shared axes; y starts at zero so sizes compare honestly.

    Parameters
    ----------
    x_values
        The swept values, in order. With ``numeric_x`` they are placed to scale (in the
        order given: a sweep's values are usually rising); otherwise evenly.
    lines
        The series; each has one value per x value.
    fmt
        How the template formats y-axis labels and tooltips (``count``, ``money``, ``miles``).
    """
    left, top, right, bottom = LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM
    n = len(x_values)
    if numeric_x and n > 1:
        xs = [float(v) for v in x_values]  # type: ignore[arg-type]
        lo, hi = min(xs), max(xs)
        span = (hi - lo) or 1.0
        pos = [left + (x - lo) / span * (right - left) for x in xs]
    else:
        step = (right - left) / max(n - 1, 1)
        pos = [left + i * step if n > 1 else (left + right) / 2 for i in range(n)]
    peak = max([0.0, *(v for spec in lines for v in _finite(spec.high) + _finite(spec.values))])
    step = nice_step(peak)
    y_max = step * max(1, math.ceil(peak / step)) if peak > 0 else 1.0

    def y(value: float) -> float:
        return bottom - max(value, 0.0) / y_max * (bottom - top)

    laid = []
    for spec in lines:
        values = [float(v) if v is not None else math.nan for v in spec.values]
        markers = tuple(
            Point(px, y(v), xv, v)
            for px, xv, v in zip(pos, x_values, values, strict=True)
            if math.isfinite(v)
        )
        band = None
        if spec.low is not None and spec.high is not None:
            upper = [f"{px:.1f},{y(float(h)):.1f}" for px, h in zip(pos, spec.high, strict=True)]
            lower = [f"{px:.1f},{y(float(lo)):.1f}" for px, lo in zip(pos, spec.low, strict=True)]
            band = " ".join(upper + lower[::-1])
        points = " ".join(f"{m.x:.1f},{m.y:.1f}" for m in markers)
        laid.append(Line(spec.label, spec.css, points, markers, band))
    y_ticks = tuple(Tick(y(step * i), step * i) for i in range(int(round(y_max / step)) + 1))
    return LineChart(
        title=title,
        fmt=fmt,
        x_label=x_label,
        width=WIDTH,
        height=HEIGHT,
        plot=(left, top, right, bottom),
        x_ticks=tuple(Tick(p, v) for p, v in zip(pos, x_values, strict=True)),
        y_ticks=y_ticks,
        lines=tuple(laid),
    )
