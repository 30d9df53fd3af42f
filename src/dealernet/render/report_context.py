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

from dealernet._csv import prepared, prepared_csv
from dealernet.analysis.impact import DEPARTMENTS, PERCENTILES, REVENUE_DEPARTMENTS
from dealernet.analysis.owner_groups import is_known, owner_keys, owner_sources
from dealernet.analysis.pnl import CLOSURE, COLOCATION, TRANSFER, franchise_changes
from dealernet.planning.selection import host_sites
from dealernet.render import sensitivity_view
from dealernet.render._records import records
from dealernet.render.charts import BarSpec, Chart, bar_chart
from dealernet.render.report_assumptions import applied_parameters
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
#: What happens to a store's franchise, as an owner report says it.
CHANGE_LABELS = {
    COLOCATION: "Co-location: you keep the franchise and the customers who follow",
    TRANSFER: "Franchise transfer: the store goes to the host's owner",
    CLOSURE: "Closure: the franchise ends",
}


@dataclass(frozen=True)
class Line:
    """One line of an owner's profit and loss: the measure, its label and what it means."""

    field: str
    label: str
    note: str
    total: bool = False
    #: How the line enters the total above it: ``"+"``, ``"-"`` or ``""`` (it is the total).
    sign: str = ""


#: The owner's profit and loss a year after the change, in the words of the owner report
#: (:data:`dealernet.analysis.impact.PNL`), then what is paid once, then the host's side.
PNL_LINES = (
    Line(
        "gross_profit_lost_sales",
        "Gross profit lost on sales",
        "new and used cars and F&I of the buyers who do not follow the store to its host",
        sign="-",
    ),
    Line(
        "gross_profit_lost_service",
        "Gross profit lost on service and parts",
        "of the service customers who do not follow",
        sign="-",
    ),
    Line("payroll_avoided", "Payroll you no longer pay", "the wages of the jobs that go", sign="+"),
    Line(
        "occupancy_avoided",
        "Showroom costs you no longer pay",
        "rent, upkeep and utilities of the stand-alone building, less the space at the host",
        sign="+",
    ),
    Line(
        "profit_given_up",
        "Pre-tax profit of the stores you transfer or close",
        "what the store earned you before tax; a loss you no longer carry counts for you",
        sign="-",
    ),
    Line(
        "profit_change",
        "Change in yearly pre-tax profit",
        "payroll and showroom costs saved, less gross profit lost and profit given up",
        total=True,
    ),
)
ONCE_LINES = (
    Line(
        "buyout",
        "One-time buy-out (franchise transfer)",
        "the franchise value (blue sky) a buyer pays once: years of the store's pre-tax "
        "profit; nothing for a store that loses money",
    ),
)
HOST_LINES = (
    Line(
        "host_gross_profit_gained",
        "Yearly gain as a host",
        "gross profit on the customers of other owners' stores who come to your stores, less "
        "the payroll of the staff who come with them",
    ),
)
#: Jobs lines of an owner report: at the stores, where they go, and beyond.
JOB_LINES = (
    Line("jobs_lost", "Jobs lost at the stores (gross)", "sales, service and office roles that go"),
    Line(
        "jobs_to_competitors",
        "Of the jobs lost, follow customers to other brands",
        "the work of buyers and service customers who go to other brands' stores and garages",
        sign="-",
    ),
    Line(
        "jobs_to_brand_other",
        "Of the jobs lost, follow customers to the brand's other stores",
        "the work of customers who go to another store of the brand",
        sign="-",
    ),
    Line(
        "net_jobs_lost",
        "Jobs lost to the region's car retail (net)",
        "the gross less the jobs that follow customers",
        total=True,
    ),
    Line(
        "spin_off_jobs",
        "Spin-off jobs lost",
        "at suppliers and in the local economy, on top of the net",
    ),
    Line("jobs_gained_host", "Jobs that move with the stores to the host", "not counted as lost"),
)


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
    params = applied_parameters(result)
    return {
        "scenario": scenario,
        "host_lines": HOST_LINES,
        "job_lines": JOB_LINES,
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
        "run_notes": [*result.assumption_notes, *result.rule_notes],
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
    host_sources = owner_sources(hosts, network, result.host_brands)
    return Shared(
        rows,
        owner_keys(rows),
        common(result),
        _names(network),
        prepared(rows),
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
        **pnl_lines(franchise_changes(mine) if len(mine) else np.array([], dtype=object)),
        "csv_uri": f"data:text/csv;charset=utf-8;base64,{encoded}",
        "csv_name": csv_name,
        **sensitivity_view.owner_context(result, owner),
    }


#: The profit-and-loss lines that only some changes of franchise have.
_LINE_CHANGES = {
    "gross_profit_lost_sales": (COLOCATION,),
    "gross_profit_lost_service": (COLOCATION,),
    "payroll_avoided": (COLOCATION,),
    "occupancy_avoided": (COLOCATION,),
    "profit_given_up": (TRANSFER, CLOSURE),
    "buyout": (TRANSFER,),
}


def pnl_lines(changes: np.ndarray) -> dict[str, Any]:
    """The profit-and-loss lines of a report on stores with these franchise changes
    (:func:`~dealernet.analysis.impact.franchise_changes`): a line that no store's change
    has (payroll saved, for an owner who only transfers) is left out, not shown as $0."""
    present = set(changes.tolist())

    def shown(lines: tuple[Line, ...]) -> list[Line]:
        return [
            line
            for line in lines
            if line.field not in _LINE_CHANGES or present & set(_LINE_CHANGES[line.field])
        ]

    return {
        "pnl_lines": shown(PNL_LINES),
        "once_lines": shown(ONCE_LINES),
        "changes": {c: int((changes == c).sum()) for c in (COLOCATION, TRANSFER, CLOSURE)},
    }


def owner_csv(parts: Shared, owner: str) -> str:
    """The rows of ``owner``'s stores as CSV text, rounded like the run's tables."""
    return prepared_csv(parts.csv_rows.loc[parts.keys == owner], bom=True)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return records(frame, _scalar)


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
    host = row.get("host_brand") or result.host_brand  # the host's own brand, in an alliance
    nearest = row.get("customers_main_nearest_after_id")
    change = str(franchise_changes(pd.DataFrame([dict(row)]))[0])
    return {
        "row": row,
        "change": change,
        "change_label": CHANGE_LABELS.get(change, ""),
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
