"""How comparisons and sweeps are shown: offline HTML pages, CSV files and terminal tables.

The analysis lives in :mod:`dealernet.planning.compare` and :mod:`dealernet.planning.sweep`; this
module only lays their totals out. One list of measures (:data:`MEASURES`) decides what a
side-by-side shows, so the terminal, the CSV and the HTML page always agree. Pages are
rendered from Jinja templates with autoescaping (a scenario or dealer name such as
``<script>`` arrives as text) and need nothing from the network: styles and charts are
inline.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from dealernet._atomic import write_text
from dealernet._csv import csv_text
from dealernet._errors import QueryError
from dealernet.formatting import count, miles, money
from dealernet.outputs.formats import format_for
from dealernet.render._line_charts import LineChart, LineSpec, line_chart
from dealernet.schema import CITY, DEALER_ID, NAME, OWNER_GROUP, STATE

if TYPE_CHECKING:  # pragma: no cover
    from rich.table import Table

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


def _version() -> str:
    from dealernet import __version__

    return __version__


def _draws(results: tuple[Any, ...]) -> int:
    assumptions = results[0].assumptions if results else None
    return int(getattr(assumptions, "draws", 0) or 0)


# --- compare ------------------------------------------------------------------------------


def comparison_rows(comparison: Comparison) -> list[dict[str, Any]]:
    """One row per measure, one cell per scenario."""
    totals = comparison.totals
    return [
        {"label": label, "cells": [_cell(r, field, fmt, ranged) for _, r in totals.iterrows()]}
        for label, _short, field, fmt, ranged in MEASURES
    ]


def _site_rows(frame: pd.DataFrame, labels: tuple[str, ...]) -> list[dict[str, Any]]:
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


def comparison_html(comparison: Comparison) -> str:
    """The comparison as one self-contained HTML page."""
    from dealernet.render._templates import template

    first = comparison.results[0]
    scenarios = [
        {"label": x, "name": r.scenario.name, "source": str(r.scenario.source)}
        for x, r in zip(comparison.labels, comparison.results, strict=True)
    ]
    return template("compare.html.j2").render(
        labels=list(comparison.labels),
        scenarios=scenarios,
        source_brand=first.source_brand,
        host_brand=first.host_brand,
        draws=_draws(comparison.results),
        rows=comparison_rows(comparison),
        differences=_site_rows(comparison.differences, comparison.labels),
        host_changes=_site_rows(comparison.host_changes, comparison.labels),
        version=_version(),
    )


def write_comparison(comparison: Comparison, path: Path, fmt: str | None = None) -> list[Path]:
    """Write an HTML page, or CSV: totals to ``path`` and the differing stores beside it
    (``<stem>-sites.csv``). Returns the files written.
    """
    chosen = format_for(path, fmt, ["csv", "html"])
    if chosen == "html":
        return [write_text(path, comparison_html(comparison))]
    sites = path.with_name(f"{path.stem}-sites{path.suffix}")
    return [
        write_text(path, csv_text(comparison.totals)),
        write_text(sites, csv_text(comparison.differences)),
    ]


def comparison_table(comparison: Comparison) -> Table:
    """The totals side by side: one line per measure, one column per scenario."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(
        title="Scenarios side by side (ranges: 10th-90th percentile)", title_justify="left"
    )
    table.add_column("Measure")
    for label in comparison.labels:
        table.add_column(escape(label), justify="right")
    for row in comparison_rows(comparison):
        table.add_row(row["label"], *(_joined(c) for c in row["cells"]))
    return table


def differences_table(comparison: Comparison) -> Table:
    """The stores whose decision differs, with each scenario's decision and host."""
    from rich.markup import escape
    from rich.table import Table

    n = len(comparison.differences)
    table = Table(title=f"Stores whose decision differs: {n:,}", title_justify="left")
    for head in ("Store", "City", "ST", *comparison.labels):
        table.add_column(escape(head))
    for row in _site_rows(comparison.differences, comparison.labels):
        cells = [
            escape(c["decision"] + (f" into {c['host']}" if c["host"] else ""))
            for c in row["cells"]
        ]
        table.add_row(escape(row[NAME]), escape(row[CITY]), escape(row[STATE]), *cells)
    return table


