"""Rich tables for the terminal: how results look when ``dealernet`` prints them.

Every table the CLI prints is built here (a run's summary, query answers, SQL results,
comparisons and sweeps), so they share one look: title on the left, numbers on the right,
every value from an input file escaped so a name like ``[bold]`` or ``ESC[2J`` prints as
itself. They are printed through :func:`print_table`, which never cuts a figure: a table
too wide for the terminal wraps its text columns, and failing that prints one record per
block; and every command's output starts with :func:`print_data_origin`, so a figure
copied from the terminal carries its caveat (a synthetic sample, a 2015 roster).
"""

from __future__ import annotations

import copy
import dataclasses
import re
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from rich.cells import cell_len
from rich.markup import escape as escape_markup
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

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
    from rich.console import Console, RenderableType

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
    print_data_origin(console, result.data_origin)
    print_network_summary(
        console, result.network, status, result.source_brand, result.host_brand, by_address
    )
    console.print(f"\nScenario: [bold]{escape(result.scenario.name)}[/]", soft_wrap=False)
    for table in (decisions_table(result), totals_table(result.national), access_table(result)):
        print_table(console, table, hint="")


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
    print_table(console, table, hint="")
    print_text(
        console,
        f"{source_brand} sites: {count(status.sum())}, of which "
        f"{count(status.get(STANDALONE, 0))} stand-alone and "
        f"{count(status.get(COLOCATED, 0))} co-located with a {host_brand} site"
        + (f" ({count(by_address)} by street address)." if by_address else "."),
    )
    placed = placement_counts(network)
    print_text(
        console,
        f"Locations: {count(placed[EXACT])} exact, {count(placed[ZIP_CENTROID])} at a "
        "ZIP-code centroid (approximate).",
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
        figures = ("Miles", "Jobs lost", "Revenue lost")  # right-aligned: never cut
        for head in ("Store", "City", "ST", "Owner group", "Decision", "Host", *figures):
            table.add_column(head, justify="right" if head in figures else "left")
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
            cells.append(fmt(value) if fmt else frame_cell(value, numeric[column]))
        table.add_row(*cells)
    if limit is not None and len(frame) > limit:
        table.caption = f"first {limit:,} of {len(frame):,} rows; --output FILE writes them all"
    return table


def frame_cell(value: object, numeric: bool) -> str:
    """One value of :func:`frame_table` as printed: blank when missing, floats to six
    significant digits (whole above a million), anything else as text, escaped."""
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


# --- printing: figures whole, whatever the terminal's width -------------------------------

#: The space between a figure and its unit (``$22.7 M``, ``12.3 mi``, ``58 %``), which the
#: terminal output makes non-breaking (:data:`NBSP`) so no wrap parts them.
_UNIT_SPACE = re.compile(r"(?<=\d) (?=(?:[KMB]|mi)\b|%)")
NBSP = "\u00a0"
#: Where :func:`print_table` sends a reader whose table did not fit.
FILE_HINT = "--output FILE.csv for a file"
#: Widths are measured against this, not the terminal, so nothing is clamped to it.
_UNLIMITED = 1_000_000
#: Cells a header with a longer word (``revenue_lost_base``) may be folded to before the
#: table is printed as records: a folded header still reads, a cut figure does not.
HEADER_FOLD = 8


def unbroken(text: str) -> str:
    """``text`` with each figure joined to its unit by a non-breaking space, which the
    terminal's wrapping (:func:`_wrap`) never breaks at. Pages and CSV files keep a plain
    space: a browser does not split ``$22.7 M`` in a table cell, and a spreadsheet user
    searches for what they see."""
    return _UNIT_SPACE.sub(NBSP, text)


def print_data_origin(console: Console, origin: str) -> None:
    """The first line of every command's output: where the figures come from
    (:attr:`dealernet.analysis.result.Result.data_origin`)."""
    first, *rest = _wrap(f"Data: {printable(origin, newlines=False)}", console.width)
    console.print(Text.assemble(("Data:", "bold yellow"), first[5:]), *map(Text, rest), sep="\n")


def print_text(console: Console, text: str, style: str = "") -> None:
    """Plain ``text`` (not markup) wrapped at the terminal's width between words, never
    inside a figure or between a figure and its unit."""
    for line in _wrap(unbroken(printable(text, newlines=False)), console.width):
        console.print(Text(line, style=style))


def print_table(console: Console, table: Table, hint: str = FILE_HINT) -> None:
    """Print ``table`` with every figure whole.

    A right-aligned column holds figures (this module's convention) and is never narrower
    than its widest cell; text columns and headers wrap between words when the table is too
    wide (a header's long word folds if it must). When even that does not fit, rows print
    one record per block, as ``duckdb -line`` does, with a note saying why and ``hint``.
    Title and caption wrap at the table's width, not at the terminal's edge mid-word.
    """
    kept = copy.copy(table)
    kept.columns = [
        dataclasses.replace(c, _cells=[unbroken(x) if isinstance(x, str) else x for x in c.cells])
        for c in table.columns
    ]
    widths = column_widths(console, kept)
    if widths is None:
        _print_records(console, kept, hint)
        return
    kept.columns = [
        dataclasses.replace(c, width=w, min_width=None, max_width=None, overflow="fold")
        for c, w in zip(kept.columns, widths, strict=True)
    ]
    console.print(kept, soft_wrap=False)


def column_widths(console: Console, table: Table) -> list[int] | None:
    """Widths of the columns for ``table`` to fit the terminal with no figure cut, or
    ``None`` when it cannot: figure columns as wide as their widest cell, text columns no
    narrower than their longest word, headers than :data:`HEADER_FOLD` (or their longest
    word if shorter); the widest columns are narrowed first."""
    wide = console.options.update_width(_UNLIMITED)
    lows, highs = [], []
    for column in table.columns:
        head = Measurement.get(console, wide, column.header)
        cells = [Measurement.get(console, wide, cell) for cell in column.cells]
        figure = column.justify == "right"
        fold = min(head.minimum, HEADER_FOLD)
        lows.append(max([fold, *(c.maximum if figure else c.minimum for c in cells)]))
        highs.append(max([head.maximum, 1, *(c.maximum for c in cells)]))
    return _share(lows, highs, console.width - _frame_width(console, table))


def _frame_width(console: Console, table: Table) -> int:
    """Columns the borders and padding take (the table's width with one-cell columns)."""
    bare = copy.copy(table)
    bare.columns = [dataclasses.replace(c, width=1, min_width=None) for c in table.columns]
    wide = console.options.update_width(_UNLIMITED)
    return Measurement.get(console, wide, bare).maximum - len(table.columns)


def _share(lows: Sequence[int], highs: Sequence[int], room: int) -> list[int] | None:
    """Widths between ``lows`` and ``highs`` summing to at most ``room``: the widest cut
    down to a common level, the cells left over given back from the left."""
    if sum(lows) > room:
        return None
    if sum(highs) <= room:
        return list(highs)
    level = max(highs)
    while sum(min(max(level, lo), hi) for lo, hi in zip(lows, highs, strict=True)) > room:
        level -= 1
    widths = [min(max(level, lo), hi) for lo, hi in zip(lows, highs, strict=True)]
    narrowed = [i for i, (w, hi) in enumerate(zip(widths, highs, strict=True)) if w < hi]
    for i in narrowed[: room - sum(widths)]:
        widths[i] += 1
    return widths


def _print_records(console: Console, table: Table, hint: str) -> None:
    """One block per row, ``column = value`` a line, a blank line between rows and after
    the last (a caption follows it)."""
    heads = [" ".join(_plain(console, c.header).split()) for c in table.columns]
    pad = max((cell_len(h) for h in heads), default=0)
    if table.title:
        print_text(console, _plain(console, table.title), style="bold")
    note = f"the table is wider than the {console.width}-column terminal: one record per block"
    print_text(console, note + (f"; {hint}" if hint else ""), style="italic")
    if not table.row_count:
        print_text(console, "no rows; columns: " + ", ".join(heads))
    indent = " " * (pad + 3)
    for row in zip(*(c.cells for c in table.columns), strict=True):
        console.print()
        for head, cell in zip(heads, row, strict=True):
            value = _plain(console, cell)
            first, *rest = _wrap(value, console.width - len(indent))
            console.print(Text.assemble((head.rjust(pad), "bold"), " =", f" {first}" * bool(first)))
            for more in rest:
                console.print(Text(indent + more))
    console.print()  # so what follows does not read as part of the last record
    if table.caption:
        print_text(console, _plain(console, table.caption))


def _plain(console: Console, renderable: RenderableType | None) -> str:
    """What a cell, header or title shows, without its markup."""
    if isinstance(renderable, str):
        return console.render_str(renderable).plain
    return renderable.plain if isinstance(renderable, Text) else str(renderable or "")


def _wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width``, broken at ASCII spaces only (never at a
    hyphen of a range, a non-breaking space, or inside a word), at least one line."""
    lines = textwrap.wrap(text, width=max(width, 1), break_long_words=False, break_on_hyphens=False)
    return lines or [""]
