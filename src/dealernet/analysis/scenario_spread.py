"""The national figures of every shipped scenario, for the spread beside a run's range.

A run's low / base / high range comes from drawing the assumptions: it is conditional on
the scenario, that is on which stores are affected and how. Which plan Nissan carries out
moves the figures more than most assumptions do, so the index shows each shipped scenario's
figures (every assumption at its base value, one deterministic pass) beside the run's own
range. A scenario for other brands than the run's network holds is left out, saying why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import pandas as pd

from dealernet.analysis.impact import estimate_impacts
from dealernet.analysis.market_run import run_market
from dealernet.engine.rules import apply_rules
from dealernet.schema import BRAND, DECISION, brand_label

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.analysis.assumptions import Assumptions
    from dealernet.engine.scenario import Scenario

#: Figures of each scenario (sums over its stores), when the impacts have them.
MEASURES = ("jobs_lost", "net_jobs_lost", "revenue_lost", "revenue_at_risk", "profit_change")


@dataclass(frozen=True)
class ScenarioSpread:
    """One row per scenario run: ``scenario`` (its file's name), ``name`` (its title),
    ``absorbed``, ``closed`` and each measure at base; ``skipped`` names the scenarios
    left out, with why."""

    table: pd.DataFrame
    skipped: dict[str, str]


def at_base(assumptions: Assumptions) -> Assumptions:
    """Every assumption at its base value with no range, and one draw: a deterministic
    pass (the market solved once, at the base values)."""
    params = {k: replace(p, low=p.base, high=p.base) for k, p in assumptions.parameters.items()}
    return replace(assumptions, parameters=params, draws=1, market_draws=1)


def scenario_spread(
    network: pd.DataFrame,
    assumptions: Assumptions,
    competitors: pd.DataFrame,
    points: pd.DataFrame,
    scenarios: Sequence[tuple[str, Scenario]],
    measures: Sequence[str] = MEASURES,
) -> ScenarioSpread:
    """Each ``(file name, scenario)`` applied to ``network`` and estimated at base."""
    fixed = at_base(assumptions)
    brands = set(network[BRAND].astype(str))
    rows, skipped = [], {}
    for stem, scenario in scenarios:
        if why := _cannot_run(scenario, brands):
            skipped[stem] = why
            continue
        table = apply_rules(network, scenario).table
        market = run_market(
            points, network, table, competitors, fixed, scenario.source_brand, pairs=False
        )
        impacts = estimate_impacts(
            network, table, fixed, scenario.source_brand, scenario.host_brands, market=market
        )
        decided = table[DECISION].astype(str)
        row: dict[str, object] = {
            "scenario": stem,
            "name": scenario.name,
            "absorbed": int((decided == "absorb").sum()),
            "closed": int((decided == "close").sum()),
        }
        for measure in (m for m in measures if m in impacts.draws):
            row[measure] = float(impacts.draws[measure][0].sum())
        rows.append(row)
    return ScenarioSpread(table=pd.DataFrame(rows), skipped=skipped)


def _cannot_run(scenario: Scenario, brands: set[str]) -> str:
    """Why ``scenario`` has nothing to decide on a network of ``brands`` (``""``: it has).

    It needs its source brand's stores and sites of at least one of its host brands (an
    alliance's other brands may be absent: its stores then go to the brands present).
    """
    missing = [scenario.source_brand] if scenario.source_brand not in brands else []
    if not brands.intersection(scenario.host_brands):
        missing += scenario.host_brands
    return f"the network has no {brand_label(missing)} stores" if missing else ""


__all__ = ["MEASURES", "ScenarioSpread", "at_base", "scenario_spread"]
