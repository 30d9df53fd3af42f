"""The impact model's arithmetic, one block of stores (all draws, or a block of them) at a
time: each store's own figures, the drawn parameters and the market's shares in, every loss
measure and the baseline totals out, draws x stores (:mod:`dealernet.analysis.impact`
describes the model and keeps what comes out).

Every figure of a draw and store depends on that draw and store alone, and on the market's
people of all stores (a store's volume is its share of the brand's): so the blocks change
memory and speed, never a result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dealernet.analysis.market import SERVICE_DESTINATIONS
from dealernet.analysis.pnl import (
    CLOSURE,
    COLOCATION,
    TRANSFER,
    franchise_changes,
    jobs_elsewhere,
    owner_pnl,
)
from dealernet.schema import (
    ANNUAL_NEW_UNITS,
    ANNUAL_REVENUE,
    EMPLOYEES,
    OFFICE_EMPLOYEES,
    SALES_EMPLOYEES,
    SERVICE_EMPLOYEES,
)

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.analysis.assumptions import Assumptions
    from dealernet.analysis.market_run import MarketResult

DEPARTMENTS = ("sales", "service", "office")
REVENUE_DEPARTMENTS = ("new", "used", "service", "fi")

#: Baseline totals whose medians make each store's baselines.
TOTALS = ("revenue_total", "employees_total")


@dataclass(frozen=True)
class Stores:
    """Each store's own figures the model reads (NaN where the file gives none) and how
    its franchise changes hands: arrays, so a block of stores is a slice."""

    units: np.ndarray
    revenue: np.ndarray
    employees: np.ndarray
    departments: np.ndarray  # stores x (sales, service, office)
    change: np.ndarray

    @classmethod
    def of(cls, sites: pd.DataFrame) -> Stores:
        depts = (SALES_EMPLOYEES, SERVICE_EMPLOYEES, OFFICE_EMPLOYEES)
        return cls(
            site_column(sites, ANNUAL_NEW_UNITS),
            site_column(sites, ANNUAL_REVENUE),
            site_column(sites, EMPLOYEES),
            np.column_stack([site_column(sites, c) for c in depts]).reshape(len(sites), 3),
            franchise_changes(sites),
        )

    def block(self, stores: np.ndarray) -> Stores:
        return Stores(
            self.units[stores],
            self.revenue[stores],
            self.employees[stores],
            self.departments[stores],
            self.change[stores],
        )

    def order(self) -> np.ndarray:
        """Stores in the order they are simulated: by how the franchise changes hands, so a
        block's stores lose the same measures (a block of stores that lose nothing is not
        sorted or held), else as given."""
        codes = {c: i for i, c in enumerate(("", CLOSURE, TRANSFER, COLOCATION))}
        return np.argsort([codes.get(c, 0) for c in self.change], kind="stable")

    def astype(self, dtype: np.dtype[np.floating]) -> Stores:
        def cast(values: np.ndarray) -> np.ndarray:
            return values.astype(dtype, copy=False)

        units, revenue, employees = cast(self.units), cast(self.revenue), cast(self.employees)
        return Stores(units, revenue, employees, cast(self.departments), self.change)


@dataclass(frozen=True)
class Model:
    """What one block of the Monte Carlo needs: the stores, the drawn parameters, the
    market's shares per parameter set (sets x stores) and each set's people of all stores;
    every array in the run's precision (:func:`~dealernet.analysis._draws.held_dtype`)."""

    stores: Stores
    p: dict[str, np.ndarray]
    shares: dict[str, np.ndarray]
    people: np.ndarray  # sets x 1
    a: Assumptions
    brand: str

    @classmethod
    def of(
        cls,
        stores: Stores,
        p: dict[str, np.ndarray],
        shares: dict[str, np.ndarray],
        a: Assumptions,
        brand: str,
        dtype: np.dtype[np.floating],
    ) -> Model:
        people = shares["units"].sum(axis=1, keepdims=True)  # a store's share is of all
        return cls(
            stores.astype(dtype),
            {k: v.astype(dtype, copy=False) for k, v in p.items()},
            {k: v.astype(dtype, copy=False) for k, v in shares.items()},
            people.astype(dtype, copy=False),
            a,
            brand,
        )

    def simulate(self, stores: np.ndarray, rows: int) -> dict[str, np.ndarray]:
        """Every measure and baseline total of ``stores`` (positions) in every draw (draws
        x stores), the draws simulated ``rows`` at a time."""
        draws, count = self.a.draws, len(self.stores.units)
        sites = self.stores.block(stores)
        shares = {k: v[:, stores] for k, v in self.shares.items()}
        out: dict[str, np.ndarray] = {}
        for start in range(0, draws, rows):
            span = slice(start, min(start + rows, draws))
            part = {k: v[span] for k, v in self.p.items()}
            sets = np.arange(span.start, span.stop) % len(self.people)
            part_shares = {k: v[sets] for k, v in shares.items()}
            units = market_units(
                part_shares["units"],
                part,
                self.a,
                self.brand,
                total=self.people[sets],
                stores=count,
            )
            base = _baseline(sites, part, self.a, self.brand, units)
            values = _losses(sites, base, part, self.a, self.brand, part_shares)
            values.update({key: base[key] for key in TOTALS})
            if span.stop - span.start == draws:
                return values
            for key, array in values.items():
                out.setdefault(key, np.empty((draws, array.shape[1]), array.dtype))[span] = array
            del base, values
        return out


