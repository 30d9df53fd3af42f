"""``python -m benchmarks``: run every case and print one table of figures with targets.

The full run (about 3-5 minutes on 2 cores) puts each case in a fresh child process, so
memory figures do not carry what an earlier case left behind; ``--quick`` runs small
versions of every case in this process in a few seconds (for tests and smoke checks).
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

FULL: Plan = [
    ("commands", {"help_runs": 5, "full_run": True}),
    ("browser_map", {}),
    ("stages", {"sources": 197, "hosts": 1071, "report_owners": 10}),
    ("stages", {"sources": 2000, "hosts": 10000, "report_owners": 5}),
    ("stages", {"sources": 5000, "hosts": 17000, "report_owners": 5}),
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

QUICK: Plan = [
    ("commands", {"help_runs": 1, "full_run": False}),
    ("stages", {"sources": 30, "hosts": 150, "outputs": False}),
    ("nearest", {"n_points": 1_000, "n_hosts": 1_000, "brute_sample": 100, "repeat": 1}),
    ("rules", {"sources": 100, "hosts": 500}),
    ("monte_carlo", {"sites": 100, "draws": 200}),
    ("access", {"n_points": 20_000, "n_sites": 500}),
    ("market", {"full": False, "repeat": 1}),
    ("market_dask", {"n_points": 5_000, "piece_points": 2_500, "check": False, "threads": True}),
    ("owners", {}),
]

HEADERS = ("benchmark", "size", "time s", "cpu s", "peak MB", "target", "result", "figures")

NOTES = (
    METHOD_NOTE,
    "time s = wall-clock seconds of one call (nearest host: best of 3); cpu s = CPU seconds "
    "of the process, all threads (above the wall time when work runs in parallel, below it "
    f"when other programs hold the cores); inputs are built before timing, seed {SEED}",
    "owner reports in 'stages' are timed on 10 (sample) or 5 owner groups and scaled to all "
    "of them (the figure says so); the whole run under 'commands' writes every report",
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
    "targets are reported, never asserted; timings move with the load of the machine "
    "(load average shown above)",
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; print the table. Returns the exit status (0 unless a case broke)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, in-process, seconds")
    parser.add_argument(
        "--only", action="append", choices=sorted(CASES), help="run only these cases (repeatable)"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON here")
    parser.add_argument(
        "--profile", metavar="DIR", help="profile each case with pyinstrument; HTML goes here"
    )
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--kwargs", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:  # a child process: one case, rows as JSON on the last line
        found = _profiled(args.case, json.loads(args.kwargs), args.profile)
        print(json.dumps([r.to_dict() for r in found]))
        return 0
    plan = [(n, k) for n, k in (QUICK if args.quick else FULL) if not args.only or n in args.only]
    machine = describe_machine()
    started = time.perf_counter()
    print(f"# dealernet benchmarks{' (--quick)' if args.quick else ''}")
    print(
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {platform.platform()}; "
        + "; ".join(f"{k} {v}" for k, v in machine.items())
        + f"; load average at start {load_average()}",
        flush=True,
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
    print(format_table(rows))
    print(
        f"\nWhole benchmark: {time.perf_counter() - started:.0f} s "
        f"(target < 600 s); load average at end {load_average()}."
    )
    if args.profile:
        print(f"\nProfiles (pyinstrument HTML): {args.profile}")
    print("\nNotes:")
    for note in NOTES:
        print(f"- {note}")
    misses = [r for r in rows if r.ok is False]
    print(f"\n{sum(r.ok is True for r in rows)} PASS, {len(misses)} MISS.")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump([r.to_dict() for r in rows], fh, indent=1)
    return 1 if any(r.name.endswith(" failed") for r in rows) else 0
