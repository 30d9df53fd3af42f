"""`dealernet query` and `dealernet.query`: filters that combine, exact radii, totals."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from pyproj import Geod

from dealernet import QueryError
from dealernet.analysis import pipeline
from dealernet.cli.main import cli
from dealernet.geo.places import resolve_place
from dealernet.geo.regions import load_regions
from dealernet.outputs.tables import write_tables
from dealernet.planning.query import DECISIONS, GROUP_BY, GROUP_COLUMNS, query
from dealernet.planning.saved_run import load_results
from helpers import METRES_PER_MILE


@pytest.fixture(scope="module")
def result(sample_result: pipeline.Result) -> pipeline.Result:
    """The shared sample run (``sample_result`` in conftest)."""
    return sample_result


@pytest.fixture(scope="module")
def run_folder(result: pipeline.Result, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample run written as `dealernet run --out` writes it."""
    out = tmp_path_factory.mktemp("run")
    write_tables(result, out)
    return out


def _geod_miles(table: pd.DataFrame, lat: float, lon: float) -> np.ndarray:
    """Miles from one point to every row, straight from pyproj (not through dealernet.geo)."""
    n = len(table)
    _, _, metres = Geod(ellps="WGS84").inv(
        np.full(n, lon),
        np.full(n, lat),
        table["longitude"].to_numpy(),
        table["latitude"].to_numpy(),
    )
    return np.asarray(metres) / METRES_PER_MILE


# --- near: exact geodesic radii -----------------------------------------------------------


def test_near_a_place_name_returns_exactly_the_sites_within_the_geodesic_radius(result) -> None:
    answer = query(result, near="Denver, CO", radius_miles=60)
    centre = resolve_place("Denver, CO")
    assert abs(centre.latitude - 39.74) < 0.1 and abs(centre.longitude + 104.98) < 0.1
    table = result.decisions.table
    miles = _geod_miles(table, centre.latitude, centre.longitude)
    expected = set(table.loc[miles <= 60, "dealer_id"])
    assert expected, "the sample has stores near Denver"
    assert set(answer.sites["dealer_id"]) == expected
    assert len(answer.sites) == len(expected)
    assert answer.label == "within 60 miles of Denver, CO"


def test_near_coordinates_includes_a_site_exactly_on_the_circle_and_nothing_beyond(result) -> None:
    table = result.decisions.table
    lat, lon = 34.05, -118.25  # Los Angeles
    miles = _geod_miles(table, lat, lon)
    order = np.argsort(miles)
    radius = float(miles[order[6]])  # the seventh-nearest store sits on the circle
    answer = query(result, near=f"{lat},{lon}", radius_miles=radius)
    assert set(answer.sites["dealer_id"]) == set(table.loc[miles <= radius, "dealer_id"])
    assert table["dealer_id"].iat[order[6]] in set(answer.sites["dealer_id"])
    just_inside = query(result, near=f"{lat},{lon}", radius_miles=radius * (1 - 1e-9))
    assert set(just_inside.sites["dealer_id"]) == set(table.loc[miles < radius, "dealer_id"])


def test_an_ambiguous_or_unknown_place_is_answered_with_suggestions(result) -> None:
    with pytest.raises(QueryError, match="Denver, CO"):
        query(result, near="Denvr")


# --- filters combine with AND -------------------------------------------------------------


def test_filters_combine_with_and(result) -> None:
    table, jobs = result.decisions.table, result.impacts.table["jobs_lost_base"]
    answer = query(result, states="CA", decision="absorb", min_jobs_lost=15)
    expected = (table["state"] == "CA") & (table["decision"] == "absorb") & (jobs >= 15)
    assert 0 < expected.sum() < (table["state"] == "CA").sum()
    assert list(answer.sites["dealer_id"]) == list(table.loc[expected, "dealer_id"])
    assert answer.label == "California · absorb · at least 15 jobs lost (base)"


def test_values_of_one_filter_match_either(result) -> None:
    table = result.decisions.table
    answer = query(result, states=["TX", "CA"], decision=["absorb", "close"])
    expected = table["state"].isin(["TX", "CA"]) & table["decision"].isin(["absorb", "close"])
    assert list(answer.sites["dealer_id"]) == list(table.loc[expected, "dealer_id"])


def test_region_owner_and_near_combine(result) -> None:
    table = result.decisions.table
    west = set(next(g for g in load_regions().groups if g.name == "West").states)
    owner = table.loc[table["state"].isin(west), "owner_group"].value_counts().index[0]
    answer = query(result, region="west", owner=owner, near="Denver, CO", radius_miles=1500)
    centre = resolve_place("Denver, CO")
    near = _geod_miles(table, centre.latitude, centre.longitude) <= 1500
    expected = table["state"].isin(west) & (table["owner_group"] == owner) & near
    assert expected.any()
    assert list(answer.sites["dealer_id"]) == list(table.loc[expected, "dealer_id"])


