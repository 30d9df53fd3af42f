"""Customer access before and after: checked against a brute-force geodesic recomputation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from dealernet import InvalidInputError
from dealernet.analysis.access import (
    ACCESS_COLUMNS,
    Access,
    access_by_site,
    access_for_decisions,
    compute_access,
    points_of_sale,
)
from dealernet.geo.places import load_places
from helpers import METRES_PER_MILE

# Points of sale around Texas and Oklahoma: (id, latitude, longitude).
SITES = [
    ("I-DAL", 32.90, -96.77),
    ("I-FTW", 32.75, -97.35),
    ("I-HOU", 29.76, -95.37),
    ("I-AUS", 30.27, -97.74),
    ("I-SAT", 29.42, -98.49),
    ("I-OKC", 35.47, -97.52),
    ("I-TUL", 36.15, -95.99),
    ("I-ELP", 31.76, -106.44),
]


@pytest.fixture(scope="module")
def places() -> pd.DataFrame:
    """Real places in Texas and Oklahoma (1,637 of them)."""
    found = load_places()
    return found[found["state"].isin(["TX", "OK"])].reset_index(drop=True)


def sites(ids: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    chosen = [s for s in SITES if s[0] in ids]
    return (
        np.array([s[1] for s in chosen]),
        np.array([s[2] for s in chosen]),
        np.array([s[0] for s in chosen], dtype=object),
    )


def brute_force(places: pd.DataFrame, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Nearest site id and miles for every place, from every place-site distance."""
    lat, lon, sid = sites(ids)
    if not len(sid):
        return np.full(len(places), None, dtype=object), np.full(len(places), np.inf)
    plat = np.repeat(places["latitude"].to_numpy(), len(sid))
    plon = np.repeat(places["longitude"].to_numpy(), len(sid))
    _, _, metres = Geod(ellps="WGS84").inv(
        plon, plat, np.tile(lon, len(places)), np.tile(lat, len(places))
    )
    miles = np.asarray(metres).reshape(len(places), len(sid)) / METRES_PER_MILE
    best = miles.argmin(axis=1)
    return sid[best], miles[np.arange(len(places)), best]


def run(places: pd.DataFrame, before: list[str], after: list[str]) -> Access:
    return compute_access(places, *sites(before), *sites(after))


ALL = [s[0] for s in SITES]


def test_access_equals_brute_force(places: pd.DataFrame) -> None:
    after = ["I-FTW", "I-HOU", "I-SAT", "I-TUL"]
    access = run(places, ALL, after)
    got = access.places
    pop = places["population"].to_numpy(dtype=float)
    id_before, mi_before = brute_force(places, ALL)
    id_after, mi_after = brute_force(places, after)
    assert list(got["nearest_before_id"]) == list(id_before)
    assert list(got["nearest_after_id"]) == list(id_after)
    np.testing.assert_allclose(got["miles_before"], mi_before, rtol=1e-12)
    np.testing.assert_allclose(got["miles_after"], mi_after, rtol=1e-12)
    np.testing.assert_allclose(got["added_miles"], mi_after - mi_before, rtol=1e-9, atol=1e-9)
    summary = access.summary
    assert summary["places"] == len(places)
    assert summary["total_population"] == pop.sum()
    assert summary["mean_miles_before"] == pytest.approx((pop * mi_before).sum() / pop.sum())
    assert summary["mean_miles_after"] == pytest.approx((pop * mi_after).sum() / pop.sum())
    assert summary["mean_added_miles"] == pytest.approx(
        (pop * (mi_after - mi_before)).sum() / pop.sum()
    )
    for t in (25, 50, 100):
        assert summary[f"beyond_{t}_before"] == pop[mi_before > t].sum()
        assert summary[f"beyond_{t}_after"] == pop[mi_after > t].sum()
        assert summary[f"pushed_beyond_{t}"] == pop[(mi_before <= t) & (mi_after > t)].sum()
    assert summary["population_farther"] == pop[mi_after > mi_before].sum()
    assert summary["beyond_100_after"] > summary["beyond_100_before"]  # Dallas, OKC, El Paso go


