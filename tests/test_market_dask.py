"""The market model on Dask adds up, piece by piece, to the in-memory solve of all the points."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("dask.dataframe", reason="the dask engine needs dask (pip install dask)")
distributed = pytest.importorskip(
    "distributed", reason="the dask engine needs distributed (pip install 'dask[distributed]')"
)

from dealernet import InputFileError, InvalidInputError  # noqa: E402
from dealernet.analysis.market import Outcome, Parameters, Slots, solve  # noqa: E402
from dealernet.analysis.market_dask import solve_dask, solve_dask_sets  # noqa: E402
from dealernet.geo.customers import load_customers  # noqa: E402
from helpers import market_params  # noqa: E402

STATES = ["TX", "OK", "NM", "AR", "LA"]
TOL = 1e-9
#: Shares of 1e-17 (a rounding error in one sum) may differ by more than TOL relatively.
SHARE_ATOL = 1e-12


@pytest.fixture(scope="module")
def points() -> pd.DataFrame:
    """The shipped customer points of five states (some beyond every brand store's reach)."""
    found = load_customers()
    return found[found["state"].isin(STATES)].reset_index(drop=True)


@pytest.fixture(scope="module")
def slots() -> Slots:
    """12 brand stores in Texas and Oklahoma (6 kept, 4 absorbed into 4 hosts, 2 closed) and
    45 stores of three competing brands, placed at random over the five states."""
    rng = np.random.default_rng(7)
    n_src, n_host, n_comp = 12, 4, 45
    lat = np.r_[rng.uniform(29.5, 36.0, n_src + n_host), rng.uniform(29.0, 36.5, n_comp)]
    lon = np.r_[rng.uniform(-100.0, -95.0, n_src + n_host), rng.uniform(-106.0, -90.0, n_comp)]
    kept = np.r_[np.ones(6, bool), np.zeros(6, bool)]
    return Slots(
        slot_lat=lat,
        slot_lon=lon,
        brand=np.r_[np.zeros(n_src + n_host, "int64"), rng.integers(1, 4, n_comp)],
        brands=("Infiniti", "Lexus", "BMW", "Audi"),
        before=np.r_[np.ones(n_src, bool), np.zeros(n_host, bool), np.ones(n_comp, bool)],
        after=np.r_[kept, np.ones(n_host + n_comp, bool)],
        dualled=np.r_[np.zeros(n_src, bool), np.ones(n_host, bool), np.zeros(n_comp, bool)],
        store_slot=np.arange(n_src),
        store_after=np.r_[np.arange(6), n_src + np.arange(n_host), [-1, -1]],
        cutoff_miles=150.0,
    )


def params(**changes: float) -> Parameters:
    return market_params([1.0, 1.3, 0.8, 1.1], **changes)


@pytest.fixture(scope="module")
def dataset(points: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The points as a partitioned Parquet dataset: 3 files of row groups of 300 points."""
    folder = tmp_path_factory.mktemp("customers")
    for i, rows in enumerate(np.array_split(np.arange(len(points)), 3)):
        points.iloc[rows].to_parquet(folder / f"part.{i}.parquet", row_group_size=300)
    return folder


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    """An in-process cluster (threads): quick to start; the same tasks as on processes."""
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2) as the_client:
        yield the_client


def in_memory(points: pd.DataFrame, slots: Slots, p: Parameters) -> tuple[Outcome, object]:
    market = slots.market(
        points["population"].to_numpy(dtype="float64"),
        points["latitude"].to_numpy(),
        points["longitude"].to_numpy(),
    )
    return solve(market, p), market


def assert_same_stores(got: Outcome, want: Outcome) -> None:
    assert got.destinations == want.destinations
    for name in ("people", "service_people"):
        np.testing.assert_allclose(getattr(got, name), getattr(want, name), rtol=TOL, atol=0)
    for name in ("sales", "service"):  # shares of 1
        np.testing.assert_allclose(
            getattr(got, name), getattr(want, name), rtol=TOL, atol=SHARE_ATOL
        )


def test_dask_solve_equals_the_in_memory_solve(points, slots, dataset, client) -> None:
    want, market = in_memory(points, slots, params())
    found = solve_dask(dataset, slots, params(), scheduler=client)
    assert_same_stores(found.outcome, want)
    assert found.outcome.share_before is None and found.outcome.share_after is None
    # The model is not trivial here: stores have customers, and the closed ones lose some.
    assert (want.people > 0).all()
    assert np.nanmin(want.sales[:, -1]) >= 0 and np.nanmax(want.sales[-2:, 0]) == 0
    assert found.points == len(points)
    # Only points out of every brand store's reach are skipped (with their pairs), and some are.
    pairs = market.pairs  # type: ignore[attr-defined]
    with_brand = np.isin(pairs.point, market.service_pairs.point)  # type: ignore[attr-defined]
    assert np.unique(pairs.point[with_brand]).size <= found.in_reach < len(points)
    assert with_brand.sum() <= found.pairs < pairs.point.size


def test_county_shares_are_the_population_weighted_point_shares(
    points, slots, dataset, client
) -> None:
    want, market = in_memory(points, slots, params())
    found = solve_dask(dataset, slots, params(), scheduler=client)
    assert found.counties is not None
    # The points with a slot of the brand within the cut-off, as the in-memory run maps them.
    reach = np.zeros(len(points), dtype=bool)
    reach[market.service_pairs.point] = True  # type: ignore[attr-defined]
    assert found.in_reach == reach.sum() < len(points)
    table = points.loc[reach].assign(
        before=points["population"] * want.share_before,
        after=points["population"] * want.share_after,
    )
    sums = table.groupby("county", sort=True)[["population", "before", "after"]].sum()
    got = found.counties.set_index("county")
    assert list(got.index) == list(sums.index)
    np.testing.assert_allclose(got["population"], sums["population"], rtol=TOL)
    for world in ("before", "after"):
        expected = sums[world] / sums["population"]
        np.testing.assert_allclose(got[f"share_{world}"], expected, rtol=TOL, atol=1e-15)
    # Counties beyond reach have no row; the others a share, which the scenario moves.
    assert len(got) < points["county"].nunique() and (got["share_before"] > 0).any()
    shares = got[["share_before", "share_after"]].to_numpy()
    assert ((shares >= 0) & (shares <= 1)).all()
    assert (got["share_after"] != got["share_before"]).any()


def test_several_parameter_sets_in_one_pass(points, slots, dataset, client) -> None:
    sets = [params(), params(decay_sales=2.7, cutoff_miles=100.0, dualled=0.65)]
    found = solve_dask_sets(dataset, slots, sets, scheduler=client)
    for got, p in zip(found, sets, strict=True):
        assert_same_stores(got.outcome, in_memory(points, slots, p)[0])
    # A smaller cut-off changes the answer (the second set is not the first one again).
    assert not np.allclose(found[0].outcome.people, found[1].outcome.people)


def test_a_population_without_counties_and_a_narrower_slot_cutoff(
    points, slots, tmp_path, client
) -> None:
    narrow = replace(slots, cutoff_miles=80.0)
    points.drop(columns=["county"]).to_parquet(tmp_path / "one.parquet", row_group_size=500)
    found = solve_dask(tmp_path / "one.parquet", narrow, params(), scheduler=client)
    assert found.counties is None
    assert_same_stores(found.outcome, in_memory(points, narrow, params())[0])


def test_bad_points_and_settings_are_refused(points, slots, tmp_path, client) -> None:
    bad = points.head(50).copy()
    bad.loc[3, "latitude"] = 123.0
    bad.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(InvalidInputError, match=r"bad\.parquet \(row group 0\): 1 of 50 points"):
        solve_dask(tmp_path / "bad.parquet", slots, params(), scheduler=client)
    with pytest.raises(InvalidInputError, match="at least one parameter set"):
        solve_dask_sets(tmp_path / "bad.parquet", slots, [], scheduler=client)
    with pytest.raises(InputFileError, match="not found"):
        solve_dask(tmp_path / "missing", slots, params(), scheduler=client)


def test_an_empty_population_gives_stores_without_customers(
    points, slots, tmp_path, client
) -> None:
    points.head(0).to_parquet(tmp_path / "empty.parquet")
    found = solve_dask(tmp_path / "empty.parquet", slots, params(), scheduler=client)
    assert found.points == found.pairs == 0
    assert (found.outcome.people == 0).all() and np.isnan(found.outcome.sales).all()
    assert found.counties is not None and found.counties.empty


def test_a_run_on_dask_gives_the_in_memory_runs_figures(sample_network, tmp_path, client) -> None:
    """``run(engine="dask")`` solves the market on the cluster over the population dataset:
    every store's figures as the in-memory run over the same file, shares by county."""
    from dealernet import run

    customers = load_customers()
    customers.to_parquet(tmp_path / "customers.parquet", row_group_size=4_000)
    network = sample_network
    memory = run(network, population=tmp_path / "customers.parquet", what_drives=False)
    dask = run(network, population=tmp_path / "customers.parquet", engine="dask", scheduler=client)
    want, got = memory.impacts.table, dask.impacts.table
    assert list(got.columns) == list(want.columns)
    numbers = [c for c in want.columns if pd.api.types.is_float_dtype(want[c])]
    assert "new_units_base" in numbers and "jobs_lost_base" in numbers
    for column in numbers:
        np.testing.assert_allclose(got[column], want[column], rtol=1e-9, atol=1e-9, err_msg=column)
    assert dask.market.customer_points == memory.market.customer_points == len(customers)
    # Per county, the population-weighted shares of the in-memory points.
    from dealernet.analysis.market_maps import county_share_change

    by_county = county_share_change(memory.market.points).set_index("county")
    on_dask = county_share_change(dask.market.points).set_index("county")
    assert on_dask.index.equals(by_county.index) and len(on_dask) > 1_000
    np.testing.assert_allclose(on_dask["share_after"], by_county["share_after"], atol=1e-12)
    assert dask.market.market is None  # no per-point arrays: no decay fits on Dask


def test_zip_sales_on_dask_is_refused_before_any_work(sample_network, tmp_path) -> None:
    from dealernet import run

    (tmp_path / "sales.csv").write_text("dealer_id,zip,units\nX,10001,5\n")
    with pytest.raises(InvalidInputError, match="--zip-sales.*without --engine dask"):
        run(
            sample_network,
            population=tmp_path / "x.parquet",
            engine="dask",
            zip_sales=tmp_path / "sales.csv",
        )
