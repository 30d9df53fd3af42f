"""Writing a run's tables to ``OUT/data/``, atomically, with stable formatting.

Every file is written to a temporary file and renamed (:mod:`dealernet._atomic`); numbers
are rounded to what they can honestly claim (jobs to a tenth, dollars to the dollar, miles to
about five feet), so two runs on the same inputs give byte-identical files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dealernet._atomic import write_text
from dealernet._csv import csv_file_text, rounded
from dealernet.io.owners import inferred_owners_table
from dealernet.schema import SOURCE_FILE
from dealernet.settings import DATA_DIR

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.analysis.result import Result

#: What each figure is, in a few plain words: the terminal's totals and ``summary.json``.
MEASURE_LABELS: dict[str, str] = {
    "jobs_lost": "Jobs lost at the stores (gross)",
    "jobs_lost_sales": "Jobs lost at the stores: sales",
    "jobs_lost_service": "Jobs lost at the stores: service and parts",
    "jobs_lost_office": "Jobs lost at the stores: office and F&I",
    "jobs_to_competitors": "Jobs lost at the stores, re-created at other brands",
    "jobs_to_brand_other": "Jobs lost at the stores, re-created at the brand's other stores",
    "net_jobs_lost": "Jobs lost to the region (net)",
    "spin_off_jobs": "Spin-off jobs lost (beyond the net)",
    "jobs_gained_host": "Jobs that move to the hosts (kept)",
    "revenue_lost": "Revenue lost to the network",
    "revenue_at_risk": "Revenue at risk to owners",
    "payroll_lost": "Payroll lost (wages of jobs lost)",
    "gross_profit_lost_sales": "Owners' gross profit lost: sales",
    "gross_profit_lost_service": "Owners' gross profit lost: service",
    "payroll_avoided": "Payroll owners no longer pay",
    "occupancy_avoided": "Showroom costs owners no longer pay",
    "profit_given_up": "Profit of stores transferred, closed",
    "profit_change": "Change in owners' yearly profit",
    "buyout": "One-time buy-outs (transfers)",
    "host_gross_profit_gained": "Host owners' yearly gain",
    "new_units": "New cars the stores sell a year",
    "units_affected": "New cars a year of affected stores",
    "units_kept_brand": "New cars a year of affected stores the brand keeps",
    "units_to_competitors": "New cars a year of affected stores lost to other brands",
}
#: The review file of inferred owners, written only when some owner was inferred.
INFERRED_OWNERS = "owners_inferred.csv"

#: Files of ``OUT/data/`` and what each holds (listed in the index page and the README).
TABLES: dict[str, str] = {
    "decisions.csv": "one row per Infiniti site: keep / absorb / close / unaffected, host, reason",
    "impacts.csv": "one row per Infiniti site: baseline, jobs and revenue lost (low / base / high)",
    "owners.csv": "one row per owner group, or per store whose owner is not known (owner_source "
    "= unknown): stores affected, jobs lost, revenue at risk",
    "hosts.csv": "one row per owner group whose host stores take in stores of other owners "
    "(also groups with no Infiniti store), or per host store whose owner is not known: stores "
    "taken in, the yearly gross profit and jobs the customers who follow bring (low / base / "
    "high)",
    "regions.csv": "one row per state and per county: the same totals",
    "access.csv": "one row per US place: miles to the nearest point of sale before and after",
    "market_counties.csv": "one row per county: the brand's share of luxury buyers before and "
    "after (the market model)",
    "decay_fits.csv": "with --zip-sales: the market's distance decay fitted to each store's "
    "sales by customer ZIP, beside the assumed one",
    "sensitivity.csv": "each assumption (its key, and its label in plain words) at its low and "
    "at its high, the rest at base: the figure at each, nationally and per owner group, ranked "
    "by swing (1 = moves it most)",
    "scenarios.csv": "every scenario shipped with dealernet on this network, every assumption "
    "at base: stores absorbed and closed, jobs, revenue and profit figures",
    "summary.json": "the scenario, the assumptions file, national totals and access figures",
    INFERRED_OWNERS: "one row per store whose owner group was inferred from its name or website "
    "(no owner in its file): the group, the evidence and the store it was matched with; "
    "check it, and correct it with --owners FILE",
}


def write_tables(result: Result, out: Path) -> list[Path]:
    """Write every table of ``result`` into ``out/data/``; returns the paths written."""
    folder = Path(out) / DATA_DIR
    written = [result.decisions.to_csv(folder / "decisions.csv")]
    for name, table in (
        ("impacts.csv", result.impacts.table),
        ("owners.csv", result.owners),
        ("hosts.csv", result.hosts),
        ("regions.csv", result.regions),
        ("access.csv", result.access.places),
    ):
        written.append(write_text(folder / name, csv_file_text(table)))
    market = result.market
    if market is not None:
        from dealernet.analysis.market_maps import county_share_change

        counties = county_share_change(market.points)
        written.append(write_text(folder / "market_counties.csv", csv_file_text(counties)))
    fits = market.decay_fits if market is not None else None
    if fits is not None:
        written.append(write_text(folder / "decay_fits.csv", csv_file_text(fits)))
    else:  # an earlier run's fits are not this run's
        (folder / "decay_fits.csv").unlink(missing_ok=True)
    for name, table in (
        ("sensitivity.csv", result.sensitivity.table if result.sensitivity else None),
        ("scenarios.csv", result.spread.table if result.spread else None),
    ):
        if table is not None:
            written.append(write_text(folder / name, csv_file_text(table)))
        else:  # never leave an earlier run's figures beside this run's tables
            (folder / name).unlink(missing_ok=True)
    written.append(write_text(folder / "summary.json", summary_json(result)))
    inferred = inferred_owners_table(result.network)
    if len(inferred):
        written.append(write_text(folder / INFERRED_OWNERS, csv_file_text(inferred)))
    else:  # never leave an earlier run's guesses beside this run's tables
        (folder / INFERRED_OWNERS).unlink(missing_ok=True)
    return written


def summary_json(result: Result) -> str:
    """National totals, access and provenance, as stable, readable JSON."""
    data: dict[str, Any] = {
        "data_origin": result.data_origin,
        "scenario": {
            "name": result.scenario.name,
            "source": str(result.scenario.source),
            "source_brand": result.source_brand,
            "host_brand": result.host_brand,
            "host_brands": list(result.host_brands),
        },
        "assumptions": {
            "source": result.assumptions.source,
            "draws": result.assumptions.draws,
            "seed": result.assumptions.seed,
        },
        "decisions": {k: int(v) for k, v in result.decisions.counts().items()},
        "national": {
            k: _plain(v) for k, v in rounded(result.national.to_frame().T).iloc[0].items()
        },
        "measures": _measure_labels(result),
        "access": {k: _plain(v) for k, v in result.access.summary.items()},
        "market": _market_summary(result),
        "dealer_files": sorted(set(result.network[SOURCE_FILE].astype(str))),
        "assumption_notes": result.assumption_notes,
        "what_drives": _what_drives(result),
    }
    return json.dumps(data, indent=2, sort_keys=False, allow_nan=False, default=str) + "\n"


def _what_drives(result: Result) -> dict[str, Any] | None:
    """What ``sensitivity.csv`` and ``scenarios.csv`` left out and why, so pages rebuilt
    from the saved run (``--results``) say it too; ``None`` when neither was computed."""
    if result.sensitivity is None and result.spread is None:
        return None
    return {
        "sensitivity_skipped": dict(result.sensitivity.skipped) if result.sensitivity else None,
        "spread_skipped": dict(result.spread.skipped) if result.spread else None,
    }


def _measure_labels(result: Result) -> dict[str, str]:
    """What each ranged national figure is, in plain words, so a reader of the JSON can
    tell the gross jobs at the stores from the net and spin-off jobs. The ``_low`` /
    ``_base`` / ``_high`` of each are the 10th / 50th / 90th percentiles of the simulations."""
    present = set(result.national.index)
    return {m: text for m, text in MEASURE_LABELS.items() if f"{m}_base" in present}


def _market_summary(result: Result) -> dict[str, Any] | None:
    """Where the market model's data came from, and its national base figures."""
    market = result.market
    if market is None:
        return None
    base = market.base
    return {
        "competitors": market.competitors_source,
        "brands": list(market.brands),
        "competitor_stores": int(len(market.competitors)),
        "customer_points": int(market.customer_points),
        "brand_buyers_before": _plain(float(base.people.sum())),
        "market_draws": result.assumptions.market_draws,
    }


def _plain(value: Any) -> Any:
    """JSON-safe scalars: numpy numbers to Python, inf and NaN to None."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not np.isfinite(value) else round(float(value), 3)
    return value
