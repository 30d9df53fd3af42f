"""Rich tables for the terminal: how results look when ``dealernet`` prints them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from dealernet.engine.colocation import COLOCATED, STANDALONE, placement_counts, sites_by_state
from dealernet.formatting import count, money, people
from dealernet.schema import EXACT, ZIP_CENTROID

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import pandas as pd
    from rich.console import Console

    from dealernet.analysis.result import Result

#: States listed by name in the network summary; the rest are summed in one row.
TOP_STATES = 10


def print_run_summary(console: Console, result: Result) -> None:
    """Everything ``dealernet run`` reports: network, decisions per rule, totals, customers."""
    status = result.decisions.table["status"].value_counts()
    print_network_summary(console, result.network, status, result.source_brand, result.host_brand)
    console.print(f"\nScenario: [bold]{escape(result.scenario.name)}[/]")
    console.print(decisions_table(result))
    console.print(totals_table(result.national))
    console.print(access_table(result))


def print_network_summary(
    console: Console,
    network: gpd.GeoDataFrame,
    status: pd.Series,
    source_brand: str,
    host_brand: str,
) -> None:
    """Sites by brand and state, co-located vs stand-alone sources, ZIP placements."""
    by_state = sites_by_state(network)
    table = Table(title="Sites by state and brand", title_justify="left")
    table.add_column("State")
    for brand in by_state.columns:
        table.add_column(escape(str(brand)), justify="right")
    body = by_state.drop(index="Total")
    shown, rest = body.iloc[:TOP_STATES], body.iloc[TOP_STATES:]
    for state, row in shown.iterrows():
        table.add_row(escape(str(state)), *(count(v) for v in row))
    if len(rest):
        table.add_row(f"{len(rest)} other states", *(count(v) for v in rest.sum()))
    table.add_row("Total", *(count(v) for v in by_state.loc["Total"]), style="bold")
    console.print(table)
    console.print(
        f"{escape(source_brand)} sites: {count(status.sum())}, of which "
        f"{count(status.get(STANDALONE, 0))} stand-alone and "
        f"{count(status.get(COLOCATED, 0))} co-located with a {escape(host_brand)} site."
    )
    placed = placement_counts(network)
    console.print(
        f"Locations: {count(placed[EXACT])} exact, {count(placed[ZIP_CENTROID])} at a "
        "ZIP-code centroid (approximate)."
    )


def decisions_table(result: Result) -> Table:
    """Sites decided by each rule of the scenario."""
    table = Table(title="Decisions by rule", title_justify="left")
    for name in ("Rule", "Decision", "Stores"):
        table.add_column(name, justify="right" if name == "Stores" else "left")
    for rule_id, row in result.decisions.counts_by_rule().iterrows():
        table.add_row(escape(str(rule_id)), escape(str(row["decision"])), count(row["sites"]))
    counts = result.decisions.counts()
    table.add_row(
        "Total",
        ", ".join(f"{count(v)} {k}" for k, v in counts.items()),
        count(counts.sum()),
        style="bold",
    )
    return table


def totals_table(national: pd.Series) -> Table:
    """National losses as low / base / high."""
    table = Table(
        title="National totals (low / base / high = 10th / 50th / 90th percentile)",
        title_justify="left",
    )
    for name in ("Measure", "Low", "Base", "High"):
        table.add_column(name, justify="left" if name == "Measure" else "right")
    rows = (
        ("Jobs lost", "jobs_lost", people),
        ("  sales", "jobs_lost_sales", people),
        ("  service and parts", "jobs_lost_service", people),
        ("  office and F&I", "jobs_lost_office", people),
        ("Revenue lost to the network", "revenue_lost", money),
        ("Revenue at risk to owners", "revenue_at_risk", money),
        ("Payroll lost", "payroll_lost", money),
        ("Pre-tax profit at stake", "profit_at_stake", money),
    )
    for label, measure, fmt in rows:
        table.add_row(label, *(fmt(national[f"{measure}_{x}"]) for x in ("low", "base", "high")))
    return table


def access_table(result: Result) -> Table:
    """How far customers are from the nearest point of sale, before and after."""
    s = result.access.summary
    table = Table(
        title=f"Customers and the nearest {escape(result.source_brand)} point of sale",
        title_justify="left",
    )
    for name in ("Measure", "Before", "After"):
        table.add_column(name, justify="left" if name == "Measure" else "right")
    table.add_row(
        "Population-weighted mean distance",
        f"{s['mean_miles_before']:.1f} mi",
        f"{s['mean_miles_after']:.1f} mi",
    )
    for t in result.access.thresholds:
        label = f"{t:g}"
        table.add_row(
            f"People beyond {label} miles",
            people(s[f"beyond_{label}_before"]),
            people(s[f"beyond_{label}_after"]),
        )
    return table
