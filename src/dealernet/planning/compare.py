"""Scenarios side by side: what each plan does, and exactly which stores it treats differently.

A planner weighing the plan in the news against a cautious one asks two things: how the
totals move (stores kept, absorbed and closed; jobs and revenue lost with their ranges;
people left beyond 50 miles; the mean drive), and *which* stores change fate. Every scenario
runs on the same network, assumptions and Monte Carlo seed, so a difference between columns
comes from the rules alone, never from sampling noise (common random numbers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from dealernet._errors import QueryError
from dealernet.analysis.impact import check_draw_memory, source_sites
from dealernet.analysis.pipeline import default_assumptions, prepare
from dealernet.engine.scenario import Scenario, load_scenario
from dealernet.io.loader import load_network
from dealernet.schema import (
    CITY,
    DEALER_ID,
    DECISION,
    DECISIONS,
    HOST_DEALER_ID,
    NAME,
    OWNER_GROUP,
    STATE,
)
from dealernet.settings import dealer_paths, scenario_path

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from dealernet.analysis.assumptions import Assumptions
    from dealernet.analysis.result import Result
    from dealernet.engine.scenario import Scenario

#: Decisions in reporting order.
#: Loss measures shown with their ranges.
RANGED = ("jobs_lost", "revenue_lost", "revenue_at_risk")
#: Columns of a totals row, in order (see :func:`scenario_totals`).
TOTAL_COLUMNS: tuple[str, ...] = (
    *(f"stores_{d}" for d in DECISIONS),
    "absorbed_into_same_owner",
    *(f"{m}_{x}" for m in RANGED for x in ("low", "base", "high")),
    "population_beyond_50_before",
    "population_beyond_50_after",
    "population_pushed_beyond_50",
    "mean_miles_before",
    "mean_miles_after",
)
#: Most scenarios one comparison takes: each is a full run, kept with its draws, and the
#: side-by-side table gets a column each (a sweep takes as many values).
MAX_SCENARIOS = 50
#: Site columns shown beside each scenario's decision.
SITE_COLUMNS = (DEALER_ID, NAME, OWNER_GROUP, CITY, STATE)


@dataclass(frozen=True)
class Comparison:
    """Several scenarios run on the same network and assumptions.

    Attributes
    ----------
    labels
        Short, unique name of each scenario (its file stem), in the order given.
    results
        Each scenario's full result.
    totals
        One row per scenario: ``scenario`` (label), ``name``, then :data:`TOTAL_COLUMNS`.
    differences
        One row per store whose decision is not the same in every scenario: the store,
        then ``decision_<label>`` and ``host_<label>`` (host name) for each scenario.
    host_changes
        Stores absorbed in every scenario, but not always into the same host site.
    """

    labels: tuple[str, ...]
    results: tuple[Result, ...]
    totals: pd.DataFrame
    differences: pd.DataFrame
    host_changes: pd.DataFrame


def scenario_totals(result: Result) -> dict[str, Any]:
    """The headline figures of one run, as one flat row (see :data:`TOTAL_COLUMNS`)."""
    national, access = result.national, result.access.summary
    row: dict[str, Any] = {f"stores_{d}": int(national[f"stores_{d}"]) for d in DECISIONS}
    row["absorbed_into_same_owner"] = int(national["absorbed_into_same_owner"])
    for measure in RANGED:
        for x in ("low", "base", "high"):
            row[f"{measure}_{x}"] = float(national[f"{measure}_{x}"])
    row["population_beyond_50_before"] = int(access["beyond_50_before"])
    row["population_beyond_50_after"] = int(access["beyond_50_after"])
    row["population_pushed_beyond_50"] = int(access["pushed_beyond_50"])
    row["mean_miles_before"] = float(access["mean_miles_before"])
    row["mean_miles_after"] = float(access["mean_miles_after"])
    return row


def default_network() -> gpd.GeoDataFrame:
    """The dealer files a bare ``dealernet run`` reads (the bundled sample by default)."""

    return load_network(dealer_paths([]))


def as_scenario(item: Scenario | str | Path) -> Scenario:
    """A scenario object, reading a file when given a path."""

    if isinstance(item, Scenario):
        return item
    return load_scenario(scenario_path(item))


def labels_for(scenarios: Sequence[Scenario], given: Sequence[str] | None = None) -> list[str]:
    """Short unique labels: the file stems (``default``, ``conservative``), numbered if twice."""
    labels: list[str] = []
    if given is not None:
        labels = [str(g) for g in given]
        if len(labels) != len(scenarios) or len(set(labels)) != len(labels):
            msg = "give one distinct label per scenario"
            raise QueryError(msg)
        return labels
    for scenario in scenarios:
        source = str(scenario.source).partition(" with ")[0]
        stem = Path(source).stem if source.endswith(".toml") else scenario.name
        label, n = stem, 2
        while label in labels:
            label, n = f"{stem}-{n}", n + 1
        labels.append(label)
    return labels


def compare(
    scenarios: Sequence[Scenario | str | Path],
    *,
    network: gpd.GeoDataFrame | None = None,
    assumptions: Assumptions | None = None,
    places: pd.DataFrame | None = None,
    labels: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Comparison:
    """Run several scenarios on the same network and assumptions, and set them side by side.

    Parameters
    ----------
    scenarios
        Two or more scenarios, as objects or TOML files.
    network
        Default: the dealer files a bare ``dealernet run`` reads.
    assumptions
        Default: the shipped assumptions; the same draws serve every scenario.
    places
        Population points for customer access and the market model (default: the
        shipped Census-matched customer points, as :func:`dealernet.analysis.pipeline.run`).
    labels
        Column names for the scenarios (default: file stems).
    progress
        Called with each scenario's label as it starts.

    Raises
    ------
    QueryError
        With fewer than two scenarios, or scenarios that fold different brands.
    """

    scenarios = list(scenarios)
    if len(scenarios) > MAX_SCENARIOS:  # before reading any: each is a full run
        msg = (
            f"compare takes at most {MAX_SCENARIOS} scenarios (one run each), not "
            f"{len(scenarios):,}. Fix: compare fewer at once"
        )
        raise QueryError(msg)
    chosen = [as_scenario(s) for s in scenarios]
    if len(chosen) < 2:
        msg = "compare needs at least two scenarios"
        raise QueryError(msg)
    # Like with like: the same stores. The hosts may differ ("into Nissan" against "into
    # Nissan or Honda" is the alliance question); the stores folded may not.
    sources = sorted({s.source_brand for s in chosen})
    if len(sources) > 1:
        pairs = sorted({(s.source_brand, s.host_brand) for s in chosen})
        msg = f"the scenarios fold different brands ({pairs}); compare like with like"
        raise QueryError(msg)
    names = labels_for(chosen, labels)
    network = default_network() if network is None else network
    assumptions = assumptions or default_assumptions()
    # every run's draws are kept for the pages: refuse before the first run, not the last
    stores = source_sites(network, chosen[0].source_brand)
    check_draw_memory(assumptions.draws, stores, runs=len(chosen))
    prepared = prepare(network, places=places)  # owners, customers, rivals: read once
    results = []
    for label, scenario in zip(names, chosen, strict=True):
        if progress:
            progress(label)
        results.append(prepared.run(scenario, assumptions, what_drives=False))
    totals = pd.DataFrame(
        [
            {"scenario": n, "name": r.scenario.name, **scenario_totals(r)}
            for n, r in zip(names, results, strict=True)
        ]
    )
    differences, host_changes = decision_differences(names, results)
    return Comparison(tuple(names), tuple(results), totals, differences, host_changes)


def decision_differences(
    labels: Sequence[str], results: Sequence[Result]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stores whose decision differs between results, and absorbed stores whose host does.

    Rows are matched by ``dealer_id``, so results need not list stores in the same order.
    """
    first = results[0].decisions.table
    wide = pd.DataFrame(first[list(SITE_COLUMNS)]).reset_index(drop=True)
    for label, result in zip(labels, results, strict=True):
        table = result.decisions.table.set_index(DEALER_ID)
        ids = wide[DEALER_ID]
        if set(table.index) != set(ids):
            msg = f"scenario {label!r} decided other stores than {labels[0]!r}"
            raise QueryError(msg)
        wide[f"decision_{label}"] = ids.map(table[DECISION]).to_numpy()
        wide[f"host_{label}"] = ids.map(table["host_name"]).to_numpy()
        wide[f"_host_id_{label}"] = ids.map(table[HOST_DEALER_ID]).to_numpy()
    decisions = wide[[f"decision_{x}" for x in labels]]
    differs = decisions.nunique(axis=1, dropna=False) > 1
    host_ids = wide[[f"_host_id_{x}" for x in labels]]
    all_absorbed = (decisions == "absorb").all(axis=1)
    moved = all_absorbed & (host_ids.nunique(axis=1, dropna=False) > 1)
    keep = [c for c in wide.columns if not c.startswith("_host_id_")]
    return (
        wide.loc[differs, keep].reset_index(drop=True),
        wide.loc[moved, keep].reset_index(drop=True),
    )
