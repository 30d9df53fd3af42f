"""The market model for one run: stores and customers from the loaded data, solved per draw.

:mod:`dealernet.analysis.market` works on arrays; this module turns a network, the rule
engine's decisions, the competitor rosters and the customer points into those arrays,
solves the model for ``market_draws`` parameter sets (draw ``n`` of the Monte Carlo uses set
``n % market_draws``) and once at the base values (for maps and the base figures).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dealernet._errors import InvalidInputError
from dealernet.analysis.assumptions import Assumptions, Parameter, draw
from dealernet.analysis.market import (
    SERVICE_DESTINATIONS,
    Market,
    Outcome,
    Parameters,
    Slots,
)
from dealernet.schema import BRAND, DEALER_ID, DECISION, HOST_DEALER_ID, LATITUDE, LONGITUDE

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

#: Fixed market parameters (one value each per draw); ``attractiveness.<brand>`` come beside.
MARKET_KEYS = (
    "market.decay_sales",
    "market.decay_service",
    "market.cutoff_miles",
    "market.dualled_attractiveness",
    "market.service_outside_miles",
)
#: Offset of the market's random stream from the Monte Carlo's, so the two never coincide.
_SEED_OFFSET = 7919


@dataclass(frozen=True)
class MarketResult:
    """The solved market of a run.

    Attributes
    ----------
    dealer_ids
        The source brand's stores, in the decisions' order (rows of every array).
    brands
        The folded-in brand, then the competing brands.
    draws
        One :class:`~dealernet.analysis.market.Outcome` per parameter set.
    parameters
        The parameter sets, in the same order.
    base
        The outcome at the base values.
    points
        The customer points used (population 0 where no store of the brand is in reach;
        ``county`` when known), plus ``share_before`` / ``share_after``: the brand's share
        of luxury buyers there. Solved on Dask (:func:`run_market_dask`): one row per
        county with the county's people and population-weighted shares (none when the
        population has no ``county`` column): millions of points are not collected.
    competitors
        The competing stores in the model (``dealer_id``, ``name``, ``brand``, location).
    competitors_source
        Where the competitor rosters came from, for every output.
    market, base_parameters
        The market's arrays and the base parameter set, for fits against real sales
        (:mod:`dealernet.analysis.market_fit`).
    decay_fits
        With a sales-by-ZIP file: one fitted decay per store of the file, else ``None``.
    customer_points
        Customer points read (``len(points)`` unless solved on Dask).
    slots
        The market's store side, to solve it again at other parameters (the sensitivity,
        :mod:`dealernet.analysis.sensitivity`); ``None`` on Dask, where the points are not
        at hand.
    """

    dealer_ids: np.ndarray
    brands: tuple[str, ...]
    draws: list[Outcome]
    parameters: list[Parameters]
    base: Outcome
    points: pd.DataFrame
    competitors: pd.DataFrame
    competitors_source: str
    market: Market | None = None
    base_parameters: Parameters | None = None
    decay_fits: pd.DataFrame | None = None
    customer_points: int = 0
    slots: Slots | None = None

    @property
    def destinations(self) -> tuple[str, ...]:
        return self.base.destinations

    def stacked(self, name: str) -> np.ndarray:
        """An Outcome field stacked over the parameter sets: (sets, stores[, columns])."""
        return np.stack([getattr(o, name) for o in self.draws])

    def for_draws(self, name: str, draws: int) -> np.ndarray:
        """An Outcome field for each Monte Carlo draw (set ``n % sets`` for draw ``n``)."""
        stacked = self.stacked(name)
        return stacked[np.arange(draws) % len(self.draws)]


def market_parameters(
    assumptions: Assumptions, brands: tuple[str, ...]
) -> tuple[list[Parameters], Parameters]:
    """The parameter sets to solve for, and the base set.

    A competing brand without its own ``attractiveness.<brand>`` entry gets a copy of the
    default one, so each brand is drawn independently.
    """
    params = dict(assumptions.parameters)
    keys = market_keys(brands)
    for brand in brands:
        chosen = assumptions.for_brand("attractiveness", brand)
        params.setdefault(f"attractiveness.{brand}", replace(chosen, key=f"attractiveness.{brand}"))
    sampled = replace(
        assumptions,
        parameters=params,
        draws=assumptions.market_draws,
        seed=(assumptions.seed + _SEED_OFFSET) % 2**32,
    )
    values = draw(sampled, keys)
    sets = [
        _parameters({k: float(v[n]) for k, v in values.items()}, brands)
        for n in range(sampled.draws)
    ]
    base = _parameters({k: params[k].base for k in keys}, brands)
    return sets, base


def market_keys(brands: tuple[str, ...]) -> list[str]:
    """Every assumption the market is solved with: :data:`MARKET_KEYS` and each brand's pull."""
    return [*MARKET_KEYS, *(f"attractiveness.{b}" for b in brands)]


