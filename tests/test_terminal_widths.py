"""Terminal tables at a fixed width (issue 17): no figure cut, folded or split, origin first.

A reporter copies figures from the terminal, so a table too wide for it must still show
every figure whole (wrapping its text, or printing one record per block), a money figure
must never break between ``$22.7`` and ``M``, and the first line must say where the
figures come from (here the synthetic sample). The commands run through click's
``CliRunner`` with ``COLUMNS`` set, which rich reads for the console's width.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from rich.cells import cell_len

pytest.importorskip("duckdb")

from dealernet.analysis.result import Result
from dealernet.cli._console import SafeConsole
from dealernet.cli.main import cli
from dealernet.formatting import count, miles, money, span
from dealernet.outputs import terminal
from dealernet.outputs.side_by_side import SWEEP_MEASURES
from dealernet.outputs.tables import write_tables
from dealernet.planning.query import query
from dealernet.planning.saved_run import load_results
from dealernet.planning.sql import run_sql
from dealernet.planning.sweep import sweep
from dealernet.settings import NETWORK_LABELS, SAMPLE

OWNERS = "SELECT * FROM owners LIMIT 3"
#: A few columns: narrow enough for an 80-column table, with a text column that wraps.
NARROW = "SELECT owner_group, stores, jobs_lost_base, revenue_lost_base FROM owners LIMIT 3"
SWEPT = "rules.nearest.max_distance_miles"
#: ``name = value`` lines of the one-record-per-block layout.
RECORD = re.compile(r"^ *(\S.*?) =(?: (.*))?$")
MONEY_FIELD = re.compile(r"(revenue_lost|revenue_at_risk|payroll_lost|buyout)_(low|base|high)$")
RANGE = ("low", "base", "high")
FORMATS = {"count": count, "money": money, "miles": miles}


@pytest.fixture(scope="module")
def run_folder(sample_result: Result, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample run's tables, for commands that read a finished run (``--results``)."""
    out = tmp_path_factory.mktemp("run")
    write_tables(sample_result, out)
    return out


def _stdout(args: list[str], width: int) -> list[str]:
    """The command's standard output at a terminal ``width`` columns wide, as lines with
    the non-breaking spaces of the terminal read as spaces; checks every line fits."""
    out = CliRunner().invoke(cli, args, env={"COLUMNS": str(width)})
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    too_wide = [line for line in lines if cell_len(line) > width]
    assert not too_wide, f"lines wider than {width} columns: {too_wide}"
    assert "…" not in out.stdout, out.stdout
    return [line.replace(terminal.NBSP, " ") for line in lines]


def _records(lines: list[str]) -> list[dict[str, str]]:
    """The blocks of the one-record-per-block layout (from the blank line after its note
    to the first line that is not ``name = value``), as dictionaries."""
    note = next(i for i, line in enumerate(lines) if "one record per block" in line)
    blocks: list[dict[str, str]] = []
    for line in lines[lines.index("", note) :]:
        match = RECORD.match(line)
        if line == "":
            blocks.append({})
        elif match is None:
            break
        else:
            blocks[-1][match.group(1)] = match.group(2) or ""
    return [b for b in blocks if b]


def _expected(frame: pd.DataFrame) -> list[dict[str, str]]:
    """Each row of ``frame`` as the terminal writes its values."""
    numeric = {c: pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns}
    return [
        {c: terminal.frame_cell(v, numeric[c]) for c, v in zip(frame.columns, row, strict=True)}
        for row in frame.itertuples(index=False)
    ]


def _whole(figures: list[str], lines: list[str]) -> None:
    """Every figure appears in full on one line, as many times as it should."""
    for figure in set(figures):
        found = sum(line.count(figure) for line in lines)
        assert found >= figures.count(figure), f"{figure!r}: {found} of {figures.count(figure)}"


# --- sql ----------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [80, 120])
def test_sql_of_a_wide_table_shows_every_value_of_its_rows(sample_result, width) -> None:
    lines = _stdout(["sql", "--dealers", "sample", OWNERS], width)
    assert lines[0] == f"Data: {NETWORK_LABELS[SAMPLE]}"  # fits in 80 columns
    assert f"wider than the {width}-column terminal" in " ".join(lines)
    expected = _expected(run_sql(sample_result, OWNERS))
    assert len(expected) == 3 and len(expected[0]) > 20  # wide: many columns
    assert _records(lines) == expected


@pytest.mark.parametrize("width", [60, 80])
def test_sql_of_a_few_columns_is_a_table_with_every_figure_whole(run_folder, width) -> None:
    lines = _stdout(["sql", "--results", str(run_folder), NARROW], width)
    assert not any("one record per block" in line for line in lines)
    body = [line.split("│")[1:-1] for line in lines if "│" in line]
    cells = {c.strip() for row in body for c in row}
    names = " ".join(row[0].strip() for row in body)  # the owner groups, wrapped
    rows = _expected(run_sql(load_results(run_folder, draws=False), NARROW))  # as the command
    full = {row["owner_group"] for row in rows}
    wrapped = any(cell[0].strip() not in full for cell in body)
    assert wrapped == (width == 60)  # at 60 columns the names wrap, the figures do not
    for row in rows:
        assert {row["stores"], row["jobs_lost_base"], row["revenue_lost_base"]} <= cells
        assert row["owner_group"] in names


