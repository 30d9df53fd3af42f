"""An installed wheel runs on its own: every bundled input is package data.

The wheel is built from the repository, installed into a fresh virtual environment (which
borrows the already installed dependencies, so nothing is downloaded but the build tools)
and run from an empty folder, far from the checkout: ``dealernet run`` must find its
network, scenario, assumptions, places and boundaries inside the installed package.
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from helpers import ROOT

#: The scenarios the package ships (src/dealernet/_data/scenarios/*.toml).
BUNDLED = ("consolidation", "announced-2024", "conservative", "all-stand-alone")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with the freshly built dealernet wheel installed; returns its bin folder."""
    base = tmp_path_factory.mktemp("wheel")
    wheels = base / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = wheels.glob("dealernet-*.whl")
    env_dir = base / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return env_dir / "bin"


def test_the_wheel_is_the_dealernet_that_runs(installed: Path, tmp_path: Path) -> None:
    code = "import dealernet, sys; print(dealernet.__file__)"
    done = subprocess.run(
        [str(installed / "python"), "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(installed.parent) in done.stdout, done.stdout
    assert str(ROOT / "src") not in done.stdout


def test_dealernet_run_from_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [str(installed / "dealernet"), "run", "--no-reports"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = tmp_path / "maps"
    assert (out / "network.html").is_file()
    summary = json.loads((out / "data" / "summary.json").read_text())
    assert summary["data_origin"].startswith("real 2015 dealer locations")
    assert summary["decisions"]["keep"] + summary["decisions"]["absorb"] >= 1
    assert sum(summary["decisions"].values()) == 207  # the bundled 2015 Infiniti rooftops
    assert "real 2015 dealer locations" in done.stdout
    assert (out / "data" / "scenarios.csv").is_file()  # every shipped scenario, from the wheel
    assert sorted(p.name for p in tmp_path.iterdir()) == ["maps"]  # nothing else written


def test_the_sample_and_every_bundled_scenario_run_from_the_wheel(
    installed: Path, tmp_path: Path
) -> None:
    """The sample under a scenario other than the default; every bundled scenario loads and
    validates from the wheel (the national run above solves each one for its spread)."""
    scenario = "announced-2024"
    done = subprocess.run(
        [
            str(installed / "dealernet"),
            "run",
            "--dealers",
            "sample",
            "--scenario",
            scenario,
            "--no-reports",
            "--no-sensitivity",
            "--out",
            scenario,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((tmp_path / scenario / "data" / "summary.json").read_text())
    assert summary["data_origin"].startswith("synthetic sample")
    assert sum(summary["decisions"].values()) == 197
    loaded = subprocess.run(
        [
            str(installed / "python"),
            "-c",
            "import sys, dealernet\n"
            "for name in sys.argv[1:]:\n"
            "    print(name, len(dealernet.load_scenario(name).rules))",
            *BUNDLED,
        ],
        cwd=installed,  # not tmp_path: its announced-2024/ folder would be read as the file
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    counts = dict(line.split() for line in loaded.stdout.splitlines())
    assert set(counts) == set(BUNDLED) and all(int(n) >= 1 for n in counts.values())
