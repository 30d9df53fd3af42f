"""What drives each figure: a one-at-a-time sensitivity of the run's figures.

Each uncertain assumption (low below high) is set to its low and then to its high, every
other one at its base value (the mode of its triangle), and the figures are computed again:
nationally and for each owner group. The swing (figure at high minus figure at low) ranks
the assumptions: the first is the one worth checking first. The Monte Carlo range draws all
assumptions together and says how sure a figure is; this says which assumption it hangs on.
Both are conditional on the scenario: they vary the economics of the stores it affects,
never which stores those are (compare scenarios for that).

The market assumptions (distance decays, cut-off, each brand's pull, the dualled pull)
change where customers go, so their rows solve the market again (the compiled kernel,
:func:`dealernet.analysis.market_run.solve_at`); the others reuse the base market.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dealernet.analysis.impact import estimate_impacts, impact_keys
from dealernet.analysis.market_run import MarketResult, market_keys, parameters_at, solve_at
from dealernet.analysis.parameter_labels import label
from dealernet.schema import DEALER_ID, Brands

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.analysis.assumptions import Assumptions

#: Figures ranked, when the impacts have them (sums over stores of the base draw).
MEASURES = ("jobs_lost", "net_jobs_lost", "revenue_lost", "profit_change")
#: Scope of the national rows of :attr:`Sensitivity.table`.
NATIONAL = "national"
#: Columns of :attr:`Sensitivity.table`, in order.
COLUMNS = (
    "scope",
    "measure",
    "parameter",
    "label",
    "unit",
    "value_low",
    "value_base",
    "value_high",
    "at_low",
    "at_base",
    "at_high",
    "swing",
    "rank",
)


@dataclass(frozen=True)
class Sensitivity:
    """The one-at-a-time sensitivity of a run.

    ``table`` has one row per scope (``national`` or an owner group) x measure x
    parameter, with the :data:`COLUMNS` (``label`` names the parameter in plain words, for
    readers of ``sensitivity.csv``); ``rank`` 1 is the largest swing in its scope and
    measure. ``skipped`` names assumptions left out, with why.
    """

    table: pd.DataFrame
    skipped: dict[str, str]

    def top(self, measure: str, scope: str = NATIONAL, n: int = 3) -> pd.DataFrame:
        """The ``n`` assumptions that move ``measure`` most in ``scope``, largest first."""
        rows = self.table[(self.table["scope"] == scope) & (self.table["measure"] == measure)]
        return rows.sort_values("rank").head(n).reset_index(drop=True)


@dataclass(frozen=True)
class _Design:
    """Row 0 at base; then each varied parameter at its low and at its high."""

    keys: list[str]

    @property
    def rows(self) -> int:
        return 1 + len(self.keys) * 2

    def values(self, assumptions: Assumptions, key: str) -> np.ndarray:
        """``key``'s value in every row: base, except its own two rows."""
        param = assumptions[key]
        out = np.full(self.rows, param.base)
        if key in self.keys:
            i = self.keys.index(key)
            out[1 + 2 * i], out[2 + 2 * i] = param.low, param.high
        return out


def sensitivity(
    network: pd.DataFrame,
    decisions: pd.DataFrame,
    assumptions: Assumptions,
    source_brand: str,
    host_brand: Brands,
    *,
    market: MarketResult,
    owners: pd.Series | None = None,
    measures: tuple[str, ...] = MEASURES,
) -> Sensitivity:
    """Every uncertain assumption at its low and its high, the rest at base.

    Parameters
    ----------
    owners
        Owner group of each store of ``decisions`` (by ``dealer_id``), for per-owner rows;
        stores without one are in the national rows only.
    """
    params = _with_brand_entries(assumptions, market.brands)
    skipped: dict[str, str] = {}
    candidates = impact_keys(params, source_brand) + market_keys(market.brands)
    if market.slots is None:
        for key in market_keys(market.brands):
            skipped[key] = "the market was solved on Dask; its points are not at hand"
        candidates = impact_keys(params, source_brand)
    keys = [k for k in dict.fromkeys(candidates) if params[k].low < params[k].high]
    design = _Design(keys)
    values = {k: design.values(params, k) for k in impact_keys(params, source_brand)}
    solved = _market_rows(market, params, design)
    impacts = estimate_impacts(
        network,
        decisions,
        replace(params, draws=design.rows),
        source_brand,
        host_brand,
        market=solved,
        design=values,
    )
    table = _table(impacts.draws, design, params, decisions, owners, measures)
    return Sensitivity(table=table, skipped=skipped)


