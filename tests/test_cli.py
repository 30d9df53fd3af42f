"""The command line shell: help with examples everywhere, python -m, clean errors."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from dealernet.cli.main import cli
from helpers import DEALERS

COMMANDS = sorted(cli.commands)


def test_top_level_help_lists_every_command_with_a_description() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    listed = result.output.split("Commands:", 1)[1].splitlines()
    described = dict(line.split(maxsplit=1) for line in listed if line.strip())
    assert described.keys() == cli.commands.keys()
    for name, command in cli.commands.items():
        summary = command.get_short_help_str(limit=1000)
        assert summary, f"{name} has no one-line description"
        # the listing shows the start of the command's own summary (cut with "...")
        assert summary.startswith(described[name].removesuffix("...")), name


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert f"dealernet {name}" in result.output.split("Examples:")[1]


def test_python_dash_m_runs_the_cli() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dealernet", "--help"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert "validate" in proc.stdout


def test_bad_input_exits_one_without_traceback(tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("dealer_id,name,brand,lat,lon\nA,B,Infiniti,999,0\n")
    proc = subprocess.run(
        [sys.executable, "-m", "dealernet", "run", "--dealers", str(bad), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "latitude out of range" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_validate_passes_on_the_bundled_sample() -> None:
    result = CliRunner().invoke(cli, ["validate", str(DEALERS)])
    assert result.exit_code == 0, result.output
    assert "1,268 rows: 0 errors, 0 warnings" in result.output
