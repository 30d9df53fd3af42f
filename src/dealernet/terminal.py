"""Rich tables for the terminal: how results look when ``dealernet`` prints them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dealernet import network as N
from dealernet import schema as S

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

    from dealernet.pipeline import Result

#: States listed by name in the run summary; the rest are summed in one row.
TOP_STATES = 10


def print_network_summary(console: Console, result: Result) -> None:
    """Sites by brand and state, co-located vs stand-alone sources, ZIP placements."""
    from rich.table import Table

    by_state = N.sites_by_state(result.network)
    brands = list(by_state.columns)
    table = Table(title="Sites by state and brand", title_justify="left")
    table.add_column("State")
    for brand in brands:
        table.add_column(str(brand), justify="right")
    body = by_state.drop(index="Total")
    shown, rest = body.iloc[:TOP_STATES], body.iloc[TOP_STATES:]
    for state, row in shown.iterrows():
        table.add_row(str(state), *(f"{int(v):,}" for v in row))
    if len(rest):
        table.add_row(f"{len(rest)} other states", *(f"{int(v):,}" for v in rest.sum()))
    table.add_row("Total", *(f"{int(v):,}" for v in by_state.loc["Total"]), style="bold")
    console.print(table)

    status = result.sources[N.STATUS].value_counts()
    src = result.source_brand
    console.print(
        f"{src} sites: {len(result.sources):,}, of which "
        f"{int(status.get(N.STANDALONE, 0)):,} stand-alone and "
        f"{int(status.get(N.COLOCATED, 0)):,} co-located with a {result.host_brand} site."
    )
    placed = N.placement_counts(result.network)
    console.print(
        f"Locations: {int(placed[S.EXACT]):,} exact, {int(placed[S.ZIP_CENTROID]):,} at a "
        "ZIP-code centroid (approximate)."
    )


def _fmt(value: Any) -> str:
    return f"{value:,}"
