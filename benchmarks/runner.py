"""``python -m benchmarks``: run every case and print one table of figures with targets.

The full run (about 8-10 minutes on 2 cores) puts each case in a fresh child process, so
memory figures do not carry what an earlier case left behind; ``--quick`` runs small
versions of every case in this process in about half a minute (tests, smoke checks).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks.cases import CASES, Row
from benchmarks.measure import METHOD_NOTE, describe_machine, load_average, run_child
from benchmarks.synthetic import SEED

#: (case, keyword arguments) in the order they run.
Plan = list[tuple[str, dict[str, Any]]]

#: ``--scale`` by default: the targets' "ten times the network".
SCALE = 10.0
#: What ``--quick`` adds to every ``dealernet run``: fewer draws and market solves, no
#: what-drives runs (the examples' test does the same), so a smoke run takes seconds.
QUICK_RUN = (
    "--no-sensitivity",
    "--set",
    "monte_carlo.draws=200",
    "--set",
    "monte_carlo.market_draws=2",
)
QUICK = {"monte_carlo.draws": 200, "monte_carlo.market_draws": 2}


def full_plan(scale: float = SCALE) -> Plan:
    """Every case at the sizes of the targets; ``scale``: the big network's size."""
    return [
        ("commands", {"help_runs": 5}),
        ("whole_run", {"rounds": 3}),
        ("scaled_run", {"scale": scale}),
        ("rule_growth", {"low": 1.0, "high": 20.0, "rounds": 3}),
        ("redecide", {"rounds": 3}),
        ("explorer", {"rounds": 3}),
        ("browser_map", {}),
        ("stages", {"scale": 1.0}),
        ("stages", {"scale": scale, "report_owners": 5}),
        ("nearest", {"n_points": 1_000, "n_hosts": 10_000, "brute_sample": 1_000}),
        ("nearest", {"n_points": 100_000, "n_hosts": 10_000, "brute_sample": 500}),
        ("nearest", {"n_points": 1_000_000, "n_hosts": 10_000, "brute_sample": 500}),
        ("rules", {"sources": 2000, "hosts": 10000}),
        ("monte_carlo", {"sites": 2000, "draws": 2000}),
        ("access", {"n_points": 10_000_000, "n_sites": 10_000, "dask_points": 1_000_000}),
        ("market", {}),
        ("market_dask", {"n_points": 10_000_000, "n_workers": 2}),
        ("owners", {}),
    ]


def quick_plan(scale: float = 0.05) -> Plan:
    """Every case at toy sizes, in this process: a smoke test of the suite, seconds."""
    return [
        ("commands", {"help_runs": 1}),
        ("whole_run", {"rounds": 1, "scale": scale, "extra": QUICK_RUN}),
        ("scaled_run", {"skip": True}),
        ("rule_growth", {"low": scale, "high": 20 * scale, "rounds": 1}),
        ("redecide", {"dealers": "sample", "rounds": 1, "overrides": QUICK, "warm": False}),
        ("explorer", {"dealers": "sample", "rounds": 1, "browser": False}),
        ("stages", {"scale": scale, "outputs": False, "market_draws": 2}),
        ("nearest", {"n_points": 1_000, "n_hosts": 1_000, "brute_sample": 100, "rounds": 1}),
        ("rules", {"sources": 100, "hosts": 550, "rounds": 1}),
        ("monte_carlo", {"sites": 100, "draws": 200, "market_draws": 2}),
        ("access", {"n_points": 20_000, "n_sites": 500}),
        ("market", {"full": False, "rounds": 0}),
        (
            "market_dask",
            {"n_points": 5_000, "piece_points": 2_500, "check": False, "threads": True},
        ),
        ("owners", {}),
    ]


HEADERS = (
    "benchmark",
    "size",
    "time s",
    "cpu s",
    "peak MB",
    "load",
    "target",
    "result",
    "figures",
)

