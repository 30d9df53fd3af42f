"""Jobs, revenue and the owners' profit and loss per source-brand site, as low / base / high.

The model, per site and per Monte Carlo draw (all arrays are draws x sites):

* **Baseline.** Revenue = the site's ``annual_revenue`` if the file gives it, else new units
  x revenue per new unit (units default to the brand's per-store average). Revenue splits
  into new, used, service and parts, and F&I by department shares. Head count = the site's
  ``employees`` (and department counts) if given, else a fixed crew plus staff per 100 new
  units, split into sales, service and office by department shares.
* **keep / unaffected**: nothing changes.
* **Where customers go** comes from the market model (:mod:`dealernet.analysis.market`):
  for each store, the shares of its sales and service customers who buy at its site after
  the scenario (its host's rooftop if absorbed), at the brand's other stores, at competing
  brands' stores, or nowhere in reach. Volumes the file does not give are the brand's
  national sales split by each store's share of the brand's market (``volume_source``
  ``market model``).
* **absorb**: staff for the work that stays at the site move with it (times
  ``retention.staffing``); the back office is shared, so only ``back_office.kept_share`` of
  office roles stays. Revenue lost to the network is what leaves the brand; revenue at risk
  to the owner is the whole store, unless the host has the same owner, then only what does
  not stay at the site.
* **close**: every job goes; the brand keeps the customers who move to its other stores.

**Jobs beyond the store and the owners' profit and loss** (co-location, franchise transfer,
closure) are worked out in :mod:`dealernet.analysis.pnl`.

Low / base / high are the 10th, 50th and 90th percentiles over the draws.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dealernet import settings
from dealernet._errors import AssumptionsError
from dealernet._threads import in_threads
from dealernet.analysis._draws import (
    FLOAT64_BYTES,
    DrawsBuilder,
    held_dtype,
    medians,
    percentiles,
    summarise,
)
from dealernet.analysis._draws import select_draws as select_draws  # for planning/
from dealernet.analysis._draws import summed_draws as summed_draws
from dealernet.analysis._impact_model import (
    DEPARTMENTS,
    REVENUE_DEPARTMENTS,
    TOTALS,
    Model,
    Stores,
    market_shares,
    site_column,
)
from dealernet.analysis._impact_model import market_units as market_units
from dealernet.analysis.access import points_of_sale
from dealernet.analysis.assumptions import Assumptions, draw
from dealernet.analysis.market import SERVICE_DESTINATIONS
from dealernet.geo.distance import SiteIndex
from dealernet.schema import (
    ANNUAL_NEW_UNITS,
    ANNUAL_REVENUE,
    BRAND,
    DEALER_ID,
    DECISION,
    EMPLOYEES,
    EXACT,
    HOST_DEALER_ID,
    LATITUDE,
    LOCATION_QUALITY,
    LONGITUDE,
    NUMERIC_COLUMNS,
    OFFICE_EMPLOYEES,
    SALES_EMPLOYEES,
    SERVICE_EMPLOYEES,
    Brands,
)

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from dealernet.analysis.market_run import MarketResult

#: Percentiles reported as low / base / high.
PERCENTILES = {"low": 10, "base": 50, "high": 90}

#: Jobs at the stores and beyond (see the module docstring for how they add up).
JOBS = (
    "jobs_lost",
    "jobs_lost_sales",
    "jobs_lost_service",
    "jobs_lost_office",
    "jobs_gained_host",
    "jobs_to_competitors",
    "jobs_to_brand_other",
    "net_jobs_lost",
    "spin_off_jobs",
)
#: The source owner's profit and loss a year after the change, the one-time buy-out, and
#: the host owner's gain (USD). ``profit_change`` = -``gross_profit_lost_sales``
#: -``gross_profit_lost_service`` +``payroll_avoided`` +``occupancy_avoided``
#: -``profit_given_up``, in every draw.
PNL = (
    "gross_profit_lost_sales",
    "gross_profit_lost_service",
    "payroll_avoided",
    "occupancy_avoided",
    "profit_given_up",
    "profit_change",
    "buyout",
    "host_gross_profit_gained",
)
#: Measures summed by the host store's owner in the owner roll-up, not the source store's.
HOST_MEASURES = ("host_gross_profit_gained",)
#: Loss measures with draws kept for roll-ups; each gets _low/_base/_high columns.
LOSSES = (*JOBS, "revenue_lost", "revenue_at_risk", "payroll_lost", *PNL)
#: New cars a year, with draws kept for roll-ups like the losses: each store's volume, and
#: of the affected stores' volume, what the brand keeps and what goes to competing brands.
UNITS = ("new_units", "units_affected", "units_kept_brand", "units_to_competitors")
MEASURES = LOSSES + UNITS
#: Where a volume comes from, per store (``volume_source``).
VOLUME_FILE = "file"
VOLUME_MODEL = "market model"

# decisions columns read here (written by the rule engine)
DISTANCE = "distance_miles"
HOST_ID = HOST_DEALER_ID


@dataclass
class Impacts:
    """Impact estimates for every source-brand site.

    Attributes
    ----------
    table
        One row per source site (``impacts.csv``): baseline, losses as low / base / high,
        ``recapture_miles`` (closed stores) and ``location_quality``.
    draws
        measure -> array of shape (draws, sites), for honest roll-ups: a group's range is
        the percentiles of its summed draws, not the sum of its rows' percentiles. Held
        compactly (:class:`~dealernet.analysis._draws.StoreDraws`); sum groups with
        :func:`~dealernet.analysis._draws.summed_draws` and take stores with
        :func:`~dealernet.analysis._draws.select_draws`, which never make the dense array.
    assumptions
        What the estimates were made with.
    """

    table: pd.DataFrame
    draws: Mapping[str, np.ndarray]
    assumptions: Assumptions


#: 8-byte arrays of draws x stores the roll-ups work with beyond the held draws, at their
#: peak: a measure's stores gathered in float64 (:func:`~dealernet.analysis._draws.
#: summed_draws`), the sparse product's transposes and the groups' summed draws.
_WORKING_ARRAYS = 4
#: 8-byte arrays of draws x stores a big run holds at its peak: every measure's draws held
#: as float32 (:mod:`dealernet.analysis._draws`; two to an 8-byte array) and the working
#: copies. A run small enough to hold float64 (:data:`~dealernet.analysis._draws.
#: FLOAT64_BYTES`) holds ``len(MEASURES)`` arrays instead of half as many.
_PEAK_ARRAYS = len(MEASURES) // 2 + _WORKING_ARRAYS
#: Arrays of block x stores alive at once while one block is simulated: measured about 39
#: with 24 measures; 48 leaves room.
_BLOCK_ARRAYS = 48
#: Stores simulated at once: a block's arrays (all 2,000 draws of 64 stores: 1 MB each) stay
#: in the processor's cache, and each store's draws are at hand for its percentiles.
_STORE_BLOCK = 64


def draw_memory(draws: int, stores: int) -> int:
    """Bytes the Monte Carlo of ``draws`` over ``stores`` stores needs at its peak: the held
    draws (at most; stores that lose nothing are not held), the roll-ups' working copies and
    one block's arrays."""
    values = int(draws) * max(int(stores), 1)
    arrays = _PEAK_ARRAYS if _held(draws, stores).itemsize == 4 else _float64_arrays()
    return values * 8 * arrays + _block_bytes(draws, stores)


