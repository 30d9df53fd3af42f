"""Census-matched customer points: every county holds exactly the people the 2020 Census
counted in it, checked against the Census file read here on its own."""

from __future__ import annotations

import csv
import gzip
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dealernet._errors import InputFileError
from dealernet.geo import customers_build
from dealernet.geo.boundaries import COAST_TOLERANCE_DEG, counties
from dealernet.geo.customers import (
    CENSUS_COLUMNS,
    CENSUS_FILE,
    CUSTOMER_COLUMNS,
    CUSTOMERS_EXTRACT,
    KIND_PLACE,
    KIND_REMAINDER,
    census_counties,
    load_customers,
    read_census,
)
from dealernet.geo.distance import geodesic_miles
from dealernet.geo.places import load_places
from dealernet.schema import STATES_50_DC

#: 2020 Census resident population of the 50 states and DC (Census Bureau, April 2021).
CENSUS_2020_US = 331_449_281
NEW_YORK_CITY = 5128581
#: The five boroughs as GeoNames places and the counties they are.
BOROUGHS = {
    5110302: "36047",  # Brooklyn, Kings County
    5125771: "36061",  # Manhattan, New York County
    5133273: "36081",  # Queens
    5110266: "36005",  # The Bronx
    5139568: "36085",  # Staten Island, Richmond County
}


@pytest.fixture(scope="module")
def census_file() -> pd.DataFrame:
    """The shipped Census text file read with the csv module alone, not the loader."""
    with CENSUS_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return pd.DataFrame(
        {
            "county": [r["STATEFP"] + r["COUNTYFP"] for r in rows],
            "statefp": [r["STATEFP"] for r in rows],
            "population": [int(r["POPULATION"]) for r in rows],
            "latitude": [float(r["LATITUDE"]) for r in rows],
            "longitude": [float(r["LONGITUDE"]) for r in rows],
        }
    )


@pytest.fixture(scope="module")
def points() -> pd.DataFrame:
    return load_customers(territories=True)


# --- totals -------------------------------------------------------------------------------


def test_total_is_the_census_count_of_the_50_states_and_dc(census_file: pd.DataFrame) -> None:
    states = census_file.loc[census_file["statefp"] != "72", "population"].sum()
    assert states == CENSUS_2020_US
    assert load_customers()["population"].sum() == states


def test_puerto_rico_only_with_territories(census_file: pd.DataFrame) -> None:
    pr = census_file.loc[census_file["statefp"] == "72", "population"].sum()
    assert pr > 0
    assert "PR" not in set(load_customers()["state"])
    with_pr = load_customers(territories=True)
    assert with_pr.loc[with_pr["state"] == "PR", "population"].sum() == pr
    assert set(with_pr["state"]) == STATES_50_DC | {"PR"}


def test_every_county_and_state_total_is_the_census_count(
    points: pd.DataFrame, census_file: pd.DataFrame
) -> None:
    ours = points.groupby("county")["population"].sum()
    theirs = census_file.set_index("county")["population"]
    assert ours.sort_index().to_dict() == theirs.sort_index().to_dict()
    by_state = points.assign(statefp=points["county"].str[:2]).groupby("statefp")["population"]
    assert by_state.sum().to_dict() == census_file.groupby("statefp")["population"].sum().to_dict()
    # and each point's postal code is its county's state
    assert points.groupby("county")["state"].nunique().max() == 1
    assert points.groupby("state")["county"].agg(lambda c: c.str[:2].nunique()).max() == 1


def test_census_counties_reads_the_file_as_it_is(census_file: pd.DataFrame) -> None:
    frame = census_counties(territories=True)
    assert tuple(frame.columns) == CENSUS_COLUMNS
    assert len(frame) == len(census_file)
    expected = census_file.sort_values("county", ignore_index=True)
    assert frame["county"].tolist() == expected["county"].tolist()
    assert frame["population"].tolist() == expected["population"].tolist()
    assert np.array_equal(frame["latitude"], expected["latitude"])
    assert frame.loc[frame["county"] == "35013", "name"].item() == "Doña Ana"
    assert set(census_counties()["state"]) == STATES_50_DC


# --- the points ---------------------------------------------------------------------------


def test_points_have_their_columns_ids_and_kinds(points: pd.DataFrame) -> None:
    assert tuple(points.columns) == CUSTOMER_COLUMNS
    assert points["point_id"].is_unique
    assert set(points["kind"]) == {KIND_PLACE, KIND_REMAINDER}
    place = points["kind"] == KIND_PLACE
    assert points.loc[place, "point_id"].str.fullmatch(r"p\d+").all()
    assert (points.loc[~place, "point_id"] == "c" + points.loc[~place, "county"]).all()
    assert points["county"].str.fullmatch(r"\d{5}").all()
    assert (points["population"] > 0).all()
    assert points.sort_values(["county", "point_id"]).index.equals(points.index)


