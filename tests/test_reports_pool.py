"""Owner reports rendered by forked workers: the same bytes as one process, errors raised
where the caller sees them, and a stop that leaves no temporary file behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dealernet._forked import can_fork, map_pieces
from dealernet.render.reports import affected_owners, write_reports

pytestmark = pytest.mark.skipif(not can_fork(), reason="workers are forked only on Linux")


def _files(folder: Path) -> dict[str, bytes]:
    paths = sorted(p for p in folder.rglob("*") if p.is_file())
    return {str(p.relative_to(folder)): p.read_bytes() for p in paths}


def test_reports_from_workers_are_byte_identical_to_one_process(sample_result, tmp_path):
    owners = affected_owners(sample_result)[:12]
    serial = write_reports(sample_result, tmp_path / "one", owners, workers=1)
    pooled = write_reports(sample_result, tmp_path / "two", owners, workers=2)
    assert [p.relative_to(tmp_path / "one") for p in serial] == [
        p.relative_to(tmp_path / "two") for p in pooled
    ]
    one, two = _files(tmp_path / "one"), _files(tmp_path / "two")
    assert len(one) == 2 * len(owners) + 1  # each report and its CSV, and the index
    assert one == two


def _whose(item: int) -> tuple[int, int]:
    time.sleep(0.02)  # long enough that both workers take pieces
    return item * item, os.getpid()


def test_pieces_come_back_in_order_from_other_processes():
    values = map_pieces(_whose, list(range(40)), workers=2)
    assert [v for v, _pid in values] == [i * i for i in range(40)]
    pids = {pid for _v, pid in values}
    assert os.getpid() not in pids and len(pids) == 2


def _fails_at_17(item: int) -> int:
    if item == 17:
        msg = f"piece {item} failed"
        raise ValueError(msg)
    return item


def test_an_error_in_a_piece_is_raised_to_the_caller():
    with pytest.raises(ValueError, match="piece 17 failed"):
        map_pieces(_fails_at_17, list(range(40)), workers=2)


def test_few_pieces_or_one_worker_run_here():
    assert {pid for _v, pid in map_pieces(_whose, list(range(5)), workers=2)} == {os.getpid()}
    assert {pid for _v, pid in map_pieces(_whose, list(range(40)), workers=1)} == {os.getpid()}


_SLOW_WRITER = """
import sys, time
from pathlib import Path
from dealernet._atomic import atomic_open
from dealernet._forked import map_pieces
from dealernet.cli._common import stop_on_sigterm

stop_on_sigterm()
out = Path(sys.argv[1])

def write(i):
    with atomic_open(out / f"piece-{i:02d}.html") as handle:
        handle.write("<p>" * 1000)
        print("writing", i, flush=True)
        time.sleep(0.3)
        handle.write("done")
    return i

try:
    map_pieces(write, list(range(40)), workers=2)
except KeyboardInterrupt:
    print("stopped", flush=True)
    sys.exit(130)
"""


def test_a_stopped_run_stops_its_workers_and_leaves_no_temporary_file(tmp_path):
    script = tmp_path / "slow.py"
    script.write_text(textwrap.dedent(_SLOW_WRITER))
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen(
        [sys.executable, str(script), str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:  # wait until both workers are inside a write
        if line.startswith("writing") and len(list(out.glob(".*.tmp"))) >= 1:
            break
    time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    rest = proc.communicate(timeout=30)[0]
    assert proc.returncode == 130, rest
    assert "Traceback" not in rest and "stopped" in rest, rest
    time.sleep(0.5)  # workers exit on their parent's SIGTERM, not later
    assert not list(out.glob(".*")), sorted(p.name for p in out.iterdir())
    finished = sorted(out.glob("piece-*.html"))
    assert len(finished) < 40
    assert all(p.read_text().endswith("done") for p in finished)
