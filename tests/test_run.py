"""`dealernet run` end to end on the sample: decisions per rule, totals, tables written."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from dealernet.cli.main import cli
from dealernet.geo.customers import load_customers
from helpers import DEALERS, SCENARIOS_DIR


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(cli, ["run", "--dealers", str(DEALERS), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_run_prints_decisions_per_rule_and_national_ranges(sample_run) -> None:
    out, output = sample_run
    decisions = pd.read_csv(out / "data" / "decisions.csv")
    for rule_id, count in decisions["rule_id"].value_counts().items():
        row = next(line for line in output.splitlines() if f" {rule_id} " in line)
        assert f" {count} " in row, row
    assert "National totals" in output and "Jobs lost" in output
    assert "Population-weighted mean distance" in output


def test_run_writes_the_map_the_index_and_a_report_per_affected_owner(sample_run) -> None:
    out, output = sample_run
    owners = pd.read_csv(out / "data" / "owners.csv")
    affected = int((owners["stores_affected"] > 0).sum())
    assert len(list((out / "owners").glob("*.html"))) == affected
    assert (out / "index.html").is_file() and (out / "network.html").is_file()
    assert f"Owner reports: {affected} in" in output


def test_no_reports_skips_reports_and_index(tmp_path: Path) -> None:
    args = ["run", "--dealers", str(DEALERS), "--out", str(tmp_path), "--no-reports"]
    assert CliRunner().invoke(cli, [*args, "--no-sensitivity"]).exit_code == 0
    assert (tmp_path / "network.html").is_file()
    assert not (tmp_path / "owners").exists() and not (tmp_path / "index.html").exists()


def test_run_writes_every_table_with_one_row_per_infiniti_site(sample_run) -> None:
    out, _ = sample_run
    infiniti = pd.read_csv(DEALERS / "infiniti.csv", dtype=str)
    for name in ("decisions.csv", "impacts.csv"):
        table = pd.read_csv(out / "data" / name, dtype={"dealer_id": str})
        assert list(table["dealer_id"]) == list(infiniti["dealer_id"])
    owners = pd.read_csv(out / "data" / "owners.csv")
    assert owners["stores"].sum() == len(infiniti)
    summary = json.loads((out / "data" / "summary.json").read_text())
    assert (
        summary["decisions"]["absorb"]
        == (pd.read_csv(out / "data" / "decisions.csv")["decision"] == "absorb").sum()
    )
    access = pd.read_csv(out / "data" / "access.csv")
    assert len(access) == summary["access"]["places"] == len(load_customers())
    # the default run also says what drives the figures (the other runs here skip it)
    assert (out / "data" / "sensitivity.csv").is_file()
    assert (out / "data" / "scenarios.csv").is_file()


def test_same_inputs_give_byte_identical_tables(sample_run, tmp_path: Path) -> None:
    out, _ = sample_run
    args = ["run", "--dealers", str(DEALERS), "--out", str(tmp_path), "--no-reports"]
    # without the sensitivity, which must not change these tables either
    again = CliRunner().invoke(cli, [*args, "--no-sensitivity"])
    assert again.exit_code == 0
    for name in ("decisions.csv", "impacts.csv", "owners.csv", "regions.csv"):
        assert (out / "data" / name).read_bytes() == (tmp_path / "data" / name).read_bytes(), name


def test_scenario_and_set_change_the_outcome(tmp_path: Path) -> None:
    args = ["run", "--dealers", str(DEALERS), "--out", str(tmp_path), "--no-reports"]
    args += ["--no-sensitivity"]
    result = CliRunner().invoke(
        cli, [*args, "--scenario", str(SCENARIOS_DIR / "all-stand-alone.toml")]
    )
    assert result.exit_code == 0, result.output
    decisions = pd.read_csv(tmp_path / "data" / "decisions.csv")
    assert set(decisions["decision"]) == {"absorb", "unaffected"}
    result = CliRunner().invoke(
        cli,
        [*args, "--set", "rules.nearest.max_distance_miles=5", "--set", "revenue_share.new=0.5"]
        + ["--overwrite"],  # another scenario into the same folder: replaced, not mixed
    )
    assert result.exit_code == 0, result.output
    tight = pd.read_csv(tmp_path / "data" / "decisions.csv")
    assert (tight["decision"] == "close").sum() > 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "revenue_share.ne.base=0.5"], "did you mean 'revenue_share.new.base'"),
        (["--set", "rules.nearst.capacity=2"], "no rule 'nearst'"),
        (["--scenario", "nope.toml"], "no scenario file"),
        (["--assumptions", "nope.toml"], "no assumptions file at"),
    ],
)
def test_bad_settings_are_clear_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(
        cli, ["run", "--dealers", str(DEALERS), "--out", str(tmp_path), *args]
    )
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_csv_cells_that_a_spreadsheet_would_run_are_defused(tmp_path: Path) -> None:
    dealers = tmp_path / "dealers.csv"
    frame = pd.read_csv(DEALERS / "infiniti.csv", dtype=str)
    frame.loc[0, "name"] = '=HYPERLINK("http://evil.example","click")'
    frame.loc[0, "owner_group"] = "@SUM(1+1)"
    frame.to_csv(dealers, index=False)
    nissan = tmp_path / "nissan.csv"
    nissan.write_bytes((DEALERS / "nissan.csv").read_bytes())
    out = tmp_path / "out"
    args = [
        "run",
        "--dealers",
        str(dealers),
        "--dealers",
        str(nissan),
        "--out",
        str(out),
        "--no-reports",
        "--no-sensitivity",
    ]
    assert CliRunner().invoke(cli, args).exit_code == 0
    decisions = pd.read_csv(out / "data" / "decisions.csv", dtype=str)
    assert decisions.loc[0, "name"] == "'" + frame.loc[0, "name"]
    assert decisions.loc[0, "owner_group"] == "'@SUM(1+1)"
    assert decisions["longitude"].str.startswith("-").all()  # numbers are left alone
    owners = pd.read_csv(out / "data" / "owners.csv", dtype=str)
    assert "'@SUM(1+1)" in set(owners["owner_group"])
    assert not any(cell.startswith(("=", "@")) for cell in owners["owner_group"])


def test_every_kind_of_file_a_run_writes_is_one_whose_temporary_the_next_run_clears(
    sample_run,
) -> None:
    """A killed run leaves ``.<name>.XXXXXXXX.tmp`` behind; the next run removes only names
    it knows as its own (once it missed the workbook's)."""
    from dealernet._atomic import is_our_temporary

    out, _output = sample_run
    # the folder's lock is held open while the run writes, not written atomically
    written = [p for p in out.rglob("*") if p.is_file() and p.parent.name != ".dealernet"]
    assert {p.suffix for p in written} >= {".html", ".csv", ".json", ".gpkg", ".xlsx"}
    missed = [p.name for p in written if not is_our_temporary(f".{p.name}.ab12CD34.tmp")]
    assert missed == []


def test_a_killed_geopackage_write_leaves_only_files_the_next_run_clears(tmp_path) -> None:
    """GDAL writes the bundle under a ``.gpkg`` name beside the temporary file, and SQLite
    adds its journal: a SIGKILL in CI once left ``.dealernet.gpkg.16fwhcm9.gpkg-journal``."""
    from dealernet._atomic import remove_stale_temporaries

    ours = [
        ".dealernet.gpkg.16fwhcm9.tmp",
        ".dealernet.gpkg.16fwhcm9.gpkg",
        ".dealernet.gpkg.16fwhcm9.gpkg-journal",
        ".dealernet.xlsx.ab12CD34.tmp",
    ]
    theirs = [".thesis.docx.ab12CD34.tmp", "dealernet.gpkg-journal", ".notes.gpkg"]
    for name in ours + theirs:
        (tmp_path / name).write_text("x")
    removed = sorted(p.name for p in remove_stale_temporaries(tmp_path))
    assert removed == sorted(ours)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(theirs)
