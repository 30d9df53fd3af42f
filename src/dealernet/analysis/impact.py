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

from dealernet.analysis.access import points_of_sale
from dealernet.analysis.assumptions import Assumptions, draw
from dealernet.geo.distance import SiteIndex
from dealernet.schema import (
    ANNUAL_NEW_UNITS,
    ANNUAL_REVENUE,
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


def estimate_impacts(
    network: gpd.GeoDataFrame | pd.DataFrame,
    decisions: pd.DataFrame,
    assumptions: Assumptions,
    source_brand: str,
    host_brand: str,
) -> Impacts:
    """Estimate baselines and losses for every row of ``decisions``.

    Parameters
    ----------
    network
        All sites (the loaded network): economics columns come from here.
    decisions
        One row per source-brand site with ``dealer_id``, ``decision``,
        ``host_dealer_id``, ``same_owner_host`` and ``distance_miles``.
    """
    sites = _site_rows(network, decisions)
    keys = _keys(assumptions, source_brand)
    p = draw(assumptions, keys)
    base = _baseline(sites, p, assumptions, source_brand)
    loss = _losses(sites, base, p, assumptions, (source_brand, host_brand), network, decisions)
    table = _table(sites, base, loss, assumptions, source_brand)
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
    brands: tuple[str, str],
    network: pd.DataFrame,
    decisions: pd.DataFrame,
) -> dict[str, np.ndarray]:
    brand, host = brands
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
    recapture_miles = _recapture_miles(sites, network, decisions, brand, host)
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
    out["_recapture_miles"] = recapture_miles
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
    a: Assumptions,
    brand: str,
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
    table["recapture_miles"] = loss["_recapture_miles"]
    table[LOCATION_QUALITY] = sites.get(
        LOCATION_QUALITY, pd.Series(EXACT, index=sites.index)
    ).to_numpy()
    del loss["_recapture_miles"]
    return table