def test_remainders_sit_at_the_census_centre_of_population(
    points: pd.DataFrame, census_file: pd.DataFrame
) -> None:
    rest = points[points["kind"] == KIND_REMAINDER].merge(census_file, on="county")
    assert np.allclose(rest["latitude_x"], rest["latitude_y"], atol=1e-6)
    assert np.allclose(rest["longitude_x"], rest["longitude_y"], atol=1e-6)
    assert rest["name"].str.startswith("rest of ").all()
    assert (rest["population_x"] <= rest["population_y"]).all()


def test_places_never_hold_more_than_geonames_says(points: pd.DataFrame) -> None:
    geonames = load_places(territories=True).set_index("geonameid")
    place = points[points["kind"] == KIND_PLACE]
    ids = place["point_id"].str[1:].astype("int64")
    source = geonames.loc[ids]
    assert (place["population"].to_numpy() <= source["population"].to_numpy()).all()
    assert (place["name"].to_numpy() == source["name"].to_numpy()).all()
    assert np.allclose(place["latitude"], source["latitude"])
    assert (place["population"].to_numpy() < source["population"].to_numpy()).any()


def test_new_york_city_is_counted_by_its_boroughs(
    points: pd.DataFrame, census_file: pd.DataFrame
) -> None:
    assert f"p{NEW_YORK_CITY}" not in set(points["point_id"])
    by_id = points.set_index("point_id")
    census = census_file.set_index("county")["population"]
    for geonameid, county in BOROUGHS.items():
        assert by_id.at[f"p{geonameid}", "county"] == county
        whole = points.loc[points["county"] == county, "population"].sum()
        assert whole == census[county]


def test_every_place_is_in_or_by_its_county(points: pd.DataFrame) -> None:
    import shapely

    layer = counties()
    polygon = dict(zip(layer["geoid"], layer.geometry, strict=True))
    census = census_counties(territories=True).set_index("county")
    place = points[points["kind"] == KIND_PLACE]
    has_polygon = place["county"].map(lambda c: c in polygon and not polygon[c].is_empty)
    shapes = place.loc[has_polygon, "county"].map(polygon).to_numpy()
    where = shapely.points(place.loc[has_polygon, "longitude"], place.loc[has_polygon, "latitude"])
    off = shapely.distance(shapes, where)
    assert (off == 0).mean() > 0.99
    # the coast tolerance of the layer, and for a handful the nearest county of the state
    assert (off > COAST_TOLERANCE_DEG).sum() <= 3
    assert off.max() < 0.1
    # a Census county without a polygon: by its centre, or in a layer county it replaced
    alone = place.loc[~has_polygon.to_numpy()]
    assert len(alone)
    unlisted = layer.loc[~layer["geoid"].isin(census.index)]
    for row in alone.itertuples():
        centre = census.loc[row.county]
        near = geodesic_miles(row.latitude, row.longitude, centre.latitude, centre.longitude)
        inside = unlisted.loc[unlisted["state"] == row.state].contains(
            shapely.Point(row.longitude, row.latitude)
        )
        assert near <= customers_build.CENTRE_RADIUS_MILES or inside.any(), row


def test_loader_returns_a_fresh_copy() -> None:
    first = load_customers()
    first.loc[0, "population"] = -1
    assert (load_customers()["population"] > 0).all()
    assert len(load_customers(territories=True)) > len(load_customers())


def test_customers_are_a_drop_in_for_places_in_access() -> None:
    from dealernet.analysis.access import compute_access

    frame = load_customers()
    dallas, denver = (32.78, -96.80), (39.74, -104.99)
    access = compute_access(
        frame,
        [dallas[0], denver[0]],
        [dallas[1], denver[1]],
        ["a", "b"],
        [dallas[0]],
        [dallas[1]],
        ["a"],
    )
    assert access.summary["total_population"] == frame["population"].sum()
    assert access.summary["places"] == len(frame)
    assert access.summary["population_farther"] > 0


# --- the build ----------------------------------------------------------------------------


