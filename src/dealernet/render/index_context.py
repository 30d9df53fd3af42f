"""What the index page shows a planner first: downloads, regions, states and their chart.

A planner opens ``index.html`` to answer "how bad is it, and where?": the national figures,
then the files to take away (the map, the workbook, the GIS bundle, the tables), then totals
by Census region and by state, and the owner groups to look up. The state totals are the
run's roll-up (``result.regions``, :func:`dealernet.analysis.rollups.states`); the Census
regions are summed by the same :func:`~dealernet.analysis.rollups.rollup`, so a region's low
and high are percentiles of its summed draws, like every other group's. Nothing here formats
a number: the templates do.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dealernet.analysis.owner_groups import owner_keys
from dealernet.analysis.rollups import rollup
from dealernet.render.charts import BarSpec, Chart, bar_chart
from dealernet.schema import CITY, DECISION, NAME, STATE, state_name
from dealernet.settings import NETWORK_MAP

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.analysis.result import Result

#: States the jobs chart shows, most jobs lost first; the state table lists every one.
CHART_STATES = 15
#: A state name longer than this is shown by its code in the chart's label column.
CHART_LABEL_CHARS = 14
#: Key of stores in no Census region (a territory), as the regions file names it.
OUTSIDE = "(none)"


def index_context(result: Result, out: Path) -> dict[str, Any]:
    """The index's downloads, region and state tables, state chart and state filter."""
    states = state_rows(result)
    return {
        "downloads": downloads(out),
        "state_rows": states,
        "region_rows": region_rows(result),
        "state_chart": state_chart(states),
        "chart_data": chart_data(states),
        "chart_states": min(CHART_STATES, sum(r["jobs_lost_base"] > 0 for r in states)),
        "states_with_jobs_lost": sum(r["jobs_lost_base"] > 0 for r in states),
    }


def downloads(out: Path) -> list[dict[str, str]]:
    """The map, the workbook and the GIS bundle, each only if the run folder holds it."""
    from dealernet.outputs.gis_bundle import GPKG_NAME
    from dealernet.outputs.workbook import WORKBOOK

    files = [
        (NETWORK_MAP, "National map", "every store, its decision and its host"),
        (WORKBOOK, "Workbook", "every table in one Excel file"),
        (GPKG_NAME, "GIS bundle", "layers for QGIS or ArcGIS"),
    ]
    return [
        {"href": name, "label": label, "what": what}
        for name, label, what in files
        if (out / name).is_file()
    ]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts; numbers stay numbers (the template's ``figure`` formats them)."""
    return [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in rec.items()}
        for rec in frame.to_dict(orient="records")
    ]


def state_rows(result: Result) -> list[dict[str, Any]]:
    """The run's per-state totals, most jobs lost first, each with its name."""
    table = result.regions
    states = pd.DataFrame(table.loc[table["level"] == "state"])
    states = states.sort_values(["jobs_lost_base", "region"], ascending=[False, True])
    rows = _records(states)
    for row in rows:
        row["name"] = str(row.get("region_name") or row["region"])
    return rows


def region_rows(result: Result) -> list[dict[str, Any]]:
    """Totals per Census region (Northeast, Midwest, South, West), most jobs lost first."""
    from dealernet.geo.regions import REGION, load_regions

    decisions = result.decisions.table
    keys = load_regions().keys_for(decisions[STATE].tolist(), REGION)
    table = rollup(keys, decisions, result.impacts)
    table = table.sort_values(["jobs_lost_base", "key"], ascending=[False, True])
    rows = _records(table)
    for row in rows:
        row["name"] = "Outside the Census regions" if row["key"] == OUTSIDE else str(row["key"])
    return rows


def _chart_label(row: dict[str, Any]) -> str:
    name = row["name"]
    return name if len(name) <= CHART_LABEL_CHARS else str(row["region"])


def chart_data(rows: list[dict[str, Any]]) -> dict[str, float]:
    """The chart's figures by ``<state code>.<field>``: one flat mapping for the template."""
    return {
        f"{row['region']}.jobs_lost_{level}": float(row[f"jobs_lost_{level}"])
        for row in rows
        for level in ("low", "base", "high")
    }


def state_chart(rows: list[dict[str, Any]]) -> Chart | None:
    """Jobs lost at the stores in the states that lose most, with each state's range."""
    shown = [r for r in rows if r["jobs_lost_base"] > 0][:CHART_STATES]
    if not shown:
        return None
    groups = []
    for row in shown:
        code = row["region"]
        field = f"{code}.jobs_lost"
        bar = BarSpec(
            "",
            [(f"Jobs lost in {row['name']}", f"{field}_base", "loss")],
            f"{field}_base",
            f"{field}_low",
            f"{field}_high",
        )
        groups.append((_chart_label(row), [bar]))
    return bar_chart(
        "Jobs lost at the stores, by state",
        chart_data(shown),
        groups,
        fmt="count",
        legend=[("Jobs lost (median), with its low-high range", "loss", "")],
    )


def owner_places(result: Result) -> dict[str, dict[str, str]]:
    """Per owner key (as ``owners.csv`` keys a group): the states of its absorbed or closed
    stores (for the state filter) and the text the search box reads (names and towns)."""
    table = result.decisions.table
    affected = table.loc[table[DECISION].isin(("absorb", "close"))]
    keys = owner_keys(affected)
    places: dict[str, dict[str, str]] = {}
    for key, rows in affected.groupby(keys.to_numpy(), sort=False):
        states = sorted({str(s) for s in rows[STATE].dropna()})
        texts = [rows[c].dropna().astype(str) for c in (NAME, CITY) if c in rows.columns]
        words = [str(key), *(t for column in texts for t in column)]
        places[str(key)] = {"states": " ".join(states), "search": " ".join(dict.fromkeys(words))}
    return places


def state_options(result: Result) -> list[tuple[str, str]]:
    """``(code, name)`` of every state with an absorbed or closed store, by name."""
    table = result.decisions.table
    codes = table.loc[table[DECISION].isin(("absorb", "close")), STATE].dropna().astype(str)
    named = {c: state_name(c) or c for c in set(codes)}
    return sorted(named.items(), key=lambda item: item[1])
