"""What the pages show of the sensitivity and of the shipped scenarios' spread.

The index draws, for the national figures, a tornado of the assumptions that move them most
and a table of every shipped scenario's figures beside the run's range; each owner report
names the three assumptions that move the group's figures most, with a tornado.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealernet.analysis.parameter_labels import label
from dealernet.analysis.sensitivity import NATIONAL
from dealernet.render.charts import Tornado, tornado_chart

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.analysis.result import Result
    from dealernet.analysis.scenario_spread import ScenarioSpread
    from dealernet.analysis.sensitivity import Sensitivity

#: Bars a tornado shows: the rest move the figure less than the last one shown.
TORNADO_BARS = 8
#: Figures the index draws a tornado of, in order.
INDEX_MEASURES = ("jobs_lost", "profit_change")
#: The figure an owner report ranks assumptions by: what the owner acts on.
OWNER_MEASURE = "profit_change"
#: Figures drawn, and their titles.
TITLES = {
    "jobs_lost": "Jobs lost at the stores",
    "net_jobs_lost": "Jobs lost to the region (net)",
    "revenue_lost": "Revenue lost a year",
    "profit_change": "Change in owners' yearly pre-tax profit",
}


def tornado(
    found: Sensitivity | None, measure: str, scope: str = NATIONAL, bars: int = TORNADO_BARS
) -> Tornado | None:
    """The tornado of ``measure`` in ``scope``, or ``None`` when it was not computed or no
    assumption moves it. Bars are named by the assumptions' plain-English labels."""
    if found is None:
        return None
    rows = found.top(measure, scope, n=bars)
    rows = rows[rows["swing"].abs() > 0]
    if rows.empty:
        return None
    return tornado_chart(
        f"{TITLES.get(measure, measure)}: each assumption at its low and its high",
        [
            (label(str(r.parameter)), float(r.at_low), float(r.at_high), r.value_low, r.value_high)
            for r in rows.itertuples()
        ],
        float(rows["at_base"].iloc[0]),
        measure,
    )


def drivers(
    found: Sensitivity | None, measure: str, scope: str, n: int = 3
) -> list[dict[str, Any]]:
    """The ``n`` assumptions that move ``measure`` most in ``scope``: each one's key, label,
    unit, low and high values and the figure at each (for a sentence per assumption).

    The label is made from the key here, not read from the table, so a saved run's
    ``sensitivity.csv`` written before it had a ``label`` column still reads in words."""
    if found is None:
        return []
    rows = found.top(measure, scope, n=n)
    records = [r for r in rows.to_dict(orient="records") if r["swing"] != 0]
    return [{**r, "label": label(str(r["parameter"]))} for r in records]


def spread_rows(spread: ScenarioSpread | None) -> list[dict[str, Any]]:
    """One row per shipped scenario, for the index's table."""
    if spread is None or spread.table.empty:
        return []
    return list(spread.table.to_dict(orient="records"))


def index_context(result: Result) -> dict[str, Any]:
    """What the index's "What the figures hang on" section needs."""
    charts = [(m, tornado(result.sensitivity, m)) for m in INDEX_MEASURES]
    spread = result.spread
    return {
        "tornadoes": [(m, c) for m, c in charts if c is not None],
        "spread_rows": spread_rows(spread),
        "spread_skipped": dict(spread.skipped) if spread is not None else {},
        "scenario_file": Path(str(result.scenario.source)).stem,
    }


def owner_context(result: Result, owner: str) -> dict[str, Any]:
    """The three assumptions that move an owner group's profit change most, and its tornado."""
    return {
        "drivers": drivers(result.sensitivity, OWNER_MEASURE, owner),
        "owner_tornado": tornado(result.sensitivity, OWNER_MEASURE, owner),
    }


__all__ = ["TITLES", "drivers", "index_context", "owner_context", "spread_rows", "tornado"]
