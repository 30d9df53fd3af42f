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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dealernet import settings
from dealernet._errors import AssumptionsError
from dealernet.analysis.access import points_of_sale
from dealernet.analysis.assumptions import Assumptions, draw
from dealernet.analysis.market import SERVICE_DESTINATIONS
from dealernet.analysis.pnl import (
    CLOSURE,
    COLOCATION,
    TRANSFER,
    franchise_changes,
    jobs_elsewhere,
    owner_pnl,
)
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
DEPARTMENTS = ("sales", "service", "office")
REVENUE_DEPARTMENTS = ("new", "used", "service", "fi")

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
        the percentiles of its summed draws, not the sum of its rows' percentiles.
    assumptions
        What the estimates were made with.
    """

    table: pd.DataFrame
    draws: dict[str, np.ndarray]
    assumptions: Assumptions


#: Arrays of draws x stores a run holds at its peak: the kept loss measures, and about eight
#: more for the working copies: the two baseline totals whose medians make the baselines,
#: the percentiles' partitions, the roll-ups' summed draws of the groups and the sparse
#: product's transposes. Measured with 24 measures (tracemalloc, impacts and roll-ups of
#: the 197-store sample): 40,000 draws peak at 1.95 GB, 31 arrays of 63 MB, against 32 here.
#: (With 12 measures, 200,000 draws peaked at 5.5 GB resident, 0.5 GB of it the loaded
#: network and places: 16 arrays of 0.3 GB.)
_PEAK_ARRAYS = len(MEASURES) + 8
#: Arrays of block x stores alive at once while one block of draws is simulated: measured
#: about 39 with 24 measures (one block of 10,000 draws peaks at 65 arrays, 26 of them the
#: kept measures and totals); 48 leaves room.
_BLOCK_ARRAYS = 48


def draw_memory(draws: int, stores: int) -> int:
    """Bytes the Monte Carlo of ``draws`` over ``stores`` stores needs at its peak."""
    return int(draws) * max(int(stores), 1) * 8 * _PEAK_ARRAYS


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
    fit = limit // (max(stores, 1) * 8 * _PEAK_ARRAYS * max(runs, 1))
    what = f"{draws:,} draws x {stores:,} stores" + (f" x {runs} runs" if runs > 1 else "")
    msg = (
        f"the Monte Carlo is too big: {what} needs about {_gib(need)} of memory, and the "
        f"limit is {_gib(limit)}. Fix: use fewer draws, at most {fit:,} here "
        f"(--set monte_carlo.draws={max(fit, 10)}), or fewer stores"
        + (" or runs" if runs > 1 else "")
        + "."
    )
    raise AssumptionsError(msg)


def source_sites(network: pd.DataFrame, brand: str) -> int:
    """How many sites of ``brand`` a network has: the stores a run estimates, for
    :func:`check_draw_memory` before any work."""
    return int((network[BRAND].astype(str) == brand).sum()) if BRAND in network else 0


def _gib(size: int) -> str:
    return f"{size / 1024**3:,.1f} GiB" if size >= 1024**3 else f"{size / 1024**2:,.0f} MiB"


def block_size(stores: int) -> int:
    """Draws simulated at once, so one block's arrays stay near MONTE_CARLO_BLOCK_BYTES."""
    per_draw = max(int(stores), 1) * 8 * _BLOCK_ARRAYS
    return max(1, settings.MONTE_CARLO_BLOCK_BYTES // per_draw)


def estimate_impacts(
    network: gpd.GeoDataFrame | pd.DataFrame,
    decisions: pd.DataFrame,
    assumptions: Assumptions,
    source_brand: str,
    host_brand: Brands,
    *,
    market: MarketResult,
    block_draws: int | None = None,
    design: Mapping[str, np.ndarray] | None = None,
) -> Impacts:
    """Estimate baselines and losses for every row of ``decisions``.

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
    block_draws
        Draws simulated at once (default :func:`block_size`). Every figure of a draw
        depends on that draw alone, so the blocks change memory, never a result.
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
    check_draw_memory(assumptions.draws, len(sites))
    if list(map(str, market.dealer_ids)) != list(map(str, sites[DEALER_ID])):
        msg = "the market model's stores are not the decisions' stores"
        raise ValueError(msg)
    keys = impact_keys(assumptions, source_brand)
    p = draw(assumptions, keys) if design is None else _designed(assumptions, keys, design)
    recapture = _recapture_miles(sites, network, decisions, source_brand, host_brand)
    block = block_draws or block_size(len(sites))
    shares = _market_shares(market)
    totals: dict[str, np.ndarray] = {}
    loss: dict[str, np.ndarray] = {}
    for start in range(0, assumptions.draws, block):
        rows = slice(start, min(start + block, assumptions.draws))
        part = {k: v[rows] for k, v in p.items()}
        sets = np.arange(rows.start, rows.stop) % len(market.draws)
        part_shares = {k: v[sets] for k, v in shares.items()}
        base = _baseline(sites, part, assumptions, source_brand, part_shares["units"])
        lost = _losses(sites, base, part, assumptions, source_brand, part_shares)
        for into, values in ((totals, base), (loss, lost)):
            for key, array in values.items():
                if into is totals and key not in ("revenue_total", "employees_total"):
                    continue
                if key not in into:
                    into[key] = np.empty((assumptions.draws, *array.shape[1:]), array.dtype)
                into[key][rows] = array
        del base, lost
    table = _table(sites, totals, loss, recapture, assumptions)
    table = _with_market(table, sites, market)
    return Impacts(table=table, draws=loss, assumptions=assumptions)


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


def _market_shares(market: MarketResult) -> dict[str, np.ndarray]:
    """Per parameter set x store: people, and the shares staying at the site and with the
    brand, for sales and service (NaN, a store without customers, counts as 0)."""
    sales = np.nan_to_num(market.stacked("sales"), nan=0.0)
    service = np.nan_to_num(market.stacked("service"), nan=0.0)
    site, other = SERVICE_DESTINATIONS.index("site"), SERVICE_DESTINATIONS.index("brand_other")
    return {
        "units": market.stacked("people"),
        "sales_site": sales[:, :, 0],
        "sales_brand": sales[:, :, 0] + sales[:, :, 1],
        "no_store": sales[:, :, -1],
        "service_site": service[:, :, site],
        "service_brand": service[:, :, site] + service[:, :, other],
    }


def _col(sites: pd.DataFrame, column: str) -> np.ndarray:
    if column not in sites:
        return np.full(len(sites), np.nan)
    return pd.to_numeric(sites[column], errors="coerce").to_numpy(dtype="float64")


def _shares(p: dict[str, np.ndarray], prefix: str, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Department shares renormalised to sum to 1 in every draw."""
    raw = {n: p[f"{prefix}.{n}"] for n in names}
    total = sum(raw.values())
    return {n: (v / total)[:, None] for n, v in raw.items()}


def market_units(
    people: np.ndarray, p: dict[str, np.ndarray], a: Assumptions, brand: str
) -> np.ndarray:
    """New units a year of each store by its market: the brand's national sales (drawn)
    split by each store's share of the people who buy the brand, draws x stores.

    A brand without ``national_units.<brand>`` is calibrated to ``new_units_per_store`` x
    its stores instead.
    """
    key = f"national_units.{brand}"
    stores = people.shape[1]
    fallback = a.for_brand("new_units_per_store", brand).key
    target = p[key] if key in p else p[fallback] * stores
    total = people.sum(axis=1, keepdims=True)
    share = np.divide(people, total, out=np.full_like(people, 1 / max(stores, 1)), where=total > 0)
    return target[:, None] * share


def _baseline(
    sites: pd.DataFrame, p: dict[str, np.ndarray], a: Assumptions, brand: str, people: np.ndarray
) -> dict[str, np.ndarray]:
    """Revenue and staff by department, draws x sites."""
    units = _col(sites, ANNUAL_NEW_UNITS)
    modelled = market_units(people, p, a, brand)
    units_d = np.where(np.isnan(units)[None, :], modelled, units[None, :])
    rpu = p[a.for_brand("revenue_per_new_unit", brand).key][:, None]
    given_rev = _col(sites, ANNUAL_REVENUE)
    revenue = np.where(np.isnan(given_rev)[None, :], units_d * rpu, given_rev[None, :])
    out = {"revenue_total": revenue, "units": units_d}
    for dept, share in _shares(p, "revenue_share", REVENUE_DEPARTMENTS).items():
        out[f"revenue_{dept}"] = revenue * share

    est_staff = p["staff.fixed"][:, None] + p["staff.per_100_new_units"][:, None] * units_d / 100
    given_staff = _col(sites, EMPLOYEES)
    dept_given = np.column_stack(
        [_col(sites, c) for c in (SALES_EMPLOYEES, SERVICE_EMPLOYEES, OFFICE_EMPLOYEES)]
    )
    all_depts = ~np.isnan(dept_given).any(axis=1)
    total_given = np.where(all_depts, dept_given.sum(axis=1), given_staff)
    staff = np.where(np.isnan(total_given)[None, :], est_staff, total_given[None, :])
    out["employees_total"] = staff
    shares = _shares(p, "staff_share", DEPARTMENTS)
    for i, dept in enumerate(DEPARTMENTS):
        out[f"employees_{dept}"] = np.where(
            all_depts[None, :], dept_given[:, i][None, :], staff * shares[dept]
        )
    return out


def _losses(
    sites: pd.DataFrame,
    base: dict[str, np.ndarray],
    p: dict[str, np.ndarray],
    a: Assumptions,
    brand: str,
    shares: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Every loss measure for one block of draws (rows of ``p``, ``base`` and ``shares``)."""
    change = franchise_changes(sites)
    absorbed = np.isin(change, (COLOCATION, TRANSFER))[None, :]
    closed = (change == CLOSURE)[None, :]
    affected = absorbed | closed
    staffing = p["retention.staffing"][:, None]
    kept_office = p["back_office.kept_share"][:, None]

    sales_rev = base["revenue_new"] + base["revenue_used"] + base["revenue_fi"]
    at_site = sales_rev * shares["sales_site"] + base["revenue_service"] * shares["service_site"]
    in_brand = sales_rev * shares["sales_brand"] + base["revenue_service"] * shares["service_brand"]
    moved = {
        "sales": base["employees_sales"] * shares["sales_site"] * staffing,
        "service": base["employees_service"] * shares["service_site"] * staffing,
        "office": base["employees_office"] * kept_office,
    }
    out: dict[str, np.ndarray] = {}
    for dept in DEPARTMENTS:
        staff = base[f"employees_{dept}"]
        out[f"jobs_lost_{dept}"] = np.where(
            absorbed, staff - moved[dept], np.where(closed, staff, 0.0)
        )
    out["jobs_lost"] = np.sum([out[f"jobs_lost_{d}"] for d in DEPARTMENTS], axis=0)
    moved_staff = moved["sales"] + moved["service"] + moved["office"]
    out["jobs_gained_host"] = np.where(absorbed, moved_staff, 0.0)
    out.update(jobs_elsewhere(base, p, shares, out, affected))
    total = base["revenue_total"]
    out["revenue_lost"] = np.where(affected, total - in_brand, 0.0)
    colocated = (change == COLOCATION)[None, :]
    at_risk_absorbed = np.where(colocated, total - at_site, total)
    out["revenue_at_risk"] = np.where(absorbed, at_risk_absorbed, np.where(closed, total, 0.0))
    earnings = p["earnings.annual"][:, None]
    out["payroll_lost"] = out["jobs_lost"] * earnings
    out.update(owner_pnl(base, p, a, brand, shares, out, change))
    units = base["units"]
    out["new_units"] = units
    out["units_affected"] = np.where(affected, units, 0.0)
    out["units_kept_brand"] = np.where(affected, units * shares["sales_brand"], 0.0)
    out["units_to_competitors"] = np.where(
        affected, units * (1 - shares["sales_brand"] - shares["no_store"]), 0.0
    )
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
    base: dict[str, np.ndarray],
    loss: dict[str, np.ndarray],
    recapture_miles: np.ndarray,
    a: Assumptions,
) -> pd.DataFrame:
    table = pd.DataFrame({DEALER_ID: sites[DEALER_ID].to_numpy()})
    table[DECISION] = sites[DECISION].to_numpy()
    given_rev = ~np.isnan(_col(sites, ANNUAL_REVENUE))
    given_staff = ~np.isnan(_col(sites, EMPLOYEES)) | ~np.isnan(
        np.column_stack(
            [_col(sites, c) for c in (SALES_EMPLOYEES, SERVICE_EMPLOYEES, OFFICE_EMPLOYEES)]
        )
    ).any(axis=1)
    given_units = ~np.isnan(_col(sites, ANNUAL_NEW_UNITS))
    table["volume_source"] = np.where(given_units, VOLUME_FILE, VOLUME_MODEL)
    table["revenue_source"] = np.where(given_rev, "site file", "estimated")
    table["employees_source"] = np.where(given_staff, "site file", "estimated")
    # Baselines: the median total, split by the base department shares so parts add up;
    # department head counts a file gives (all three) are kept as given.
    for kind, prefix, depts in (
        ("revenue", "revenue_share", REVENUE_DEPARTMENTS),
        ("employees", "staff_share", DEPARTMENTS),
    ):
        total = np.median(base[f"{kind}_total"], axis=0)
        table[f"baseline_{kind}_total"] = total
        shares = np.array([a.base(f"{prefix}.{d}") for d in depts])
        for dept, share in zip(depts, shares / shares.sum(), strict=True):
            table[f"baseline_{kind}_{dept}"] = total * share
    dept_given = np.column_stack(
        [_col(sites, c) for c in (SALES_EMPLOYEES, SERVICE_EMPLOYEES, OFFICE_EMPLOYEES)]
    )
    all_given = ~np.isnan(dept_given).any(axis=1)
    for i, dept in enumerate(DEPARTMENTS):
        column = f"baseline_employees_{dept}"
        table[column] = np.where(all_given, dept_given[:, i], table[column])
    for measure in MEASURES:
        values = np.percentile(loss[measure], list(PERCENTILES.values()), axis=0)
        for label, row in zip(PERCENTILES, values, strict=True):
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
        stacked = market.stacked(kind)
        with warnings.catch_warnings():  # a store without customers is all NaN: not known
            warnings.simplefilter("ignore", RuntimeWarning)
            values = np.nanpercentile(stacked, list(PERCENTILES.values()), axis=0)
        for k, name in enumerate(names):
            for label, row in zip(PERCENTILES, values[:, :, k], strict=True):
                out[f"{kind}_{destination_slug(name)}_{label}"] = row
    return pd.concat([table, pd.DataFrame(out, index=table.index)], axis=1)


def destination_slug(name: str) -> str:
    """Column-name form of a destination: ``Mercedes-Benz`` -> ``mercedes_benz``."""
    return "".join(c if c.isalnum() else "_" for c in name.casefold()).strip("_")
