"""The ``dealernet`` command: parses arguments, calls the library, prints results.

No analysis happens here. Library errors (:class:`DealernetError`) become a clean message
and exit status 1; nothing a user feeds in should ever show a traceback. Heavy imports
(geopandas, folium) happen inside the commands so ``dealernet --help`` starts fast.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from dealernet import settings
from dealernet.cli._common import (
    ANALYSIS_STAGES,
    EXIT_INVALID,
    analyse,
    analysis_options,
    cdn_option,
    check_output_file,
    check_radius,
    dealer_paths,
    dealers_option,
    escape,
    handle_errors,
    load_settings,
    make_console,
    out_folder,
    out_option,
    population_options,
    print_notes,
    print_report,
    progress_bar,
    refuse_blank,
    stop_on_sigterm,
)
from dealernet.cli._finished import (
    claim_folder,
    out_of,
    overwrite_option,
    result_of,
    results_option,
)
from dealernet.cli.planning import COMMANDS as PLANNING_COMMANDS
from dealernet.cli.serve import serve
from dealernet.formatting import printable

# --- shared options -------------------------------------------------------------------------


# --- commands -----------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="dealernet")
def cli() -> None:
    """dealernet: what happens when Infiniti stores are folded into Nissan showrooms.

    Loads dealer locations, decides which stand-alone stores are absorbed or closed, and
    writes maps, reports and tables of the jobs and revenue at stake.
    """


@cli.command(
    epilog="""\b
Examples:
  dealernet run
  dealernet run --scenario conservative --out results
  dealernet run --dealers sample          # the synthetic sample, with owners and sales
  dealernet run --dealers my_dealers.xlsx --skip-invalid
  dealernet run --set rules.nearest.max_distance_miles=25 --set market.decay_sales.base=2.5
  dealernet run --no-reports                  # tables and the map only, in seconds
  dealernet run --population blocks/ --engine dask --scheduler tcp://10.0.0.5:8786"""
)
@dealers_option
@analysis_options
@out_option
@cdn_option
@population_options
@click.option(
    "--reports/--no-reports",
    default=True,
    show_default=True,
    help="Write the owner reports and the index (most of a run's time on big networks).",
)
@click.option(
    "--sensitivity/--no-sensitivity",
    default=True,
    show_default=True,
    help="Also vary each assumption on its own and run every shipped scenario at base "
    "(data/sensitivity.csv, data/scenarios.csv, the index's tornado charts): a few seconds.",
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(["parquet"]),
    multiple=True,
    help="Also write the GIS layers as GeoParquet (OUT/gis/<layer>.parquet); "
    "dealernet.gpkg and dealernet.xlsx are always written.",
)
@overwrite_option
@handle_errors
def run(
    dealers: tuple[Path, ...],
    skip_invalid: bool,
    scenario: str,
    assumptions: Path,
    overrides: tuple[str, ...],
    out: Path,
    cdn: bool,
    population: Path | None,
    competitors: Path | None,
    zip_sales: Path | None,
    engine: str,
    scheduler: str | None,
    reports: bool,
    sensitivity: bool,
    formats: tuple[str, ...],
    overwrite: bool,
) -> None:
    """Decide every Infiniti store, estimate the losses, and write tables, maps and reports."""
    from dealernet.outputs import terminal
    from dealernet.render.run_folder import STAGES, write_run

    console = make_console()
    loaded = load_settings(scenario, assumptions, overrides)
    writing = STAGES if reports else STAGES[:-1]
    stages = (*ANALYSIS_STAGES, *writing)
    with progress_bar() as progress, out_folder(out, "run") as folder:
        result = analyse(
            progress,
            dealers,
            skip_invalid,
            loaded,
            stages=stages,
            before_run=folder.open,
            population=population,
            competitors=competitors,
            zip_sales=zip_sales,
            engine=engine,
            scheduler=scheduler,
            what_drives=sensitivity,
        )
        first = len(ANALYSIS_STAGES)

        def step(label: str, done: int, _total: int) -> None:
            shown = f"Writing: {label}" if label in writing else label
            progress(shown, first + done, len(stages))

        files = write_run(
            result,
            out,
            reports=reports,
            cdn=cdn,
            formats=formats,
            overwrite=overwrite,
            progress=step,
        )
    terminal.print_run_summary(console, result)
    console.print(escape(terminal.owners_line(result)))
    console.print(f"Wrote {len(files.tables)} tables to {escape(str(out / settings.DATA_DIR))}")
    shown = ", ".join(escape(str(p)) for p in files.bundle if p.parent == out)
    extra = len([p for p in files.bundle if p.parent != out])
    console.print(f"Excel and GIS: {shown}" + (f" and {extra} GeoParquet layers" if extra else ""))
    console.print(f"Map: {escape(str(files.national_map))}")
    print_notes([*result.assumption_notes, *result.rule_notes])
    if reports:
        console.print(
            f"Owner reports: {len(files.owner_reports)} in "
            f"{escape(str(out / settings.OWNERS_DIR))}; "
            f"start at {escape(str(out / settings.INDEX_PAGE))}"
        )


