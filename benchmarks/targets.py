"""The rows of issue 19's targets: the whole run against ``--no-reports``, the run at ten
times the network, the rule engine's growth and re-deciding after one rule changes.

Every comparison with a peer runs them in turn (``A B A B ...``, :func:`alternate`) and
reports the medians, their ratio and the load average over the runs; counts (reports
written, stores, host sites) are read from the run itself, never assumed.
"""

from __future__ import annotations

import itertools
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.measure import Measured, alternate, measure, median_of, run_child
from benchmarks.row import Row, missed
from benchmarks.synthetic import Size, write_network

SECTION = "targets"
#: Whole run with every report at most this many times the ``--no-reports`` run.
REPORTS_RATIO = 1.6
#: Whole run on the sample with every report, wall seconds.
WHOLE_RUN_SECONDS = 4.0
#: At ten times the network: wall seconds and MB.
SCALED_SECONDS, SCALED_MB, SCALED_AT = 30.0, 1200.0, 10.0
#: Rules at 20x the network cost at most this many times the 1x cost (CPU).
RULES_GROWTH, RULES_SIZES = 25.0, (1.0, 20.0)
#: Re-deciding after one rule's distance limit changes, seconds; the limits each timed call
#: moves to in turn (miles).
REDECIDE_SECONDS, REDECIDE_LIMITS = 0.5, (10.0, 20.0, 15.0)


def _command() -> list[str]:
    exe = shutil.which("dealernet")
    return [exe] if exe else [sys.executable, "-m", "dealernet"]


class RunFailed(RuntimeError):
    """A measured command exited with an error."""


def _run_counts(out: Path) -> dict[str, Any]:
    """What a finished run folder holds: reports written, source stores, host sites."""
    import pandas as pd

    from dealernet.settings import DATA_DIR, OWNERS_DIR

    summary = json.loads((out / DATA_DIR / "summary.json").read_text(encoding="utf-8"))
    source = summary["scenario"]["source_brand"]
    hosts = set(summary["scenario"].get("host_brands") or [summary["scenario"]["host_brand"]])
    brands = pd.concat(
        [pd.read_csv(p, usecols=["brand"], dtype=str) for p in summary["dealer_files"]]
    )["brand"]
    owners = out / OWNERS_DIR
    return {
        "reports": len(list(owners.glob("*.html"))) if owners.is_dir() else 0,
        "stores": int(summary["national"]["stores"]),
        "affected": int(summary["national"]["stores_affected"]),
        "source": source,
        "hosts": int(brands.isin(hosts).sum()),
        "host_brand": "/".join(sorted(hosts)),
    }


def _said(counts: dict[str, Any]) -> str:
    return (
        f"{counts['reports']:,} owner reports written; {counts['stores']:,} {counts['source']} "
        f"stores ({counts['affected']:,} absorbed or closed), {counts['hosts']:,} "
        f"{counts['host_brand']} sites"
    )


def _dealernet_run(
    dealers: str, work: Path, extra: Sequence[str], *, reports: bool
) -> Callable[[], tuple[dict[str, Any], Measured]]:
    """A callable that runs ``dealernet run`` once into a fresh folder: (counts, Measured)."""
    numbers = itertools.count(1)

    def one() -> tuple[dict[str, Any], Measured]:
        out = work / f"run-{'reports' if reports else 'no-reports'}-{next(numbers)}"
        args = [*_command(), "run", "--dealers", dealers, "--out", str(out), *extra]
        done, m = run_child([*args, *([] if reports else ["--no-reports"])], cwd=work, tree=True)
        try:
            if done.returncode:
                tail = done.stderr.strip().splitlines()[-1:] or ["no message"]
                raise RunFailed(f"exit {done.returncode}: {tail[0][:150]}")
            return _run_counts(out), m
        finally:
            shutil.rmtree(out, ignore_errors=True)

    return one


def _memory(m: Measured) -> str:
    if m.tree_mb is None:
        return ""
    return f"; with its worker processes {m.tree_mb:,.0f} MB (sum of PSS)"


