"""The Dask access engine gives exactly the in-memory engine's results, on a local cluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("dask.dataframe", reason="the dask engine needs dask (pip install dask)")
distributed = pytest.importorskip(
    "distributed", reason="the dask engine needs distributed (pip install 'dask[distributed]')"
)

import geopandas as gpd  # noqa: E402

from dealernet import InputFileError, SchedulerError  # noqa: E402
from dealernet.analysis.access import access_for_decisions, compute_access  # noqa: E402
from dealernet.analysis.access_dask import access_for_decisions_dask, compute_access_dask  # noqa: E402
from dealernet.geo.places import load_places  # noqa: E402
from dealernet.io.population import load_population  # noqa: E402

# Points of sale in Texas and Oklahoma; "after", three of them are gone and one host is new.
BEFORE = {
    "I-DAL": (32.90, -96.77),
    "I-FTW": (32.75, -97.35),
    "I-HOU": (29.76, -95.37),
    "I-AUS": (30.27, -97.74),
    "I-SAT": (29.42, -98.49),
    "I-OKC": (35.47, -97.52),
    "I-TUL": (36.15, -95.99),
    "I-ELP": (31.76, -106.44),
}
AFTER = {k: v for k, v in BEFORE.items() if k not in {"I-FTW", "I-TUL", "I-ELP"}}
AFTER["N-LBB"] = (33.58, -101.86)


def arrays(sites: dict[str, tuple[float, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lat = np.array([v[0] for v in sites.values()])
    lon = np.array([v[1] for v in sites.values()])
    return lat, lon, np.array(list(sites), dtype=object)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Texas and Oklahoma places as a GeoParquet dataset: 5 files of several row groups."""
    places = load_places()
    places = places[places["state"].isin(["TX", "OK"])].reset_index(drop=True)
    gdf = gpd.GeoDataFrame(
        places.drop(columns=["latitude", "longitude"]),
        geometry=gpd.points_from_xy(places["longitude"], places["latitude"], crs="EPSG:4326"),
    )
    folder = tmp_path_factory.mktemp("population")
    for i, rows in enumerate(np.array_split(np.arange(len(gdf)), 5)):
        gdf.iloc[rows].to_parquet(folder / f"part.{i}.parquet", row_group_size=120)
    return folder


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    """A local cluster of two worker processes, one thread each."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as the_client,
    ):
        yield the_client


def assert_same(one, other) -> None:
    pd.testing.assert_frame_equal(one.places, other.places, check_exact=True)
    assert one.summary == other.summary
    assert one.thresholds == other.thresholds


def test_dask_engine_gives_the_in_memory_results(dataset, client) -> None:
    b, a = arrays(BEFORE), arrays(AFTER)
    in_memory = compute_access(load_population(dataset), *b, *a)
    with_dask = compute_access_dask(dataset, *b, *a, scheduler=client.scheduler.address)
    assert_same(with_dask, in_memory)
    assert with_dask.summary["population_farther"] > 0
    assert len(with_dask.places) == 1637


def test_dask_engine_accepts_a_client_and_thresholds(dataset, client) -> None:
    b, a = arrays(BEFORE), arrays(AFTER)
    in_memory = compute_access(load_population(dataset), *b, *a, thresholds=(10, 40))
    with_dask = compute_access_dask(dataset, *b, *a, scheduler=client, thresholds=(10, 40))
    assert_same(with_dask, in_memory)
    assert "pushed_beyond_40" in with_dask.summary


def test_dask_engine_with_no_point_of_sale_after(dataset, client) -> None:
    b = arrays(BEFORE)
    empty = (np.array([]), np.array([]), np.array([], dtype=object))
    in_memory = compute_access(load_population(dataset), *b, *empty)
    with_dask = compute_access_dask(dataset, *b, *empty, scheduler=client)
    assert_same(with_dask, in_memory)
    assert with_dask.summary["mean_miles_after"] == float("inf")


def test_dask_access_for_decisions_matches(dataset, client) -> None:
    rows = [(k, "Infiniti", *v) for k, v in BEFORE.items()] + [("N-LBB", "Nissan", 33.58, -101.86)]
    network = pd.DataFrame(rows, columns=["dealer_id", "brand", "latitude", "longitude"])
    decisions = pd.DataFrame(
        {
            "dealer_id": list(BEFORE),
            "decision": ["keep", "absorb", "keep", "keep", "keep", "keep", "close", "close"],
            "host_dealer_id": [None, "N-LBB", None, None, None, None, None, None],
        }
    )
    in_memory = access_for_decisions(load_population(dataset), network, decisions)
    with_dask = access_for_decisions_dask(dataset, network, decisions, scheduler=client)
    assert_same(with_dask, in_memory)


def test_a_missing_dataset_is_a_clear_error(tmp_path, client) -> None:
    b = arrays(BEFORE)
    with pytest.raises(InputFileError, match="not found"):
        compute_access_dask(tmp_path / "nowhere", *b, *b, scheduler=client)


def test_a_dataset_without_population_is_a_clear_error(tmp_path, client) -> None:
    pd.DataFrame({"lat": [32.0], "lon": [-97.0]}).to_parquet(tmp_path / "p.parquet")
    b = arrays(BEFORE)
    with pytest.raises(InputFileError, match="lacks a population column"):
        compute_access_dask(tmp_path, *b, *b, scheduler=client)


def test_an_unreachable_scheduler_is_a_clear_error(dataset) -> None:
    b = arrays(BEFORE)
    with pytest.raises(SchedulerError, match="cannot reach the Dask scheduler"):
        compute_access_dask(dataset, *b, *b, scheduler="tcp://127.0.0.1:9", timeout=1)


def test_without_a_scheduler_it_starts_a_local_cluster(dataset) -> None:
    b, a = arrays(AFTER), arrays(BEFORE)
    in_memory = compute_access(load_population(dataset), *b, *a)
    assert_same(compute_access_dask(dataset, *b, *a, n_workers=1), in_memory)
