"""Rich tables for the terminal: how results look when ``dealernet`` prints them.

Every table the CLI prints is built here (a run's summary, query answers, SQL results,
comparisons and sweeps), so they share one look: title on the left, numbers on the right,
every value from an input file escaped so a name like ``[bold]`` or ``ESC[2J`` prints as
itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from rich.markup import escape as escape_markup
from rich.table import Table

from dealernet.engine.colocation import (
    BY_ADDRESS,
    COLOCATED,
    COLOCATION_TEST,
    STANDALONE,
    placement_counts,
    sites_by_state,
)
from dealernet.formatting import count, miles, money, people, printable, span
from dealernet.outputs.side_by_side import SWEEP_MEASURES, comparison_rows, site_rows, sweep_rows
from dealernet.planning.query import GROUP_COLUMNS
from dealernet.schema import CITY, DECISION, EXACT, NAME, OWNER_GROUP, STATE, ZIP_CENTROID

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    from rich.console import Console

    from dealernet.analysis.result import Result
    from dealernet.planning.compare import Comparison
    from dealernet.planning.query import QueryResult
    from dealernet.planning.sweep import Sweep

#: States listed by name in the network summary; the rest are summed in one row.
TOP_STATES = 10


def escape(text: str) -> str:
    """Text from an input file as rich prints it: as itself, markup (``[bold]``) and
    control characters (``ESC[2J``) escaped, whichever console prints the table."""
    return escape_markup(printable(text))


def print_run_summary(console: Console, result: Result) -> None:
    """Everything ``dealernet run`` reports: network, decisions per rule, totals, customers."""
    table = result.decisions.table
    status = table["status"].value_counts()
    by_address = (
        int((table[COLOCATION_TEST] == BY_ADDRESS).sum()) if COLOCATION_TEST in table else 0
    )
    console.print(f"[bold yellow]Data:[/] {escape(result.data_origin)}")
    print_network_summary(
        console, result.network, status, result.source_brand, result.host_brand, by_address
    )
    console.print(f"\nScenario: [bold]{escape(result.scenario.name)}[/]")
    console.print(decisions_table(result))
    console.print(totals_table(result.national))
    console.print(access_table(result))


def owners_line(result: Result) -> str:
    """Where the owners of the run's source-brand stores came from, in one line, pointing
    at the review file when some were inferred."""
    from dealernet.io.owners import owner_counts
    from dealernet.outputs.tables import INFERRED_OWNERS
    from dealernet.schema import OWNER_FROM_FILE, OWNER_INFERRED, OWNER_UNKNOWN
    from dealernet.settings import DATA_DIR

    counts = owner_counts(result.network, result.source_brand)
    line = (
        f"Owners of {sum(counts.values()):,} {result.source_brand} stores: "
        f"{counts[OWNER_FROM_FILE]:,} from files, {counts[OWNER_INFERRED]:,} inferred, "
        f"{counts[OWNER_UNKNOWN]:,} unknown"
    )
    return line + (f" (see {DATA_DIR}/{INFERRED_OWNERS})" if counts[OWNER_INFERRED] else "")


def print_network_summary(
    console: Console,
    network: gpd.GeoDataFrame,
    status: pd.Series,
    source_brand: str,
    host_brand: str,
    by_address: int = 0,
) -> None:
    """Sites by brand and state, co-located vs stand-alone sources, ZIP placements.

    ``by_address`` of the co-located were found by their street address, not the radius.
    """
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
        f"{count(status.get(COLOCATED, 0))} co-located with a {escape(host_brand)} site"
        + (f" ({count(by_address)} by street address)." if by_address else ".")
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
        table.add_row(escape(str(rule_id)), escape(str(row[DECISION])), count(row["sites"]))
    counts = result.decisions.counts()
    table.add_row(
        "Total",
        ", ".join(f"{count(v)} {k}" for k, v in counts.items()),
        count(counts.sum()),
        style="bold",
    )
    return table


#: National rows of the run's totals table, in order, with how each is written; ``""``
#: starts a new block. Labels are :data:`dealernet.outputs.tables.MEASURE_LABELS`, but for
#: the parts of the gross jobs figure, shown under it (:data:`SUB_ROWS`).
TOTALS_ROWS: tuple[tuple[str, Callable[[object], str]], ...] = (
    ("jobs_lost", people),
    ("jobs_lost_sales", people),
    ("jobs_lost_service", people),
    ("jobs_lost_office", people),
    ("jobs_to_competitors", people),
    ("jobs_to_brand_other", people),
    ("net_jobs_lost", people),
    ("spin_off_jobs", people),
    ("jobs_gained_host", people),
    ("", people),
    ("revenue_lost", money),
    ("revenue_at_risk", money),
    ("payroll_lost", money),
    ("", money),
    ("gross_profit_lost_sales", money),
    ("gross_profit_lost_service", money),
    ("payroll_avoided", money),
    ("occupancy_avoided", money),
    ("profit_given_up", money),
    ("profit_change", money),
    ("buyout", money),
    ("host_gross_profit_gained", money),
)
#: Rows shown indented under "Jobs lost at the stores (gross)", as parts of it.
SUB_ROWS = {
    "jobs_lost_sales": "  sales",
    "jobs_lost_service": "  service and parts",
    "jobs_lost_office": "  office and F&I",
    "jobs_to_competitors": "  of these, at other brands' stores",
    "jobs_to_brand_other": "  of these, at the brand's other stores",
}


def totals_table(national: pd.Series) -> Table:
    """National totals as low / base / high: jobs (gross at the stores, where they go, net
    and spin-off), revenue, and the owners' profit and loss."""
    from dealernet.outputs.tables import MEASURE_LABELS

    table = Table(
        title="National totals (low / base / high = 10th / 50th / 90th percentile)",
        title_justify="left",
        caption="Gross jobs are lost at the stores; some are re-created where their customers "
        "go, the rest is the net loss to the region's car retail; spin-off jobs (suppliers, "
        "local spending) come on top of the net. Owners' yearly profit change = payroll and "
        "showroom costs no longer paid - gross profit lost - pre-tax profit of the stores "
        "transferred or closed; buy-outs are paid once; host owners' gain is before their "
        "other costs.",
        caption_justify="left",
    )
    for name in ("Measure", "Low", "Base", "High"):
        table.add_column(name, justify="left" if name == "Measure" else "right")
    for measure, fmt in TOTALS_ROWS:
        if not measure:
            table.add_section()
        elif f"{measure}_base" in national.index:  # a saved run may predate a measure
            label = SUB_ROWS.get(measure, MEASURE_LABELS[measure])
            table.add_row(
                label, *(fmt(national[f"{measure}_{x}"]) for x in ("low", "base", "high"))
            )
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


# --- queries and SQL ----------------------------------------------------------------------


def _table(title: str) -> Table:
    return Table(title=title, title_justify="left")


def _esc(value: object) -> str:
    return escape("" if value is None or value is pd.NA else str(value))


def _range(row: pd.Series | dict, measure: str, fmt: str) -> str:
    return span(row[f"{measure}_low"], row[f"{measure}_base"], row[f"{measure}_high"], fmt)


def query_table(answer: QueryResult) -> Table:
    """The answer as a rich table: one line per site, or per group."""
    title = f"{answer.label}: " + (f"totals by {answer.group_by}" if answer.group_by else "sites")
    table = _table(escape(title))  # the label quotes --owner, --near ... as typed
    if answer.groups is None:
        heads = (
            "Store",
            "City",
            "ST",
            "Owner group",
            "Decision",
            "Host",
            "Miles",
            "Jobs lost",
            "Revenue lost",
        )
        for head in heads:
            table.add_column(head, justify="right" if head in ("Miles",) else "left")
        for _, row in answer.sites.iterrows():
            table.add_row(
                *(_esc(row[c]) for c in (NAME, CITY, STATE, OWNER_GROUP, DECISION)),
                _esc(row["host_name"]),
                miles(row["distance_miles"]) if row[DECISION] == "absorb" else "",
                _range(row, "jobs_lost", "count"),
                _range(row, "revenue_lost", "money"),
            )
        return table

    by = str(answer.group_by)
    key = GROUP_COLUMNS[by]
    label = next((c for c in ("state_name", "county", "host_name") if c in answer.groups), None)
    table.add_column("Owner group" if by == "owner" else by.capitalize())
    for head in ("Stores", "Keep", "Absorb", "Close", "Unaffected"):
        table.add_column(head, justify="right")
    for head in ("Jobs lost", "Revenue lost", "Pushed >50 mi"):
        table.add_column(head, justify="right")
    for _, row in answer.groups.iterrows():
        name = row[label] if label and row[label] else row[key]
        table.add_row(
            _esc(name),
            *(
                count(row[c])
                for c in (
                    "stores",
                    "stores_keep",
                    "stores_absorb",
                    "stores_close",
                    "stores_unaffected",
                )
            ),
            _range(row, "jobs_lost", "count"),
            _range(row, "revenue_lost", "money"),
            count(row["population_pushed_beyond_50"]),
        )
    return table


def totals_line(totals: pd.Series, source_brand: str) -> str:
    """One sentence of totals: stores by decision, jobs, revenue and people pushed away."""
    stores = ", ".join(
        f"{count(totals[f'stores_{d}'])} {d}" for d in ("keep", "absorb", "close", "unaffected")
    )
    return (
        f"{count(totals['stores'])} {source_brand} stores ({stores}); jobs lost "
        f"{_range(totals, 'jobs_lost', 'count')}; revenue lost "
        f"{_range(totals, 'revenue_lost', 'money')}; "
        f"{count(totals['population_pushed_beyond_50'])} people pushed beyond 50 miles"
    )


def frame_table(
    frame: pd.DataFrame,
    title: str,
    formats: dict[str, Callable[[object], str]] | None = None,
    limit: int | None = None,
) -> Table:
    """Any table as a rich table (numbers right-aligned), at most ``limit`` rows."""
    formats = formats or {}
    table = _table(title)
    numeric = {c: pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns}
    for column in frame.columns:
        table.add_column(_esc(column), justify="right" if numeric[column] else "left")
    shown = frame if limit is None else frame.head(limit)
    for row in shown.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            fmt = formats.get(column)
            cells.append(fmt(value) if fmt else _cell(value, numeric[column]))
        table.add_row(*cells)
    if limit is not None and len(frame) > limit:
        table.caption = f"first {limit:,} of {len(frame):,} rows; --output FILE writes them all"
    return table


def _cell(value: object, numeric: bool) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if numeric and isinstance(value, (float, np.floating)):
        number = float(value)
        return f"{number:,.6g}" if abs(number) < 1e6 else f"{number:,.0f}"
    return _esc(value)


# --- comparisons and sweeps ---------------------------------------------------------------


def comparison_table(comparison: Comparison) -> Table:
    """The totals side by side: one line per measure, one column per scenario."""
    table = Table(
        title="Scenarios side by side (ranges: 10th-90th percentile)", title_justify="left"
    )
    table.add_column("Measure")
    for label in comparison.labels:
        table.add_column(escape(label), justify="right")
    for row in comparison_rows(comparison):
        table.add_row(row["label"], *(_joined(c) for c in row["cells"]))
    return table


def differences_table(comparison: Comparison) -> Table:
    """The stores whose decision differs, with each scenario's decision and host."""
    n = len(comparison.differences)
    table = Table(title=f"Stores whose decision differs: {n:,}", title_justify="left")
    for head in ("Store", "City", "ST", *comparison.labels):
        table.add_column(escape(head))
    for row in site_rows(comparison.differences, comparison.labels):
        cells = [
            escape(c[DECISION] + (f" into {c['host']}" if c["host"] else "")) for c in row["cells"]
        ]
        table.add_row(escape(row[NAME]), escape(row[CITY]), escape(row[STATE]), *cells)
    return table


def sweep_table(sweep: Sweep) -> Table:
    """The totals for each value, one line per value."""
    table = Table(
        title=f"Sweep of {escape(sweep.setting)} (ranges: 10th-90th percentile)",
        title_justify="left",
    )
    table.add_column("Value", justify="right")
    for _, short, *_ in SWEEP_MEASURES:
        table.add_column(short, justify="right")
    for row in sweep_rows(sweep):
        table.add_row(escape(row["value"]), *(_joined(c) for c in row["cells"]))
    return table


def _joined(cell: dict[str, str]) -> str:
    return f"{cell['text']} ({cell['range']})" if cell["range"] else cell["text"]
