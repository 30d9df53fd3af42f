"""Comparisons and sweeps as rows of formatted figures, for the terminal and the HTML pages.

One list of measures (:data:`MEASURES`) decides what a side-by-side shows, and the rows
here are built once from it, so the terminal tables (:mod:`dealernet.outputs.terminal`)
and the pages (:mod:`dealernet.render.planning_pages`) always print the same figures.
Cells are plain text; escaping is left to whoever prints them (rich markup or Jinja).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd

from dealernet.formatting import count, miles, money
from dealernet.schema import CITY, DEALER_ID, NAME, OWNER_GROUP, STATE

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.planning.compare import Comparison
    from dealernet.planning.sweep import Sweep

#: (label, short label, field, format, ranged): the figures of a side-by-side, in order. A
#: ranged field has ``_low`` / ``_base`` / ``_high`` columns.
MEASURES: tuple[tuple[str, str, str, str, bool], ...] = (
    ("Stores kept", "Kept", "stores_keep", "count", False),
    ("Stores absorbed", "Absorbed", "stores_absorb", "count", False),
    ("Stores closed", "Closed", "stores_close", "count", False),
    ("Co-located (unaffected)", "Co-located", "stores_unaffected", "count", False),
    (
        "Absorbed into the owner's own store",
        "Into own store",
        "absorbed_into_same_owner",
        "count",
        False,
    ),
    ("Jobs lost", "Jobs lost", "jobs_lost", "count", True),
    ("Revenue lost to the network", "Revenue lost", "revenue_lost", "money", True),
    ("Revenue at risk to owners", "At risk to owners", "revenue_at_risk", "money", True),
    ("People beyond 50 miles, after", "Beyond 50 mi", "population_beyond_50_after", "count", False),
    (
        "People pushed beyond 50 miles",
        "Pushed >50 mi",
        "population_pushed_beyond_50",
        "count",
        False,
    ),
    ("Mean miles to a point of sale, after", "Mean miles", "mean_miles_after", "miles", False),
)
#: Measures in the sweep table (a sweep's own columns, shorter than a comparison).
SWEEP_MEASURES = tuple(m for m in MEASURES if m[2] != "stores_unaffected")
_FORMATS: dict[str, Callable[[object], str]] = {"count": count, "money": money, "miles": miles}


def _cell(row: pd.Series | dict[str, Any], field: str, fmt: str, ranged: bool) -> dict[str, str]:
    """One figure as ``{"text": base, "range": "low-high"}`` (range empty when unranged)."""
    f = _FORMATS[fmt]
    if not ranged:
        return {"text": f(row[field]), "range": ""}
    return {
        "text": f(row[f"{field}_base"]),
        "range": f"{f(row[f'{field}_low'])}-{f(row[f'{field}_high'])}",
    }


def comparison_rows(comparison: Comparison) -> list[dict[str, Any]]:
    """One row per measure, one cell per scenario."""
    totals = comparison.totals
    return [
        {"label": label, "cells": [_cell(r, field, fmt, ranged) for _, r in totals.iterrows()]}
        for label, _short, field, fmt, ranged in MEASURES
    ]


def site_rows(frame: pd.DataFrame, labels: tuple[str, ...]) -> list[dict[str, Any]]:
    """Stores of a comparison as text: name, place, owner and each scenario's decision and host.

    Missing values become empty text, so neither a terminal nor a page prints ``nan``.
    """

    def text(value: object) -> str:
        missing = value is None or value is pd.NA or (isinstance(value, float) and value != value)
        return "" if missing else str(value)

    rows = []
    for _, site in frame.iterrows():
        row: dict[str, Any] = {
            c: text(site[c]) for c in (DEALER_ID, NAME, OWNER_GROUP, CITY, STATE)
        }
        row["cells"] = [
            {"decision": text(site[f"decision_{x}"]), "host": text(site[f"host_{x}"])}
            for x in labels
        ]
        rows.append(row)
    return rows


def sweep_rows(sweep: Sweep) -> list[dict[str, Any]]:
    """One row per value, one cell per measure."""
    return [
        {
            "value": str(value),
            "cells": [_cell(row, f, fmt, ranged) for _, _, f, fmt, ranged in SWEEP_MEASURES],
        }
        for value, (_, row) in zip(sweep.values, sweep.totals.iterrows(), strict=True)
    ]