def parameters_at(
    assumptions: Assumptions, brands: tuple[str, ...], changes: dict[str, float]
) -> Parameters:
    """The base parameter set with some values changed (``attractiveness.<brand>`` of a
    brand without its own entry falls back to the default one's base)."""
    values = {}
    for key in market_keys(brands):
        prefix, _, brand = key.partition(".")
        chosen = assumptions.for_brand(prefix, brand) if prefix == "attractiveness" else None
        values[key] = (chosen or assumptions[key]).base
    values.update(changes)
    return _parameters(values, brands)


def solve_at(result: MarketResult, sets: list[Parameters]) -> list[Outcome]:
    """The run's market solved again at other parameter sets (the compiled kernel over the
    run's own slots and customer points)."""
    from dealernet.analysis.market_kernel import kernel_sums

    if result.slots is None:
        msg = "this market was solved on Dask: its customer points are not at hand"
        raise InvalidInputError(msg)
    points = result.points
    found = kernel_sums(
        result.slots,
        sets,
        _num(points, "population"),
        _num(points, LATITUDE),
        _num(points, LONGITUDE),
    )
    return [k.sums.outcome(result.brands, k.share_before, k.share_after) for k in found]


def _parameters(values: dict[str, float], brands: tuple[str, ...]) -> Parameters:
    return Parameters(
        decay_sales=values["market.decay_sales"],
        decay_service=values["market.decay_service"],
        cutoff_miles=values["market.cutoff_miles"],
        dualled=values["market.dualled_attractiveness"],
        service_outside_miles=values["market.service_outside_miles"],
        attractiveness=np.array([values[f"attractiveness.{b}"] for b in brands]),
    )


def market_for_decisions(
    points: pd.DataFrame,
    network: pd.DataFrame,
    decisions: pd.DataFrame,
    competitors: pd.DataFrame,
    source_brand: str,
    cutoff_miles: float,
) -> tuple[Market, np.ndarray, tuple[str, ...]]:
    """The market's arrays: the slots of :func:`slots_for_decisions` and the customer
    points. Returns the market, the brand's dealer ids (rows) and the brand groups."""
    slots, ids, brands = slots_for_decisions(
        network, decisions, competitors, source_brand, cutoff_miles
    )
    return slots.market(*_customers_near(points, slots)), ids, brands


def _customers_near(points: pd.DataFrame, slots: Slots) -> tuple[np.ndarray, ...]:
    """People, latitude and longitude of the points, those beyond the cut-off of every slot
    of the brand moved to (0, 0) with no people (:func:`_near_brand`)."""
    mine = np.asarray(slots.brand) == 0
    near = _near_brand(points, slots.slot_lat[mine], slots.slot_lon[mine], slots.cutoff_miles)
    return (
        np.where(near, _num(points, "population"), 0.0),
        np.where(near, _num(points, LATITUDE), 0.0),
        np.where(near, _num(points, LONGITUDE), 0.0),
    )


def slots_for_decisions(
    network: pd.DataFrame,
    decisions: pd.DataFrame,
    competitors: pd.DataFrame,
    source_brand: str,
    cutoff_miles: float,
) -> tuple[Slots, np.ndarray, tuple[str, ...]]:
    """The market's store side: the brand's stores, one slot per host site taking an
    absorbed store, then the competitors. Returns the slots, the brand's dealer ids (rows)
    and the brand groups."""
    src = _stores(network, decisions, source_brand)
    decision = src[DECISION].to_numpy(dtype=object)
    hosts = sorted({str(h) for h in src.loc[decision == "absorb", HOST_DEALER_ID]})
    by_id = network.drop_duplicates(DEALER_ID).set_index(
        network.drop_duplicates(DEALER_ID)[DEALER_ID].astype(str)
    )
    host_rows = by_id.loc[hosts] if hosts else by_id.iloc[:0]
    comp = competitors[competitors[BRAND].astype(str) != source_brand]
    comp_brands = tuple(sorted(set(comp[BRAND].astype(str))))
    brands = (source_brand, *comp_brands)
    n_src, n_host, n_comp = len(src), len(hosts), len(comp)
    lat = np.concatenate([_num(src, LATITUDE), _num(host_rows, LATITUDE), _num(comp, LATITUDE)])
    lon = np.concatenate([_num(src, LONGITUDE), _num(host_rows, LONGITUDE), _num(comp, LONGITUDE)])
    code = {b: g for g, b in enumerate(brands)}
    brand = np.concatenate(
        [
            np.zeros(n_src + n_host, dtype="int64"),
            comp[BRAND].astype(str).map(code).to_numpy(dtype="int64"),
        ]
    )
    selling = np.isin(decision, ("keep", "unaffected"))
    before = np.concatenate([np.ones(n_src, bool), np.zeros(n_host, bool), np.ones(n_comp, bool)])
    after = np.concatenate([selling, np.ones(n_host, bool), np.ones(n_comp, bool)])
    dualled = np.concatenate([np.zeros(n_src, bool), np.ones(n_host, bool), np.zeros(n_comp, bool)])
    host_slot = {h: n_src + k for k, h in enumerate(hosts)}
    store_after = np.array(
        [
            i if selling[i] else host_slot[str(h)] if d == "absorb" else -1
            for i, (d, h) in enumerate(zip(decision, src[HOST_DEALER_ID], strict=True))
        ],
        dtype="int64",
    )
    slots = Slots(
        slot_lat=lat,
        slot_lon=lon,
        brand=brand,
        brands=brands,
        before=before,
        after=after,
        dualled=dualled,
        store_slot=np.arange(n_src),
        store_after=store_after,
        cutoff_miles=float(cutoff_miles),
    )
    return slots, src[DEALER_ID].to_numpy(dtype=object), brands


