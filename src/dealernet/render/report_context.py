"""What an owner report and the index show, as plain dicts ready for the templates.

The analysis is done by the time a report is drawn: this module only picks rows of the
decisions and impacts tables, joins them, and names the figures each page prints. The one
arithmetic step is "after = before - lost" for staff and revenue, clipped at zero, so the
before / after charts read from the same numbers as the loss figures printed beside them.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dealernet._csv import rounded, spreadsheet_safe
from dealernet.analysis.impact import DEPARTMENTS, PERCENTILES, REVENUE_DEPARTMENTS
from dealernet.analysis.owner_groups import is_known, owner_keys, owner_sources
from dealernet.planning.selection import host_sites
from dealernet.render.charts import BarSpec, Chart, bar_chart
from dealernet.schema import (
    BRAND,
    CITY,
    DEALER_ID,
    DECISION,
    NAME,
    OWNER_GROUP,
    OWNER_INFERRED,
    OWNER_UNKNOWN,
    SOURCE_FILE,
    STATE,
)
from dealernet.settings import NETWORK_LABELS, REAL_2015

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.analysis.result import Result

#: Stores that lose their own showroom.
AFFECTED = ("absorb", "close")

DEPARTMENT_LABELS = {"sales": "Sales", "service": "Service & parts", "office": "Office & F&I"}
REVENUE_LABELS = {
    "new": "New vehicles",
    "used": "Used vehicles",
    "service": "Service & parts",
    "fi": "Finance & insurance",
}
DECISION_LABELS = {
    "absorb": "Absorbed into a {host} showroom",
    "close": "Closes",
    "keep": "Keeps its own showroom",
    "unaffected": "Not affected (already shares a {host} rooftop)",
}
#: Order of decisions in an owner's list of stores.
DECISION_ORDER = {"close": 0, "absorb": 1, "keep": 2, "unaffected": 3}


def affected_owners(result: Result) -> list[str]:
    """Owner groups with at least one absorbed or closed store, most jobs lost first."""
    owners = result.owners
    return [str(o) for o in owners.loc[owners["stores_affected"] > 0, OWNER_GROUP]]


def site_rows(result: Result) -> pd.DataFrame:
    """Decisions joined to impacts: one row per source-brand site, every figure by name."""
    impacts = result.impacts.table.drop(columns=[DECISION], errors="ignore")
    extra = [c for c in impacts.columns if c not in result.decisions.table.columns]
    rows = result.decisions.table.merge(
        impacts[[DEALER_ID, *extra]], on=DEALER_ID, how="left", validate="one_to_one"
    )
    return with_after(rows)


def with_after(rows: pd.DataFrame) -> pd.DataFrame:
    """Add what remains after the change: ``staff_after_*`` and ``revenue_after_*``.

    After = before - lost, at zero or more; the low "after" comes from the high loss.
    Stores that keep their showroom lose nothing, so their "after" equals "before"; a store
    that closes keeps no staff at all (the model lets every job go), though its median
    "before" and its loss percentiles need not be exactly equal.
    """
    out = rows.copy()
    closed = (out[DECISION] == "close").to_numpy()
    flip = {"low": "high", "base": "base", "high": "low"}
    for level, other in flip.items():
        for dept in (*DEPARTMENTS, "total"):
            lost = "jobs_lost" if dept == "total" else f"jobs_lost_{dept}"
            before = out[f"baseline_employees_{dept}"]
            after = (before - out[f"{lost}_{other}"]).clip(lower=0)
            out[f"staff_after_{dept}_{level}"] = after.mask(closed, 0.0)
        before = out["baseline_revenue_total"]
        out[f"revenue_after_{level}"] = (before - out[f"revenue_lost_{other}"]).clip(lower=0)
    return out


def common(result: Result, today: dt.date | None = None) -> dict[str, Any]:
    """What every page says about where its numbers come from."""
    from dealernet import __version__

    scenario = result.scenario
    network = result.network
    files = sorted({str(f) for f in network.get(SOURCE_FILE, pd.Series(dtype=str)).dropna()})
    params = [
        {
            "key": p.key,
            "base": p.base,
            "low": p.low,
            "high": p.high,
            "unit": p.unit,
            "source": p.source,
        }
        for p in result.assumptions.parameters.values()
    ]
    return {
        "scenario": scenario,
        "rules": [{"id": r.id, "action": r.action, "summary": r.summary()} for r in scenario.rules],
        "circuity_factor": scenario.distance.circuity_factor,
        "source_brand": result.source_brand,
        "host_brand": result.host_brand,
        "assumptions": result.assumptions,
        "parameters": params,
        "percentiles": PERCENTILES,
        "today": (today or dt.date.today()).isoformat(),
        "version": __version__,
        "dealer_files": files,
        "sample": result.is_sample,
        "data_origin": result.data_origin,
        "run_notes": result.rule_notes,
        "real_2015": result.data_origin == NETWORK_LABELS[REAL_2015],
    }


@dataclass(frozen=True)
class Shared:
    """What every report of one run shares, built once rather than once per owner group.

    Attributes
    ----------
    rows
        :func:`site_rows`: every source-brand site with its decision and figures.
    keys
        Each row's owner group as the roll-ups key it (:func:`owner_keys`): a store whose
        owner is not known is a group of its own.
    page
        :func:`common`: scenario, assumptions, inputs and date.
    names
        Name, brand and place of every site by dealer id.
    csv_rows
        ``rows`` as the owners' CSV files hold them: rounded, spreadsheet formulas defused.
    sources
        Each row's ``owner_source``: ``file``, ``inferred`` or ``unknown``.
    inferred_hosts
        Dealer ids of the host-brand sites whose owner group was inferred.
    brands
        The market model's brands (folded-in brand first), to spell competitors' names.
    """

    rows: pd.DataFrame
    keys: pd.Series
    page: dict[str, Any]
    names: dict[str, dict[str, Any]]
    csv_rows: pd.DataFrame
    sources: pd.Series
    inferred_hosts: frozenset[str]
    brands: tuple[str, ...] = ()


def shared(result: Result) -> Shared:
    """Build the parts every report of ``result`` shares."""

    rows = site_rows(result)
    network = result.network
    hosts = host_sites(result)
    host_ids = hosts[DEALER_ID].astype(str).to_numpy()
    host_sources = owner_sources(hosts, network, result.host_brand)
    return Shared(
        rows,
        owner_keys(rows),
        common(result),
        _names(network),
        spreadsheet_safe(rounded(rows)),
        pd.Series(owner_sources(rows, network, result.source_brand), index=rows.index),
        frozenset(host_ids[host_sources == OWNER_INFERRED]),
        result.market.brands if result.market is not None else (),
    )


def owner_context(
    result: Result, owner: str, parts: Shared, csv_text: str, csv_name: str
) -> dict[str, Any]:
    """Everything the owner report shows for ``owner`` (a key of ``result.owners``)."""
    chosen = parts.keys == owner
    mine = parts.rows.loc[chosen].copy()
    mine["_order"] = mine[DECISION].map(DECISION_ORDER).fillna(9)
    mine = mine.sort_values(["_order", NAME], kind="stable").drop(columns="_order")
    summary = result.owners.loc[result.owners[OWNER_GROUP].astype(str) == owner]
    stores = [_store(result, row, parts) for row in _records(mine)]
    totals = _records(summary)[0] if len(summary) else {}
    encoded = base64.b64encode(csv_text.encode("utf-8")).decode("ascii")
    sources = set(parts.sources.loc[chosen])
    return {
        "owner": owner,
        # A store whose owner is not known is reported alone, named after the store.
        "owner_known": OWNER_UNKNOWN not in sources,
        "owner_inferred": OWNER_INFERRED in sources,
        "store_name": str(mine[NAME].iloc[0]) if len(mine) else owner,
        "absorbed_host_unknown": int(
            ((mine[DECISION] == "absorb") & mine["same_owner_host"].isna()).sum()
        ),
        "totals": totals,
        "stores": stores,
        "affected": [s for s in stores if s["row"][DECISION] in AFFECTED],
        "csv_uri": f"data:text/csv;charset=utf-8;base64,{encoded}",
        "csv_name": csv_name,
    }


def owner_csv(parts: Shared, owner: str) -> str:
    """The rows of ``owner``'s stores as CSV text, rounded like the run's tables."""
    mine = parts.csv_rows.loc[parts.keys == owner]
    return mine.to_csv(index=False, lineterminator="\n")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _scalar(v) for k, v in rec.items()} for rec in frame.to_dict(orient="records")]


def _scalar(value: Any) -> Any:
    """Plain Python values for the templates (NaN and NA become None)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    return value


