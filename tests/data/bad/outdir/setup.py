"""Setups of the output-folder corpus: earlier runs, links, a lock held by another process.

Each function is ``name(tmp, out)``, run before the case (after its ``out_files`` are made).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from dealernet.cli.main import cli

HERE = Path(__file__).resolve().parent
#: Lock holders started by :func:`locked`; each stops when its stdin closes (this process
#: ends) or when it is killed at exit.
_HOLDERS: list[subprocess.Popen[str]] = []


def _prior_run(tmp: Path, out: Path, *, reports: bool = True) -> None:
    """An earlier run from ``tiny_before.csv`` (owner group "Old Group"), copied into ``out``
    (which may already hold the case's own files)."""
    prior = tmp / "prior-run"
    args = ["run", "--dealers", str(HERE / "tiny_before.csv"), "--out", str(prior)]
    args += ["--no-sensitivity"]  # what the cases check is the folder, not the analysis
    result = CliRunner().invoke(cli, [*args] if reports else [*args, "--no-reports"])
    assert result.exit_code == 0, result.output
    shutil.copytree(prior, out, dirs_exist_ok=True, symlinks=True)
    shutil.rmtree(prior)


def earlier_run(tmp: Path, out: Path) -> None:
    _prior_run(tmp, out)


def earlier_run_no_reports(tmp: Path, out: Path) -> None:
    _prior_run(tmp, out, reports=False)


def earlier_run_with_temporaries(tmp: Path, out: Path) -> None:
    """An earlier run killed while writing: our temporary files are left in our folders."""
    _prior_run(tmp, out, reports=False)
    (out / ".network.html.a1B2c3D4.tmp").write_text("half a map")
    (out / "data" / ".decisions.csv.Zz09_xy1.tmp").write_text("half a table")


def _manifest_lists(out: Path, *extra: str) -> None:
    path = out / "run.json"
    data = json.loads(path.read_text("utf-8"))
    data["files"] = [*data["files"], *extra]
    path.write_text(json.dumps(data), encoding="utf-8")


def symlinked_owners(tmp: Path, out: Path) -> None:
    """``OUT/owners`` is a link to someone's folder holding a file the manifest names."""
    _prior_run(tmp, out)
    elsewhere = tmp / "elsewhere"
    shutil.move(str(out / "owners"), str(elsewhere))
    (elsewhere / "victim-0123abcd.html").write_text("not dealernet's")
    os.symlink(elsewhere, out / "owners")
    _manifest_lists(out, "owners/victim-0123abcd.html")


def symlinked_data(tmp: Path, out: Path) -> None:
    _prior_run(tmp, out, reports=False)
    elsewhere = tmp / "elsewhere"
    shutil.move(str(out / "data"), str(elsewhere))
    os.symlink(elsewhere, out / "data")


def symlinked_out(tmp: Path, out: Path) -> None:
    """``--out`` itself is a link to an empty folder: allowed, the user chose it."""
    real = tmp / "real-out"
    real.mkdir()
    os.symlink(real, out)


def hostile_manifest(tmp: Path, out: Path) -> None:
    """A hand-edited manifest names files outside ``--out``: nothing outside is touched."""
    _prior_run(tmp, out)
    (tmp / "victim-0123abcd.html").write_text("not dealernet's")
    _manifest_lists(
        out,
        "../victim-0123abcd.html",
        "owners/../../victim-0123abcd.html",
        str(tmp / "victim-0123abcd.html"),
    )


def damaged_manifest(tmp: Path, out: Path) -> None:
    _prior_run(tmp, out)
    (out / "run.json").write_text("{not json", encoding="utf-8")


def data_is_a_file(tmp: Path, out: Path) -> None:
    (out / ".dealernet").mkdir(parents=True)
    (out / "data").write_text("a file where a run keeps its tables")


def empty_out(tmp: Path, out: Path) -> None:
    out.mkdir()


def out_is_a_file(tmp: Path, out: Path) -> None:
    out.write_text("a regular file")


def a_file(tmp: Path, out: Path) -> None:
    (tmp / "afile").write_text("a regular file")


def locked(tmp: Path, out: Path) -> None:
    """An earlier run, and another process holding the folder's lock (a run in progress)."""
    while _HOLDERS:  # an earlier case's holder is done with
        _stop(_HOLDERS.pop())
    _prior_run(tmp, out, reports=False)
    code = (
        "import sys; from dealernet._lock import FolderLock; "
        "lock = FolderLock(sys.argv[1]); lock.acquire('run'); print('ready', flush=True); "
        "sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(out / ".dealernet" / "lock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
    _HOLDERS.append(holder)
    atexit.register(_stop, holder)


def _stop(holder: subprocess.Popen[str]) -> None:
    holder.kill()
    holder.wait(timeout=30)
    for pipe in (holder.stdin, holder.stdout):
        if pipe is not None:
            pipe.close()