def _near_brand(
    points: pd.DataFrame, lat: np.ndarray, lon: np.ndarray, cutoff_miles: float
) -> np.ndarray:
    """Points within the cut-off of any of the brand's slots: only they can change a figure.

    The others are moved to (0, 0) with no people, so they pair with no store and cost
    nothing, which makes a regional network as quick to solve as its region.
    """
    from dealernet.geo.distance import SiteIndex

    if not len(points) or not lat.size:
        return np.zeros(len(points), dtype=bool)
    _, miles = SiteIndex.build(lat, lon).nearest(_num(points, LATITUDE), _num(points, LONGITUDE))
    return miles <= cutoff_miles


def _stores(network: pd.DataFrame, decisions: pd.DataFrame, brand: str) -> pd.DataFrame:
    """The decisions (one row per source-brand store) with each store's location."""
    where = network.drop_duplicates(DEALER_ID)[[DEALER_ID, LATITUDE, LONGITUDE]]
    cols = [DEALER_ID, DECISION, HOST_DEALER_ID]
    out = decisions[[c for c in cols if c in decisions]].merge(where, on=DEALER_ID, how="left")
    if HOST_DEALER_ID not in out:
        out[HOST_DEALER_ID] = None
    if out[[LATITUDE, LONGITUDE]].isna().any().any():
        msg = f"{brand} stores without a location cannot enter the market model"
        raise InvalidInputError(msg)
    return out


def _num(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype="float64")


def run_market(
    points: pd.DataFrame,
    network: pd.DataFrame,
    decisions: pd.DataFrame,
    competitors: pd.DataFrame,
    assumptions: Assumptions,
    source_brand: str,
    *,
    competitors_source: str = "",
    pairs: bool = True,
) -> MarketResult:
    """Solve the market for every parameter set and the base values.

    ``pairs`` also keeps the market's (point, slot) pairs (:attr:`MarketResult.market`),
    which only the ``--zip-sales`` fits need: the solve itself never holds them.
    """
    cutoff: Parameter = assumptions["market.cutoff_miles"]
    slots, ids, brands = slots_for_decisions(
        network, decisions, competitors, source_brand, cutoff.high
    )
    near = _customers_near(points, slots)
    market = slots.market(*near) if pairs else None
    sets, base_set = market_parameters(assumptions, brands)
    outcomes, base = _solved(slots, near, (*sets, base_set))
    shown = points.reset_index(drop=True).copy()
    shown["population"] = near[0]  # 0 out of the brand's reach: not on the maps
    shown["share_before"] = base.share_before
    shown["share_after"] = base.share_after
    return MarketResult(
        dealer_ids=ids,
        brands=brands,
        draws=outcomes,
        parameters=sets,
        base=base,
        points=shown,
        competitors=_shown_competitors(competitors),
        competitors_source=competitors_source,
        market=market,
        base_parameters=base_set,
        customer_points=len(points),
        slots=slots,
    )