def _with_brand_entries(assumptions: Assumptions, brands: tuple[str, ...]) -> Assumptions:
    """Each brand's own ``attractiveness.<brand>`` (a copy of the default where the file
    has none), so each brand's pull is varied on its own, as the market draws them."""
    params = dict(assumptions.parameters)
    for brand in brands:
        chosen = assumptions.for_brand("attractiveness", brand)
        params.setdefault(f"attractiveness.{brand}", replace(chosen, key=f"attractiveness.{brand}"))
    return replace(assumptions, parameters=params)


def _market_rows(market: MarketResult, params: Assumptions, design: _Design) -> MarketResult:
    """The market outcome of every row: solved again where the row varies a market
    assumption, the base outcome elsewhere."""
    own = set(market_keys(market.brands))
    varied = [
        (row, key, level)
        for row, (key, level) in enumerate(_row_keys(design), start=0)
        if key in own
    ]
    outcomes = [market.base] * design.rows
    if varied:
        sets = [
            parameters_at(params, market.brands, {key: getattr(params[key], level)})
            for _, key, level in varied
        ]
        for (row, _, _), outcome in zip(varied, solve_at(market, sets), strict=True):
            outcomes[row] = outcome
    base = parameters_at(params, market.brands, {})
    return replace(market, draws=outcomes, parameters=[base] * design.rows)


def _row_keys(design: _Design) -> list[tuple[str, str]]:
    """(parameter varied, level) of every row; row 0 varies none."""
    rows = [("", "base")]
    for key in design.keys:
        rows += [(key, "low"), (key, "high")]
    return rows


def _table(
    draws: Mapping[str, np.ndarray],
    design: _Design,
    params: Assumptions,
    decisions: pd.DataFrame,
    owners: pd.Series | None,
    measures: tuple[str, ...],
) -> pd.DataFrame:
    """The swings of every measure, nationally and per owner group."""
    scopes: list[tuple[str, np.ndarray]] = [(NATIONAL, np.ones(len(decisions), dtype=bool))]
    if owners is not None:
        group = decisions[DEALER_ID].map(owners).fillna("").astype(str).to_numpy()
        scopes += [(g, group == g) for g in sorted(set(group) - {""})]
    frames = []
    for measure in (m for m in measures if m in draws):
        per_row = draws[measure]  # rows x stores
        for scope, mask in scopes:
            totals = per_row[:, mask].sum(axis=1)
            frames.append(_swings(scope, measure, totals, design, params))
    if not frames:
        return pd.DataFrame(columns=list(COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(COLUMNS)]


def _swings(
    scope: str, measure: str, totals: np.ndarray, design: _Design, params: Assumptions
) -> pd.DataFrame:
    """One scope and measure: each parameter's figure at low, base and high, ranked."""
    at_low, at_high = totals[1::2], totals[2::2]
    frame = pd.DataFrame(
        {
            "scope": scope,
            "measure": measure,
            "parameter": design.keys,
            "label": [label(k) for k in design.keys],
            "unit": [params[k].unit for k in design.keys],
            "value_low": [params[k].low for k in design.keys],
            "value_base": [params[k].base for k in design.keys],
            "value_high": [params[k].high for k in design.keys],
            "at_low": at_low,
            "at_base": totals[0],
            "at_high": at_high,
            "swing": at_high - at_low,
        }
    )
    order = np.lexsort((frame["parameter"].to_numpy(), -np.abs(frame["swing"].to_numpy())))
    rank = np.empty(len(frame), dtype="int64")
    rank[order] = np.arange(1, len(frame) + 1)
    frame["rank"] = rank
    return frame


__all__ = ["COLUMNS", "MEASURES", "NATIONAL", "Sensitivity", "sensitivity"]
