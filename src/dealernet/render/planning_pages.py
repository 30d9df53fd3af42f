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

import pandas as pd

from dealernet._atomic import write_text
from dealernet._csv import csv_file_text
from dealernet._errors import QueryError
from dealernet.analysis.parameter_labels import setting_label
from dealernet.outputs.formats import format_for
from dealernet.outputs.side_by_side import SWEEP_MEASURES, comparison_rows, site_rows, sweep_rows
from dealernet.render._templates import render_page
from dealernet.render.charts import BarSpec, Chart, LineChart, LineSpec, bar_chart, line_chart
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


def _sort_keys(totals: pd.DataFrame) -> list[list[float]]:
    """Per row, the number each measure's column sorts by (the base of a range)."""
    return [
        [
            float(row[f"{field}_base" if ranged else field])
            for _, _, field, _, ranged in SWEEP_MEASURES
        ]
        for _, row in totals.iterrows()
    ]


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
        charts=comparison_charts(comparison),
        chart_data=comparison_chart_data(comparison),
        differences=site_rows(comparison.differences, comparison.labels),
        host_changes=site_rows(comparison.host_changes, comparison.labels),
        data_origin=first.data_origin,
        version=_version(),
    )


#: Longest scenario label a chart's label column holds; longer ones are cut with "...".
CHART_LABEL_CHARS = 16
#: Stores by decision, in the order a stacked bar shows them, with their legend words.
DECISION_SEGMENTS = (
    ("stores_keep", "Kept", "keep"),
    ("stores_absorb", "Absorbed", "absorb"),
    ("stores_close", "Closed", "close"),
    ("stores_unaffected", "Co-located", "unaffected"),
)


def _short(label: str) -> str:
    return label if len(label) <= CHART_LABEL_CHARS else label[: CHART_LABEL_CHARS - 1] + "..."


def comparison_chart_data(comparison: Comparison) -> dict[str, float]:
    """Every scenario's totals by ``s<n>.<column>`` (n: its place), for the charts."""
    data: dict[str, float] = {}
    for n, (_, row) in enumerate(comparison.totals.iterrows()):
        for column, value in row.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                data[f"s{n}.{column}"] = float(value)
        data[f"s{n}.stores"] = float(sum(row[c] for c, _, _ in DECISION_SEGMENTS))
    return data


def comparison_charts(comparison: Comparison) -> list[Chart]:
    """Stores by decision, jobs lost and revenue lost, one bar per scenario."""
    data = comparison_chart_data(comparison)
    labels = [_short(str(x)) for x in comparison.labels]

    def ranged(field: str, css: str, what: str) -> list[tuple[str, list[BarSpec]]]:
        return [
            (
                label,
                [
                    BarSpec(
                        "",
                        [(f"{what}, {label}", f"s{n}.{field}_base", css)],
                        f"s{n}.{field}_base",
                        f"s{n}.{field}_low",
                        f"s{n}.{field}_high",
                    )
                ],
            )
            for n, label in enumerate(labels)
        ]

    stores = [
        (
            label,
            [
                BarSpec(
                    "",
                    [(f"{word}, {label}", f"s{n}.{c}", css) for c, word, css in DECISION_SEGMENTS],
                    f"s{n}.stores",
                )
            ],
        )
        for n, label in enumerate(labels)
    ]
    legend = [(word, css, "") for _, word, css in DECISION_SEGMENTS]
    band = "Median, with its low-high range"
    return [
        bar_chart("Stores by decision", data, stores, legend=legend),
        bar_chart(
            "Jobs lost",
            data,
            ranged("jobs_lost", "jobs", "Jobs lost"),
            legend=[(band, "jobs", "")],
        ),
        bar_chart(
            "Revenue lost to the network",
            data,
            ranged("revenue_lost", "loss", "Revenue lost"),
            fmt="money",
            legend=[(band, "loss", "")],
        ),
    ]


def write_comparison(comparison: Comparison, path: Path, fmt: str | None = None) -> list[Path]:
    """Write an HTML page, or CSV: totals to ``path`` and the differing stores beside it
    (``<stem>-sites.csv``). Returns the files written.
    """
    chosen = format_for(path, fmt, ["csv", "html"])
    if chosen == "html":
        return [write_text(path, comparison_html(comparison))]
    sites = path.with_name(f"{path.stem}-sites{path.suffix}")
    return [
        write_text(path, csv_file_text(comparison.totals)),
        write_text(sites, csv_file_text(comparison.differences)),
    ]


# --- sweep --------------------------------------------------------------------------------


def sweep_charts(sweep: Sweep) -> list[LineChart]:
    """Stores by decision, jobs lost, revenue lost and people beyond 50 miles, by value."""
    t = sweep.totals
    xs = list(sweep.values)
    label = setting_label(sweep.setting)

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
        line_chart(title, xs, lines, numeric_x=sweep.numeric, fmt=fmt, x_label=label)
        for title, fmt, lines in specs
    ]


def sweep_html(sweep: Sweep) -> str:
    """The sweep as one self-contained HTML page: inline SVG charts and the table."""

    rows = sweep_rows(sweep)
    for row, value, keys in zip(rows, sweep.values, _sort_keys(sweep.totals), strict=True):
        row["sort"] = value if sweep.numeric else str(value)
        for cell, key in zip(row["cells"], keys, strict=True):
            cell["sort"] = key
    return render_page(
        "sweep.html.j2",
        setting=sweep.setting,
        label=setting_label(sweep.setting),
        values=[str(v) for v in sweep.values],
        numeric=sweep.numeric,
        scenario={"name": sweep.scenario.name, "source": str(sweep.scenario.source)},
        draws=_draws(sweep.results),
        charts=sweep_charts(sweep),
        heads=[m[1] for m in SWEEP_MEASURES],
        rows=rows,
        data_origin=sweep.results[0].data_origin if sweep.results else "not known",
        version=_version(),
    )


def write_sweep(sweep: Sweep, path: Path, fmt: str | None = None) -> Path:
    """Write the sweep as an HTML page (charts and table) or a CSV of the totals."""
    chosen = format_for(path, fmt, ["csv", "html"])
    if chosen == "html":
        return write_text(path, sweep_html(sweep))
    if chosen == "csv":
        return write_text(
            path, csv_file_text(sweep.totals.rename(columns={"value": sweep.setting}))
        )
    msg = f"cannot write a sweep as {chosen}"  # pragma: no cover - format_for refuses it
    raise QueryError(msg)
