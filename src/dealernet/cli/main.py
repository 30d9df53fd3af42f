"""The ``dealernet`` command: parses arguments, calls the library, prints results.

No analysis happens here. Library errors (:class:`DealernetError`) become a clean message
and exit status 1; nothing a user feeds in should ever show a traceback. Heavy imports
(geopandas, folium) happen inside the commands so ``dealernet --help`` starts fast.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from dealernet import settings

F = TypeVar("F", bound=Callable[..., Any])

EXIT_INVALID = 1


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def handle_errors(func: F) -> F:
    """Turn dealernet's errors into a message and exit status 1, not a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from dealernet._errors import DealernetError, InvalidInputError

        try:
            return func(*args, **kwargs)
        except InvalidInputError as exc:
            if exc.report is not None:
                _print_report(exc.report, limit=settings.MAX_PROBLEMS_SHOWN)
            _console(stderr=True).print(f"[bold red]Error:[/] {_escape(str(exc))}")
            sys.exit(EXIT_INVALID)
        except DealernetError as exc:
            _console(stderr=True).print(f"[bold red]Error:[/] {_escape(str(exc))}")
            sys.exit(EXIT_INVALID)
        except KeyboardInterrupt:
            _console(stderr=True).print("Interrupted; finished outputs are intact.")
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


# --- shared options -------------------------------------------------------------------------


def dealers_option(func: F) -> F:
    """``--dealers`` and ``--skip-invalid``, the same on every command that reads dealers."""
    func = click.option(
        "--skip-invalid",
        is_flag=True,
        help="Drop rows with errors (and list them) instead of refusing the input.",
    )(func)
    return click.option(
        "--dealers",
        "-d",
        type=click.Path(path_type=Path),
        multiple=True,
        help=f"Dealer file or folder; repeatable. [default: {settings.DEFAULT_DEALERS}]",
    )(func)


def out_option(func: F) -> F:
    """``--out``: the folder every output goes into."""
    return click.option(
        "--out",
        "-o",
        type=click.Path(path_type=Path, file_okay=False),
        default=settings.DEFAULT_OUT,
        show_default=True,
        help="Folder for maps, reports and tables.",
    )(func)


def analysis_options(func: F) -> F:
    """``--scenario``, ``--assumptions`` and ``--set``: what a run is made with."""
    func = click.option(
        "--set",
        "overrides",
        metavar="KEY=VALUE",
        multiple=True,
        help="Change one setting; repeatable. Assumptions: retention.sales.base=0.5; "
        "scenario: rules.nearest.max_distance_miles=25.",
    )(func)
    func = click.option(
        "--assumptions",
        "-a",
        type=click.Path(path_type=Path, dir_okay=False),
        default=settings.DEFAULT_ASSUMPTIONS,
        show_default=True,
        help="Impact assumptions file (TOML).",
    )(func)
    return click.option(
        "--scenario",
        "-s",
        type=click.Path(path_type=Path, dir_okay=False),
        default=settings.DEFAULT_SCENARIO,
        show_default=True,
        help="Scenario file (TOML) with the rules to apply.",
    )(func)


def cdn_option(func: F) -> F:
    """``--cdn``: link Leaflet from a CDN instead of inlining it (smaller, needs internet)."""
    return click.option(
        "--cdn",
        is_flag=True,
        help="Load Leaflet from a CDN instead of inlining it: smaller maps that need internet.",
    )(func)


def population_options(func: F) -> F:
    """``--population``, ``--engine`` and ``--scheduler``: where customers live, and how to
    compute their access."""
    func = click.option(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler for --engine dask, e.g. tcp://10.0.0.5:8786. "
        "[default: a local cluster on this machine]",
    )(func)
    func = click.option(
        "--engine",
        type=click.Choice(["memory", "dask"]),
        default="memory",
        show_default=True,
        help="Compute customer access in this process, or with Dask for population data "
        "too big for one machine (pip install 'dealernet[dask]').",
    )(func)
    return click.option(
        "--population",
        type=click.Path(path_type=Path),
        help="Population points: a (Geo)Parquet file or a folder of them, with point "
        "geometry or latitude/longitude and a population column. [default: US places]",
    )(func)