def test_access_keeps_the_places_and_their_order(places: pd.DataFrame) -> None:
    got = run(places, ALL, ALL).places
    assert list(got.columns) == [*places.columns, *ACCESS_COLUMNS]
    pd.testing.assert_frame_equal(got[list(places.columns)], places)
    assert (got["added_miles"] == 0).all()


def test_closed_store_sends_its_customers_to_the_next_nearest(places: pd.DataFrame) -> None:
    after = [i for i in ALL if i != "I-DAL"]
    access = run(places, ALL, after)
    frame = access.places
    served = frame["nearest_before_id"] == "I-DAL"
    assert served.sum() > 50
    assert (frame.loc[~served, "added_miles"] == 0).all()  # nobody else is affected
    assert set(frame.loc[served, "nearest_after_id"]) <= {
        "I-FTW",
        "I-OKC",
        "I-TUL",
        "I-HOU",
        "I-AUS",
    }
    _, next_miles = brute_force(places[served.to_numpy()], after)
    np.testing.assert_allclose(frame.loc[served, "miles_after"], next_miles, rtol=1e-12)
    assert (frame.loc[served, "added_miles"] >= 0).all()

    table = access_by_site(access, ["I-DAL", "I-DAL", "I-ELP"])
    assert list(table["dealer_id"]) == ["I-DAL", "I-ELP"]
    dal = table.iloc[0]
    pop = frame.loc[served, "population"].to_numpy(dtype=float)
    added = frame.loc[served, "added_miles"].to_numpy()
    assert dal["places"] == served.sum()
    assert dal["population"] == pop.sum()
    assert dal["mean_added_miles"] == pytest.approx((pop * added).sum() / pop.sum())
    assert dal["max_added_miles"] == pytest.approx(added[pop > 0].max())
    assert dal["main_nearest_after_id"] == "I-FTW"  # Fort Worth is 30 miles west
    assert (
        dal["pushed_beyond_25"]
        == pop[
            (frame.loc[served, "miles_before"] <= 25).to_numpy()
            & (frame.loc[served, "miles_after"] > 25).to_numpy()
        ].sum()
    )
    elp = table.iloc[1]  # El Paso stays open in this run: it lost nobody
    assert elp["population"] > 0 and elp["mean_added_miles"] == 0


def test_store_that_served_nobody_has_an_empty_row(places: pd.DataFrame) -> None:
    table = access_by_site(run(places, ALL, ALL), ["NOT-A-SITE"])
    row = table.iloc[0]
    assert row["places"] == 0 and row["population"] == 0
    assert np.isnan(row["mean_added_miles"]) and np.isnan(row["max_added_miles"])
    assert row["main_nearest_after_id"] is None


def test_no_points_of_sale_after_puts_everyone_beyond_every_threshold(
    places: pd.DataFrame,
) -> None:
    nobody = places.head(1).assign(name="Ghost Town", population=0)
    access = run(pd.concat([places, nobody], ignore_index=True), ALL, [])
    frame, summary = access.places, access.summary
    assert frame["nearest_after_id"].isna().all()
    assert np.isinf(frame["miles_after"]).all() and np.isinf(frame["added_miles"]).all()
    assert summary["mean_miles_after"] == np.inf  # not NaN: places of 0 people are skipped
    assert summary["mean_added_miles"] == np.inf
    for t in (25, 50, 100):
        assert summary[f"beyond_{t}_after"] == summary["total_population"]
    assert summary["population_farther"] == summary["total_population"]


def test_no_points_of_sale_at_all_gives_nan_added_distance(places: pd.DataFrame) -> None:
    summary = run(places.head(5), [], []).summary
    assert np.isinf(summary["mean_miles_before"]) and np.isnan(summary["mean_added_miles"])
    assert summary["pushed_beyond_50"] == 0


def test_no_places_gives_zero_population_and_nan_means(places: pd.DataFrame) -> None:
    access = run(places.iloc[0:0], ALL, ALL[:2])
    assert access.places.empty
    assert list(access.places.columns) == [*places.columns, *ACCESS_COLUMNS]
    assert access.summary["total_population"] == 0 and access.summary["places"] == 0
    assert np.isnan(access.summary["mean_miles_before"])
    assert access_by_site(access, ["I-DAL"]).iloc[0]["population"] == 0


