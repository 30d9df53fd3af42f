"""What every command shares: the common options, error handling, progress and loading.

Both :mod:`dealernet.cli.main` and :mod:`dealernet.cli.planning` build on this module, so
neither imports the other's internals. Library imports happen inside the functions:
``dealernet --help`` imports only click, and starts fast.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from dealernet import settings

F = TypeVar("F", bound=Callable[..., Any])


EXIT_INVALID = 1


def make_console(stderr: bool = False) -> Any:
    """The console every command prints through: control characters in any text it is
    given (a dealer name, a file name, an error message) print as visible escapes, so input
    can never drive the terminal (see :mod:`dealernet.cli._console`)."""
    from dealernet.cli._console import safe_console

    return safe_console(stderr=stderr)


def handle_errors(func: F) -> F:
    """Turn dealernet's errors into a message and exit status 1, not a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from dealernet._errors import DealernetError, InvalidInputError

        try:
            with warnings.catch_warnings():
                # dealernet's own warnings (owner spellings, unmatched owner ids) read as
                # notes, not as Python's "file.py:12: UserWarning:" lines
                warnings.simplefilter("always", UserWarning)
                warnings.showwarning = _show_warning
                return func(*args, **kwargs)
        except InvalidInputError as exc:
            if exc.report is not None:
                print_report(exc.report, limit=settings.MAX_PROBLEMS_SHOWN)
            make_console(stderr=True).print(f"[bold red]Error:[/] {escape(str(exc))}")
            sys.exit(EXIT_INVALID)
        except DealernetError as exc:
            make_console(stderr=True).print(f"[bold red]Error:[/] {escape(str(exc))}")
            sys.exit(EXIT_INVALID)
        except KeyboardInterrupt:
            make_console(stderr=True).print("Interrupted; finished outputs are intact.")
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def _show_warning(message: Warning | str, category: type[Warning], *_args: Any, **_kw: Any) -> None:
    if not issubclass(category, UserWarning):
        return
    make_console(stderr=True).print(f"[yellow]Warning:[/] {escape(str(message))}")


def escape(text: str) -> str:
    """``text`` printed as itself: rich markup (``[bold]``) and control characters escaped."""
    from rich.markup import escape

    from dealernet.formatting import printable

    return escape(printable(text))


def print_notes(notes: Iterable[object]) -> None:
    """Each note on standard error: text as it is, a corrected name as the option it came
    from (``--owner 'Maple Lake Automotie' read as 'Maple Lake Automotive'``)."""
    from dealernet import _names

    options = {
        _names.OWNER: "--owner",
        _names.HOST: "--host",
        _names.STATE: "--state",
        _names.PLACE: "--near",
        _names.REGION: "--region",
        _names.COUNTY: "--county",
    }
    console = make_console(stderr=True)
    for note in notes:
        text = note.note(options.get(note.kind)) if isinstance(note, _names.Match) else str(note)
        console.print(f"[yellow]Note:[/] {escape(text)}")


#: Where ``--owners`` keeps its value for :func:`load_dealers` (``click.Context.meta``), so
#: the option reaches every command that reads dealers without a parameter in each one.
OWNERS_FILE = "dealernet.owners_file"


