"""Setups of the commands corpus: earlier runs whose inputs moved, and damaged run folders.

Each function is ``name(tmp, out)``, run before the case (after its ``out_files`` are made).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from dealernet.cli.main import cli

HERE = Path(__file__).resolve().parent
#: The files a finished run keeps in OUT/data (dealernet.planning.saved_run.REQUIRED).
TABLES = ("decisions.csv", "impacts.csv", "owners.csv", "regions.csv", "access.csv")


def _run(dealers: Path, out: Path) -> None:
    args = ["run", "--dealers", str(dealers), "--out", str(out), "--no-reports"]
    result = CliRunner().invoke(cli, [*args, "--no-sensitivity"])
    assert result.exit_code == 0, result.output


def run_then_dealers_moved(tmp: Path, out: Path) -> None:
    """A run of ``{tmp}/net/tiny.csv``, whose folder is then renamed ``{tmp}/moved``."""
    net = tmp / "net"
    net.mkdir()
    shutil.copy(HERE / "tiny.csv", net / "tiny.csv")
    _run(net, out)
    net.rename(tmp / "moved")


def run_with_formula_ids(tmp: Path, out: Path) -> None:
    """A run of dealer ids ``=INF-1``, ``+INF-2``, ``-NIS-1``, ``@NIS-2`` (saved as ``'=...``)."""
    _run(HERE / "formula_ids.csv", out)


def _fake_run(out: Path, summary: str) -> None:
    data = out / "data"
    data.mkdir(parents=True)
    for name in TABLES:
        (data / name).write_text("dealer_id\nINF-1\n", encoding="utf-8")
    (data / "summary.json").write_text(summary, encoding="utf-8")


def summary_truncated(tmp: Path, out: Path) -> None:
    _fake_run(out, '{"scenario": {"name": "x", ')


def summary_not_an_object(tmp: Path, out: Path) -> None:
    _fake_run(out, "[1, 2, 3]\n")


def summary_without_entries(tmp: Path, out: Path) -> None:
    _fake_run(out, json.dumps({"national": {}}) + "\n")


def summary_not_utf8(tmp: Path, out: Path) -> None:
    _fake_run(out, "")
    (out / "data" / "summary.json").write_bytes(b'{"name": "\xff\xfe"}')


def run_with_a_split_cell(tmp: Path, out: Path) -> None:
    """A run of ``tiny.csv`` whose ``decisions.csv`` was then edited: a carriage return in a
    quoted name, which splits the row when read back."""
    _run(HERE / "tiny.csv", out)
    path = out / "data" / "decisions.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    cells = lines[1].split(",")
    cells[1] = '"' + cells[1].strip('"') + '\r of X"'
    lines[1] = ",".join(cells)
    path.write_bytes("\n".join(lines).encode("utf-8"))


def run_with_a_word_for_a_number(tmp: Path, out: Path) -> None:
    """A run of ``tiny.csv`` whose ``impacts.csv`` was then edited: a word in its
    ``jobs_lost_base`` column, where numbers belong."""
    _run(HERE / "tiny.csv", out)
    path = out / "data" / "impacts.csv"
    lines = path.read_text(encoding="utf-8").rstrip("\n").split("\n")
    at = lines[0].split(",").index("jobs_lost_base")
    rows = [row.split(",") for row in lines[1:]]
    for row in rows:
        row[at] = "many"
    path.write_text("\n".join([lines[0], *map(",".join, rows)]) + "\n", encoding="utf-8")