#: The first line of a ``--quick`` run's output (and of the file ``--write`` makes from it).
QUICK_LABEL = (
    "**Smoke run (`--quick`): toy sizes in one process, a test that every case runs. These "
    "are not the suite's figures; a full `python -m benchmarks --write "
    "docs/_generated/benchmarks.md` on a quiet machine replaces them.**"
)

NOTES = (
    METHOD_NOTE,
    "time s = wall-clock seconds (of one call, or the median of the runs the figures name); "
    "cpu s = CPU seconds of the process, all threads (above the wall time when work runs in "
    "parallel, below it when other programs hold the cores); load = the 1-minute load "
    f"average as the row's measurement ended; inputs are built before timing, seed {SEED}",
    "peers (every report / --no-reports, 1x / 20x, ours / sjoin_nearest / brute force, the "
    "kernel / the array model) run in turn, A B A B ..., and each gets the median of its runs, "
    "so a change of load hits both; the ratio is of the medians",
    "networks are the package's sample generator (dealernet sample --scale N: N times the "
    "bundled 197 Infiniti / 1,071 Nissan sites; x1 is the bundled sample, byte for byte); "
    "counts (reports written, stores, host sites) are read from the run itself",
    "(f) re-decide times benchmarks.targets.redecide_case: Prepared.run(what_drives=False) "
    "after the change, on a network prepared once (dealernet.analysis.pipeline.prepare: "
    "owners, customer points, competitor rosters) and one run done; the process's solved "
    "markets are dropped before each call, so each solves its market; 'preview draws' are "
    "pipeline.PREVIEW",
    "(g) explorer: dealernet serve's app in this process (uvicorn on 127.0.0.1), one new tab "
    "per change, the solved markets dropped before each; Chromium times include the page's "
    "200 ms wait for typing to pause; the map redraws once the full figures are in",
    "nearest host: sources are population-like points clustered around US places, hosts "
    "dealer-like sites inside the 50 states; 'wrong' = a pick farther (WGS84 geodesic) than "
    "the true nearest, verified for every point with a chord-ball search (a chord is never "
    "longer than the geodesic) and by brute force on a random sample",
    "brute force at 100 k and 1 M points is timed on a 500-point random sample and scaled; "
    "at 1 k it covers every point",
    "market: the real 2015 network under the default scenario, the shipped Census-matched "
    "customer points and 2015 competitor rosters at cut-off 150 miles; build_market's inputs "
    "are recorded from market_for_decisions; market_dask: synthetic population-like points "
    "(written to Parquet before timing) against the same slots, one base solve",
    "targets are reported, never asserted: a MISS does not fail the run; timings move with "
    "the load of the machine",
)


def _profiled(name: str, kwargs: dict[str, Any], folder: str | None) -> list[Row]:
    """Run one case, under pyinstrument when ``folder`` is given (HTML written there)."""
    if folder is None:
        return CASES[name](**kwargs)
    from pyinstrument import Profiler

    with Profiler() as profiler:
        rows = CASES[name](**kwargs)
    path = Path(folder) / f"{name}-{'-'.join(str(v) for v in kwargs.values())}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(profiler.output_html(), encoding="utf-8")
    print(f"  profile: {path}", file=sys.stderr)
    return rows


def _run_case(
    name: str, kwargs: dict[str, Any], isolate: bool, profile: str | None = None
) -> list[Row]:
    if not isolate:
        return _profiled(name, kwargs, profile)
    extra = ["--profile", profile] if profile else []
    done, _ = run_child(
        [sys.executable, "-m", "benchmarks", "--case", name, "--kwargs", json.dumps(kwargs), *extra]
    )
    if done.returncode:
        tail = done.stderr.strip().splitlines()[-1:] or ["no message"]
        return [Row(name, f"{name} failed", json.dumps(kwargs), figure=tail[0][:150])]
    return [Row(**row) for row in json.loads(done.stdout.strip().splitlines()[-1])]


