"""Jobs and revenue lost per source-brand site, as low / base / high from a Monte Carlo.

The model, per site and per Monte Carlo draw (all arrays are draws x sites):

* **Baseline.** Revenue = the site's ``annual_revenue`` if the file gives it, else new units
  x revenue per new unit (units default to the brand's per-store average). Revenue splits
  into new, used, service and parts, and F&I by department shares. Head count = the site's
  ``employees`` (and department counts) if given, else a fixed crew plus staff per 100 new
  units, split into sales, service and office by department shares.
* **keep / unaffected**: nothing is lost.
* **absorb**: at distance ``d`` to the host, a share ``r(d) = retention x 0.5 ** (d / half)``
  of sales (new, used, F&I) and of service customers follows. Staff for the work that
  follows move with it (times ``retention.staffing``); the back office is shared, so only
  ``back_office.kept_share`` of office roles stays. Revenue lost to the network is what does
  not follow; revenue at risk to the owner is the whole store, unless the host has the same
  owner, then only what does not follow.
* **close**: every job goes; another source-brand point of sale ``d`` miles away recaptures
  ``recapture.at_zero_miles x 0.5 ** (d / sales half-distance)`` of the revenue.

Low / base / high are the 10th, 50th and 90th percentiles over the draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dealernet import settings
from dealernet._errors import AssumptionsError
from dealernet.analysis.access import points_of_sale
from dealernet.analysis.assumptions import Assumptions, draw
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
)

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

#: Percentiles reported as low / base / high.
PERCENTILES = {"low": 10, "base": 50, "high": 90}
DEPARTMENTS = ("sales", "service", "office")
REVENUE_DEPARTMENTS = ("new", "used", "service", "fi")

#: Loss measures with draws kept for roll-ups; each gets _low/_base/_high columns.
MEASURES = (
    "jobs_lost",
    "jobs_lost_sales",
    "jobs_lost_service",
    "jobs_lost_office",
    "revenue_lost",
    "revenue_at_risk",
    "payroll_lost",
    "profit_at_stake",
)

# decisions columns read here (written by the rule engine)
DISTANCE = "distance_miles"
SAME_OWNER_HOST = "same_owner_host"
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
#: product's transposes. Measured: 200,000 draws of the 197-store sample peak at 5.5 GB
#: resident (0.5 GB of it the loaded network and places), 16 arrays of 0.3 GB.
_PEAK_ARRAYS = len(MEASURES) + 8
#: Arrays of block x stores alive at once while one block of draws is simulated.
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
    host_brand: str,
    *,
    block_draws: int | None = None,
) -> Impacts:
    """Estimate baselines and losses for every row of ``decisions``.

    Parameters
    ----------
    network
        All sites (the loaded network): economics columns come from here.
    decisions
        One row per source-brand site with ``dealer_id``, ``decision``,
        ``host_dealer_id``, ``same_owner_host`` and ``distance_miles``.
    block_draws
        Draws simulated at once (default :func:`block_size`). Every figure of a draw
        depends on that draw alone, so the blocks change memory, never a result.

    Raises
    ------
    AssumptionsError
        When the draws would not fit in memory (:func:`check_draw_memory`).
    """
    sites = _site_rows(network, decisions)
    check_draw_memory(assumptions.draws, len(sites))
    keys = _keys(assumptions, source_brand)
    p = draw(assumptions, keys)
    recapture = _recapture_miles(sites, network, decisions, source_brand, host_brand)
    block = block_draws or block_size(len(sites))
    totals: dict[str, np.ndarray] = {}
    loss: dict[str, np.ndarray] = {}
    for start in range(0, assumptions.draws, block):
        rows = slice(start, min(start + block, assumptions.draws))
        part = {k: v[rows] for k, v in p.items()}
        base = _baseline(sites, part, assumptions, source_brand)
        lost = _losses(sites, base, part, assumptions, source_brand, recapture)
        for into, values in ((totals, base), (loss, lost)):
            for key, array in values.items():
                if into is totals and key not in ("revenue_total", "employees_total"):
                    continue
                if key not in into:
                    into[key] = np.empty((assumptions.draws, *array.shape[1:]), array.dtype)
                into[key][rows] = array
        del base, lost
    table = _table(sites, totals, loss, recapture, assumptions)
    return Impacts(table=table, draws=loss, assumptions=assumptions)


def _site_rows(network: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """Decisions joined to the site's own economics, in decisions order."""
    cols = [DEALER_ID, *NUMERIC_COLUMNS, LOCATION_QUALITY, LATITUDE, LONGITUDE]
    econ = pd.DataFrame(network[[c for c in cols if c in network.columns]]).drop_duplicates(
        DEALER_ID
    )
    keep = [c for c in decisions.columns if c not in econ.columns or c == DEALER_ID]
    return decisions[keep].merge(econ, on=DEALER_ID, how="left", validate="one_to_one")


