"""Numbers as people read them: ``$4.2 M``, ``1,234``, ``12.4 mi``, ``low-base-high``.

Used by the terminal, maps and reports alike, so a figure reads the same everywhere.
"""

from __future__ import annotations

import math


def _bad(value: object) -> bool:
    try:
        return value is None or not math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def count(value: object) -> str:
    """A whole number with thousands separators (``1,268``)."""
    if _bad(value):
        return "-"
    return f"{round(float(value)):,}"  # type: ignore[arg-type]


def people(value: object) -> str:
    """Jobs or people: whole numbers, with thousands separators."""
    return count(value)


def money(value: object) -> str:
    """Dollars in readable units: ``$950``, ``$48 K``, ``$4.2 M``, ``$2.39 B``."""
    if _bad(value):
        return "-"
    v = float(value)  # type: ignore[arg-type]
    sign = "-" if v < 0 else ""
    v = abs(v)
    if v >= 1e9:
        return f"{sign}${v / 1e9:.2f} B"
    if v >= 1e6:
        return f"{sign}${v / 1e6:.1f} M"
    if v >= 1e3:
        return f"{sign}${v / 1e3:.0f} K"
    return f"{sign}${v:.0f}"


def miles(value: object) -> str:
    """A distance: ``12.4 mi``."""
    if _bad(value):
        return "-"
    return f"{float(value):.1f} mi"  # type: ignore[arg-type]


def span(low: object, base: object, high: object, fmt: str = "count") -> str:
    """A range as ``base (low-high)``, e.g. ``$4.2 M ($3.1 M-$5.0 M)``."""
    f = {"count": count, "money": money, "miles": miles}[fmt]
    return f"{f(base)} ({f(low)}-{f(high)})"


def format_of(field: str) -> str:
    """How a figure is written, from its column name: ``money``, ``miles`` or ``count``.

    Pages print many columns through one macro; naming the unit in the column
    (``revenue_lost_base``, ``distance_miles``) is what lets that macro pick the format.
    """
    if any(word in field for word in ("revenue", "payroll", "profit")):
        return "money"
    if "miles" in field:
        return "miles"
    return "count"


def figure(value: object, field: str) -> str:
    """A figure formatted by what its column measures (see :func:`format_of`)."""
    f = {"count": count, "money": money, "miles": miles}[format_of(field)]
    return f(value)


def number(value: object) -> str:
    """An assumption's value as written in the file: ``111,000``, ``0.55``, ``-0.003``.

    Assumptions are shown as the user typed them, not rounded to a unit, so a reader can
    find the same value in ``assumptions.toml``.
    """
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:g}"