def _names(network: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Site name, city and state by dealer id, to name a customer's new nearest store."""
    cols = [DEALER_ID, NAME, BRAND, OWNER_GROUP, CITY, STATE]
    frame = pd.DataFrame(network[[c for c in cols if c in network.columns]])
    return {str(r[DEALER_ID]): r for r in _records(frame)}


def _store(result: Result, row: Mapping[str, Any], parts: Shared) -> dict[str, Any]:
    """One store: its row, the rule that decided it, its trace and its two charts."""
    names = parts.names
    rule_id = row.get("rule_id")
    rule = next((r for r in result.scenario.rules if r.id == rule_id), None)
    trace = result.decisions.trace.get(str(row[DEALER_ID]))
    host = result.host_brand
    nearest = row.get("customers_main_nearest_after_id")
    return {
        "row": row,
        "decision_label": DECISION_LABELS.get(str(row[DECISION]), str(row[DECISION])).format(
            host=host
        ),
        "rule": None if rule is None else {"id": rule.id, "summary": rule.summary()},
        "steps": [] if trace is None else list(trace.steps),
        "nearest_after": names.get(str(nearest)) if nearest is not None else None,
        "host_owner": _host_owner(row, parts.inferred_hosts),
        "staff_chart": staff_chart(row),
        "revenue_chart": revenue_chart(row),
        "sales_split": customer_split(row, "sales", result.source_brand, parts.brands),
        "service_split": customer_split(row, "service", result.source_brand, parts.brands),
    }


#: Competing brands named one by one in a report; smaller ones are left to "the rest".
SHOWN_SHARE = 0.01
#: Destinations worded the same for every brand, by kind; others are competing brands.
_FIXED = {
    "sales": {
        "site": "keep buying {brand} at the new site",
        "brand_other": "buy {brand} at another {brand} store",
        "no_store_in_reach": "find no luxury store within reach",
    },
    "service": {
        "site": "bring their cars to the new site for service",
        "brand_other": "go to another {brand} service department",
        "elsewhere": "take their cars elsewhere (independent shops, other dealers)",
    },
}


def customer_split(
    row: Mapping[str, Any], kind: str, brand: str, brands: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Where a store's ``sales`` or ``service`` customers go, as a report words it.

    One entry per destination (``field``: the column stem for ``fig``): the new site and
    the brand's other stores first, then competing brands, largest first, then nowhere.
    Destinations under :data:`SHOWN_SHARE` are left out. Empty when the run has no market
    model (a saved run from before it). ``brands`` spells the competitors' names.
    """
    from dealernet.analysis.impact import destination_slug

    names = {destination_slug(b): b for b in brands}
    fixed = _FIXED[kind]
    entries: list[tuple[tuple[int, float], dict[str, Any]]] = []
    for key, value in row.items():
        key = str(key)
        if not (key.startswith(f"{kind}_") and key.endswith("_base") and _known(value)):
            continue
        stem = key[: -len("_base")]
        name = stem[len(kind) + 1 :]
        if name == "site" and row.get(DECISION) != "absorb":
            continue
        label = fixed.get(name, "move to {other}").format(
            brand=brand, other=names.get(name, name.replace("_", " ").title())
        )
        rank = (0, 0.0) if name in ("site", "brand_other") else (1, -float(value))
        if name in ("no_store_in_reach", "elsewhere"):
            rank = (2, 0.0)
        entries.append((rank, {"field": stem, "label": label, "share": float(value)}))
    entries.sort(key=lambda e: e[0])
    return [e for _, e in entries if e["share"] >= SHOWN_SHARE]


def _known(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _host_owner(row: Mapping[str, Any], inferred: frozenset[str]) -> str | None:
    """Who owns a store's host, as a report names it (``None``: the owner is not known)."""
    owner = row.get("host_owner_group")
    if not is_known(owner):
        return None
    return f"{owner} (inferred)" if str(row.get("host_dealer_id")) in inferred else str(owner)


def staff_chart(row: Mapping[str, Any]) -> Chart:
    """Head count by department, before and after, with the range of the "after"."""
    groups = []
    for dept in (*DEPARTMENTS, "total"):
        label = DEPARTMENT_LABELS.get(dept, "All staff")
        before = BarSpec(
            "before",
            [("before", f"baseline_employees_{dept}", "before")],
            f"baseline_employees_{dept}",
        )
        after = BarSpec(
            "after",
            [("after", f"staff_after_{dept}_base", "after")],
            f"staff_after_{dept}_base",
            f"staff_after_{dept}_low",
            f"staff_after_{dept}_high",
        )
        groups.append((label, [before, after]))
    return bar_chart(
        "Staff by department, before and after",
        row,
        groups,
        fmt="count",
        legend=[("Before", "before", ""), ("After, with its range", "after", "")],
    )


def revenue_chart(row: Mapping[str, Any]) -> Chart:
    """Annual revenue by department before, and what the network keeps after."""
    before = BarSpec(
        "",
        [(REVENUE_LABELS[d], f"baseline_revenue_{d}", f"rev-{d}") for d in REVENUE_DEPARTMENTS],
        "baseline_revenue_total",
    )
    after = BarSpec(
        "",
        [("kept", "revenue_after_base", "after")],
        "revenue_after_base",
        "revenue_after_low",
        "revenue_after_high",
    )
    legend = [(REVENUE_LABELS[d], f"rev-{d}", f"baseline_revenue_{d}") for d in REVENUE_DEPARTMENTS]
    return bar_chart(
        "Annual revenue, before and after",
        row,
        [("Before", [before]), ("After", [after])],
        fmt="money",
        legend=[*legend, ("Kept after, with its range", "after", "")],
    )