def _float64_arrays() -> int:
    return len(MEASURES) + _WORKING_ARRAYS


def _held(draws: int, stores: int) -> np.dtype[np.floating]:
    return held_dtype(draws, stores, len(MEASURES))


def _block_bytes(draws: int, stores: int) -> int:
    """At most one block's arrays, and its stores' kept draws when the draws come in blocks
    too (each is kept under MONTE_CARLO_BLOCK_BYTES)."""
    width = min(max(int(stores), 1), _STORE_BLOCK)
    whole = int(draws) * width * 8 * (_BLOCK_ARRAYS + len(MEASURES) + 2)
    return min(2 * settings.MONTE_CARLO_BLOCK_BYTES, whole)


def check_draw_memory(draws: int, stores: int, *, runs: int = 1) -> None:
    """Refuse a Monte Carlo that would not fit :data:`dealernet.settings.MONTE_CARLO_MAX_BYTES`.

    ``draws`` is the draws of one run, ``runs`` how many runs are kept together (compare
    and sweep keep every run's draws for their pages).

    Raises
    ------
    AssumptionsError
        With the memory needed, the limit, and the most draws that fit.
    """
    limit = settings.MONTE_CARLO_MAX_BYTES
    need = draw_memory(draws, stores) * max(runs, 1)
    if need <= limit:
        return
    fit = most_draws(stores, runs=runs)
    what = f"{draws:,} draws x {stores:,} stores" + (f" x {runs} runs" if runs > 1 else "")
    msg = (
        f"the Monte Carlo is too big: {what} needs about {_gib(need)} of memory, and the "
        f"limit is {_gib(limit)}. Fix: use fewer draws, at most {fit:,} here "
        f"(--set monte_carlo.draws={max(fit, 10)}), or fewer stores"
        + (" or runs" if runs > 1 else "")
        + "."
    )
    raise AssumptionsError(msg)