def test_a_county_by_name_and_by_fips_code_is_the_same_county(result) -> None:
    from dealernet.geo.boundaries import county_at

    by_name = query(result, county="Dallas County, TX")
    by_fips = query(result, county="48113")
    assert list(by_name.sites["dealer_id"]) == list(by_fips.sites["dealer_id"])
    table = result.decisions.table
    fips, _ = county_at(table["latitude"].to_numpy(), table["longitude"].to_numpy())
    assert set(by_fips.sites["dealer_id"]) == set(table.loc[fips == "48113", "dealer_id"])
    assert len(by_fips.sites) > 0


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"county": "Richmond, VA"}, "Richmond city, VA"),  # a county and a city: never a guess
        ({"county": "Dalas"}, "Dallas County, TX"),
        ({"region": "Southwest"}, "Did you mean 'South'"),
        ({"host": "Dallas"}, "matches"),
        ({"decision": "demolish"}, "keep, absorb"),
        ({"min_jobs_lost": -1}, "jobs-lost floor"),
        ({"states": "Narnia"}, "no state called 'Narnia'"),
        ({"group_by": "zip"}, "cannot group by"),
    ],
)
def test_a_filter_that_cannot_match_as_typed_is_an_error_with_suggestions(
    result, filters: dict, message: str
) -> None:
    with pytest.raises(QueryError, match=message):
        query(result, **filters)


def test_a_valid_query_that_matches_nothing_is_an_empty_answer(result) -> None:
    answer = query(result, states="WY", group_by="state")
    assert answer.sites.empty and answer.groups is not None and answer.groups.empty
    assert answer.totals["stores"] == 0 and answer.totals["jobs_lost_base"] == 0
    assert any("no Infiniti site matches" in n for n in answer.notes)


# --- group-by totals ----------------------------------------------------------------------


@pytest.mark.parametrize("group_by", GROUP_BY)
def test_group_totals_equal_the_sum_of_their_rows(result, group_by: str) -> None:
    """Counts, baselines and people are row sums; ranges are percentiles of summed draws."""
    answer = query(result, decision=["absorb", "close", "unaffected"], group_by=group_by)
    sites, groups = answer.sites, answer.groups
    key = GROUP_COLUMNS[group_by]
    if group_by in ("region", "division"):
        keys = sites[group_by]
    else:
        keys = sites[key].astype(object).where(sites[key].notna(), "(none)")
    assert groups["stores"].sum() == len(sites)
    mask = result.decisions.table["decision"].isin(["absorb", "close", "unaffected"]).to_numpy()
    draws = result.impacts.draws["jobs_lost"][:, mask]
    for _, group in groups.iterrows():
        rows = (keys == group[key]).to_numpy()
        members = sites.loc[rows]
        assert group["stores"] == rows.sum()
        for decision in DECISIONS:
            assert group[f"stores_{decision}"] == (members["decision"] == decision).sum()
        assert group["baseline_revenue_total"] == pytest.approx(
            members["baseline_revenue_total"].sum()
        )
        assert group["baseline_employees_total"] == pytest.approx(
            members["baseline_employees_total"].sum()
        )
        assert group["population_pushed_beyond_50"] == members["customers_pushed_beyond_50"].sum()
        low, base, high = np.percentile(draws[:, rows].sum(axis=1), [10, 50, 90])
        assert (group["jobs_lost_low"], group["jobs_lost_base"], group["jobs_lost_high"]) == (
            pytest.approx(low),
            pytest.approx(base),
            pytest.approx(high),
        )


def test_selection_totals_are_the_sum_of_its_groups_counts(result) -> None:
    answer = query(result, region="South", group_by="state")
    for column in ("stores", "stores_absorb", "population_pushed_beyond_50"):
        assert answer.groups[column].sum() == answer.totals[column]
    assert answer.groups["jobs_lost_base"].sum() == pytest.approx(
        answer.totals["jobs_lost_base"], rel=0.02
    )


# --- output formats -----------------------------------------------------------------------


def test_sites_are_written_as_csv_json_geojson_and_geopackage(result, tmp_path: Path) -> None:
    answer = query(result, states="TX")
    ids = list(answer.sites["dealer_id"])
    csv = pd.read_csv(answer.write(tmp_path / "tx.csv"), dtype={"county_fips": str})
    assert list(csv["dealer_id"]) == ids and set(csv["county_fips"].str.len()) == {5}
    data = json.loads((answer.write(tmp_path / "tx.json")).read_text())
    assert [s["dealer_id"] for s in data["sites"]] == ids and data["selection"] == "Texas"
    geo = json.loads(answer.write(tmp_path / "tx.geojson").read_text())
    assert [f["properties"]["dealer_id"] for f in geo["features"]] == ids
    assert geo["features"][0]["geometry"]["type"] == "Point"
    layer = gpd.read_file(answer.write(tmp_path / "tx.gpkg"), layer="sites")
    assert list(layer["dealer_id"]) == ids and layer.crs.to_epsg() == 4326


