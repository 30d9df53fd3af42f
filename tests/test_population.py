"""Population points from (Geo)Parquet: files, partitioned folders, CRSs and clear errors."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from dealernet import InputFileError
from dealernet.analysis.access import compute_access
from dealernet.geo.places import load_places
from dealernet.io.population import load_population, open_population, population_files


@pytest.fixture(scope="module")
def places() -> pd.DataFrame:
    found = load_places()
    return found[found["state"].isin(["CO", "WY"])].reset_index(drop=True)


def as_points(frame: pd.DataFrame, crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    geometry = gpd.points_from_xy(frame["longitude"], frame["latitude"], crs="EPSG:4326")
    gdf = gpd.GeoDataFrame(frame.drop(columns=["latitude", "longitude"]), geometry=geometry)
    return gdf.to_crs(crs)


def write_parts(frame: pd.DataFrame, folder: Path, parts: int, **kwargs: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), parts)):
        frame.iloc[rows].to_parquet(folder / f"part.{i}.parquet", **kwargs)
    return folder


def test_reads_a_partitioned_geoparquet_folder_in_natural_order(places, tmp_path) -> None:
    folder = write_parts(as_points(places), tmp_path / "pop", parts=12, row_group_size=50)
    names = [p.name for p in population_files(folder)]
    assert names[:3] == ["part.0.parquet", "part.1.parquet", "part.2.parquet"]
    assert names[-1] == "part.11.parquet"
    loaded = load_population(folder)
    assert list(loaded.columns) == [
        "geonameid",
        "name",
        "state",
        "latitude",
        "longitude",
        "population",
    ]
    pd.testing.assert_frame_equal(loaded[places.columns], places, check_exact=False, rtol=1e-12)


def test_reads_latitude_longitude_columns_with_common_spellings(places, tmp_path) -> None:
    frame = places.rename(columns={"latitude": "Lat", "longitude": "lng", "population": "POP"})
    path = tmp_path / "pop.parquet"
    frame.to_parquet(path)
    loaded = load_population(path)
    np.testing.assert_array_equal(loaded["latitude"], places["latitude"])
    np.testing.assert_array_equal(loaded["population"], places["population"])


def test_points_in_a_projected_crs_come_back_in_wgs84(places, tmp_path) -> None:
    path = tmp_path / "albers.parquet"
    as_points(places, "EPSG:5070").to_parquet(path)
    loaded = load_population(path)
    np.testing.assert_allclose(loaded["latitude"], places["latitude"], atol=1e-9)
    np.testing.assert_allclose(loaded["longitude"], places["longitude"], atol=1e-9)


def test_loaded_population_feeds_the_in_memory_engine(places, tmp_path) -> None:
    folder = write_parts(as_points(places), tmp_path / "pop", parts=3)
    lat, lon = np.array([39.74, 41.14]), np.array([-104.99, -104.82])
    ids = np.array(["DEN", "CHY"], dtype=object)
    access = compute_access(load_population(folder), lat, lon, ids, lat[:1], lon[:1], ids[:1])
    assert access.summary["total_population"] == int(places["population"].sum())
    assert access.summary["population_farther"] > 0


def test_a_missing_path_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(InputFileError, match="not found"):
        load_population(tmp_path / "nowhere")


def test_a_folder_without_parquet_is_a_clear_error(tmp_path) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(InputFileError, match="no Parquet files"):
        load_population(tmp_path)


def test_a_csv_file_is_refused_with_how_to_convert_it(places, tmp_path) -> None:
    places.to_csv(tmp_path / "pop.csv", index=False)
    with pytest.raises(InputFileError, match="to_parquet"):
        load_population(tmp_path / "pop.csv")


def test_a_dataset_without_population_says_which_names_work(places, tmp_path) -> None:
    as_points(places.drop(columns="population")).to_parquet(tmp_path / "p.parquet")
    with pytest.raises(InputFileError, match="population column .*population / pop"):
        open_population(tmp_path / "p.parquet")


def test_a_dataset_without_coordinates_is_refused(places, tmp_path) -> None:
    places.drop(columns=["latitude", "longitude"]).to_parquet(tmp_path / "p.parquet")
    with pytest.raises(InputFileError, match="coordinates"):
        open_population(tmp_path / "p.parquet")


def test_polygons_are_refused_with_a_hint(places, tmp_path) -> None:
    gdf = as_points(places)
    gdf.geometry = shapely.buffer(gdf.geometry.to_numpy(), 0.01)
    gdf.to_parquet(tmp_path / "p.parquet")
    with pytest.raises(InputFileError, match="must be points.*centroids"):
        load_population(tmp_path / "p.parquet")


def test_text_population_is_refused(places, tmp_path) -> None:
    places.astype({"population": str}).to_parquet(tmp_path / "p.parquet")
    with pytest.raises(InputFileError, match="not a number"):
        open_population(tmp_path / "p.parquet")


def test_files_with_different_columns_are_refused(places, tmp_path) -> None:
    places.to_parquet(tmp_path / "a.parquet")
    places.drop(columns="name").to_parquet(tmp_path / "b.parquet")
    with pytest.raises(InputFileError, match="columns differ"):
        open_population(tmp_path)
