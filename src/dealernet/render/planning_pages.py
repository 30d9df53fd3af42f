"""How comparisons and sweeps are written: offline HTML pages and CSV files.

The analysis lives in :mod:`dealernet.planning.compare` and :mod:`dealernet.planning.sweep`; this
module only lays their totals out. The figures come from the rows of
:mod:`dealernet.outputs.side_by_side` (one list of measures), as do the terminal tables of
:mod:`dealernet.outputs.terminal`, so the terminal and the HTML page always agree. Pages are
rendered from Jinja templates with autoescaping (a scenario or dealer name such as
``<script>`` arrives as text) and need nothing from the network: styles and charts are
inline.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealernet._atomic import write_text
from dealernet._csv import csv_text
from dealernet._errors import QueryError
from dealernet.outputs.formats import format_for
from dealernet.outputs.side_by_side import SWEEP_MEASURES, comparison_rows, site_rows, sweep_rows
from dealernet.render._templates import render_page
from dealernet.render.charts import LineChart, LineSpec, line_chart
from dealernet.schema import brand_label

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.planning.compare import Comparison
    from dealernet.planning.sweep import Sweep


def _version() -> str:
    from dealernet import __version__

    return __version__


def _draws(results: tuple[Any, ...]) -> int:
    assumptions = results[0].assumptions if results else None
    return int(getattr(assumptions, "draws", 0) or 0)


# --- compare ------------------------------------------------------------------------------


def comparison_html(comparison: Comparison) -> str:
    """The comparison as one self-contained HTML page."""

    first = comparison.results[0]
    scenarios = [
        {"label": x, "name": r.scenario.name, "source": str(r.scenario.source)}
        for x, r in zip(comparison.labels, comparison.results, strict=True)
    ]
    return render_page(
        "compare.html.j2",
        labels=list(comparison.labels),
        scenarios=scenarios,
        source_brand=first.source_brand,
        host_brand=brand_label(b for r in comparison.results for b in r.host_brands),
        draws=_draws(comparison.results),
        rows=comparison_rows(comparison),
        differences=site_rows(comparison.differences, comparison.labels),
        host_changes=site_rows(comparison.host_changes, comparison.labels),
        data_origin=first.data_origin,
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


# --- sweep --------------------------------------------------------------------------------


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

    return render_page(
        "sweep.html.j2",
        setting=sweep.setting,
        values=[str(v) for v in sweep.values],
        scenario={"name": sweep.scenario.name, "source": str(sweep.scenario.source)},
        draws=_draws(sweep.results),
        charts=sweep_charts(sweep),
        heads=[m[1] for m in SWEEP_MEASURES],
        rows=sweep_rows(sweep),
        data_origin=sweep.results[0].data_origin if sweep.results else "not known",
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