def test_rebuild_gives_the_shipped_file(tmp_path: Path) -> None:
    target = tmp_path / "us_customers.csv.gz"
    path, report = customers_build.build(target)
    raw = path.read_bytes()
    # Compare the CSV text, as for the places extract: gzip bytes may differ between zlib
    # builds. The header is what a build could change: no time stamp, no file name.
    assert gzip.decompress(raw) == gzip.decompress(CUSTOMERS_EXTRACT.read_bytes()), (
        "the shipped customer points are out of date: run python -m dealernet.geo.customers_build"
    )
    assert raw[3] & 0x08 == 0 and raw[4:8] == b"\0\0\0\0"
    shipped = load_customers(territories=True)
    is_place = shipped["kind"] == KIND_PLACE
    assert report.points == len(shipped)
    assert report.place_points == is_place.sum()
    assert report.remainder_people == shipped.loc[~is_place, "population"].sum()
    assert report.dropped[0].geonameid == NEW_YORK_CITY
    assert all(d.population > d.county_population for d in report.dropped)
    assert report.moved  # Alaska's Valdez-Cordova and Falls Church city, VA


def test_a_place_larger_than_its_county_goes_and_the_rest_are_scaled() -> None:
    census = pd.DataFrame(
        {
            "county": ["01001", "01003"],
            "state": ["AL", "AL"],
            "name": ["Autauga", "Baldwin"],
            "population": [100, 50],
            "latitude": [32.5, 30.5],
            "longitude": [-86.5, -87.8],
        }
    )
    places = pd.DataFrame(
        {
            "geonameid": [1, 2, 3, 4, 5],
            "name": ["Big", "A", "B", "C", "Empty"],
            "latitude": [32.0] * 5,
            "longitude": [-86.0] * 5,
            "population": [101, 80, 40, 30, 0],
            "county": ["01001", "01001", "01001", "01003", "01003"],
        }
    )
    points, trimmed = customers_build.customer_points(places, census)
    by_id = points.set_index("point_id")["population"].to_dict()
    assert "p1" not in by_id and "p5" not in by_id  # larger than its county; no people
    assert by_id["p2"] + by_id["p3"] == 100 and "c01001" not in by_id  # scaled, nothing left
    assert by_id["p2"] == 67 and by_id["p3"] == 33  # 66.67 and 33.33 of 100
    assert by_id["p4"] == 30 and by_id["c01003"] == 20
    assert (trimmed.scaled, trimmed.whole, trimmed.empty) == (2, 1, 1)
    assert [d.geonameid for d in trimmed.dropped] == [1]


@given(
    st.lists(st.integers(min_value=1, max_value=10_000_000), min_size=1, max_size=40),
    st.floats(min_value=0, max_value=1),
)
def test_largest_remainder_shares_add_up_and_never_grow(weights: list[int], part: float) -> None:
    total = int(sum(weights) * part)
    shares = customers_build.largest_remainder(np.array(weights), total)
    assert shares.sum() == total
    assert (shares <= np.array(weights)).all() and (shares >= 0).all()
    exact = np.array(weights, dtype="float64") * total / sum(weights)
    assert (np.abs(shares - exact) < 1).all()


# --- reading the Census file --------------------------------------------------------------


def test_census_file_in_latin_1_reads_the_same(tmp_path: Path) -> None:
    text = CENSUS_FILE.read_text(encoding="utf-8")
    latin = tmp_path / "latin.txt"
    latin.write_bytes(text.encode("latin-1"))
    assert read_census(latin).equals(read_census(CENSUS_FILE))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("STATEFP,COUNTYFP,NAME\n01,001,Autauga\n", "expected the header"),
        (
            "STATEFP,COUNTYFP,COUNAME,STNAME,POPULATION,LATITUDE,LONGITUDE\n"
            "01,1,Autauga,Alabama,58805,+32.5,-086.5\n",
            "line 2: FIPS",
        ),
        (
            "STATEFP,COUNTYFP,COUNAME,STNAME,POPULATION,LATITUDE,LONGITUDE\n"
            "01,001,Autauga,Alabama,many,+32.5,-086.5\n",
            "not numbers",
        ),
        (
            "STATEFP,COUNTYFP,COUNAME,STNAME,POPULATION,LATITUDE,LONGITUDE\n"
            "01,001,Autauga,Alabama,5,+32.5,-086.5\n01,001,Autauga,Alabama,5,+32.5,-086.5\n",
            "listed twice: 01001",
        ),
        ("STATEFP,COUNTYFP,COUNAME,STNAME,POPULATION,LATITUDE,LONGITUDE\n", "no counties"),
    ],
)
def test_a_bad_census_file_is_refused_with_where(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match=re.escape(says)):
        read_census(path)


def test_sources_note_gives_the_totals(census_file: pd.DataFrame) -> None:
    note = (CENSUS_FILE.parent / "SOURCES.md").read_text(encoding="utf-8")
    assert f"{census_file['population'].sum():,}" in note
    assert f"{CENSUS_2020_US:,}" in note