def _remember_owners(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    ctx.meta[OWNERS_FILE] = value


def check_radius(_ctx: click.Context, _param: click.Parameter, value: float | None) -> Any:
    """``--radius-miles`` checked before any work: nan, inf, 0, negative or past half way
    round the Earth is refused with the range, not after a run of several seconds."""
    if value is None:
        return None
    from dealernet._errors import QueryError
    from dealernet.planning.selection import checked_radius

    try:
        return checked_radius(value)
    except QueryError as exc:
        raise click.BadParameter(str(exc)) from None


def refuse_blank(*groups: dict[str, tuple[str, ...]]) -> None:
    """Refuse a filter given an empty value (``--state ""``, often an unset shell variable):
    read as no filter it would quietly answer for the whole network."""
    for group in groups:
        for option, values in group.items():
            if any(not str(v).strip() for v in values):
                msg = (
                    f"{option} is given an empty value. Fix: give it a value, e.g. "
                    f"{option} {_BLANK_EXAMPLES.get(option, 'VALUE')}, or leave {option} out "
                    "to select everything"
                )
                raise click.UsageError(msg)


_BLANK_EXAMPLES = {
    "--state": "TX",
    "--county": '"Cook County, IL"',
    "--region": "South",
    "--owner": '"Maple Lake Automotive"',
    "--host": "SAMPLE-NIS-0001",
    "--near": '"Dallas, TX"',
}


def run_counter(progress: Callable[[str, int, int], None], total: int) -> Callable[[str], None]:
    """A step callback for ``compare`` and ``sweep``: each run started moves the bar one on."""
    started: list[str] = []

    def step(label: str) -> None:
        started.append(label)
        progress(f"Running {label}", len(started) - 1, total)

    return step


def dealers_option(func: F) -> F:
    """``--dealers``, ``--owners`` and ``--skip-invalid``, the same on every command that
    reads dealers."""
    func = click.option(
        "--owners",
        "owners_file",
        type=click.Path(path_type=Path, dir_okay=False),
        expose_value=False,
        callback=_remember_owners,
        help="Owners file (CSV or XLSX: dealer_id, owner_group): who owns which store. "
        "It wins over the owners inferred from names and websites.",
    )(func)
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
        help="Dealer file or folder, or a bundled network: real-2015 (real 2015 locations) or "
        f"sample (synthetic); repeatable. [default: {settings.DEFAULT_DEALERS}]",
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


def out_folder(out: Path, command: str) -> Any:
    """The output folder of a writing command: ``with out_folder(out, "run") as folder``,
    then ``folder.open()`` once the inputs are read (see :mod:`dealernet._outdir`: refuses
    ``/``, home, other people's files and linked subfolders, locks, keeps the manifest)."""
    from dealernet._outdir import output_folder

    return output_folder(out, command)


#: Where :func:`writes_out` keeps the command's output folder (``click.Context.meta``).
OUT_FOLDER = "dealernet.out_folder"


def writes_out(command: str, when: Callable[[dict[str, Any]], bool] | None = None) -> Any:
    """Run the command as a run of its ``--out`` folder (when ``when(kwargs)``, if given):
    checked, locked and recorded (:func:`out_folder`); :func:`open_out_folder`, which
    :func:`analyse` calls once the inputs are read, opens it. Put it below
    :func:`handle_errors`, so the folder's errors print as messages."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if when is not None and not when(kwargs):
                return func(*args, **kwargs)
            context = click.get_current_context()
            with out_folder(kwargs["out"], command) as folder:
                context.meta[OUT_FOLDER] = folder
                try:
                    return func(*args, **kwargs)
                finally:
                    context.meta.pop(OUT_FOLDER, None)

        return wrapper  # type: ignore[return-value]

    return decorate


def open_out_folder() -> None:
    """Open the command's output folder (:func:`writes_out`), if it has one: after the
    inputs are read, before the slow work."""
    context = click.get_current_context(silent=True)
    folder = context.meta.get(OUT_FOLDER) if context is not None else None
    if folder is not None:
        folder.open()


def check_output_file(path: Path | None, option: str = "--output") -> None:
    """Refuse an ``--output`` file that cannot be written, before the slow work."""
    if path is not None:
        from dealernet._outdir import check_output_file as check

        check(path, option)


def analysis_options(func: F) -> F:
    """``--scenario``, ``--assumptions`` and ``--set``: what a run is made with."""
    func = click.option(
        "--set",
        "overrides",
        metavar="KEY=VALUE",
        multiple=True,
        help="Change one setting; repeatable. Assumptions: market.decay_sales.base=2.5; "
        "scenario: rules.nearest.max_distance_miles=25.",
    )(func)
    func = click.option(
        "--assumptions",
        "-a",
        type=click.Path(path_type=Path, dir_okay=False),
        default=settings.DEFAULT_ASSUMPTIONS,
        show_default="the bundled, sourced assumptions",
        help="Impact assumptions file (TOML).",
    )(func)
    return click.option(
        "--scenario",
        "-s",
        default=settings.DEFAULT_SCENARIO,
        show_default=True,
        help="Scenario file (TOML) with the rules to apply, or a bundled one: "
        + ", ".join(settings.bundled_scenarios())
        + " (old names: "
        + ", ".join(f"{old} = {new}" for old, new in settings.SCENARIO_ALIASES.items())
        + ").",
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
    func = click.option(
        "--zip-sales",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Stores' sales by customer ZIP (CSV or XLSX: dealer_id, zip, units): the "
        "market's distance decay is fitted to each store in it and written to "
        "data/decay_fits.csv beside the assumed value.",
    )(func)
    func = click.option(
        "--competitors",
        type=click.Path(path_type=Path),
        help="Competing luxury stores for the market model: a dealer file or a folder of "
        "them (CSV, XLSX, JSON, GeoPackage, with a brand column or brand-named files). "
        "[default: the 2015 rosters of Acura, Audi, BMW, Cadillac, Lexus, Lincoln, "
        "Mercedes-Benz and Volvo]",
    )(func)
    return click.option(
        "--population",
        type=click.Path(path_type=Path),
        help="Population points: a (Geo)Parquet file or a folder of them, with point "
        "geometry or latitude/longitude and a population column. "
        "[default: Census 2020 counts on places and county centres]",
    )(func)


def dealer_paths(dealers: tuple[Path, ...]) -> list[Path]:
    return settings.dealer_paths(dealers)


def print_report(report: Any, limit: int | None, *, columns: bool = False) -> None:
    """Every problem (up to ``limit``) on standard error, then a one-line summary.

    With ``columns``, first how each file was read (headers used and ignored, brands), so a
    user sees at once when a column was missed.
    """
    console = make_console(stderr=True)
    if columns:
        for line in report.column_lines():
            console.print(escape(line))
    for line in report.lines(limit=limit):
        style = "red" if line.startswith("error") else "yellow"
        console.print(escape(line), style=style)
    colour = "green" if report.ok else "red"
    console.print(f"[{colour}]{escape(report.summary())}[/]")


@contextlib.contextmanager
def progress_bar() -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar on standard error, fed by ``(description, done, total)`` calls."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}", markup=False),  # labels quote file names
        BarColumn(),
        TimeElapsedColumn(),
        console=make_console(stderr=True),
        transient=True,
    )
    task = bar.add_task("Starting", total=1)

    def update(description: str, done: int, total: int) -> None:
        bar.update(task, description=description, completed=done, total=total)

    with bar:
        yield update


def load_dealers(
    progress: Callable[[str, int, int], None],
    dealers: tuple[Path, ...],
    skip_invalid: bool,
    steps: int = 1,
) -> Any:
    """Load the dealer files (step 0 of ``steps`` on the bar) and list any rows skipped."""
    from dealernet.io.loader import load_network

    network = load_network(
        dealer_paths(dealers),
        skip_invalid=skip_invalid,
        progress=lambda label, _done, _total: progress(label, 0, steps),
    )
    print_dropped(network.attrs.get("validation"))
    print_warnings(network.attrs.get("validation"))
    context = click.get_current_context(silent=True)
    owners_file = context.meta.get(OWNERS_FILE) if context is not None else None
    return network if owners_file is None else with_owner_file(network, owners_file)


def with_owner_file(network: Any, path: Path) -> Any:
    """The network with ``--owners``' groups (inference then leaves those stores alone)."""
    from dealernet.io.owner_file import apply_owner_file, load_owner_file, unmatched_owner_ids

    mapping = load_owner_file(path)
    network = apply_owner_file(network, mapping, source=f"owners file {path.name}")
    missing = unmatched_owner_ids(network, mapping)
    if missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        print_notes([f"{path}: {len(missing):,} dealer ids match no store (ignored): {shown}"])
    return network


#: Stages of the analysis, as ``pipeline.run`` reports them.
ANALYSIS_STAGES = ("rules", "customer access", "market model", "impacts", "sensitivity", "roll-ups")


def analyse(
    progress: Callable[[str, int, int], None],
    dealers: tuple[Path, ...],
    skip_invalid: bool,
    settings_: tuple[Any, Any],
    *,
    stages: tuple[str, ...] = ANALYSIS_STAGES,
    before_run: Callable[[], None] | None = None,
    **run_options: Any,
) -> Any:
    """Load the dealer files and run the analysis, feeding one progress bar.

    ``stages`` lists every step the command will report, the analysis's first, so the bar
    can show the later steps (tables, maps, reports) on the same scale. ``before_run`` is
    called once the dealer files are read, before the slow work (by default
    :func:`open_out_folder`): a command prepares its output folder there, so bad inputs
    leave it untouched and an unwritable one fails in seconds, not after the analysis.
    """
    from dealernet.analysis import pipeline

    network = load_dealers(progress, dealers, skip_invalid, steps=len(stages))
    (before_run or open_out_folder)()
    scenario, assumptions = settings_
    return pipeline.run(
        network,
        scenario,
        assumptions,
        progress=lambda name: progress(f"Running: {name}", stages.index(name), len(stages)),
        **run_options,
    )


def load_settings(
    scenario: str | Path, assumptions: Path, overrides: tuple[str, ...]
) -> tuple[Any, Any]:
    """The scenario and assumptions, with ``--set`` overrides routed to the right one."""
    from dealernet._overrides import route
    from dealernet.analysis.assumptions import load_assumptions
    from dealernet.engine.scenario import load_scenario

    to_scenario, to_assumptions = route(overrides)  # a malformed --set fails before any read
    if not str(scenario).strip():  # Path("") would be the current folder
        msg = (
            "--scenario is given an empty value. Fix: give a scenario file or a bundled name: "
            + ", ".join(settings.bundled_scenarios())
        )
        raise click.UsageError(msg)
    the_scenario = load_scenario(settings.scenario_path(scenario))
    the_assumptions = load_assumptions(assumptions)
    if to_scenario:
        the_scenario = the_scenario.with_overrides(to_scenario)
    if to_assumptions:
        the_assumptions = the_assumptions.with_overrides(to_assumptions)
    return the_scenario, the_assumptions


def print_dropped(report: Any) -> None:
    if report is None or not report.dropped_rows:
        return
    console = make_console(stderr=True)
    for line in report.lines(limit=settings.MAX_PROBLEMS_SHOWN):
        if line.startswith("error"):
            console.print(escape(line), style="yellow")
    rows = "; ".join(f"{f} {r}" for f, r in report.dropped_rows[:20])
    more = " ..." if len(report.dropped_rows) > 20 else ""
    console.print(
        f"[yellow]Skipped {len(report.dropped_rows):,} invalid rows ({escape(rows)}{more}).[/]"
    )


#: Warnings about the dealer files that analysing commands print before "and N more".
WARNINGS_SHOWN = 3


def print_warnings(report: Any) -> None:
    """The first warnings about the dealer files (owner spellings, states), and how many more:
    a run goes ahead with them, but the user should know what was read differently."""
    found = [] if report is None else report.warnings
    if not found:
        return
    console = make_console(stderr=True)
    for problem in found[:WARNINGS_SHOWN]:
        console.print(escape(problem.describe()), style="yellow")
    if len(found) > WARNINGS_SHOWN:
        more = len(found) - WARNINGS_SHOWN
        console.print(
            f"[yellow]... and {more:,} more warning{'s' if more != 1 else ''}: "
            "dealernet validate lists them all.[/]"
        )


def stop_on_sigterm() -> None:
    """Treat SIGTERM like Ctrl-C, so an interrupted write deletes its temporary file."""
    import signal

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not in the main thread
        signal.signal(signal.SIGTERM, interrupt)
