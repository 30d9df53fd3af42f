"""Geometry of the inline SVG charts: bar charts in reports, line charts in sweeps.

Charts are inline SVG so a page works offline and prints sharply at any size. This module
only turns values into SVG user units, so the templates (``_bar_chart.svg.j2`` and
``_line_chart.svg.j2``) stay free of arithmetic and the layout can be tested without a
browser; it never formats numbers or writes markup: the templates do, escaping every label.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: Bar chart layout, in SVG user units (the chart scales to the width of its column).
BAR_CHART_WIDTH = 400
LABEL_WIDTH = 100
VALUE_WIDTH = 58
BAR_HEIGHT = 14
BAR_GAP = 3
GROUP_GAP = 10
BAR_CHART_TOP = 4
#: Line chart layout, in SVG user units.
LINE_CHART_WIDTH = 640
LINE_CHART_HEIGHT = 260
LINE_CHART_LEFT = 78
LINE_CHART_RIGHT = 18
LINE_CHART_TOP = 14
LINE_CHART_BOTTOM = 44
#: About how many intervals a line chart's y axis has.
TICKS = 5
#: Each line of a chart gets its own marker and dash, in this order, so lines stay apart
#: without colour (for a reader with red-green colour blindness, or on a grey printer).
MARKERS = ("circle", "square", "triangle", "diamond")
DASHES = ("", "7 4", "2 3", "9 3 2 3")

# --- bar charts (owner reports) -----------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One coloured piece of a bar: ``value`` drawn from ``x`` for ``width`` units."""

    x: float
    width: float
    value: float
    field: str
    css: str
    label: str


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: its segments, the total printed after it and an optional range.

    ``whisker`` is the pixel span of the low-high range, drawn as an error bar, so a
    reader sees at a glance how sure the "after" figure is.
    """

    label: str
    y: float
    segments: tuple[Segment, ...]
    total: float
    total_field: str
    end: float
    whisker: tuple[float, float] | None = None


@dataclass(frozen=True)
class Group:
    """Bars that belong together (``Sales``: before and after), under one label."""

    label: str
    y: float
    height: float
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Chart:
    """A complete horizontal bar chart: what the template needs to draw it."""

    title: str
    fmt: str
    width: float
    height: float
    plot_x: float
    plot_width: float
    bar_height: float
    groups: tuple[Group, ...]
    legend: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class BarSpec:
    """What to draw before layout: segments as (label, value, field, css) and a range.

    ``low_field`` / ``high_field`` name the range ends so the whisker is drawn from the
    same numbers the report prints.
    """

    label: str
    segments: Sequence[tuple[str, str, str]]  # (label, field, css)
    total_field: str
    low_field: str | None = None
    high_field: str | None = None


def _value(data: Mapping[str, object], field: str) -> float:
    try:
        value = float(data[field])  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError):
        return 0.0
    return value if math.isfinite(value) else 0.0


def bar_chart(
    title: str,
    data: Mapping[str, object],
    groups: Sequence[tuple[str, Sequence[BarSpec]]],
    fmt: str = "count",
    legend: Sequence[tuple[str, str, str]] = (),
) -> Chart:
    """Lay out grouped horizontal bars of the figures in ``data`` on one shared scale.

    Parameters
    ----------
    title
        Read by screen readers (the SVG's ``<title>``) and shown above the chart.
    data
        Figures by field name; every bar, segment and whisker reads its number from here,
        so the chart shows exactly the figures printed beside it.
    groups
        ``(group label, bars)``; a group is e.g. one department with its before and after.
    fmt
        How the template formats the printed totals (``count``, ``money`` or ``miles``).
    legend
        ``(label, css class, field)`` swatches the page shows under the chart (in HTML, so
        they wrap on narrow paper); ``field`` names a figure to print beside the label, or
        is empty.
    """
    plot_x = LABEL_WIDTH
    plot_width = BAR_CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH
    top = 0.0
    for _label, specs in groups:
        for spec in specs:
            ends = [_value(data, spec.total_field)]
            if spec.high_field:
                ends.append(_value(data, spec.high_field))
            top = max(top, *ends)
    scale = plot_width / top if top > 0 else 0.0

    laid: list[Group] = []
    y = float(BAR_CHART_TOP)
    for label, specs in groups:
        bars: list[Bar] = []
        start = y
        for spec in specs:
            x = float(plot_x)
            segments = []
            for seg_label, field, css in spec.segments:
                width = max(_value(data, field), 0.0) * scale
                segments.append(Segment(x, width, _value(data, field), field, css, seg_label))
                x += width
            whisker = None
            if spec.low_field and spec.high_field:
                whisker = (
                    plot_x + max(_value(data, spec.low_field), 0.0) * scale,
                    plot_x + max(_value(data, spec.high_field), 0.0) * scale,
                )
            end = max(x, whisker[1] if whisker else x)
            total = _value(data, spec.total_field)
            bars.append(Bar(spec.label, y, tuple(segments), total, spec.total_field, end, whisker))
            y += BAR_HEIGHT + BAR_GAP
        laid.append(Group(label, start, y - start - BAR_GAP, tuple(bars)))
        y += GROUP_GAP - BAR_GAP
    height = y - GROUP_GAP + BAR_GAP + BAR_CHART_TOP
    return Chart(
        title=title,
        fmt=fmt,
        width=BAR_CHART_WIDTH,
        height=height,
        plot_x=plot_x,
        plot_width=plot_width,
        bar_height=BAR_HEIGHT,
        groups=tuple(laid),
        legend=tuple(legend),
    )


# --- tornado charts (what drives a figure) -------------------------------------------------
# One bar per assumption, from the figure with that assumption at its low to the figure at
# its high, around the figure with every assumption at base: the longest bar is the
# assumption the figure hangs on most.

#: Tornado layout, in SVG user units.
TORNADO_WIDTH = 560
TORNADO_LABEL_WIDTH = 200
TORNADO_VALUE_WIDTH = 70


@dataclass(frozen=True)
class TornadoBar:
    """One assumption: its label, and where the figure lands at its low and its high."""

    label: str
    y: float
    x_low: float
    x_high: float
    at_low: float
    at_high: float
    value_low: float
    value_high: float


@dataclass(frozen=True)
class Tornado:
    """A laid-out tornado chart: what ``_tornado_chart.svg.j2`` needs to draw it."""

    title: str
    fmt: str
    width: float
    height: float
    plot_x: float
    plot_width: float
    base_x: float
    base: float
    bar_height: float
    bars: tuple[TornadoBar, ...]


def tornado_chart(
    title: str,
    rows: Sequence[tuple[str, float, float, float, float]],
    base: float,
    fmt: str = "count",
) -> Tornado:
    """Lay out ``rows`` of ``(label, figure at low, figure at high, low value, high
    value)``, in the order given (largest swing first), on one scale around ``base``."""
    plot_x = float(TORNADO_LABEL_WIDTH)
    plot_width = float(TORNADO_WIDTH - TORNADO_LABEL_WIDTH - 2 * TORNADO_VALUE_WIDTH)
    plot_x += TORNADO_VALUE_WIDTH
    ends = [base, *(v for r in rows for v in (r[1], r[2]) if math.isfinite(v))]
    lo, hi = min(ends), max(ends)
    span = hi - lo
    scale = plot_width / span if span > 0 else 0.0

    def x_of(value: float) -> float:
        return plot_x + (value - lo) * scale if span > 0 else plot_x + plot_width / 2

    bars = []
    y = float(BAR_CHART_TOP)
    for label, at_low, at_high, value_low, value_high in rows:
        bars.append(
            TornadoBar(
                label, y, x_of(at_low), x_of(at_high), at_low, at_high, value_low, value_high
            )
        )
        y += BAR_HEIGHT + BAR_GAP
    return Tornado(
        title=title,
        fmt=fmt,
        width=TORNADO_WIDTH,
        height=y - BAR_GAP + BAR_CHART_TOP,
        plot_x=plot_x,
        plot_width=plot_width,
        base_x=x_of(base),
        base=base,
        bar_height=BAR_HEIGHT,
        bars=tuple(bars),
    )


# --- line charts (sweep pages) ------------------------------------------------------------
# A sweep asks how totals move as one setting moves, which a line over the values shows
# best, with the low-high range as a shaded band.


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
    #: Marker shape (one of :data:`MARKERS`) and SVG ``stroke-dasharray`` ("": solid).
    marker: str = MARKERS[0]
    dash: str = DASHES[0]


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
    left, top = LINE_CHART_LEFT, LINE_CHART_TOP
    right, bottom = LINE_CHART_WIDTH - LINE_CHART_RIGHT, LINE_CHART_HEIGHT - LINE_CHART_BOTTOM
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
    for number, spec in enumerate(lines):
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
        style = (MARKERS[number % len(MARKERS)], DASHES[number % len(DASHES)])
        laid.append(Line(spec.label, spec.css, points, markers, band, *style))
    y_ticks = tuple(Tick(y(step * i), step * i) for i in range(int(round(y_max / step)) + 1))
    return LineChart(
        title=title,
        fmt=fmt,
        x_label=x_label,
        width=LINE_CHART_WIDTH,
        height=LINE_CHART_HEIGHT,
        plot=(left, top, right, bottom),
        x_ticks=tuple(Tick(p, v) for p, v in zip(pos, x_values, strict=True)),
        y_ticks=y_ticks,
        lines=tuple(laid),
    )