def _keys(assumptions: Assumptions, brand: str) -> list[str]:
    fixed = [k for k in assumptions.parameters if not _brand_specific(k)]
    brand_keys = [
        assumptions.for_brand(prefix, brand).key
        for prefix in ("new_units_per_store", "revenue_per_new_unit", "return_on_sales")
    ]
    return fixed + brand_keys


def _brand_specific(key: str) -> bool:
    return key.split(".")[0] in ("new_units_per_store", "revenue_per_new_unit", "return_on_sales")


def _col(sites: pd.DataFrame, column: str) -> np.ndarray:
    if column not in sites:
        return np.full(len(sites), np.nan)
    return pd.to_numeric(sites[column], errors="coerce").to_numpy(dtype="float64")


def _shares(p: dict[str, np.ndarray], prefix: str, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Department shares renormalised to sum to 1 in every draw."""
    raw = {n: p[f"{prefix}.{n}"] for n in names}
    total = sum(raw.values())
    return {n: (v / total)[:, None] for n, v in raw.items()}


def _baseline(
    sites: pd.DataFrame, p: dict[str, np.ndarray], a: Assumptions, brand: str
) -> dict[str, np.ndarray]:
    """Revenue and staff by department, draws x sites."""
    units = _col(sites, ANNUAL_NEW_UNITS)
    default_units = p[a.for_brand("new_units_per_store", brand).key][:, None]
    units_d = np.where(np.isnan(units)[None, :], default_units, units[None, :])
    rpu = p[a.for_brand("revenue_per_new_unit", brand).key][:, None]
    given_rev = _col(sites, ANNUAL_REVENUE)
    revenue = np.where(np.isnan(given_rev)[None, :], units_d * rpu, given_rev[None, :])
    out = {"revenue_total": revenue}
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


def _follow(p: dict[str, np.ndarray], kind: str, miles: np.ndarray) -> np.ndarray:
    """Share of ``kind`` customers (sales or service) that follow a store ``miles`` away."""
    half = p[f"distance_decay.{kind}_half_miles"][:, None]
    return p[f"retention.{kind}"][:, None] * np.power(0.5, miles[None, :] / half)


def _losses(
    sites: pd.DataFrame,
    base: dict[str, np.ndarray],
    p: dict[str, np.ndarray],
    a: Assumptions,
    brand: str,
    recapture_miles: np.ndarray,
) -> dict[str, np.ndarray]:
    """Every loss measure for one block of draws (rows of ``p`` and ``base``)."""
    decision = sites[DECISION].to_numpy()
    absorbed = (decision == "absorb")[None, :]
    closed = (decision == "close")[None, :]
    miles = np.nan_to_num(_col(sites, DISTANCE), nan=0.0)
    r_sales = _follow(p, "sales", miles)
    r_service = _follow(p, "service", miles)
    staffing = p["retention.staffing"][:, None]
    kept_office = p["back_office.kept_share"][:, None]

    sales_rev = base["revenue_new"] + base["revenue_used"] + base["revenue_fi"]
    kept_rev = sales_rev * r_sales + base["revenue_service"] * r_service
    moved = {
        "sales": base["employees_sales"] * r_sales * staffing,
        "service": base["employees_service"] * r_service * staffing,
        "office": base["employees_office"] * kept_office,
    }
    half = p["distance_decay.sales_half_miles"][:, None]
    recaptured = p["recapture.at_zero_miles"][:, None] * np.power(
        0.5, np.nan_to_num(recapture_miles, nan=np.inf)[None, :] / half
    )

    out: dict[str, np.ndarray] = {}
    for dept in DEPARTMENTS:
        staff = base[f"employees_{dept}"]
        out[f"jobs_lost_{dept}"] = np.where(
            absorbed, staff - moved[dept], np.where(closed, staff, 0.0)
        )
    out["jobs_lost"] = np.sum([out[f"jobs_lost_{d}"] for d in DEPARTMENTS], axis=0)
    total = base["revenue_total"]
    out["revenue_lost"] = np.where(
        absorbed, total - kept_rev, np.where(closed, total * (1 - recaptured), 0.0)
    )
    # a host whose owner (or the store's) is not known counts as another owner's
    same = sites[SAME_OWNER_HOST].astype("boolean").fillna(False)
    same_owner = same.to_numpy(dtype=bool)[None, :]
    at_risk_absorbed = np.where(same_owner, out["revenue_lost"], total)
    out["revenue_at_risk"] = np.where(absorbed, at_risk_absorbed, np.where(closed, total, 0.0))
    out["payroll_lost"] = out["jobs_lost"] * p["earnings.annual"][:, None]
    ros = p[a.for_brand("return_on_sales", brand).key][:, None]
    out["profit_at_stake"] = out["revenue_at_risk"] * ros
    return out


def _recapture_miles(
    sites: pd.DataFrame, network: pd.DataFrame, decisions: pd.DataFrame, brand: str, host: str
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
