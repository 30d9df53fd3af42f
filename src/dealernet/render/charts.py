"""Geometry of the report's bar charts; the SVG itself is drawn by ``_bar_chart.svg.j2``.

Charts are inline SVG so a report works offline and prints sharply at any size. This module
only places bars (pixels from values) so the template stays free of arithmetic and the
layout can be tested without a browser; it never formats numbers or writes markup.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: Layout, in SVG user units (the chart scales to the width of its column).
WIDTH = 400
LABEL_WIDTH = 100
VALUE_WIDTH = 58
BAR_HEIGHT = 14
BAR_GAP = 3
GROUP_GAP = 10
TOP = 4


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
    plot_width = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    top = 0.0
    for _label, specs in groups:
        for spec in specs:
            ends = [_value(data, spec.total_field)]
            if spec.high_field:
                ends.append(_value(data, spec.high_field))
            top = max(top, *ends)
    scale = plot_width / top if top > 0 else 0.0

    laid: list[Group] = []
    y = float(TOP)
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
    height = y - GROUP_GAP + BAR_GAP + TOP
    return Chart(
        title=title,
        fmt=fmt,
        width=WIDTH,
        height=height,
        plot_x=plot_x,
        plot_width=plot_width,
        bar_height=BAR_HEIGHT,
        groups=tuple(laid),
        legend=tuple(legend),
    )