def test_bad_inputs_are_clear_errors(places: pd.DataFrame) -> None:
    lat, lon, ids = sites(ALL)
    with pytest.raises(InvalidInputError, match="latitudes"):
        compute_access(places, lat, lon, ids[:-1], lat, lon, ids)
    with pytest.raises(InvalidInputError, match="valid coordinates"):
        compute_access(places, lat + 100, lon, ids, lat, lon, ids)
    with pytest.raises(InvalidInputError, match="population"):
        compute_access(places.drop(columns="population"), lat, lon, ids, lat, lon, ids)
    broken = places.head(3).assign(population=[1, -5, 2])
    with pytest.raises(InvalidInputError, match="population >= 0"):
        compute_access(broken, lat, lon, ids, lat, lon, ids)


# --- from a network and decisions ---------------------------------------------------------

NETWORK = pd.DataFrame(
    [
        ("I-DAL", "Infiniti", 32.90, -96.77),
        ("I-HOU", "Infiniti", 29.76, -95.37),
        ("I-OKC", "Infiniti", 35.47, -97.52),
        ("I-AUS", "Infiniti", 30.27, -97.74),
        ("N-DAL", "Nissan", 32.95, -96.82),
        ("N-HOU", "Nissan", 29.80, -95.40),
        ("N-ABL", "Nissan", 32.45, -99.73),
    ],
    columns=["dealer_id", "brand", "latitude", "longitude"],
)
DECISIONS = pd.DataFrame(
    {
        "dealer_id": ["I-DAL", "I-HOU", "I-OKC", "I-AUS"],
        "decision": ["absorb", "keep", "close", "unaffected"],
        "host_dealer_id": ["N-DAL", None, "", np.nan],
    }
)


def test_points_of_sale_after_are_kept_stores_and_hosts_that_absorbed() -> None:
    before, after = points_of_sale(NETWORK, DECISIONS, "Infiniti", "Nissan")
    assert list(before["dealer_id"]) == ["I-DAL", "I-HOU", "I-OKC", "I-AUS"]
    assert list(after["dealer_id"]) == ["I-HOU", "I-AUS", "N-DAL"]  # not N-HOU, not N-ABL


def test_access_for_decisions_matches_compute_access(places: pd.DataFrame) -> None:
    got = access_for_decisions(places, NETWORK, DECISIONS, "INFINITI", "nissan")
    before, after = NETWORK.iloc[:4], NETWORK.iloc[[1, 3, 4]]
    want = compute_access(
        places,
        before["latitude"],
        before["longitude"],
        before["dealer_id"],
        after["latitude"],
        after["longitude"],
        after["dealer_id"],
    )
    pd.testing.assert_frame_equal(got.places, want.places)
    assert got.summary == want.summary
    moved = got.places[got.places["nearest_before_id"] == "I-DAL"]
    assert (moved["nearest_after_id"] == "N-DAL").mean() > 0.9  # the host takes them


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"decision": ["absorb", "keep", "close", "moved"]}, "unknown decisions"),
        ({"host_dealer_id": [None, None, None, None]}, "without a host_dealer_id"),
        ({"host_dealer_id": ["N-XXX", None, None, None]}, "not Nissan sites"),
        ({"host_dealer_id": ["I-HOU", None, None, None]}, "not Nissan sites"),
        ({"dealer_id": ["I-DAL", "I-HOU", "I-OKC", "N-DAL"]}, "not Infiniti sites"),
        ({"dealer_id": ["I-DAL", "I-HOU", "I-OKC", "I-OKC"]}, "more than one row"),
    ],
)
def test_bad_decisions_are_clear_errors(change: dict, says: str, places: pd.DataFrame) -> None:
    with pytest.raises(InvalidInputError, match=says):
        access_for_decisions(places, NETWORK, DECISIONS.assign(**change), "Infiniti", "Nissan")


def test_missing_decision_is_an_error(places: pd.DataFrame) -> None:
    with pytest.raises(InvalidInputError, match="without a decision"):
        access_for_decisions(places, NETWORK, DECISIONS.iloc[:3], "Infiniti", "Nissan")
