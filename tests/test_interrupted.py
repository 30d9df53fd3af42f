"""A run that is stopped halfway leaves every output whole: the old version or the new one.

Outputs are written to a temporary file and renamed. Two runs with different Monte Carlo
seeds give different files; a third run with the second seed is stopped at several moments,
and every file it leaves must equal either the first run's or the second run's version.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dealernet._atomic import is_our_temporary
from helpers import DEALERS, SCENARIOS_DIR

#: Owner reports from two forked workers (tests/conftest.py keeps other tests' runs to one
#: process): a stop must stop them too.
WITH_WORKERS = {**os.environ, "DEALERNET_WORKERS": "2"}


def run_args(out: Path, seed: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "dealernet",
        "run",
        "--dealers",
        str(DEALERS),
        "--out",
        str(out),
        "--set",
        f"monte_carlo.seed={seed}",
        "--no-sensitivity",  # the stops below fall in the writing, not in extra analysis
        "--overwrite",  # the seeds differ: the second run replaces the first (run.json)
    ]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every output; not the run's own record (``run.json``, ``.dealernet/``: manifest,
    lock), which says when and how far each run got, so differs between any two runs."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file()
        and ".dealernet" not in p.relative_to(folder).parts
        and p.relative_to(folder).as_posix() != "run.json"
    }


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    base = tmp_path_factory.mktemp("runs")
    old, new = base / "old", base / "new"
    for out, seed in ((old, 1), (new, 2)):
        subprocess.run(run_args(out, seed), check=True, capture_output=True, cwd=base)
    old_files, new_files = snapshot(old), snapshot(new)
    assert old_files.keys() == new_files.keys()
    assert old_files["data/impacts.csv"] != new_files["data/impacts.csv"]
    return old, old_files, new_files


#: When to stop the run: while it analyses, while it writes tables and the map, and while it
#: writes owner reports (a run on the sample without the sensitivity takes 10-20 s here).
#: Files that record when they were written (GeoPackage style times, workbook properties).
STAMPED = (".gpkg", ".xlsx")


def _whole(path: Path) -> bool:
    """Whether a GeoPackage passes SQLite's integrity check, or a workbook's zip its CRCs."""
    if path.suffix == ".gpkg":
        import sqlite3

        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    import zipfile

    with zipfile.ZipFile(path) as book:
        return book.testzip() is None


MOMENTS = [
    (signal.SIGTERM, 1.0),
    (signal.SIGINT, 3.0),
    (signal.SIGKILL, 4.0),
    (signal.SIGTERM, 7.0),
    (signal.SIGKILL, 9.0),
]


@pytest.mark.parametrize(("sig", "after"), MOMENTS)
def test_stopped_run_leaves_old_or_new_files_never_half_written(
    versions: tuple[Path, dict, dict], tmp_path: Path, sig: signal.Signals, after: float
) -> None:
    old, old_files, new_files = versions
    out = tmp_path / "out"
    shutil.copytree(old, out)
    log = tmp_path / "log.txt"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            run_args(out, 2), stdout=sink, stderr=sink, cwd=tmp_path, env=WITH_WORKERS
        )
        time.sleep(after)
        proc.send_signal(sig)
        proc.wait(timeout=60)
    said = log.read_text(encoding="utf-8", errors="replace")
    assert "Error" not in said, said  # stopped while working, not refused at the start
    left = snapshot(out)
    # what the run knows as its own temporaries: .<name>.XXXXXXXX.tmp, and a GeoPackage
    # staged as .dealernet.gpkg.XXXXXXXX.gpkg with SQLite's -journal
    temporaries = [name for name in left if is_our_temporary(name.rsplit("/", 1)[-1])]
    if sig != signal.SIGKILL:
        assert temporaries == []  # an interrupted run deletes its own temporary files
    for name, data in left.items():
        if name in temporaries:
            continue
        if name.endswith(STAMPED):  # hold their writing time: whole, not byte-equal
            assert _whole(out / name), f"{name} is half-written"
            continue
        assert data in (old_files[name], new_files[name]), f"{name} is half-written"
    assert set(old_files) <= set(left)  # nothing of the previous run was lost
    if temporaries:  # the next run clears what a killed one left behind
        subprocess.run(run_args(out, 2), check=True, capture_output=True, cwd=tmp_path)
        assert not [p for p in out.rglob("*") if is_our_temporary(p.name)]


def test_run_never_writes_outside_out_or_modifies_inputs(tmp_path: Path) -> None:
    dealers = tmp_path / "dealers"
    shutil.copytree(DEALERS, dealers)
    scenario = tmp_path / "scenario.toml"
    shutil.copy(SCENARIOS_DIR / "consolidation.toml", scenario)
    inputs = [*dealers.iterdir(), scenario]
    for path in inputs:
        path.chmod(0o444)
    dealers.chmod(0o555)
    before = {p: p.read_bytes() for p in inputs}
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dealernet",
            "run",
            "--dealers",
            str(dealers),
            "--scenario",
            str(scenario),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=workdir,
        check=False,
    )
    dealers.chmod(0o755)
    assert proc.returncode == 0, proc.stderr
    assert {p: p.read_bytes() for p in inputs} == before
    assert sorted(os.listdir(tmp_path)) == ["cwd", "dealers", "out", "scenario.toml"]
    assert os.listdir(workdir) == []
    assert sorted(os.listdir(dealers)) == sorted(p.name for p in inputs if p.parent == dealers)