def _joined(cell: dict[str, str]) -> str:
    return f"{cell['text']} ({cell['range']})" if cell["range"] else cell["text"]


# --- sweep --------------------------------------------------------------------------------

#: Measures in the sweep table (a sweep's own columns, shorter than a comparison).
SWEEP_MEASURES = tuple(m for m in MEASURES if m[2] != "stores_unaffected")


def sweep_rows(sweep: Sweep) -> list[dict[str, Any]]:
    """One row per value, one cell per measure."""
    return [
        {
            "value": str(value),
            "cells": [_cell(row, f, fmt, ranged) for _, _, f, fmt, ranged in SWEEP_MEASURES],
        }
        for value, (_, row) in zip(sweep.values, sweep.totals.iterrows(), strict=True)
    ]


def sweep_charts(sweep: Sweep) -> list[LineChart]:
    """Stores by decision, jobs lost, revenue lost and people beyond 50 miles, by value."""
    t = sweep.totals
    xs = list(sweep.values)

    def ranged(field: str, label: str, css: str) -> LineSpec:
        return LineSpec(
            label,
            css,
            t[f"{field}_base"].tolist(),
            t[f"{field}_low"].tolist(),
            t[f"{field}_high"].tolist(),
        )

    specs = [
        (
            "Stores by decision",
            "count",
            [
                LineSpec(lbl, d, t[f"stores_{d}"].tolist())
                for lbl, d in (("Kept", "keep"), ("Absorbed", "absorb"), ("Closed", "close"))
            ],
        ),
        ("Jobs lost", "count", [ranged("jobs_lost", "Jobs lost", "jobs")]),
        ("Revenue lost to the network", "money", [ranged("revenue_lost", "Revenue lost", "close")]),
        (
            "People beyond 50 miles of a point of sale, after",
            "count",
            [
                LineSpec(
                    "People beyond 50 miles", "people", t["population_beyond_50_after"].tolist()
                )
            ],
        ),
    ]
    return [
        line_chart(title, xs, lines, numeric_x=sweep.numeric, fmt=fmt, x_label=sweep.setting)
        for title, fmt, lines in specs
    ]


def sweep_html(sweep: Sweep) -> str:
    """The sweep as one self-contained HTML page: inline SVG charts and the table."""
    from dealernet.render._templates import template

    return template("sweep.html.j2").render(
        setting=sweep.setting,
        values=[str(v) for v in sweep.values],
        scenario={"name": sweep.scenario.name, "source": str(sweep.scenario.source)},
        draws=_draws(sweep.results),
        charts=sweep_charts(sweep),
        heads=[m[1] for m in SWEEP_MEASURES],
        rows=sweep_rows(sweep),
        version=_version(),
    )


def write_sweep(sweep: Sweep, path: Path, fmt: str | None = None) -> Path:
    """Write the sweep as an HTML page (charts and table) or a CSV of the totals."""
    chosen = format_for(path, fmt, ["csv", "html"])
    if chosen == "html":
        return write_text(path, sweep_html(sweep))
    if chosen == "csv":
        return write_text(path, csv_text(sweep.totals.rename(columns={"value": sweep.setting})))
    msg = f"cannot write a sweep as {chosen}"  # pragma: no cover - format_for refuses it
    raise QueryError(msg)


def sweep_table(sweep: Sweep) -> Table:
    """The totals for each value, one line per value."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(
        title=f"Sweep of {escape(sweep.setting)} (ranges: 10th-90th percentile)",
        title_justify="left",
    )
    table.add_column("Value", justify="right")
    for _, short, *_ in SWEEP_MEASURES:
        table.add_column(short, justify="right")
    for row in sweep_rows(sweep):
        table.add_row(escape(row["value"]), *(_joined(c) for c in row["cells"]))
    return table