def test_state_groups_map_as_outlines_and_owner_groups_cannot(result, tmp_path: Path) -> None:
    by_state = query(result, region="New England", group_by="state")
    geo = json.loads(by_state.write(tmp_path / "ne.geojson").read_text())
    assert {f["geometry"]["type"] for f in geo["features"]} <= {"Polygon", "MultiPolygon"}
    with pytest.raises(QueryError, match="no place to draw"):
        query(result, group_by="owner").write(tmp_path / "owners.geojson")
    with pytest.raises(QueryError, match="extension"):
        by_state.write(tmp_path / "ne.txt")


# --- previous runs (--results) ------------------------------------------------------------


def test_a_run_read_back_from_its_files_gives_the_same_exact_ranges(result, run_folder) -> None:
    loaded = load_results(run_folder)
    assert loaded.ranges_exact, loaded.notes
    fresh = query(result, group_by="state")
    again = query(loaded, group_by="state")
    assert list(again.groups["state"]) == list(fresh.groups["state"])
    for column in ("stores", "jobs_lost_low", "jobs_lost_base", "jobs_lost_high"):
        np.testing.assert_allclose(again.groups[column], fresh.groups[column], rtol=1e-9)


def _copy_with(run_folder: Path, tmp_path: Path, **changes: object) -> Path:
    """A copy of a run folder whose summary.json records other inputs."""
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run_folder, copy)
    summary = json.loads((copy / "data" / "summary.json").read_text())
    summary.update(changes)
    (copy / "data" / "summary.json").write_text(json.dumps(summary))
    return copy


def test_without_the_dealer_files_ranges_are_comonotone_sums_and_say_so(
    run_folder: Path, tmp_path: Path
) -> None:
    copy = _copy_with(run_folder, tmp_path, dealer_files=[str(tmp_path / "gone.csv")])
    answer = query(load_results(copy), states="TX", group_by="state")
    assert not answer.ranges_exact
    assert any("dealer files are not here" in n for n in answer.notes)
    assert any("sums of the stores' own" in n for n in answer.notes)
    rows = answer.sites
    assert answer.groups["jobs_lost_low"].iat[0] == pytest.approx(rows["jobs_lost_low"].sum())
    assert answer.groups["jobs_lost_high"].iat[0] == pytest.approx(rows["jobs_lost_high"].sum())
    assert answer.groups["stores"].iat[0] == len(rows)


def test_unrecorded_assumption_overrides_are_detected_not_trusted(
    sample_network: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    """summary.json does not record --set on an assumption; the rebuilt draws catch it."""
    from dealernet.analysis.pipeline import default_assumptions

    changed = default_assumptions().with_overrides({"revenue_share.new.base": 0.5})
    write_tables(pipeline.run(sample_network, assumptions=changed, what_drives=False), tmp_path)
    loaded = load_results(tmp_path)
    assert not loaded.ranges_exact
    assert any("differ from impacts.csv" in n for n in loaded.notes)


# --- command line -------------------------------------------------------------------------


def test_cli_query_reads_a_run_and_prints_csv(run_folder: Path) -> None:
    out = CliRunner().invoke(
        cli, ["query", "--results", str(run_folder), "--state", "TX", "--format", "csv"]
    )
    assert out.exit_code == 0, out.output
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("dealer_id,")
    decisions = pd.read_csv(run_folder / "data" / "decisions.csv")
    assert len(lines) - 1 == (decisions["state"] == "TX").sum()


def test_cli_query_groups_near_coordinates_and_writes_a_map(run_folder: Path, tmp_path) -> None:
    args = [
        "query",
        "--results",
        str(run_folder),
        "--near",
        "32.78,-96.80",
        "--radius-miles",
        "40",
        "--group-by",
        "decision",
        "--map",
        "--out",
        str(tmp_path),
    ]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    assert "within 40 miles of" in out.stdout and "absorb" in out.stdout
    maps = list((tmp_path / "queries").glob("*.html"))
    assert len(maps) == 1 and maps[0].stat().st_size > 0


def test_cli_query_refuses_results_with_settings_that_cannot_change_them(run_folder) -> None:
    args = ["query", "--results", str(run_folder), "--set", "rules.nearest.capacity=2"]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 2 and "--set" in out.output


def test_cli_choices_match_the_library() -> None:
    from dealernet.cli import planning as planning
    from dealernet.outputs import formats as export

    assert planning.GROUP_BY == GROUP_BY
    assert planning.DECISIONS == DECISIONS
    assert planning.QUERY_FORMATS == export.QUERY_FORMATS