@cli.command(
    epilog="""\b
Examples:
  dealernet validate
  dealernet validate my_dealers.csv my_extra_sites.xlsx
  dealernet validate dealers/ --problems problems.csv"""
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--problems",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write every problem to this CSV file.",
)
@click.option(
    "--max-problems",
    type=click.IntRange(min=0),
    default=settings.MAX_PROBLEMS_SHOWN,
    show_default=True,
    help="How many problems to print (all are counted).",
)
@handle_errors
def validate(paths: tuple[Path, ...], problems: Path | None, max_problems: int) -> None:
    """Check dealer files and list every problem with where it is and how to fix it.

    Exits with status 1 when there are errors, 0 when there are none (warnings allowed).
    """
    from dealernet.io.loader import validate_network

    with progress_bar() as progress:
        report = validate_network(dealer_paths(paths), progress=progress)
    print_report(report, limit=max_problems, columns=True)
    if problems is not None:
        from dealernet._atomic import write_text
        from dealernet._csv import csv_text

        # like every CSV we write: a value '=HYPERLINK(...)' must not run in a spreadsheet
        write_text(problems, csv_text(report.to_frame()))
        shown = escape(str(problems))
        make_console(stderr=True).print(f"Wrote {len(report.problems):,} problems to {shown}")
    if not report.ok:
        sys.exit(EXIT_INVALID)


@cli.command(
    epilog="""\b
Examples:
  dealernet sample
  dealernet sample --seed 7 --out /tmp/other_sample
  dealernet sample --scale 10 --out big_sample    # 1,970 Infiniti and 10,710 Nissan sites"""
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),  # numpy's generators refuse negative seeds
    default=settings.SAMPLE_SEED,
    show_default=True,
    help="Random seed (0 or more); the same seed gives the same bytes.",
)
@click.option(
    "--scale",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Times the sample's 197 Infiniti and 1,071 Nissan sites (at most 50), to try a big "
    "network; the shares of co-located and dual-owned stores stay the same.",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(settings.SAMPLE),
    show_default=True,
    help="Folder to write infiniti.csv and nissan.csv into (then --dealers FOLDER reads it).",
)
@handle_errors
def sample(seed: int, scale: float, out: Path) -> None:
    """Write the synthetic sample network (197 Infiniti, 1,071 Nissan sites; --scale N: N x)."""
    from dealernet.io.sample import write_sample

    for path in write_sample(out, seed, scale):
        click.echo(printable(f"Wrote {path}"))


@cli.command(
    name="map",
    epilog="""\b
Examples:
  dealernet map --state TX
  dealernet map --near "Denver, CO" --radius-miles 60
  dealernet map --near 32.78,-96.80 --radius-miles 40 --output dallas.html
  dealernet map --dealers sample --owner "Maple Lake Automotive"
  dealernet map --owner Sewell --state TX --state OK""",
)
@click.option(
    "--state", "states", metavar="ST", multiple=True, help="State code or name; repeatable."
)
@click.option(
    "--owner",
    "owners",
    metavar="NAME",
    multiple=True,
    help="Owner group; repeatable (`dealernet query --group-by owner` lists them).",
)
@click.option("--near", metavar="PLACE", help='A place ("Dallas, TX") or "LAT,LON".')
@click.option(
    "--radius-miles",
    type=float,
    callback=check_radius,
    help="Radius around --near, geodesic miles. [default: 50]",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the map here instead of OUT/regions/<name>.html.",
)
@dealers_option
@analysis_options
@results_option
@out_option
@cdn_option
@overwrite_option
@click.pass_context
@handle_errors
def map_command(
    ctx: click.Context,
    states: tuple[str, ...],
    owners: tuple[str, ...],
    near: str | None,
    radius_miles: float | None,
    output: Path | None,
    dealers: tuple[Path, ...],
    skip_invalid: bool,
    scenario: str,
    assumptions: Path,
    overrides: tuple[str, ...],
    results: Path | None,
    out: Path,
    cdn: bool,
    overwrite: bool,
) -> None:
    """Write an offline map of a state, an owner group or the area around a place.

    With --results OUT the map is drawn from that finished run (into OUT/regions/ unless
    --out or --output says otherwise), without rerunning it."""
    from dealernet.planning.selection import select
    from dealernet.render.maps import map_path, write_map

    if radius_miles is not None and near is None:
        raise click.UsageError("--radius-miles needs --near")
    refuse_blank(
        {"--state": states, "--owner": owners, "--near": (near,) if near is not None else ()}
    )
    out = out_of(ctx, out, results)
    check_output_file(output)
    # a map into --out (regions/) is a run of the folder; --output FILE is a file of its own
    writes = contextlib.nullcontext(None) if output else out_folder(out, "map")
    with writes as folder:
        ready = None if folder is None else folder.open
        result = result_of(
            ctx, results, dealers, skip_invalid, scenario, assumptions, overrides, before_run=ready
        )
        claim_folder(folder, result, results, overwrite)
        selection = select(
            result, states=states, owners=owners, near=near, radius_miles=radius_miles
        )
        path = write_map(result, output or map_path(out, selection), selection, cdn=cdn, out=out)
    print_notes(selection.corrections)
    click.echo(printable(str(path)))


