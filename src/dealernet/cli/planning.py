"""The planning commands of ``dealernet``: ``query``, ``sql``, ``compare`` and ``sweep``.

:mod:`dealernet.cli.main` registers them on the ``dealernet`` group. Like the commands there
they only parse arguments, call the library and print, and they take the shared options
(``--dealers``, ``--scenario``, ``--assumptions``, ``--set``, ``--out``) and the error
handling from :mod:`dealernet.cli._common`, so every command reads inputs and fails the
same way.
Heavy imports happen inside the commands, so ``dealernet --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from dealernet import settings
from dealernet.cli._common import (
    analysis_options,
    cdn_option,
    check_output_file,
    check_radius,
    dealers_option,
    escape,
    handle_errors,
    load_dealers,
    load_settings,
    make_console,
    open_out_folder,
    out_option,
    print_notes,
    progress_bar,
    refuse_blank,
    run_counter,
    writes_out,
)
from dealernet.cli._finished import result_of, results_option
from dealernet.formatting import printable
from dealernet.schema import DECISIONS

#: Choices offered on the command line (kept equal to the library's lists by a test; they
#: are spelt out here so that ``--help`` does not import pandas).
GROUP_BY = ("state", "county", "region", "division", "owner", "host", "decision")
QUERY_FORMATS = ("table", "csv", "json", "geojson", "gpkg")
#: Folder of ``--out`` that ``query --map`` writes maps into.
#: Rows ``sql`` fetches by default for the terminal and for ``--output``, and at most: the
#: query streams and stops there, so a cross join of the tables never fills the memory.
SQL_TERMINAL_ROWS = 1_000
SQL_FILE_ROWS = 100_000
SQL_MAX_LIMIT = 10_000_000


@click.command(
    epilog="""\b
Examples:
  dealernet query --state TX --decision absorb
  dealernet query --near "Denver, CO" --radius-miles 60 --group-by owner
  dealernet query --near 39.74,-104.99 --radius-miles 25 --format geojson --output denver.geojson
  dealernet query --region South --group-by state --output south.csv
  dealernet query --county "Cook County, IL" --min-jobs-lost 10 --map
  dealernet query --results maps --owner Sewell --format json
  dealernet query --dealers sample --decision close
  dealernet query --set rules.nearest.max_distance_miles=25 --group-by decision"""
)
@dealers_option
@analysis_options
@results_option
@click.option("--state", "states", multiple=True, help="State code or name; repeatable.")
@click.option(
    "--county", "counties", multiple=True, help='County FIPS code or "Name, ST"; repeatable.'
)
@click.option(
    "--region",
    "regions",
    multiple=True,
    help="Census region or division (South, New England, ...); repeatable.",
)
@click.option(
    "--regions-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Your own named groups of states (TOML, like the shipped regions.toml).",
)
@click.option(
    "--near",
    metavar="PLACE|LAT,LON",
    help='A place ("Denver, CO") or coordinates ("39.74,-104.99").',
)
@click.option(
    "--radius-miles",
    type=float,
    callback=check_radius,
    help="Geodesic miles around --near (default 50).",
)
@click.option("--owner", "owners", multiple=True, help="Owner group; repeatable.")
@click.option(
    "--decision",
    "decisions",
    multiple=True,
    type=click.Choice(DECISIONS, case_sensitive=False),
    help="Repeatable.",
)
@click.option(
    "--host",
    "hosts",
    multiple=True,
    help="Host site (dealer id or name) that takes the stores; repeatable.",
)
@click.option(
    "--min-jobs-lost",
    type=click.FloatRange(min=0),
    help="Only stores losing at least this many jobs (base estimate).",
)
@click.option("--group-by", type=click.Choice(GROUP_BY), help="Totals per group, not sites.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(QUERY_FORMATS),
    help="Output format [default: table, or the --output file's extension].",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file (.csv, .json, .geojson or .gpkg).",
)
@click.option(
    "--map",
    "map_path",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[FILE]",
    help="Also write a map of the selection (default OUT/queries/<selection>.html).",
)
@out_option
@cdn_option
@click.pass_context
@handle_errors
@writes_out("query", when=lambda options: options["map_path"] == "")  # --map into OUT/queries
def query(
    ctx: click.Context,
    dealers: tuple[Path, ...],
    skip_invalid: bool,
    scenario: str,
    assumptions: Path,
    overrides: tuple[str, ...],
    results: Path | None,
    states: tuple[str, ...],
    counties: tuple[str, ...],
    regions: tuple[str, ...],
    regions_file: Path | None,
    near: str | None,
    radius_miles: float | None,
    owners: tuple[str, ...],
    decisions: tuple[str, ...],
    hosts: tuple[str, ...],
    min_jobs_lost: float | None,
    group_by: str | None,
    fmt: str | None,
    output: Path | None,
    map_path: str | None,
    out: Path,
    cdn: bool,
) -> None:
    """Ask which stores close, where, and at what cost: filter, group and export.

    Filters combine with AND (several values of one filter match either). Group ranges are
    percentiles of the summed Monte Carlo draws.
    """
    refuse_blank(
        {"--state": states, "--county": counties, "--region": regions, "--owner": owners},
        {"--host": hosts, "--near": (near,) if near is not None else ()},
    )
    from dealernet.outputs.formats import format_for, query_text
    from dealernet.outputs.terminal import (
        print_data_origin,
        print_table,
        print_text,
        query_table,
        totals_line,
    )
    from dealernet.planning.query import query as run_query

    chosen = format_for(output, fmt, QUERY_FORMATS)
    check_output_file(output)
    check_output_file(Path(map_path) if map_path else None, "--map")
    result = result_of(ctx, results, dealers, skip_invalid, scenario, assumptions, overrides)
    if map_path is not None and hasattr(result, "require_sites"):
        result.require_sites("--map")
    answer = run_query(
        result,
        states=states,
        county=counties,
        region=regions,
        near=near,
        radius_miles=radius_miles,
        owner=owners,
        decision=decisions,
        host=hosts,
        min_jobs_lost=min_jobs_lost,
        group_by=group_by,
        regions_file=regions_file,
    )
    print_notes(answer.corrections)
    console = make_console()
    if output is not None:
        answer.write(output, chosen)
        make_console(stderr=True).print(f"Wrote {escape(str(output))}")
    elif chosen == "table":
        print_data_origin(console, result.data_origin)
        print_table(console, query_table(answer))
        print_text(console, totals_line(answer.totals, result.source_brand))
    elif chosen == "gpkg":
        msg = "a GeoPackage cannot go to the terminal: add --output FILE.gpkg"
        raise click.UsageError(msg)
    else:
        click.echo(printable(query_text(answer, chosen)), nl=False)  # CSV/JSON to a terminal
    if map_path is not None:
        from dealernet.render.maps import write_map

        # queries/, not regions/: a query may use other settings than the run in OUT
        target = (
            Path(map_path)
            if map_path
            else out / settings.QUERIES_DIR / f"{answer.selection.slug}.html"
        )
        write_map(result, target, selection=answer.selection, cdn=cdn, out=out)
        make_console(stderr=True).print(f"Wrote map to {escape(str(target))}")
    print_notes(answer.notes)


@click.command(
    epilog="""\b
