"""Selections: states, owner groups and exact geodesic radii, combined with AND."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod

from dealernet import QueryError
from dealernet.analysis.result import Result
from dealernet.planning.selection import DEFAULT_RADIUS_MILES, host_sites, select
from helpers import METRES_PER_MILE
from hostile import hostile_result


@pytest.fixture(scope="module")
def result(sample_result: Result) -> Result:
    """The shared sample run (``sample_result`` in conftest)."""
    return sample_result


def geodesic_within(lat: np.ndarray, lon: np.ndarray, at: tuple[float, float], miles: float):
    """Whether each point is within ``miles`` of ``at``, straight from pyproj's Geod."""
    geod = Geod(ellps="WGS84")
    _, _, metres = geod.inv(np.full(lat.size, at[1]), np.full(lat.size, at[0]), lon, lat)
    return np.asarray(metres) / METRES_PER_MILE <= miles


def test_near_a_place_selects_exactly_the_sites_within_the_geodesic_radius(result: Result):
    selection = select(result, near="Denver, CO", radius_miles=60)
    centre = (selection.centre.latitude, selection.centre.longitude)
    table, hosts = result.decisions.table, host_sites(result)
    expected = geodesic_within(
        table["latitude"].to_numpy(), table["longitude"].to_numpy(), centre, 60
    )
    assert np.array_equal(selection.mask, expected) and expected.any()
    expected_hosts = geodesic_within(
        hosts["latitude"].to_numpy(), hosts["longitude"].to_numpy(), centre, 60
    )
    assert np.array_equal(selection.host_mask, expected_hosts) and expected_hosts.any()
    assert selection.label == "within 60 miles of Denver, CO"


def test_near_coordinates_with_a_radius_that_splits_the_sites(result: Result) -> None:
    at = (32.78, -96.80)
    table = result.decisions.table
    lat, lon = table["latitude"].to_numpy(), table["longitude"].to_numpy()
    geod = Geod(ellps="WGS84")
    miles = np.asarray(geod.inv(np.full(lat.size, at[1]), np.full(lat.size, at[0]), lon, lat)[2])
    miles /= METRES_PER_MILE
    radius = float(np.sort(miles)[4])  # the fifth-nearest store sits exactly on the circle
    selection = select(result, near="32.78,-96.80", radius_miles=radius)
    assert selection.mask.sum() == 5
    assert np.array_equal(selection.mask, miles <= radius)
    assert selection.centre.latitude == 32.78 and selection.radius_miles == radius


def test_near_without_a_radius_uses_the_default(result: Result) -> None:
    selection = select(result, near="Dallas, TX")
    assert selection.radius_miles == DEFAULT_RADIUS_MILES
    assert selection.label == f"within {DEFAULT_RADIUS_MILES:g} miles of Dallas, TX"


def test_states_by_code_or_name(result: Result) -> None:
    table, hosts = result.decisions.table, host_sites(result)
    selection = select(result, states=["tx", "Oklahoma"])
    assert np.array_equal(selection.mask, table["state"].isin(["TX", "OK"]).to_numpy())
    assert np.array_equal(selection.host_mask, hosts["state"].isin(["TX", "OK"]).to_numpy())
    assert selection.label == "Texas and Oklahoma"
    assert selection.slug == "texas-and-oklahoma"


def test_owner_is_matched_without_regard_to_case_or_spacing(result: Result) -> None:
    owner = result.decisions.table["owner_group"].iloc[0]
    selection = select(result, owners=["  " + owner.upper().replace(" ", "  ") + " "])
    table, hosts = result.decisions.table, host_sites(result)
    assert np.array_equal(selection.mask, (table["owner_group"] == owner).to_numpy())
    assert np.array_equal(selection.host_mask, (hosts["owner_group"] == owner).to_numpy())
    assert selection.label == owner


def test_filters_combine_with_and(result: Result) -> None:
    owner = result.decisions.table.loc[result.decisions.table["state"] == "TX", "owner_group"]
    owner = owner.iloc[0]
    by_state = select(result, states=["TX"])
    by_owner = select(result, owners=[owner])
    near = select(result, near="Dallas, TX", radius_miles=300)
    both = select(result, states=["TX"], owners=[owner], near="Dallas, TX", radius_miles=300)
    assert np.array_equal(both.mask, by_state.mask & by_owner.mask & near.mask)
    assert np.array_equal(both.host_mask, by_state.host_mask & by_owner.host_mask & near.host_mask)
    assert both.label == f"{owner} · Texas · within 300 miles of Dallas, TX"


def test_no_filter_is_the_whole_network(result: Result) -> None:
    selection = select(result)
    assert selection.mask.all() and selection.host_mask.all() and selection.is_everything
    assert selection.slug == "nationwide"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"states": ["XX"]}, "no state called 'XX'"),
        ({"owners": ["Granite Point Group"]}, "'Granite Point Auto Partners'"),
        ({"owners": ["Granite"]}, "matches 24 owner groups"),
        ({"radius_miles": 10}, "a radius needs a place"),
        ({"near": "Denver, CO", "radius_miles": -5}, "more than 0 and at most 12,500 miles"),
        ({"near": "Denver, CO", "radius_miles": float("inf")}, "not inf"),
        ({"near": "Nowhereville"}, "no US place called 'Nowhereville'"),
    ],
)
def test_filters_that_cannot_match_are_errors_with_suggestions(result, kwargs, message) -> None:
    with pytest.raises(QueryError, match=re.escape(message)):
        select(result, **kwargs)


def test_close_spellings_are_read_as_the_name_and_say_so(result: Result) -> None:
    typed = select(result, owners=["Granit Point Auto Partner"], states=["Texs"], near="Dalas, TX")
    exact = select(result, owners=["Granite Point Auto Partners"], states=["TX"], near="Dallas, TX")
    assert np.array_equal(typed.mask, exact.mask) and typed.label == exact.label
    assert [(m.query, m.value) for m in typed.corrections] == [
        ("Granit Point Auto Partner", "Granite Point Auto Partners"),
        ("Texs", "TX"),
        ("Dalas, TX", "Dallas, TX"),
    ]
    assert exact.corrections == ()


def test_hostile_owner_gives_a_safe_slug(result: Result, tmp_path: Path) -> None:
    with pytest.raises(QueryError) as info:
        select(result, owners=["../../etc/passwd"])
    assert "no owner group" in str(info.value)
    hostile = hostile_result(tmp_path)
    table = hostile.decisions.table
    for owner in table["owner_group"]:
        chosen = select(hostile, owners=[owner])
        assert list(table.loc[chosen.mask, "owner_group"]) == [owner]
        assert re.fullmatch(r"[a-z0-9-]+", chosen.slug), owner
    selection = select(result, states=["TX"], near="Dallas, TX", radius_miles=25)
    assert re.fullmatch(r"[a-z0-9-]+", selection.slug)