def _dealer_paths(dealers: tuple[Path, ...]) -> list[Path]:
    return list(dealers) if dealers else [settings.find_default(settings.DEFAULT_DEALERS)]


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
  dealernet run --scenario data/scenarios/conservative.toml --out results
  dealernet run --dealers my_dealers.xlsx --skip-invalid
  dealernet run --set rules.nearest.max_distance_miles=25 --set retention.sales.base=0.5
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
@handle_errors
def run(
    dealers: tuple[Path, ...],
    skip_invalid: bool,
    scenario: Path,
    assumptions: Path,
    overrides: tuple[str, ...],
    out: Path,
    cdn: bool,
    population: Path | None,
    engine: str,
    scheduler: str | None,
    reports: bool,
) -> None:
    """Decide every Infiniti store, estimate the losses, and write tables, maps and reports."""
    from dealernet._atomic import remove_stale_temporaries
    from dealernet.outputs import terminal
    from dealernet.outputs.tables import write_tables
    from dealernet.render.maps import map_path, write_map
    from dealernet.render.reports import OWNERS_DIR, write_reports

    console = _console()
    loaded = _load_settings(scenario, assumptions, overrides)
    stages = (*ANALYSIS_STAGES, "tables", "map", *(("owner reports",) if reports else ()))
    with _progress_bar() as progress:
        remove_stale_temporaries(out)
        result = _analyse(progress, dealers, skip_invalid, loaded, stages=stages,
                          population=population, engine=engine, scheduler=scheduler)  # fmt: skip

        def stage(name: str) -> None:
            progress(f"Writing: {name}", stages.index(name), len(stages))

        stage("tables")
        written = write_tables(result, out)
        stage("map")
        national_map = write_map(result, map_path(out), cdn=cdn, out=out)
        pages: list[Path] = []
        if reports:
            stage("owner reports")
            pages = write_reports(
                result,
                out,
                progress=lambda label, _d, _t: progress(label, len(stages) - 1, len(stages)),
            )
    terminal.print_run_summary(console, result)
    console.print(f"Wrote {len(written)} tables to {_escape(str(out / 'data'))}")
    console.print(f"Map: {_escape(str(national_map))}")
    if reports:
        owner_pages = [p for p in pages if p.suffix == ".html" and p.parent.name == OWNERS_DIR]
        console.print(
            f"Owner reports: {len(owner_pages)} in {_escape(str(out / OWNERS_DIR))}; "
            f"start at {_escape(str(out / 'index.html'))}"
        )


