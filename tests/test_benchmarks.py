"""The benchmark suite runs end to end (``--quick``) and prints its table; speed is not tested."""

from __future__ import annotations

import json
import subprocess
import sys

from helpers import ROOT

SECTIONS = (
    "commands",
    "stages",
    "nearest host",
    "rule engine",
    "impact",
    "access",
    "market",
    "owner inference",
)


def test_quick_benchmark_prints_every_section_with_targets(tmp_path) -> None:
    rows_file = tmp_path / "rows.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(rows_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    header = "| benchmark"
    assert out.count(header) == len(SECTIONS)
    for column in ("size", "time s", "cpu s", "peak MB", "target", "result", "figures"):
        assert f"| {column}" in out.split(header, 1)[1].splitlines()[0]
    for section in SECTIONS:
        assert f"### {section}" in out
    for row in (
        "dealernet --help",
        "load + validate",
        "rules (default scenario)",
        "geopandas.sjoin_nearest, EPSG:5070",
        "brute force",
        "compute_access",
        "build_market + solve",
        "solve_dask",
    ):
        assert row in out
    assert "PASS" in out
    assert "Notes:" in out and "resident set size" in out
    rows = json.loads(rows_file.read_text(encoding="utf-8"))
    # Our nearest search never picks a wrong host, whatever the timing.
    ours = next(r for r in rows if r["name"].startswith("ours: exact pick"))
    assert ours["figure"].startswith("0 wrong")
    # The owner inference is scored on the hand-labelled pairs of the real 2015 rosters.
    precision = next(r for r in rows if r["name"] == "precision on the labelled pairs")
    assert precision["ok"] is True, precision["figure"]
    assert any(r["name"] == "Infiniti stores grouped with a Nissan store" for r in rows)
    # The market case measures the national market: millions of pairs, every row timed.
    market = [r for r in rows if r["section"] == "market"]
    build = next(r for r in market if r["name"].startswith("build_market (pairs"))
    assert int(build["figure"].split(" pairs")[0].replace(",", "")) > 1_000_000
    assert all(r["seconds"] for r in market if r["name"] != "national inputs")
