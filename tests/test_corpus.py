"""Every file of the bad-input corpus gives a clear message and a non-zero exit, never a traceback.

The corpus is ``tests/data/bad/`` (regenerate with ``python tests/data/bad/make_corpus.py``);
``EXPECTED.toml`` there names each file's command and message. The commands run in a real
subprocess, as a user would run them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dealernet.cli.main import cli
from helpers import DEALERS, ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

BAD = ROOT / "tests" / "data" / "bad"
EXPECTED = tomllib.loads((BAD / "EXPECTED.toml").read_text(encoding="utf-8"))


def dealernet(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "400"}
    return subprocess.run(
        [sys.executable, "-m", "dealernet", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def in_process(*args: str | Path) -> tuple[int, str]:
    """``dealernet run ARGS --out OUT`` through click, without a new interpreter."""
    *rest, out = args
    result = CliRunner().invoke(cli, ["run", *map(str, rest), "--out", str(out)])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.output


def test_every_corpus_file_is_listed() -> None:
    files = {
        p.name
        for p in BAD.iterdir()
        if p.is_file() and p.suffix != ".py" and p.name != "EXPECTED.toml"
    }
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_input_gives_a_clear_message_and_nonzero_exit(name: str, tmp_path: Path) -> None:
    case = EXPECTED[name]
    path = BAD / name
    before = path.read_bytes()
    out = tmp_path / "out"
    if case["kind"] == "dealers":  # one real subprocess; `run` in-process (same code path)
        proc = dealernet("validate", path, cwd=tmp_path)
        runs = [(proc.returncode, proc.stdout + proc.stderr), in_process("--dealers", path, out)]
    else:
        runs = [in_process("--dealers", DEALERS, "--scenario", path, out)]
    for returncode, output in runs:
        assert returncode == 1, output
        assert case["message"] in " ".join(output.split()), output[-2000:]
        assert "Traceback" not in output
    assert path.read_bytes() == before  # inputs are never modified
    assert not (tmp_path / "out" / "data").exists()  # nothing written on refusal


def test_injection_in_a_condition_runs_nothing(tmp_path: Path) -> None:
    marker = Path("/tmp/dealernet-pwned")
    marker.unlink(missing_ok=True)
    dealernet(
        "run",
        "--dealers",
        DEALERS,
        "--scenario",
        BAD / "scenario_injection.toml",
        "--out",
        tmp_path,
        cwd=tmp_path,
    )
    assert not marker.exists()