Examples:
  dealernet sql "SELECT decision, count(*) AS stores FROM decisions GROUP BY decision"
  dealernet sql "SELECT d.state, sum(i.jobs_lost_base) AS jobs FROM decisions d
                 JOIN impacts i USING (dealer_id) GROUP BY 1 ORDER BY 2 DESC"
  dealernet sql --results maps "SELECT * FROM owners ORDER BY jobs_lost_base DESC LIMIT 10"
  dealernet sql "DESCRIBE impacts"
  dealernet sql "SELECT * FROM access WHERE miles_after > 100" --output far.csv

\b
Tables: sites, decisions, impacts, owners, regions, access, national.
Read-only: statements that write files, attach databases, load extensions or change
settings are refused."""
)
@click.argument("statement")
@dealers_option
@analysis_options
@results_option
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the rows to this file (.csv, .json or .parquet), up to --limit.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=SQL_MAX_LIMIT),
    help=f"Rows to fetch at most; the query stops there. [default: {SQL_TERMINAL_ROWS:,} "
    f"for the terminal, {SQL_FILE_ROWS:,} with --output]",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Rows to print (the file gets them all).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds before a long query is stopped.",
)
@click.pass_context
@handle_errors
def sql(
    ctx: click.Context,
    statement: str,
    dealers: tuple[Path, ...],
    skip_invalid: bool,
    scenario: str,
    assumptions: Path,
    overrides: tuple[str, ...],
    results: Path | None,
    output: Path | None,
    limit: int | None,
    max_rows: int,
    timeout: float,
) -> None:
    """Answer one read-only SQL query (DuckDB) over the result tables."""
    from dealernet.outputs.formats import write_frame
    from dealernet.outputs.terminal import frame_table, print_data_origin, print_table
    from dealernet.planning.sql import MAX_BYTES, check_statement, run_sql

    check_statement(statement)  # refuse before any slow work
    result = result_of(
        ctx, results, dealers, skip_invalid, scenario, assumptions, overrides, draws=False
    )
    cap = limit or (SQL_FILE_ROWS if output is not None else SQL_TERMINAL_ROWS)
    frame = run_sql(result, statement, timeout_seconds=timeout, max_rows=cap)
    more = bool(frame.attrs.get("truncated"))
    if output is not None:
        write_frame(frame, output)
        make_console(stderr=True).print(f"Wrote {len(frame):,} rows to {escape(str(output))}")
    else:
        title = f"the first {len(frame):,} rows of more" if more else f"{len(frame):,} rows"
        console = make_console()
        print_data_origin(console, result.data_origin)
        print_table(console, frame_table(frame, title, limit=max_rows))
    if more:
        where = "wrote" if output is not None else "showing"
        to_file = "" if output is not None else f" or --output FILE ({SQL_FILE_ROWS:,} by default)"
        size = frame.attrs.get("stopped_at_bytes")
        why = f" (answers are capped at {MAX_BYTES / 1024**2:,.0f} MB)" if size else ""
        print_notes(
            [
                f"{where} the first {len(frame):,} rows of more{why}; use --limit N (at most "
                f"{SQL_MAX_LIMIT:,}){to_file} for more rows, or narrow the query with WHERE "
                "or LIMIT."
            ]
        )


@click.command(
    epilog="""\b
