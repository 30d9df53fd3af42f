"""The run manifest ``OUT/run.json`` (issue 17): what made a run, and one run per folder.

A folder written with one scenario must never be mixed with another's files: a second run
with another scenario is refused, ``--overwrite`` replaces the first and leaves none of its
files, and ``map`` / ``report --results`` draw from the finished run without rerunning it.
The hashes in the manifest are checked against ``hashlib`` on the files themselves.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dealernet.cli.main import cli
from dealernet.settings import SCENARIOS_DIR

HERE = Path(__file__).parent / "data" / "bad" / "outdir"
TINY = HERE / "tiny_before.csv"
OTHER_DEALERS = HERE / "tiny.csv"
FAST = ["--no-sensitivity"]


def _run(out: Path, *extra: str, dealers: Path = TINY) -> tuple[int, str]:
    args = ["run", "--dealers", str(dealers), "--out", str(out), *FAST, *extra]
    result = CliRunner().invoke(cli, args, env={"COLUMNS": "200"})
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def _manifest(out: Path) -> dict:
    return json.loads((out / "run.json").read_text("utf-8"))


def _files(out: Path) -> dict[str, bytes]:
    """Every file of the folder but the lock, by relative path."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in out.rglob("*")
        if p.is_file() and ".dealernet" not in p.parts
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run of the tiny network with the default scenario and every report."""
    out = tmp_path_factory.mktemp("first") / "out"
    code, output = _run(out)
    assert code == 0, output
    return out


def test_the_manifest_records_the_inputs_with_their_hashes(first_run: Path) -> None:
    data = _manifest(first_run)
    run = data["run"]
    summary = json.loads((first_run / "data" / "summary.json").read_text("utf-8"))
    assert run["data_origin"] == summary["data_origin"]
    assert run["scenario"]["name"] == summary["scenario"]["name"]
    assert run["scenario"]["file_sha256"] == _sha256(SCENARIOS_DIR / "consolidation.toml")
    assert run["scenario"]["overrides"] is None and run["assumptions"]["overrides"] is None
    assert [f["sha256"] for f in run["dealers"]["files"]] == [_sha256(TINY)]
    assert run["dealers"]["files"][0]["path"].endswith("tiny_before.csv")
    assert run["assumptions"]["draws"] == 2000 and len(run["fingerprint"]) == 64
    assert data["complete"] is True and data["dealernet"] and data["finished"].endswith("Z")


def test_the_manifest_lists_every_file_the_run_wrote(first_run: Path) -> None:
    listed = set(_manifest(first_run)["files"])
    assert listed == set(_files(first_run)) - {"run.json"}
    for name in ("dealernet.xlsx", "dealernet.gpkg", "network.html", "index.html"):
        assert name in listed
    assert any(f.startswith("owners/") for f in listed)


def test_a_set_value_changes_the_recorded_settings(tmp_path: Path, first_run: Path) -> None:
    out = tmp_path / "out"
    code, output = _run(out, "--no-reports", "--set", "rules.nearest.max_distance_miles=5")
    assert code == 0, output
    changed, first = _manifest(out)["run"], _manifest(first_run)["run"]
    assert changed["scenario"]["overrides"] == "rules.nearest.max_distance_miles=5"
    assert changed["scenario"]["file_sha256"] == first["scenario"]["file_sha256"]
    assert changed["scenario"]["settings_sha256"] != first["scenario"]["settings_sha256"]
    assert changed["fingerprint"] != first["fingerprint"]


def _copy(first_run: Path, tmp_path: Path) -> Path:
    import shutil

    out = tmp_path / "out"
    shutil.copytree(first_run, out)
    return out


def test_another_scenario_is_refused_and_changes_nothing(first_run: Path, tmp_path: Path) -> None:
    out = _copy(first_run, tmp_path)
    before = _files(out)
    code, output = _run(out, "--scenario", "announced-2024", "--no-reports")
    assert code == 1
    flat = " ".join(output.split())
    assert "holds a run made with other inputs (not the same: the scenario;" in flat
    assert "--overwrite" in flat and f"--out {out}-2" in flat
    assert _files(out) == before


def test_another_assumption_is_refused_too(first_run: Path, tmp_path: Path) -> None:
    out = _copy(first_run, tmp_path)
    code, output = _run(out, "--set", "revenue_share.new=0.5", "--no-reports")
    assert code == 1
    assert "the assumptions or --set values" in " ".join(output.split())


def test_overwrite_leaves_no_file_of_the_replaced_run(first_run: Path, tmp_path: Path) -> None:
    out = _copy(first_run, tmp_path)
    mine = out / "notes.txt"  # a file of the user's beside the run: never ours to delete
    mine.write_text("my notes", encoding="utf-8")
    earlier = set(_manifest(out)["files"])
    code, output = _run(out, "--scenario", "announced-2024", "--no-reports", "--overwrite")
    assert code == 0, output
    data = _manifest(out)
    assert data["run"]["scenario"]["name"].startswith("Announced 2024")
    on_disk = set(_files(out)) - {"run.json", "notes.txt"}
    assert on_disk == set(data["files"]) == set(data["written"])
    stale = earlier - set(data["written"])
    assert any(f.startswith("owners/") for f in stale) and "index.html" in stale
    assert not (out / "owners").exists()  # emptied, so removed
    assert mine.read_text(encoding="utf-8") == "my notes"


def test_changed_dealer_files_replace_the_run_without_overwrite(
    first_run: Path, tmp_path: Path
) -> None:
    out = _copy(first_run, tmp_path)
    code, output = _run(out, "--no-reports", dealers=OTHER_DEALERS)
    assert code == 0, output
    assert not list(out.glob("owners/old-group.*"))  # the old data's owner: gone
    assert _manifest(out)["run"]["dealers"]["files"][0]["sha256"] == _sha256(OTHER_DEALERS)


def test_report_and_map_read_a_finished_run_without_rerunning_it(
    first_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _copy(first_run, tmp_path)
    report = next(out.glob("owners/alpha-group.html"))
    as_run = report.read_bytes()
    report.unlink()

    def no_analysis(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("--results must not rerun the analysis")

    monkeypatch.setattr("dealernet.cli._finished.analyse", no_analysis)
    monkeypatch.setattr("dealernet.cli.main.analyse", no_analysis)
    runner = CliRunner()
    done = runner.invoke(cli, ["report", "--results", str(out), "--owner", "Alpha Group"])
    assert done.exit_code == 0, done.output
    assert report.read_bytes() == as_run  # the same page as the run wrote
    near = ["--near", "30.2672,-97.7431", "--radius-miles", "20"]  # Austin, not Waco
    done = runner.invoke(cli, ["map", "--results", str(out), *near])
    assert done.exit_code == 0, done.output
    regional = list((out / "regions").glob("within-20-miles-*.html"))
    page = regional[0].read_text("utf-8")
    assert len(regional) == 1 and "Infiniti of Austin" in page and "Infiniti of Waco" not in page
    data = _manifest(out)
    assert data["command"] == "map" and data["run"] == _manifest(first_run)["run"]
    assert regional[0].relative_to(out).as_posix() in data["files"]


def test_results_of_one_run_refuse_a_folder_of_another(first_run: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    code, output = _run(other, "--scenario", "announced-2024", "--no-reports")
    assert code == 0, output
    done = CliRunner().invoke(
        cli, ["report", "--results", str(first_run), "--all", "--out", str(other)]
    )
    assert done.exit_code == 1
    assert "holds a run made with other inputs" in " ".join(done.output.split())