def market_shares(market: MarketResult) -> dict[str, np.ndarray]:
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


def site_column(sites: pd.DataFrame, column: str) -> np.ndarray:
    if column not in sites:
        return np.full(len(sites), np.nan)
    return pd.to_numeric(sites[column], errors="coerce").to_numpy(dtype="float64")


def _shares(p: dict[str, np.ndarray], prefix: str, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Department shares renormalised to sum to 1 in every draw."""
    raw = {n: p[f"{prefix}.{n}"] for n in names}
    total = sum(raw.values())
    return {n: (v / total)[:, None] for n, v in raw.items()}


def market_units(
    people: np.ndarray,
    p: dict[str, np.ndarray],
    a: Assumptions,
    brand: str,
    *,
    total: np.ndarray | None = None,
    stores: int | None = None,
) -> np.ndarray:
    """New units a year of each store by its market: the brand's national sales (drawn)
    split by each store's share of the people who buy the brand, draws x stores.

    A brand without ``national_units.<brand>`` is calibrated to ``new_units_per_store`` x
    its stores instead. ``total`` (draws x 1) and ``stores``: the people and stores of the
    whole brand when ``people`` holds a block of its stores.
    """
    key = f"national_units.{brand}"
    stores = people.shape[1] if stores is None else stores
    fallback = a.for_brand("new_units_per_store", brand).key
    target = p[key] if key in p else p[fallback] * stores
    total = people.sum(axis=1, keepdims=True) if total is None else total
    share = np.divide(people, total, out=np.full_like(people, 1 / max(stores, 1)), where=total > 0)
    return target[:, None] * share


def _baseline(
    sites: Stores, p: dict[str, np.ndarray], a: Assumptions, brand: str, modelled: np.ndarray
) -> dict[str, np.ndarray]:
    """Revenue and staff by department, draws x sites (``modelled``: :func:`market_units`)."""
    units = sites.units
    units_d = np.where(np.isnan(units)[None, :], modelled, units[None, :])
    rpu = p[a.for_brand("revenue_per_new_unit", brand).key][:, None]
    given_rev = sites.revenue
    revenue = np.where(np.isnan(given_rev)[None, :], units_d * rpu, given_rev[None, :])
    out = {"revenue_total": revenue, "units": units_d}
    for dept, share in _shares(p, "revenue_share", REVENUE_DEPARTMENTS).items():
        out[f"revenue_{dept}"] = revenue * share

    est_staff = p["staff.fixed"][:, None] + p["staff.per_100_new_units"][:, None] * units_d / 100
    dept_given = sites.departments
    all_depts = ~np.isnan(dept_given).any(axis=1)
    total_given = np.where(all_depts, dept_given.sum(axis=1), sites.employees)
    staff = np.where(np.isnan(total_given)[None, :], est_staff, total_given[None, :])
    out["employees_total"] = staff
    shares = _shares(p, "staff_share", DEPARTMENTS)
    for i, dept in enumerate(DEPARTMENTS):
        out[f"employees_{dept}"] = np.where(
            all_depts[None, :], dept_given[:, i][None, :], staff * shares[dept]
        )
    return out


def _losses(
    sites: Stores,
    base: dict[str, np.ndarray],
    p: dict[str, np.ndarray],
    a: Assumptions,
    brand: str,
    shares: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Every loss measure for one block (rows of ``p``, ``base`` and ``shares``)."""
    change = sites.change
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