def run_market_dask(
    population: str | Path,
    network: pd.DataFrame,
    decisions: pd.DataFrame,
    competitors: pd.DataFrame,
    assumptions: Assumptions,
    source_brand: str,
    *,
    scheduler: str | Client | None = None,
    competitors_source: str = "",
) -> MarketResult:
    """:func:`run_market` over a population dataset on a Dask cluster
    (:mod:`dealernet.analysis.market_dask`): the same per-store figures; shares by county
    (when the dataset has a ``county`` column) instead of per point; no decay fits."""
    from dealernet.analysis.market_dask import COUNTY_COLUMNS, solve_dask_sets

    cutoff: Parameter = assumptions["market.cutoff_miles"]
    slots, ids, brands = slots_for_decisions(
        network, decisions, competitors, source_brand, cutoff.high
    )
    sets, base_set = market_parameters(assumptions, brands)
    solved = solve_dask_sets(population, slots, [*sets, base_set], scheduler=scheduler)
    base = solved[-1]
    counties = base.counties
    if counties is None:
        counties = pd.DataFrame({c: pd.Series(dtype="float64") for c in COUNTY_COLUMNS})
    return MarketResult(
        dealer_ids=ids,
        brands=brands,
        draws=[one.outcome for one in solved[:-1]],
        parameters=sets,
        base=base.outcome,
        points=counties,
        competitors=_shown_competitors(competitors),
        competitors_source=competitors_source,
        customer_points=base.points,
    )


def _shown_competitors(competitors: pd.DataFrame) -> pd.DataFrame:
    """The competitor columns outputs show."""
    keep = [c for c in (DEALER_ID, "name", BRAND, LATITUDE, LONGITUDE, "state") if c in competitors]
    return pd.DataFrame(competitors[keep]).reset_index(drop=True)


def with_decay_fits(
    result: MarketResult, network: pd.DataFrame, sales: pd.DataFrame
) -> MarketResult:
    """The market with the decay fitted to each store's sales by customer ZIP, each ZIP
    moved to its nearest customer point (the model's own resolution)."""
    from dealernet.analysis.market_fit import fit_decays

    if result.market is None or result.base_parameters is None:
        return result
    points = (_num(result.points, LATITUDE), _num(result.points, LONGITUDE))
    fits = fit_decays(
        result.market, result.base_parameters, result.dealer_ids, sales, network, points_at=points
    )
    return replace(result, decay_fits=fits)


#: Solved markets kept in this process, by a digest of everything they depend on: a sweep
#: over a non-market setting, or a compare of runs that share a store set, solves once.
_SOLVED: OrderedDict[str, tuple[list[Outcome], Outcome]] = OrderedDict()
_SOLVED_MAX = 4


def forget_solved() -> None:
    """Drop the markets kept in this process (a benchmark timing a change that solves)."""
    _SOLVED.clear()


def _solved(
    slots: Slots, near: tuple[np.ndarray, ...], sets: tuple[Parameters, ...]
) -> tuple[list[Outcome], Outcome]:
    """Every parameter set's outcome (the last set is the base one), from the cache if the
    same market and sets were solved before in this process.

    Solved by the compiled kernel (:mod:`dealernet.analysis.market_kernel`): the sums of
    :func:`~dealernet.analysis.market.solve`, about seven times faster for 17 sets.
    """
    from dealernet.analysis.market_kernel import kernel_sums

    key = _digest(slots, near, sets)
    if key in _SOLVED:
        _SOLVED.move_to_end(key)
        return _SOLVED[key]
    keys = [_set_key(p) for p in sets]
    distinct = list(dict.fromkeys(keys))  # a set met twice (all at base) is solved once
    first = [sets[keys.index(k)] for k in distinct]
    solved = kernel_sums(slots, first, *near)
    by_key = {
        k: s.sums.outcome(slots.brands, s.share_before, s.share_after)
        for k, s in zip(distinct, solved, strict=True)
    }
    outcomes = [by_key[k] for k in keys]
    found = (outcomes[:-1], outcomes[-1])
    _SOLVED[key] = found
    while len(_SOLVED) > _SOLVED_MAX:
        _SOLVED.popitem(last=False)
    return found


def _digest(slots: Slots, near: tuple[np.ndarray, ...], sets: tuple[Parameters, ...]) -> str:
    """A digest of everything a solve depends on: the slots, the customer points and the
    parameter sets (outcomes are read-only, so equal digests may share them)."""
    h = hashlib.blake2b(digest_size=20)
    for array in (
        *near,
        slots.slot_lat,
        slots.slot_lon,
        slots.brand,
        slots.before,
        slots.after,
        slots.dualled,
        slots.store_slot,
        slots.store_after,
    ):
        h.update(np.ascontiguousarray(array).tobytes())
        h.update(b"|")
    h.update(repr((slots.brands, slots.cutoff_miles)).encode())
    for p in sets:
        h.update(_set_key(p))
    return h.hexdigest()


def _set_key(p: Parameters) -> bytes:
    """Everything a solve takes from one parameter set."""
    fields = (p.decay_sales, p.decay_service, p.cutoff_miles, p.dualled, p.service_outside_miles)
    return repr(fields).encode() + np.asarray(p.attractiveness, dtype="float64").tobytes()


__all__ = ["SERVICE_DESTINATIONS", "MarketResult", "market_for_decisions", "run_market"]