# --- query and sweep ----------------------------------------------------------------------


def test_query_at_80_columns_shows_every_figure_of_the_answer(sample_result, run_folder):
    lines = _stdout(["query", "--dealers", "sample", "--state", "TX"], 80)
    assert lines[0].startswith("Data: synthetic sample")
    sites = query(sample_result, states=["TX"]).sites
    assert len(sites) > 10
    records = _records(lines)
    assert [r["Store"] for r in records] == list(sites["name"])
    for record, (_, site) in zip(records, sites.iterrows(), strict=True):
        assert record["Jobs lost"] == span(*(site[f"jobs_lost_{x}"] for x in RANGE))
        assert record["Revenue lost"] == span(*(site[f"revenue_lost_{x}"] for x in RANGE), "money")


def test_query_groups_at_80_columns_show_every_total(sample_result, run_folder) -> None:
    args = ["query", "--dealers", "sample", "--group-by", "decision"]
    lines = _stdout(args, 80)
    groups = query(sample_result, group_by="decision").groups
    figures = [
        span(*(g[f"revenue_lost_{x}"] for x in RANGE), "money") for _, g in groups.iterrows()
    ]
    figures += [span(*(g[f"jobs_lost_{x}"] for x in RANGE)) for _, g in groups.iterrows()]
    _whole(figures, lines)
    totals = query(sample_result).totals
    _whole([span(*(totals[f"revenue_lost_{x}"] for x in RANGE), "money")], lines)


def test_sweep_at_80_columns_shows_every_figure_of_the_sweep(sample_network, tmp_path) -> None:
    target = tmp_path / "sweep.csv"
    args = ["sweep", "--dealers", "sample", "--set", f"{SWEPT}=10,30", "--output", str(target)]
    lines = _stdout(args, 80)
    assert lines[0].startswith("Data: synthetic sample")
    totals = sweep(SWEPT, [10, 30], network=sample_network).totals
    assert len(totals) == 2
    figures = []
    for _, row in totals.iterrows():
        for _label, _short, field, fmt, ranged in SWEEP_MEASURES:
            f = FORMATS[fmt]
            low, base, high = (f(row[f"{field}_{x}"]) for x in RANGE) if ranged else ("",) * 3
            figures.append(f"{base} ({low}-{high})" if ranged else f(row[field]))
    _whole(figures, lines)


def test_compare_starts_with_the_data_origin_and_cuts_nothing() -> None:
    lines = _stdout(["compare", "--dealers", "sample", "consolidation", "all-stand-alone"], 80)
    assert lines[0].startswith("Data: synthetic sample")
    assert any("Stores whose decision differs" in line for line in lines)


# --- every width --------------------------------------------------------------------------


def test_no_money_figure_splits_across_lines_at_any_width(sample_result) -> None:
    answers = [query(sample_result, states=["TX"]), query(sample_result, group_by="state")]
    money_fields = [f for f in sample_result.national.index if MONEY_FIELD.match(f)]
    figures = [money(sample_result.national[f]) for f in money_fields]
    for answer in answers:
        frame = answer.sites if answer.groups is None else answer.groups
        for x in RANGE:
            figures += [money(v) for v in frame[f"revenue_lost_{x}"]]
            figures.append(money(answer.totals[f"revenue_lost_{x}"]))  # in its totals line
    for width in range(60, 141):
        console = SafeConsole(file=io.StringIO(), width=width, highlight=False, soft_wrap=True)
        for answer in answers:
            terminal.print_table(console, terminal.query_table(answer))
            terminal.print_text(console, terminal.totals_line(answer.totals, "Infiniti"))
        terminal.print_table(console, terminal.totals_table(sample_result.national))
        text = console.file.getvalue()  # type: ignore[attr-defined]
        assert "…" not in text
        lines = text.splitlines()
        assert max(cell_len(line) for line in lines) <= width
        shown = [line.replace(terminal.NBSP, " ") for line in lines]
        _whole(figures, shown)


def test_units_are_joined_to_their_figures_only_in_the_terminal() -> None:
    assert terminal.unbroken("$22.7 M ($1.2 B-$950 K); 12.3 mi; 58 %") == (
        "$22.7\u00a0M ($1.2\u00a0B-$950\u00a0K); 12.3\u00a0mi; 58\u00a0%"
    )
    assert terminal.unbroken("Route 5 Motors, 3 Main St") == "Route 5 Motors, 3 Main St"
    assert money(22.7e6) == "$22.7 M"  # pages and CSV keep a plain space