def whole_run(
    rounds: int = 3,
    dealers: str = "sample",
    extra: Sequence[str] = (),
    scale: float | None = None,
) -> list[Row]:
    """``dealernet run`` with every report against ``--no-reports``, alternated.

    ``scale``: instead of ``dealers``, the sample made that many times as big (``--quick``
    uses a twentieth of it).
    """
    names = ("whole run, every report", "whole run --no-reports")
    target_ratio = f"<= {REPORTS_RATIO:g}x"
    work = Path(tempfile.mkdtemp(prefix="dealernet-bench-run-"))
    size = dealers if scale is None else Size.scaled(scale).label
    options = f"; options {' '.join(extra)}" if extra else ""
    try:
        if scale is not None:
            dealers = str(work / "dealers")
            write_network(Size.scaled(scale), Path(dealers))
        alt = alternate(
            {
                names[0]: _dealernet_run(dealers, work, extra, reports=True),
                names[1]: _dealernet_run(dealers, work, extra, reports=False),
            },
            rounds,
        )
    except RunFailed as exc:
        why = f"dealernet run failed: {exc}"
        return [
            missed(SECTION, f"(a) {names[0]}: wall time", size, f"< {WHOLE_RUN_SECONDS:g} s", why),
            missed(SECTION, f"(a) {names[0]} / {names[1]}", size, target_ratio, why),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    full, bare = alt.median(names[0]), alt.median(names[1])
    ratio = alt.ratio(*names)
    return [
        Row.of(
            SECTION,
            f"(a) {names[0]}: dealernet run"
            + (f" --dealers {dealers}" if scale is None else ", a scaled sample"),
            size,
            full,
            figure=f"{_said(alt.results[names[0]])}; {alt.how()}{_memory(full)}{options}",
            target=f"< {WHOLE_RUN_SECONDS:g} s wall",
            ok=full.seconds < WHOLE_RUN_SECONDS,
        ),
        Row.of(
            SECTION,
            f"(a) {names[1]}",
            size,
            bare,
            figure=f"{_said(alt.results[names[1]])}; {alt.how()}{_memory(bare)}{options}",
        ),
        Row.of(
            SECTION,
            "(a) every report / --no-reports (wall, medians)",
            size,
            None,
            figure=f"{ratio:.2f}x ({full.seconds:.2f} s / {bare.seconds:.2f} s); {alt.how()}",
            target=target_ratio,
            ok=ratio <= REPORTS_RATIO,
            load=alt.loads[-1],
        ),
    ]


def scaled_run(
    scale: float = SCALED_AT, extra: Sequence[str] = (), skip: bool = False
) -> list[Row]:
    """The whole run with every report on the sample made ``scale`` times as big.

    ``skip``: only the row, for ``--quick`` (the whole-run rows run the same code).
    """
    size = Size.scaled(scale)
    target = f"< {SCALED_SECONDS:g} s wall, < {SCALED_MB / 1000:g} GB"
    target = target if scale == SCALED_AT else ""
    name = f"(b) whole run, every report, dealernet sample --scale {scale:g}"
    if skip:
        at = Size.scaled(SCALED_AT)
        why = f"skipped (--quick); the full run measures {at.label}"
        return [
            Row(
                SECTION,
                name.replace(f"{scale:g}", f"{SCALED_AT:g}"),
                at.label,
                figure=why,
                target=f"< {SCALED_SECONDS:g} s wall, < {SCALED_MB / 1000:g} GB",
            )
        ]
    work = Path(tempfile.mkdtemp(prefix="dealernet-bench-scaled-"))
    try:
        write_network(size, work / "dealers")
        counts, m = _dealernet_run(str(work / "dealers"), work, extra, reports=True)()
    except RunFailed as exc:
        return [missed(SECTION, name, size.label, target, f"dealernet run failed: {exc}")]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    memory = max(m.peak_mb or 0.0, m.tree_mb or 0.0)
    return [
        Row.of(
            SECTION,
            name,
            size.label,
            m,
            figure=f"{_said(counts)}; one run{_memory(m)}"
            + (f"; options {' '.join(extra)}" if extra else ""),
            target=target,
            ok=m.seconds < SCALED_SECONDS and memory < SCALED_MB if target else None,
        )
    ]


def loaded(size: Size) -> Any:
    """The network of ``size`` written as dealer files and loaded, as a user would."""
    from dealernet.io.loader import load_network

    work = Path(tempfile.mkdtemp(prefix="dealernet-bench-"))
    try:
        return load_network(write_network(size, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def decided(table: Any) -> str:
    """Decision counts, for a row's figures."""
    counts = table["decision"].value_counts()
    return ", ".join(f"{v:,} {k}" for k, v in counts.items())


def rule_growth(
    low: float = RULES_SIZES[0], high: float = RULES_SIZES[1], rounds: int = 3
) -> list[Row]:
    """The default scenario's rules on the sample at ``low`` and ``high`` times its size,
    alternated; the CPU time's growth against the network's."""
    from dealernet.analysis.pipeline import default_scenario
    from dealernet.engine.rules import apply_rules

    scenario = default_scenario()
    sizes = {s: Size.scaled(s) for s in (low, high)}
    nets = {s: loaded(size) for s, size in sizes.items()}
    alt = alternate(
        {f"x{s:g}": partial(measure, partial(apply_rules, nets[s], scenario)) for s in sizes},
        rounds,
    )
    times = high / low
    growth = alt.ratio(f"x{high:g}", f"x{low:g}", cpu=True)
    allowed = RULES_GROWTH * times / 20
    rows = [
        Row.of(
            SECTION,
            f"(c) rules (default scenario), sample x {s:g}",
            size.label,
            alt.median(f"x{s:g}"),
            figure=f"{decided(alt.results[f'x{s:g}'].table)}; {alt.how()}",
        )
        for s, size in sizes.items()
    ]
    rows.append(
        Row.of(
            SECTION,
            f"(c) rules: CPU at x{high:g} / at x{low:g} (network {times:g}x)",
            f"{sizes[low].sources:,} -> {sizes[high].sources:,} {scenario.source_brand} sites",
            None,
            figure=f"{growth:.1f}x the CPU for {times:g}x the sites; {alt.how()}",
            target=f"<= {allowed:g}x",
            ok=growth <= allowed,
            load=alt.loads[-1],
        )
    )
    return rows


def redecide_case(
    prepared: Any, scenario: Any, assumptions: Any, rule_id: str, miles: float
) -> Any:
    """What an explorer does when a user moves one rule's distance limit: decide again and
    estimate again, on a network prepared once
    (:func:`dealernet.analysis.pipeline.prepare`)."""
    changed = scenario.with_overrides({f"rules.{rule_id}.max_distance_miles": miles})
    return prepared.run(changed, assumptions, what_drives=False)


def _forgetting(call: Callable[[], Any]) -> Callable[[], Any]:
    """``call`` with the process's solved markets dropped first, so that every timed call
    solves its market (the worst case: a change that moves stores)."""
    from dealernet.analysis.market_run import forget_solved

    def forgot() -> Any:
        forget_solved()
        return call()

    return forgot


def _changed(base: Any, new: Any) -> int:
    """Stores whose decision or host differs between two results."""
    cols = ["dealer_id", "decision", "host_dealer_id"]
    a = base.decisions.table[cols].set_index("dealer_id")
    b = new.decisions.table[cols].set_index("dealer_id").reindex(a.index)
    return int((a.fillna("") != b.fillna("")).any(axis=1).sum())


def redecide(
    dealers: str | None = None,
    rule_id: str = "nearest",
    rounds: int = 3,
    overrides: dict[str, Any] | None = None,
    warm: bool = True,
) -> list[Row]:
    """Re-decide and re-estimate after ``rules.<rule_id>.max_distance_miles`` changes, the
    network prepared once and (``warm``) one run done first; every timed call moves the
    limit (:data:`REDECIDE_LIMITS` in turn) and solves its market afresh, with the run's
    own draws and with an explorer's preview draws
    (:data:`dealernet.analysis.pipeline.PREVIEW`)."""
    from dealernet.analysis import pipeline
    from dealernet.io.loader import load_network
    from dealernet.settings import DEFAULT_DEALERS

    dealers = dealers or DEFAULT_DEALERS
    scenario = pipeline.default_scenario()
    prepared = pipeline.prepare(load_network(dealers))
    was = next(r.max_distance_miles for r in scenario.rules if r.id == rule_id)
    rows = []
    for label, changes in (("the run's draws", {}), ("preview draws", pipeline.PREVIEW)):
        assumptions = pipeline.default_assumptions().with_overrides(
            {**changes, **(overrides or {})}
        )
        base = prepared.run(scenario, assumptions, what_drives=False) if warm else None
        limits = list(itertools.islice(itertools.cycle(REDECIDE_LIMITS), rounds))
        runs: list[Measured] = []
        changed: list[int] = []
        for miles in limits:
            new, m = measure(
                _forgetting(partial(redecide_case, prepared, scenario, assumptions, rule_id, miles))
            )
            runs.append(m)
            base = base or new
            changed.append(_changed(base, new))
        size = f"{dealers}: {len(prepared.network):,} sites"
        rows.append(_redecide_row(label, size, (rule_id, was, limits), runs, changed, warm))
        rows[-1] = replace(rows[-1], figure=f"{rows[-1].figure}; {_draws(assumptions)}")
    return rows


def _draws(assumptions: Any) -> str:
    return f"{assumptions.draws:,} draws, {assumptions.market_draws:,} market draws"


def _redecide_row(
    label: str,
    size: str,
    change: tuple[str, float, Sequence[float]],
    runs: list[Measured],
    changed: list[int],
    warm: bool,
) -> Row:
    rule_id, was, limits = change
    median = median_of(runs)
    key = f"rules.{rule_id}.max_distance_miles"
    shown = ", ".join(f"{v:g}" for v in limits)
    return Row.of(
        SECTION,
        f"(f) re-decide with {label} after {key} changes ({was:g} -> {shown})",
        size,
        median,
        figure=f"median of {len(runs)} calls of benchmarks.targets.redecide_case "
        "(Prepared.run, what_drives=False, the market solved afresh each call); "
        + (
            f"{min(changed):,}-{max(changed):,} stores change decision or host"
            if warm
            else "no run before it (--quick): the first call is cold"
        ),
        target=f"< {REDECIDE_SECONDS:g} s",
        ok=median.seconds < REDECIDE_SECONDS,
    )
