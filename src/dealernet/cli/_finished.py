"""A command's result and folder: a fresh run of the inputs, or a finished run read back
(``--results OUT``), and the record of what made the run in the folder it writes into.

``query``, ``sql``, ``map`` and ``report`` can all read a finished run instead of
recomputing it; ``map`` and ``report`` then write beside it. Every command that writes a
run folder claims it (:func:`claim_folder`), so a run of other inputs is refused there
unless ``--overwrite``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dealernet.cli._common import F, analyse, load_settings, open_out_folder, progress_bar


def results_option(func: Any) -> Any:
    """``--results OUT``: read a finished run instead of recomputing (:func:`result_of`)."""
    return click.option(
        "--results",
        type=click.Path(path_type=Path, file_okay=False, exists=True),
        help="Read a finished run (the --out folder of `dealernet run`) instead of recomputing.",
    )(func)


def given_options(ctx: click.Context, *names: str) -> list[str]:
    """Options the user typed (not defaults), as --option names."""
    from click.core import ParameterSource

    flags = {"overrides": "--set", "owners_file": "--owners"}
    return [
        flags.get(n, f"--{n.replace('_', '-')}")
        for n in names
        if ctx.get_parameter_source(n) not in (ParameterSource.DEFAULT, None)
    ]


def result_of(
    ctx: click.Context,
    results: Path | None,
    dealers: tuple[Path, ...],
    skip_invalid: bool,
    scenario: str,
    assumptions: Path,
    overrides: tuple[str, ...],
    *,
    draws: bool = True,
    before_run: Callable[[], None] | None = None,
) -> Any:
    """A fresh run of the inputs, or a finished run read back with ``--results``.

    ``before_run`` is called once the inputs are read, before the slow work (it opens the
    output folder; :func:`open_out_folder` by default)."""

    if results is not None:
        from dealernet.planning.saved_run import load_results

        if clash := given_options(ctx, "scenario", "assumptions", "overrides", "owners_file"):
            msg = f"--results reads a finished run; {', '.join(clash)} cannot change it"
            raise click.UsageError(msg)
        with progress_bar() as progress:
            progress("Reading the run's tables", 0, 1)
            finished = load_results(results, dealers=list(dealers) or None, draws=draws)
        (before_run or open_out_folder)()  # the inputs are read: now the output folder
        return finished
    loaded = load_settings(scenario, assumptions, overrides)
    with progress_bar() as progress:
        return analyse(
            progress, dealers, skip_invalid, loaded, before_run=before_run, what_drives=False
        )


def out_of(ctx: click.Context, out: Path, results: Path | None) -> Path:
    """Where a command writes: ``--out`` when given, else the ``--results`` folder it reads
    (its map or reports go beside the run's own), else the default."""
    from click.core import ParameterSource

    if results is not None and ctx.get_parameter_source("out") in (ParameterSource.DEFAULT, None):
        return Path(results)
    return out


def overwrite_option(func: F) -> F:
    """``--overwrite``: replace a run of other inputs in ``--out`` (its files removed)."""
    return click.option(
        "--overwrite",
        is_flag=True,
        help="Replace a run made with another scenario, assumptions or dealer files in "
        "--out; its files are removed once this run has finished. Without it, such a folder "
        "is refused.",
    )(func)


def claim_folder(folder: Any, result: Any, results: Path | None, overwrite: bool) -> None:
    """Record in the output folder what made ``result`` (``run.json``), refusing a folder of
    another run unless ``overwrite``. A run read back (``--results``) into its own folder is
    that folder's run: nothing to check or change."""
    if folder is None:
        return
    if results is not None and Path(results).resolve() == Path(folder.out).resolve():
        return
    from dealernet.outputs.run_record import run_identity

    folder.claim(run_identity(result), overwrite=overwrite)
