"""Parameter sweeps: "what if the limit were 10, 20, 30, 40 or 60 miles?" in one call.

A sweep reruns one scenario with one setting at several values and lines up the same
totals as :mod:`dealernet.planning.compare` for each, so a planner sees where closures stop
falling or jobs lost level off. The setting can be any scenario path
(``rules.nearest.max_distance_miles``) or assumption (``market.decay_sales.base``); every run
shares the network, the places and the Monte Carlo seed, so the curve moves only because the
setting does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from dealernet import _overrides as overrides
from dealernet._errors import AssumptionsError, QueryError
from dealernet._overrides import SCENARIO, is_list, parse_values, target
from dealernet.analysis.assumptions import RETIRED
from dealernet.analysis.impact import check_draw_memory, source_sites
from dealernet.analysis.pipeline import default_assumptions, default_scenario, prepare
from dealernet.planning.compare import as_scenario, default_network, scenario_totals

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    import geopandas as gpd

    from dealernet.analysis.assumptions import Assumptions
    from dealernet.analysis.result import Result
    from dealernet.engine.scenario import Scenario

#: Most values one sweep may take (each is a full run).
MAX_VALUES = overrides.MAX_VALUES


@dataclass(frozen=True)
class Sweep:
    """One setting swept over several values.

    Attributes
    ----------
    setting
        The path swept, e.g. ``rules.nearest.max_distance_miles``.
    values
        The values, in the order given.
    totals
        One row per value: ``value`` then the columns of
        :data:`dealernet.planning.compare.TOTAL_COLUMNS`.
    results
        Each run's full result.
    scenario
        The scenario before the sweep's changes (its name heads the page).
    """

    setting: str
    values: tuple[Any, ...]
    totals: pd.DataFrame
    results: tuple[Result, ...]
    scenario: Scenario

    @property
    def numeric(self) -> bool:
        """Whether every value is a finite number (the chart then has a true scale)."""
        return all(_finite_number(v) for v in self.values)


def _finite_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def split_overrides(texts: Sequence[str]) -> tuple[str, list[Any], list[str]]:
    """The one ``--set`` with several values (the sweep) and the fixed ones.

    Values are read as by :func:`dealernet._overrides.parse_values`: split at commas outside
    quotes and brackets, each read like a single ``--set`` value (``30`` a number,
    ``optimal`` or ``"optimal"`` text, ``inf`` no limit).

    Raises
    ------
    QueryError
        Unless exactly one ``--set`` lists several values.
    ScenarioError, AssumptionsError
        When that ``--set`` is malformed (an empty value between commas, say), or names a
        retired parameter (the message shows a sweep that works instead).
    """
    swept = [t for t in texts if is_list(t)]
    if len(swept) != 1:
        msg = (
            "a sweep takes exactly one --set with several values, e.g. "
            "--set rules.nearest.max_distance_miles=10,20,30,40,60"
            + (f"; got {len(swept)}" if swept else "")
        )
        raise QueryError(msg)
    path, values = parse_values(swept[0])
    _refuse_retired(path)
    return path, values, [t for t in texts if t != swept[0]]


def _refuse_retired(path: str) -> None:
    """Refuse a parameter the market model replaced before any slow work, with the sweep of
    its successor written out: a bare "retired" leaves a planner with nothing to type."""
    for retired, why in RETIRED.items():
        if path == retired or path.startswith(f"{retired}."):
            instead = "market.decay_service" if "service" in retired else "market.decay_sales"
            parameter = default_assumptions()[instead]
            values = ",".join(f"{v:g}" for v in (parameter.low, parameter.base, parameter.high))
            msg = (
                f"--set {path}=...: parameter {retired!r} is retired: {why}. Sweep the "
                f"{parameter.unit} instead: --set {instead}.base={values}"
            )
            raise AssumptionsError(msg)


def sweep(
    setting: str,
    values: Sequence[Any],
    *,
    scenario: Scenario | str | Path | None = None,
    assumptions: Assumptions | None = None,
    network: gpd.GeoDataFrame | None = None,
    places: pd.DataFrame | None = None,
    progress: Callable[[str], None] | None = None,
) -> Sweep:
    """Run a scenario once per value of one setting and collect the totals.

    Parameters
    ----------
    setting
        A scenario path (``rules.<rule id>.max_distance_miles``, ``rules.*.capacity``,
        ``distance.circuity_factor``) or an assumption (``market.decay_sales.base``).
    values
        The values to try, in the order to show them.
    scenario, assumptions
        What every run starts from (defaults: the shipped scenario and assumptions).
    network
        Default: the dealer files a bare ``dealernet run`` reads.
    places
        Population points for customer access and the market model (default: the
        shipped Census-matched customer points, as :func:`dealernet.analysis.pipeline.run`).
    progress
        Called with ``"setting=value"`` as each run starts.

    Raises
    ------
    QueryError
        With no values, too many, or the same value twice; a value the scenario or
        assumptions reject raises their own error naming the setting.
    """

    values = list(values)
    if not values or len(values) > MAX_VALUES:
        msg = f"a sweep needs 1 to {MAX_VALUES} values, not {len(values)}"
        raise QueryError(msg)
    if len({repr(v) for v in values}) != len(values):
        msg = f"{setting}: each value once, please ({', '.join(map(str, values))})"
        raise QueryError(msg)
    base = as_scenario(scenario) if scenario is not None else default_scenario()
    assumptions = assumptions or default_assumptions()
    network = default_network() if network is None else network
    # validate every value before the first (slow) run, so a typo fails at once
    variants = [_variant(base, assumptions, setting, v) for v in values]
    # every run's draws are kept for the chart's pages: refuse before the first run
    most = max(a.draws for _, a in variants)
    check_draw_memory(most, source_sites(network, base.source_brand), runs=len(variants))
    prepared = prepare(network, places=places)  # owners, customers, rivals: read once
    results = []
    for value, (the_scenario, the_assumptions) in zip(values, variants, strict=True):
        if progress:
            progress(f"{setting}={value}")
        results.append(prepared.run(the_scenario, the_assumptions, what_drives=False))
    totals = pd.DataFrame(
        [{"value": v, **scenario_totals(r)} for v, r in zip(values, results, strict=True)]
    )
    return Sweep(setting, tuple(values), totals, tuple(results), base)


def _variant(
    scenario: Scenario, assumptions: Assumptions, setting: str, value: Any
) -> tuple[Scenario, Assumptions]:
    if target(setting) == SCENARIO:
        return scenario.with_overrides({setting: value}), assumptions
    return scenario, assumptions.with_overrides({setting: value})
