"""Scenario and data that do not fit: a clear message and exit status 1, before any work.

Each case once crashed deep in the analysis (``IndexError`` in the roll-ups) or, worse,
finished: with no host-brand site every store "closed" and 43,655 jobs were "lost".
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import dealernet
from dealernet import InvalidInputError
from helpers import DEALERS, REAL_2015


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m dealernet run`` in a subprocess, as a user runs it."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "dealernet",
            "run",
            "--no-reports",
            "--no-sensitivity",
            "--out",
            str(tmp_path / "out"),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _refused(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr


def test_a_folder_with_only_the_host_brand_is_refused(tmp_path: Path) -> None:
    message = _refused(_run(tmp_path, "--dealers", str(REAL_2015 / "nissan.csv")))
    assert "no Infiniti site" in message
    assert "source_brand" in message and "line" in message
    assert "Nissan (1,056)" in message
    assert not (tmp_path / "out" / "data").exists(), "nothing is written for a refused run"


def test_only_the_source_brand_is_refused_instead_of_closing_every_store(tmp_path: Path) -> None:
    message = _refused(_run(tmp_path, "--dealers", str(REAL_2015 / "infiniti.csv")))
    assert "no Nissan site" in message
    assert "host_brand" in message
    assert "Infiniti (207)" in message


def test_a_scenario_for_a_brand_the_files_lack_names_its_line(tmp_path: Path) -> None:
    scenario = tmp_path / "lexus.toml"
    scenario.write_text(
        '[scenario]\nname = "Lexus"\nsource_brand = "Lexus"\nhost_brand = "Nissan"\n\n'
        '[[rules]]\nid = "close"\naction = "close"\n'
    )
    message = _refused(_run(tmp_path, "--dealers", "sample", "--scenario", str(scenario)))
    assert 'lexus.toml line 3: source_brand = "Lexus"' in message
    assert "Infiniti (197)" in message and "Nissan (1,071)" in message


def test_skip_invalid_with_nothing_valid_left_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "dealer_id,name,brand,latitude,longitude\nI-1,A,Infiniti,999,-96\nN-1,B,Nissan,x,-96\n"
    )
    message = _refused(_run(tmp_path, "--dealers", str(bad), "--skip-invalid"))
    assert "no valid row is left" in message
    assert "line 2" in message and "line 3" in message  # the problems are listed too


def test_the_library_raises_the_same_error(tmp_path: Path) -> None:
    nissan_only = dealernet.load_network(DEALERS / "nissan.csv")
    with pytest.raises(InvalidInputError, match="no Infiniti site"):
        dealernet.run(nissan_only)


def test_idle_rules_and_empty_exclusions_are_noted_after_the_run(tmp_path: Path) -> None:
    """On the real roster (no volumes) the volume rules can never fire: the run says so."""
    done = _run(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "rule keep-strong: no stand-alone store it saw has a value for annual_new_units" in (
        done.stderr
    )
    assert "exclude_hosts `annual_new_units < 300` excluded no host site" in done.stderr
    decisions = pd.read_csv(tmp_path / "out" / "data" / "decisions.csv")
    assert not (decisions["rule_id"] == "keep-strong").any()