def most_draws(stores: int, *, runs: int = 1) -> int:
    """The most draws of ``stores`` stores (``runs`` runs kept together) that fit the limit."""
    budget = settings.MONTE_CARLO_MAX_BYTES // max(runs, 1)

    def fits(draws: int) -> bool:
        return draw_memory(draws, stores) <= budget

    # the need grows with the draws, but drops where the held draws turn float32: search
    # each side of that step
    step = FLOAT64_BYTES // (max(stores, 1) * len(MEASURES) * 8)
    below = _largest(fits, 1, step)
    return max(below, _largest(fits, step + 1, budget // max(stores, 1) + 1))


def _largest(fits: Callable[[int], bool], low: int, high: int) -> int:
    """The largest number in [low, high] that fits (``fits`` is monotone there), or 0."""
    best = 0
    while low <= high:
        mid = (low + high) // 2
        if fits(mid):
            best, low = mid, mid + 1
        else:
            high = mid - 1
    return best


def source_sites(network: pd.DataFrame, brand: str) -> int:
    """How many sites of ``brand`` a network has: the stores a run estimates, for
    :func:`check_draw_memory` before any work."""
    return int((network[BRAND].astype(str) == brand).sum()) if BRAND in network else 0


def _gib(size: int) -> str:
    return f"{size / 1024**3:,.1f} GiB" if size >= 1024**3 else f"{size / 1024**2:,.0f} MiB"


def block_size(stores: int) -> int:
    """Draws simulated at once for ``stores`` stores at a time, so one block's arrays stay
    near MONTE_CARLO_BLOCK_BYTES."""
    per_draw = max(int(stores), 1) * 8 * _BLOCK_ARRAYS
    return max(1, settings.MONTE_CARLO_BLOCK_BYTES // per_draw)


def store_block(draws: int, stores: int) -> int:
    """Stores simulated at once: :data:`_STORE_BLOCK`, fewer when their kept draws (every
    measure, all draws) would pass MONTE_CARLO_BLOCK_BYTES."""
    kept = max(int(draws), 1) * 8 * (len(MEASURES) + 2)
    return max(1, min(_STORE_BLOCK, max(int(stores), 1), settings.MONTE_CARLO_BLOCK_BYTES // kept))


def estimate_impacts(
    network: gpd.GeoDataFrame | pd.DataFrame,
    decisions: pd.DataFrame,
    assumptions: Assumptions,
    source_brand: str,
    host_brand: Brands,
    *,
    market: MarketResult,
    block_draws: int | None = None,
    block_stores: int | None = None,
    design: Mapping[str, np.ndarray] | None = None,
) -> Impacts:
    """Estimate baselines and losses for every row of ``decisions``.

    The draws are simulated in blocks of stores (all draws of each, so its percentiles are
    taken at once and its temporaries stay small), and within a block in blocks of draws
    when there are very many.

    Parameters
    ----------
    network
        All sites (the loaded network): economics columns come from here.
    decisions
        One row per source-brand site with ``dealer_id``, ``decision``,
        ``host_dealer_id``, ``same_owner_host`` and ``distance_miles``.
    market
        The solved market (:func:`dealernet.analysis.market_run.run_market`), its stores
        in the order of ``decisions``.
    block_draws, block_stores
        Draws and stores simulated at once (default :func:`block_size` and
        :func:`store_block`). Every figure of a draw and store depends on that draw and
        store alone (and the market's totals over all stores), so the blocks change
        memory, never a result.
    design
        Each parameter's value in every draw (``assumptions.draws`` of them) instead of the
        Monte Carlo's: a planned design such as the sensitivity's
        (:mod:`dealernet.analysis.sensitivity`). Parameters it lacks are at their base.

    Raises
    ------
    AssumptionsError
        When the draws would not fit in memory (:func:`check_draw_memory`).
    """
    sites = _site_rows(network, decisions)
    draws, count = assumptions.draws, len(sites)
    check_draw_memory(draws, count)
    if list(map(str, market.dealer_ids)) != list(map(str, sites[DEALER_ID])):
        msg = "the market model's stores are not the decisions' stores"
        raise ValueError(msg)
    keys = impact_keys(assumptions, source_brand)
    p = draw(assumptions, keys) if design is None else _designed(assumptions, keys, design)
    recapture = _recapture_miles(sites, network, decisions, source_brand, host_brand)
    precision = _held(draws, count)
    stores = Stores.of(sites)
    model = Model.of(stores, p, market_shares(market), assumptions, source_brand, precision)
    width = block_stores or store_block(draws, count)
    rows = block_draws or block_size(width)
    kept = DrawsBuilder(draws, count, precision)
    totals = {key: np.empty(count) for key in TOTALS}
    levels = {measure: np.empty((len(PERCENTILES), count)) for measure in MEASURES}
    order = stores.order()
    blocks = [order[start : start + width] for start in range(0, count, width)]
    for block, done in zip(blocks, in_threads(partial(_block, model, rows), blocks), strict=True):
        for key, value in done.totals.items():
            totals[key][block] = value
        for measure, (level, array, kinds) in done.measures.items():
            levels[measure][:, block] = level
            kept.add(measure, block, array, kinds)
    table = _table(sites, totals, levels, recapture, assumptions)
    table = _with_market(table, sites, market)
    return Impacts(table=table, draws=kept.build(MEASURES), assumptions=assumptions)


@dataclass(frozen=True)
class _Block:
    """One block of stores simulated: medians of the totals; per measure its percentiles,
    its draws and each store's kind (:func:`~dealernet.analysis._draws.summarise`)."""

    totals: dict[str, np.ndarray]
    measures: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]


def _block(model: Model, rows: int, block: np.ndarray) -> _Block:
    """Simulate one block of stores and take its percentiles (blocks run on threads:
    numpy's sorts and sums hold no lock, and a block depends on nothing but its stores)."""
    values = model.simulate(block, rows)
    totals = {key: medians(values.pop(key)) for key in TOTALS}
    measures = {}
    for measure in MEASURES:
        array = values.pop(measure)
        level, kinds = summarise(array, list(PERCENTILES.values()))
        measures[measure] = (level, array, kinds)
    return _Block(totals, measures)


def _site_rows(network: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """Decisions joined to the site's own economics, in decisions order."""
    cols = [DEALER_ID, *NUMERIC_COLUMNS, LOCATION_QUALITY, LATITUDE, LONGITUDE]
    econ = pd.DataFrame(network[[c for c in cols if c in network.columns]]).drop_duplicates(
        DEALER_ID
    )
    keep = [c for c in decisions.columns if c not in econ.columns or c == DEALER_ID]
    return decisions[keep].merge(econ, on=DEALER_ID, how="left", validate="one_to_one")


_BRAND_PREFIXES = (
    "new_units_per_store",
    "revenue_per_new_unit",
    "return_on_sales",
    "blue_sky_multiple",
)
#: Drawn by the market model (:mod:`dealernet.analysis.market_run`), not here.
_MARKET_PREFIXES = ("market", "attractiveness", "national_units")


def brand_fallbacks(assumptions: Assumptions, brand: str) -> list[str]:
    """The brand-keyed parameters ``brand`` has no own entry for, so the generic
    ``<prefix>.default`` applies (and ``national_units``, whose absence means store volumes
    are calibrated to ``new_units_per_store`` x stores)."""
    missing = [p for p in _BRAND_PREFIXES if f"{p}.{brand}" not in assumptions.parameters]
    if f"national_units.{brand}" not in assumptions.parameters:
        missing.append("national_units")
    return missing


def impact_keys(assumptions: Assumptions, brand: str) -> list[str]:
    """The parameters this model draws for a run of ``brand`` (the market's are drawn by
    :mod:`dealernet.analysis.market_run`): every general one and the brand's own entries."""
    fixed = [k for k in assumptions.parameters if k.split(".")[0] not in _BRAND_PREFIXES]
    fixed = [k for k in fixed if k.split(".")[0] not in _MARKET_PREFIXES]
    brand_keys = [assumptions.for_brand(prefix, brand).key for prefix in _BRAND_PREFIXES]
    target = f"national_units.{brand}"
    return fixed + brand_keys + ([target] if target in assumptions.parameters else [])


def _designed(
    assumptions: Assumptions, keys: list[str], design: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """The draws of a planned design: given values, the base value elsewhere."""
    rows = assumptions.draws
    out = {}
    for key in keys:
        values = np.asarray(design.get(key, np.full(rows, assumptions[key].base)), dtype=float)
        if values.shape != (rows,):
            msg = f"design values of {key} have shape {values.shape}; need ({rows},)"
            raise ValueError(msg)
        out[key] = values
    return out


def _recapture_miles(
    sites: pd.DataFrame, network: pd.DataFrame, decisions: pd.DataFrame, brand: str, host: Brands
) -> np.ndarray:
    """For each closed store, miles to the nearest source-brand point of sale that remains.

    NaN for stores that do not close; ``inf`` when no point of sale remains at all.
    """

    out = np.full(len(sites), np.nan)
    closed = sites[DECISION].to_numpy() == "close"
    if not closed.any():
        return out
    _before, after = points_of_sale(network, decisions, brand, host)
    index = SiteIndex.build(after[LATITUDE].to_numpy(), after[LONGITUDE].to_numpy())
    lat = sites.loc[closed, LATITUDE].to_numpy()
    lon = sites.loc[closed, LONGITUDE].to_numpy()
    out[closed] = index.nearest(lat, lon)[1]
    return out


def _table(
    sites: pd.DataFrame,
    medians: dict[str, np.ndarray],
    levels: dict[str, np.ndarray],
    recapture_miles: np.ndarray,
    a: Assumptions,
) -> pd.DataFrame:
    """``impacts.csv``: ``medians`` of the baseline totals and ``levels`` (low, base, high
    rows) of every measure, per store."""
    table = pd.DataFrame({DEALER_ID: sites[DEALER_ID].to_numpy()})
    table[DECISION] = sites[DECISION].to_numpy()
    given_rev = ~np.isnan(site_column(sites, ANNUAL_REVENUE))
    given_staff = ~np.isnan(site_column(sites, EMPLOYEES)) | ~np.isnan(
        np.column_stack(
            [site_column(sites, c) for c in (SALES_EMPLOYEES, SERVICE_EMPLOYEES, OFFICE_EMPLOYEES)]
        )
    ).any(axis=1)
    given_units = ~np.isnan(site_column(sites, ANNUAL_NEW_UNITS))
    table["volume_source"] = np.where(given_units, VOLUME_FILE, VOLUME_MODEL)
    table["revenue_source"] = np.where(given_rev, "site file", "estimated")
    table["employees_source"] = np.where(given_staff, "site file", "estimated")
    # Baselines: the median total, split by the base department shares so parts add up;
    # department head counts a file gives (all three) are kept as given.
    for kind, prefix, depts in (
        ("revenue", "revenue_share", REVENUE_DEPARTMENTS),
        ("employees", "staff_share", DEPARTMENTS),
    ):
        total = medians[f"{kind}_total"]
        table[f"baseline_{kind}_total"] = total
        shares = np.array([a.base(f"{prefix}.{d}") for d in depts])
        for dept, share in zip(depts, shares / shares.sum(), strict=True):
            table[f"baseline_{kind}_{dept}"] = total * share
    dept_given = np.column_stack(
        [site_column(sites, c) for c in (SALES_EMPLOYEES, SERVICE_EMPLOYEES, OFFICE_EMPLOYEES)]
    )
    all_given = ~np.isnan(dept_given).any(axis=1)
    for i, dept in enumerate(DEPARTMENTS):
        column = f"baseline_employees_{dept}"
        table[column] = np.where(all_given, dept_given[:, i], table[column])
    for measure in MEASURES:
        for label, row in zip(PERCENTILES, levels[measure], strict=True):
            table[f"{measure}_{label}"] = row
    table["recapture_miles"] = recapture_miles
    table[LOCATION_QUALITY] = sites.get(
        LOCATION_QUALITY, pd.Series(EXACT, index=sites.index)
    ).to_numpy()
    return table


def _with_market(table: pd.DataFrame, sites: pd.DataFrame, market: MarketResult) -> pd.DataFrame:
    """Per store: its market (people who buy at it today) and where its customers go, as
    low / base / high over the market's parameter sets (``sales_<destination>_*`` and
    ``service_<destination>_*``)."""
    out = {"market_people": market.base.people}
    for kind, names in (("sales", market.destinations), ("service", SERVICE_DESTINATIONS)):
        values = _known_levels(market.stacked(kind))
        for k, name in enumerate(names):
            for label, row in zip(PERCENTILES, values[:, :, k], strict=True):
                out[f"{kind}_{destination_slug(name)}_{label}"] = row
    return pd.concat([table, pd.DataFrame(out, index=table.index)], axis=1)


def _known_levels(stacked: np.ndarray) -> np.ndarray:
    """``np.nanpercentile(stacked, PERCENTILES, axis=0)``: ``np.nanpercentile`` takes one
    column at a time, so only the columns with a NaN (a store without customers: not
    known) go to it; the rest take :func:`~dealernet.analysis._draws.percentiles`."""
    q = list(PERCENTILES.values())
    flat = stacked.reshape(len(stacked), -1)
    nan = np.isnan(flat).any(axis=0)
    out = np.empty((len(q), flat.shape[1]))
    out[:, ~nan] = percentiles(flat[:, ~nan], q)
    if nan.any():
        with warnings.catch_warnings():  # all NaN: not known
            warnings.simplefilter("ignore", RuntimeWarning)
            out[:, nan] = np.nanpercentile(flat[:, nan], q, axis=0)
    return out.reshape(len(q), *stacked.shape[1:])


def destination_slug(name: str) -> str:
    """Column-name form of a destination: ``Mercedes-Benz`` -> ``mercedes_benz``."""
    return "".join(c if c.isalnum() else "_" for c in name.casefold()).strip("_")