Examples:
  dealernet compare announced-2024 consolidation
  dealernet compare announced-2024 consolidation all-stand-alone --output comparison.html
  dealernet compare consolidation.toml conservative.toml --output comparison.csv
  dealernet compare consolidation all-stand-alone \\
      --set market.decay_sales.base=2.5"""
)
@click.argument("scenarios", nargs=-1, required=True)
@dealers_option
@click.option(
    "--assumptions",
    "-a",
    type=click.Path(path_type=Path, dir_okay=False),
    default=settings.DEFAULT_ASSUMPTIONS,
    show_default=True,
    help="Impact assumptions file (TOML), the same for every scenario.",
)
@click.option(
    "--set",
    "overrides",
    metavar="KEY=VALUE",
    multiple=True,
    help="Change one setting in every scenario or in the assumptions; repeatable.",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write an HTML page (.html) or CSV (.csv, plus <name>-sites.csv).",
)
@handle_errors
def compare(
    scenarios: tuple[str, ...],
    dealers: tuple[Path, ...],
    skip_invalid: bool,
    assumptions: Path,
    overrides: tuple[str, ...],
    output: Path | None,
) -> None:
    """Run scenarios side by side and list the stores whose decision differs."""
    from dealernet.outputs.terminal import (
        comparison_table,
        differences_table,
        print_data_origin,
        print_table,
    )
    from dealernet.planning.compare import compare as run_compare
    from dealernet.render.planning_pages import write_comparison

    if output is not None:  # a bad extension should fail before minutes of work
        from dealernet.outputs.formats import format_for

        format_for(output, None, ["csv", "html"])
        check_output_file(output)
    loaded = [load_settings(s, assumptions, overrides) for s in scenarios]
    with progress_bar() as progress:
        network = load_dealers(progress, dealers, skip_invalid, steps=len(loaded))
        step = run_counter(progress, len(loaded))

        comparison = run_compare(
            [s for s, _ in loaded], network=network, assumptions=loaded[0][1], progress=step
        )
    console = make_console()
    print_data_origin(console, comparison.results[0].data_origin)  # one network for all
    print_table(console, comparison_table(comparison))
    print_table(console, differences_table(comparison))
    if output is not None:
        for path in write_comparison(comparison, output):
            make_console(stderr=True).print(f"Wrote {escape(str(path))}")


@click.command(
    epilog="""\b
Examples:
  dealernet sweep --set rules.nearest.max_distance_miles=10,20,30,40,60
  dealernet sweep --scenario conservative \\
      --set rules.short-move.max_distance_miles=5,10,15,25
  dealernet sweep --set market.decay_sales.base=1.5,2,2.5,3 --output decay.html
  dealernet sweep --set 'rules.*.capacity=1,2,3' --output capacity.csv

\b
Exactly one --set lists several values (comma-separated); other --set options are
applied to every run."""
)
@dealers_option
@analysis_options
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write here (.html: charts and table; .csv: the totals) "
    "[default: OUT/sweeps/<setting>.html].",
)
@out_option
@handle_errors
@writes_out("sweep", when=lambda options: options["output"] is None)  # into OUT/sweeps
def sweep(
    dealers: tuple[Path, ...],
    skip_invalid: bool,
    scenario: str,
    assumptions: Path,
    overrides: tuple[str, ...],
    output: Path | None,
    out: Path,
) -> None:
    """Rerun a scenario for several values of one setting and chart the totals."""
    from dealernet.outputs.formats import format_for
    from dealernet.outputs.terminal import print_data_origin, print_table, sweep_table
    from dealernet.planning.sweep import split_overrides
    from dealernet.planning.sweep import sweep as run_sweep
    from dealernet.render.planning_pages import write_sweep
    from dealernet.slugs import slug

    setting, values, fixed = split_overrides(overrides)
    target = output or out / settings.SWEEPS_DIR / f"{slug(setting, prefix='sweep')}.html"
    format_for(target, None, ["csv", "html"])
    check_output_file(output)
    the_scenario, the_assumptions = load_settings(scenario, assumptions, tuple(fixed))
    with progress_bar() as progress:
        network = load_dealers(progress, dealers, skip_invalid, steps=len(values))
        open_out_folder()  # the inputs are read: lock and check OUT before the runs
        step = run_counter(progress, len(values))

        result = run_sweep(
            setting,
            values,
            scenario=the_scenario,
            assumptions=the_assumptions,
            network=network,
            progress=step,
        )
    console = make_console()
    print_data_origin(console, result.results[0].data_origin)  # one network for all values
    print_table(console, sweep_table(result))
    write_sweep(result, target)
    make_console(stderr=True).print(f"Wrote {escape(str(target))}")


#: The commands :mod:`dealernet.cli.main` adds to the ``dealernet`` group.
COMMANDS = (query, sql, compare, sweep)
