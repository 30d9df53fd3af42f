"""The public API a notebook user reaches for: ``import dealernet`` and the Result it returns."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

import dealernet
from dealernet import InvalidInputError


def test_every_public_name_resolves() -> None:
    missing = [name for name in dealernet.__all__ if not hasattr(dealernet, name)]
    assert not missing
    assert sorted(dir(dealernet)) == sorted(dealernet.__all__)


def test_the_verbs_and_every_exception_are_public() -> None:
    verbs = {"load_network", "validate_network", "run", "query", "compare", "sweep"}
    writers = {"write_map", "write_reports", "write_tables"}
    assert verbs | writers <= set(dealernet.__all__)
    from dealernet import _errors

    errors = {
        name
        for name, value in vars(_errors).items()
        if isinstance(value, type) and issubclass(value, Exception)
    }
    assert errors <= set(dealernet.__all__), errors - set(dealernet.__all__)
    assert "MissingDependencyError" in errors


def test_importing_dealernet_does_not_import_the_stages() -> None:
    code = "import sys, dealernet; print(sorted(m for m in sys.modules if 'dealernet.' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_repr_is_a_few_lines_with_counts_and_totals(sample_result: dealernet.Result) -> None:
    text = repr(sample_result)
    assert len(text.splitlines()) <= 6
    assert len(text) < 600
    counts = sample_result.decisions.counts()
    assert f"{counts['absorb']:,} absorb" in text
    jobs = sample_result.national["jobs_lost_base"]
    assert f"{jobs:,.0f}" in text
    assert "synthetic sample" in text


def test_repr_html_shows_the_national_ranges(sample_result: dealernet.Result) -> None:
    html = sample_result._repr_html_()
    for bound in ("low", "base", "high"):
        assert f"{sample_result.national[f'jobs_lost_{bound}']:,.0f}" in html
    assert html.count("<tr>") >= 4 + 4  # four decisions, header rows and totals


def test_repr_html_escapes_the_scenario_name(sample_result: dealernet.Result) -> None:
    import copy

    hostile = copy.copy(sample_result)
    hostile.scenario = copy.copy(sample_result.scenario)
    object.__setattr__(hostile.scenario, "name", "<script>alert(1)</script>")
    html = hostile._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_decisions_and_impacts_are_geodataframes_in_wgs84(
    sample_result: dealernet.Result,
) -> None:
    decisions = sample_result.decisions_gdf
    impacts = sample_result.impacts_gdf
    for frame in (decisions, impacts):
        assert isinstance(frame, gpd.GeoDataFrame)
        assert frame.crs == "EPSG:4326"
        assert len(frame) == len(sample_result.decisions.table)
        np.testing.assert_allclose(frame.geometry.x, frame["longitude"])
        np.testing.assert_allclose(frame.geometry.y, frame["latitude"])
    assert impacts["jobs_lost_base"].sum() == pytest.approx(
        sample_result.impacts.table["jobs_lost_base"].sum()
    )
    assert list(decisions["dealer_id"]) == list(sample_result.decisions.table["dealer_id"])


def test_decision_distances_match_pyproj_from_the_geodataframes(
    sample_result: dealernet.Result,
) -> None:
    """A geopandas user can check a host distance from the frames alone."""
    decisions = sample_result.decisions_gdf
    absorbed = decisions[decisions["decision"] == "absorb"].head(20)
    hosts = sample_result.network.set_index("dealer_id").loc[absorbed["host_dealer_id"]]
    _, _, metres = Geod(ellps="WGS84").inv(
        absorbed.geometry.x.to_numpy(),
        absorbed.geometry.y.to_numpy(),
        hosts["longitude"].to_numpy(),
        hosts["latitude"].to_numpy(),
    )
    np.testing.assert_allclose(absorbed["distance_miles"], metres / 1609.344, atol=1e-6)


def test_explore_returns_the_folium_map_with_the_sites(sample_result: dealernet.Result) -> None:
    m = sample_result.explore()
    assert isinstance(m, folium.Map)
    html = m.get_root().render()
    name = sample_result.decisions.table["name"].iloc[0]
    assert name in html


def test_write_writes_what_run_writes(sample_result: dealernet.Result, tmp_path: Path) -> None:
    written = sample_result.write(tmp_path / "out", reports=False)
    names = sorted(p.relative_to(tmp_path / "out").as_posix() for p in written)
    assert "network.html" in names
    expected = ["decisions.csv", "impacts.csv", "owners.csv", "regions.csv", "access.csv"]
    assert {f"data/{n}" for n in expected} <= set(names)
    assert all(p.is_file() for p in written)
    decisions = pd.read_csv(tmp_path / "out" / "data" / "decisions.csv", dtype=str)
    assert len(decisions) == len(sample_result.decisions.table)


def test_run_on_a_plain_geodataframe_in_another_crs(sample_network: gpd.GeoDataFrame) -> None:
    """Only id, name, brand and point geometry, projected: the run places every site."""
    slim = sample_network[["dealer_id", "name", "brand", "geometry"]].to_crs("EPSG:5070")
    result = dealernet.run(slim, what_drives=False)
    table = result.decisions.table.set_index("dealer_id")
    original = sample_network.set_index("dealer_id").loc[table.index]
    np.testing.assert_allclose(table["latitude"], original["latitude"], atol=1e-9)
    np.testing.assert_allclose(table["longitude"], original["longitude"], atol=1e-9)
    assert int(result.decisions.counts().sum()) == int(
        (sample_network["brand"] == "Infiniti").sum()
    )


def test_run_on_a_frame_without_schema_columns_names_them(
    sample_network: gpd.GeoDataFrame,
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        dealernet.run(sample_network[["name", "geometry"]])
    message = str(caught.value)
    assert "dealer_id" in message
    assert "brand" in message
    assert "KeyError" not in message


def test_run_on_a_frame_with_other_spellings(sample_network: gpd.GeoDataFrame) -> None:
    frame = pd.DataFrame(
        {
            "Dealer Code": sample_network["dealer_id"],
            "Name": sample_network["name"],
            "Make": sample_network["brand"].str.upper(),
            "lat": sample_network["latitude"],
            "lng": sample_network["longitude"],
        }
    )
    result = dealernet.run(frame, what_drives=False)
    assert int(result.decisions.counts().sum()) == int(
        (sample_network["brand"] == "Infiniti").sum()
    )


def test_run_refuses_what_is_not_a_frame() -> None:
    with pytest.raises(InvalidInputError, match="GeoDataFrame or DataFrame"):
        dealernet.run([1, 2, 3])  # type: ignore[arg-type]


def test_data_origin_counts_what_was_inferred_or_estimated_for_your_files(
    sample_network: gpd.GeoDataFrame,
) -> None:
    """Own files (not a bundled network): the origin line counts unknown owners and estimates."""
    frame = pd.DataFrame(sample_network.drop(columns=["geometry", "source_file"]))
    frame["owner_group"] = frame["owner_group"].where(frame.index % 2 == 0, "  ")
    frame = frame.drop(columns=["annual_new_units", "annual_used_units", "annual_revenue"])
    frame["dealer_id"] = frame["dealer_id"].str.replace("SAMPLE-", "MINE-")
    result = dealernet.run(frame, what_drives=False)
    origin = result.data_origin
    infiniti = result.network[result.network["brand"] == "Infiniti"]
    blank = int(infiniti["owner_group"].isna().sum() + infiniti["owner_group"].eq("  ").sum())
    assert origin.startswith("your dealer files")
    assert f"owners not known for {blank:,} Infiniti stores" in origin
    assert "sales estimated for" in origin