def _cell(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def _seconds(value: float | None) -> str:
    return _cell(value, 3 if (value or 0) < 10 else 1)


def _result(ok: bool | None) -> str:
    return "" if ok is None else ("PASS" if ok else "MISS")


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"


def format_table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table, one block per section."""
    lines = []
    by_section: dict[str, list[Row]] = {}
    for row in rows:
        by_section.setdefault(row.section, []).append(row)
    for section, group in by_section.items():
        cells = [
            (
                r.name,
                r.size,
                _seconds(r.seconds),
                _seconds(r.cpu_seconds),
                _cell(r.peak_mb, 0),
                _cell(r.load, 1),
                r.target,
                _result(r.ok),
                r.figure,
            )
            for r in group
        ]
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(HEADERS)]
        lines.append(f"\n### {section}\n")
        lines.append(_line(HEADERS, widths))
        lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        lines += [_line(c, widths) for c in cells]
    return "\n".join(lines)


def as_record(text: str) -> str:
    """The printed output as a page section: no title (the page has one), headings one
    level down. The same form ``docs/make_figures.py --benchmarks`` writes."""
    lines = []
    for line in text.splitlines():
        if line.startswith("# dealernet benchmarks"):
            continue
        lines.append("#" + line if line.startswith("### ") else line)
    return "\n".join(lines).strip() + "\n"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, in-process, seconds")
    parser.add_argument(
        "--only", action="append", choices=sorted(CASES), help="run only these cases (repeatable)"
    )
    parser.add_argument(
        "--scale",
        type=float,
        metavar="N",
        help=f"the big network: N times the sample's sites (default {SCALE:g}; --quick 0.05)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON here")
    parser.add_argument(
        "--write",
        metavar="PATH",
        help="also write the output as a docs page section (docs/_generated/benchmarks.md)",
    )
    parser.add_argument(
        "--profile", metavar="DIR", help="profile each case with pyinstrument; HTML goes here"
    )
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--kwargs", default="{}", help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; print the table. Returns the exit status (0 unless a case broke:
    a MISS is a figure, not a failure)."""
    args = _parser().parse_args(argv)
    if args.case:  # a child process: one case, rows as JSON on the last line
        found = _profiled(args.case, json.loads(args.kwargs), args.profile)
        print(json.dumps([r.to_dict() for r in found]))
        return 0
    if args.quick:
        whole = quick_plan() if args.scale is None else quick_plan(args.scale)
    else:
        whole = full_plan(SCALE if args.scale is None else args.scale)
    plan = [(n, k) for n, k in whole if not args.only or n in args.only]
    out: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        out.append(text)

    started = time.perf_counter()
    say(f"# dealernet benchmarks{' (--quick)' if args.quick else ''}")
    if args.quick:
        say(QUICK_LABEL + "\n")
    say(
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {platform.platform()}; "
        + "; ".join(f"{k} {v}" for k, v in describe_machine().items())
        + f"; load average at start {load_average()}"
    )
    rows: list[Row] = []
    for name, kwargs in plan:
        t0 = time.perf_counter()
        rows += _run_case(name, kwargs, isolate=not args.quick, profile=args.profile)
        print(
            f"  {name} {kwargs} done in {time.perf_counter() - t0:.1f} s (load {load_average()})",
            file=sys.stderr,
            flush=True,
        )
    say(format_table(rows))
    say(
        f"\nWhole benchmark: {time.perf_counter() - started:.0f} s "
        f"(target < 600 s); load average at end {load_average()}."
    )
    if args.profile:
        say(f"\nProfiles (pyinstrument HTML): {args.profile}")
    say("\nNotes:")
    for note in NOTES:
        say(f"- {note}")
    misses = [r for r in rows if r.ok is False]
    say(f"\n{sum(r.ok is True for r in rows)} PASS, {len(misses)} MISS.")
    if args.json:
        Path(args.json).write_text(
            json.dumps([r.to_dict() for r in rows], indent=1), encoding="utf-8"
        )
    if args.write:
        Path(args.write).parent.mkdir(parents=True, exist_ok=True)
        Path(args.write).write_text(as_record("\n".join(out)), encoding="utf-8")
        print(f"wrote {args.write}", file=sys.stderr)
    return 1 if any(r.name.endswith(" failed") for r in rows) else 0