@cli.command(
    epilog="""\b
Examples:
  dealernet validate
  dealernet validate data/dealers/infiniti.csv my_extra_sites.xlsx
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
    from dealernet.io.loader import validate_files

    with _progress_bar() as progress:
        report = validate_files(_dealer_paths(paths), progress=progress)
    _print_report(report, limit=max_problems)
    if problems is not None:
        from dealernet._atomic import write_csv

        write_csv(report.to_frame(), problems)
        _console(stderr=True).print(f"Wrote {len(report.problems):,} problems to {problems}")
    if not report.ok:
        sys.exit(EXIT_INVALID)


@cli.command(
    epilog="""\b
Examples:
  dealernet sample
  dealernet sample --seed 7 --out /tmp/other_sample"""
)
@click.option("--seed", type=int, default=settings.SAMPLE_SEED, show_default=True,
              help="Random seed; the same seed gives the same bytes.")  # fmt: skip
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path, file_okay=False),
    default=settings.DEFAULT_DEALERS,
    show_default=True,
    help="Folder to write infiniti.csv and nissan.csv into.",
)
@handle_errors
def sample(seed: int, out: Path) -> None:
    """Write the synthetic sample network (197 Infiniti, 1,071 Nissan sites)."""
    from dealernet.io.sample import write_sample

    for path in write_sample(out, seed):
        click.echo(f"Wrote {path}")


@cli.command(
    name="map",
    epilog="""\b
Examples:
  dealernet map --state TX
  dealernet map --near "Denver, CO" --radius-miles 60
  dealernet map --near 32.78,-96.80 --radius-miles 40 --output dallas.html
  dealernet map --owner "Lone Star Auto Group" --state TX --state OK""",
)
@click.option("--state", "states", metavar="ST", multiple=True,
              help="State code or name; repeatable.")  # fmt: skip
@click.option("--owner", "owners", metavar="NAME", multiple=True,
              help="Owner group; repeatable.")  # fmt: skip
@click.option("--near", metavar="PLACE", help='A place ("Dallas, TX") or "LAT,LON".')
@click.option("--radius-miles", type=click.FloatRange(min=0, min_open=True),
              help="Radius around --near, geodesic miles. [default: 50]")  # fmt: skip
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the map here instead of OUT/regions/<name>.html.")  # fmt: skip
@dealers_option
@analysis_options
@out_option
@cdn_option
@handle_errors
def map_command(
    states: tuple[str, ...],
    owners: tuple[str, ...],
    near: str | None,
    radius_miles: float | None,
    output: Path | None,
    dealers: tuple[Path, ...],
    skip_invalid: bool,
    scenario: Path,
    assumptions: Path,
    overrides: tuple[str, ...],
    out: Path,
    cdn: bool,
) -> None:
    """Write an offline map of a state, an owner group or the area around a place."""
    from dealernet.planning.selection import select
    from dealernet.render.maps import map_path, write_map

    if radius_miles is not None and near is None:
        raise click.UsageError("--radius-miles needs --near")
    loaded = _load_settings(scenario, assumptions, overrides)
    stages = (*ANALYSIS_STAGES, "map")
    with _progress_bar() as progress:
        result = _analyse(progress, dealers, skip_invalid, loaded, stages=stages)
        selection = select(result, states=states, owners=owners, near=near,
                           radius_miles=radius_miles)  # fmt: skip
        progress("Drawing the map", stages.index("map"), len(stages))
        path = write_map(result, output or map_path(out, selection), selection, cdn=cdn, out=out)
    click.echo(str(path))


@cli.command(
    epilog="""\b
Examples:
  dealernet report --owner "Maple Lake Automotive"
  dealernet report --owner "maple lake" --owner "Prairie Lake Motors" --pdf
  dealernet report --all --out results
  dealernet report --all --pdf --paper a4"""
)
@click.option("--owner", "owners", metavar="NAME", multiple=True,
              help="Owner group to report on; repeatable. Case and spacing do not matter; "
              "part of the name or a close spelling is enough.")  # fmt: skip
@click.option("--all", "all_owners", is_flag=True,
              help="Report on every owner group with a store absorbed or closed.")  # fmt: skip
@click.option("--pdf", is_flag=True,
              help="Also print each report to PDF (headless Chromium, or WeasyPrint).")  # fmt: skip
@click.option("--paper", type=click.Choice(["letter", "a4"], case_sensitive=False),
              default="letter", show_default=True, help="Paper size of the PDFs.")  # fmt: skip
@dealers_option
@analysis_options
@out_option
@handle_errors
def report(
    owners: tuple[str, ...],
    all_owners: bool,
    pdf: bool,
    paper: str,
    dealers: tuple[Path, ...],
    skip_invalid: bool,
    scenario: Path,
    assumptions: Path,
    overrides: tuple[str, ...],
    out: Path,
) -> None:
    """Write printable owner reports: stores affected, where they go, what is lost and why.

    Reports go to OUT/owners/<name>.html (with a CSV of the group's rows), and OUT/index.html
    lists every owner group affected.
    """
    if bool(owners) == all_owners:
        raise click.UsageError("give --owner NAME (repeatable) or --all")
    from dealernet.render.reports import OWNERS_DIR, match_owners, write_reports

    loaded = _load_settings(scenario, assumptions, overrides)
    with _progress_bar() as progress:
        result = _analyse(progress, dealers, skip_invalid, loaded)
        names = None if all_owners else match_owners(result, owners)
        written = write_reports(result, out, names, pdf=pdf, paper=paper, progress=progress)
    console = _console()
    reports = [p for p in written if p.suffix in (".html", ".pdf") and p.parent.name == OWNERS_DIR]
    for path in reports[:20]:
        console.print(f"Wrote {_escape(str(path))}")
    if len(reports) > 20:
        console.print(f"... and {len(reports) - 20:,} more")
    console.print(f"Index of owner groups: {_escape(str(Path(out) / 'index.html'))}")


def _add_planning_commands() -> None:
    """Register ``query``, ``sql``, ``compare`` and ``sweep`` (in :mod:`dealernet.cli.planning`).

    They use the shared options above, so they are imported once those exist.
    """
    from dealernet.cli.planning import COMMANDS

    for command in COMMANDS:
        cli.add_command(command)


_add_planning_commands()


# --- printing -----------------------------------------------------------------------------


def _print_report(report: Any, limit: int | None) -> None:
    """Every problem (up to ``limit``) on standard error, then a one-line summary."""
    console = _console(stderr=True)
    for line in report.lines(limit=limit):
        style = "red" if line.startswith("error") else "yellow"
        console.print(_escape(line), style=style)
    colour = "green" if report.ok else "red"
    console.print(f"[{colour}]{_escape(report.summary())}[/]")


@contextlib.contextmanager
def _progress_bar() -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar on standard error, fed by ``(description, done, total)`` calls."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=_console(stderr=True),
        transient=True,
    )
    task = bar.add_task("Starting", total=1)

    def update(description: str, done: int, total: int) -> None:
        bar.update(task, description=description, completed=done, total=total)

    with bar:
        yield update


def _load_dealers(
    progress: Callable[[str, int, int], None],
    dealers: tuple[Path, ...],
    skip_invalid: bool,
    steps: int = 1,
) -> Any:
    """Load the dealer files (step 0 of ``steps`` on the bar) and list any rows skipped."""
    from dealernet.io.loader import load_network

    network = load_network(
        _dealer_paths(dealers),
        skip_invalid=skip_invalid,
        progress=lambda label, _done, _total: progress(label, 0, steps),
    )
    _print_dropped(network.attrs.get("validation"))
    return network


#: Stages of the analysis, as ``pipeline.run`` reports them.
ANALYSIS_STAGES = ("rules", "customer access", "impacts", "roll-ups")


def _analyse(
    progress: Callable[[str, int, int], None],
    dealers: tuple[Path, ...],
    skip_invalid: bool,
    settings_: tuple[Any, Any],
    *,
    stages: tuple[str, ...] = ANALYSIS_STAGES,
    **run_options: Any,
) -> Any:
    """Load the dealer files and run the analysis, feeding one progress bar.

    ``stages`` lists every step the command will report, the analysis's first, so the bar
    can show the later steps (tables, maps, reports) on the same scale.
    """
    from dealernet.analysis import pipeline

    network = _load_dealers(progress, dealers, skip_invalid, steps=len(stages))
    scenario, assumptions = settings_
    return pipeline.run(
        network,
        scenario,
        assumptions,
        progress=lambda name: progress(f"Running: {name}", stages.index(name), len(stages)),
        **run_options,
    )


def _load_settings(
    scenario: Path, assumptions: Path, overrides: tuple[str, ...]
) -> tuple[Any, Any]:
    """The scenario and assumptions, with ``--set`` overrides routed to the right one."""
    from dealernet.analysis.assumptions import load_assumptions, parse_overrides
    from dealernet.engine.scenario import load_scenario, parse_override
    from dealernet.settings import SCENARIO_SECTIONS

    the_scenario = load_scenario(settings.find_default(scenario))
    the_assumptions = load_assumptions(settings.find_default(assumptions))
    to_scenario = [o for o in overrides if o.split(".", 1)[0].strip() in SCENARIO_SECTIONS]
    to_assumptions = [o for o in overrides if o not in to_scenario]
    if to_scenario:
        the_scenario = the_scenario.with_overrides(dict(map(parse_override, to_scenario)))
    if to_assumptions:
        the_assumptions = the_assumptions.with_overrides(parse_overrides(to_assumptions))
    return the_scenario, the_assumptions


def _print_dropped(report: Any) -> None:
    if report is None or not report.dropped_rows:
        return
    console = _console(stderr=True)
    for line in report.lines(limit=settings.MAX_PROBLEMS_SHOWN):
        if line.startswith("error"):
            console.print(_escape(line), style="yellow")
    rows = "; ".join(f"{f} {r}" for f, r in report.dropped_rows[:20])
    more = " ..." if len(report.dropped_rows) > 20 else ""
    console.print(
        f"[yellow]Skipped {len(report.dropped_rows):,} invalid rows ({_escape(rows)}{more}).[/]"
    )


def _stop_on_sigterm() -> None:
    """Treat SIGTERM like Ctrl-C, so an interrupted write deletes its temporary file."""
    import signal

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not in the main thread
        signal.signal(signal.SIGTERM, interrupt)


def main() -> None:
    """Entry point of the ``dealernet`` console script."""
    _stop_on_sigterm()
    cli(prog_name="dealernet")