@cli.command(
    epilog="""\b
Examples:
  dealernet report --owner Sewell
  dealernet report --results maps --owner "herb chambers"
  dealernet report --dealers sample --owner "maple lake" --owner "Prairie Lake Motors"
  dealernet report --all --out results
  dealernet report --all --pdf --paper a4"""
)
@click.option(
    "--owner",
    "owners",
    metavar="NAME",
    multiple=True,
    help="Owner group to report on; repeatable. Case and spacing do not matter; "
    "part of the name or a close spelling is enough. The 2015 roster's groups are inferred "
    "from store names (Sewell, Herb Chambers); `dealernet query --group-by owner` lists them.",
)
@click.option(
    "--all",
    "all_owners",
    is_flag=True,
    help="Report on every owner group with a store absorbed or closed.",
)
@click.option(
    "--pdf", is_flag=True, help="Also print each report to PDF (headless Chromium, or WeasyPrint)."
)
@click.option(
    "--paper",
    type=click.Choice(["letter", "a4"], case_sensitive=False),
    default="letter",
    show_default=True,
    help="Paper size of the PDFs.",
)
@dealers_option
@analysis_options
@results_option
@out_option
@overwrite_option
@click.pass_context
@handle_errors
def report(
    ctx: click.Context,
    owners: tuple[str, ...],
    all_owners: bool,
    pdf: bool,
    paper: str,
    dealers: tuple[Path, ...],
    skip_invalid: bool,
    scenario: str,
    assumptions: Path,
    overrides: tuple[str, ...],
    results: Path | None,
    out: Path,
    overwrite: bool,
) -> None:
    """Write printable owner reports: stores affected, where they go, what is lost and why.

    Reports go to OUT/owners/<name>.html (with a CSV of the group's rows), and OUT/index.html
    lists every owner group affected. With --results OUT they are written from that
    finished run (into it, unless --out says otherwise), without rerunning it.
    """
    if bool(owners) == all_owners:
        raise click.UsageError("give --owner NAME (repeatable) or --all")
    from dealernet.render.reports import check_pdf_ready, owner_matches, write_reports

    if pdf:
        check_pdf_ready()  # before the analysis: a missing browser is said at once

    out = out_of(ctx, out, results)
    with out_folder(out, "report") as folder:
        if results is not None:
            result = result_of(
                ctx,
                results,
                dealers,
                skip_invalid,
                scenario,
                assumptions,
                overrides,
                before_run=folder.open,
            )
        else:
            loaded = load_settings(scenario, assumptions, overrides)
            with progress_bar() as progress:
                result = analyse(progress, dealers, skip_invalid, loaded, before_run=folder.open)
        claim_folder(folder, result, results, overwrite)
        matches = [] if all_owners else owner_matches(result, owners)
        names = None if all_owners else list(dict.fromkeys(m.value for m in matches))
        with progress_bar() as progress:
            written = write_reports(result, out, names, pdf=pdf, paper=paper, progress=progress)
    print_notes(m for m in matches if not m.exact)
    console = make_console()
    reports = [
        p for p in written if p.suffix in (".html", ".pdf") and p.parent.name == settings.OWNERS_DIR
    ]
    for path in reports[:20]:
        console.print(f"Wrote {escape(str(path))}")
    if len(reports) > 20:
        console.print(f"... and {len(reports) - 20:,} more")
    console.print(f"Index of owner groups: {escape(str(Path(out) / 'index.html'))}")


for _command in PLANNING_COMMANDS:
    cli.add_command(_command)
cli.add_command(serve)


# --- printing -----------------------------------------------------------------------------


def main() -> None:
    """Entry point of the ``dealernet`` console script."""
    stop_on_sigterm()
    cli(prog_name="dealernet")
