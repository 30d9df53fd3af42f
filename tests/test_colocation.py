"""Co-location: within the radius, or the same street address within the guard radius."""

from __future__ import annotations

import geopandas as gpd
import pytest

from dealernet.engine.colocation import (
    BY_ADDRESS,
    BY_RADIUS,
    COLOCATED,
    COLOCATED_HOST_ID,
    COLOCATION_TEST,
    STANDALONE,
    STATUS,
    classify,
)
from dealernet.engine.rules import apply_rules
from dealernet.engine.scenario import parse_scenario
from dealernet.geo.addresses import normalise_street_address, parse_street_address, same_block
from dealernet.schema import ADDRESS, DEALER_ID
from dealernet.settings import COLOCATION_GUARD_MILES, COLOCATION_RADIUS_MILES
from helpers import MILE, ORIGIN, east, network_from, site

LAT0, LON0 = ORIGIN

CLOSE_ALL = parse_scenario(
    {
        "scenario": {"name": "t", "source_brand": "Infiniti", "host_brand": "Nissan"},
        "rules": [{"id": "close-all", "action": "close"}],
    },
    "test.toml",
)


def at(
    dealer_id: str, brand: str, lat: float, lon: float, address: str | None
) -> dict[str, object]:
    row = site(dealer_id, brand, lat, lon, city="Elk Grove", state="CA")
    row[ADDRESS] = address
    return row


def elk_grove(*extra: dict[str, object]) -> gpd.GeoDataFrame:
    """Infiniti of Elk Grove and Nissan of Elk Grove as the 2015 locators give them
    (``../shared/data/dealers-2015``, ids 70506 and 3773): one rooftop, geocoded 0.269 mile
    apart."""
    return network_from(
        [
            at("70506", "Infiniti", 38.406399, -121.387703, "8586 Laguna Grove Dr"),
            at("3773", "Nissan", 38.402709, -121.386098, "8590 Laguna Grove Dr"),
            *extra,
        ]
    )


def classified(network: gpd.GeoDataFrame, radius: float = COLOCATION_RADIUS_MILES) -> dict:
    out = classify(network, "Infiniti", "Nissan", radius)
    return {
        d: (s, t, h)
        for d, s, t, h in zip(
            out[DEALER_ID], out[STATUS], out[COLOCATION_TEST], out[COLOCATED_HOST_ID], strict=True
        )
    }


# --- classify -------------------------------------------------------------------------------


def test_laguna_grove_pair_is_one_rooftop_by_address() -> None:
    result = classify(elk_grove(), "Infiniti", "Nissan", COLOCATION_RADIUS_MILES)
    assert result["distance_to_nearest_host"].iat[0] == pytest.approx(0.269, abs=1e-3)
    assert result["distance_to_nearest_host"].iat[0] > COLOCATION_RADIUS_MILES
    assert classified(elk_grove())["70506"] == (COLOCATED, BY_ADDRESS, "3773")


def test_the_same_street_address_five_miles_away_is_another_store() -> None:
    network = network_from(
        [
            at("I1", "Infiniti", LAT0, LON0, "100 Main St"),
            at("N1", "Nissan", LAT0 + 5 * MILE, LON0, "100 Main St"),
        ]
    )
    assert classified(network)["I1"] == (STANDALONE, None, None)


def test_the_guard_radius_bounds_the_address_test() -> None:
    inside, outside = 0.9 * COLOCATION_GUARD_MILES, 1.1 * COLOCATION_GUARD_MILES
    rows = [at("I1", "Infiniti", LAT0, LON0, "100 Main St")]
    near = network_from([*rows, at("N1", "Nissan", LAT0 + inside * MILE, LON0, "102 Main Street")])
    far = network_from([*rows, at("N1", "Nissan", LAT0 + outside * MILE, LON0, "102 Main St")])
    assert classified(near)["I1"] == (COLOCATED, BY_ADDRESS, "N1")
    assert classified(far)["I1"] == (STANDALONE, None, None)


def test_different_streets_within_the_radius_co_locate_by_radius() -> None:
    network = network_from(
        [
            at("I1", "Infiniti", LAT0, LON0, "3625 South Campbell St"),
            at("N1", "Nissan", LAT0, LON0 + east(0.19), "3505 S Campbell Ave"),
        ]
    )
    assert classified(network)["I1"] == (COLOCATED, BY_RADIUS, "N1")


def test_the_address_test_picks_the_matching_host_not_just_the_nearest() -> None:
    # N2 is nearer (0.260 mile, beyond the radius) on another street; 3773 matches at 0.269.
    network = elk_grove(at("N2", "Nissan", 38.410167, -121.387703, "8600 Elk Grove Blvd"))
    out = classify(network, "Infiniti", "Nissan", COLOCATION_RADIUS_MILES)
    assert out["nearest_host_dealer_id"].iat[0] == "N2"
    assert classified(network)["70506"] == (COLOCATED, BY_ADDRESS, "3773")
    decision = apply_rules(network, CLOSE_ALL).table.iloc[0]
    assert decision["host_dealer_id"] == "3773"
    assert decision["distance_miles"] == pytest.approx(0.269, abs=1e-3)


def test_a_radius_of_zero_turns_both_tests_off() -> None:
    assert classified(elk_grove(), radius=0)["70506"] == (STANDALONE, None, None)


def test_sites_without_addresses_use_the_radius_alone(toy_network: gpd.GeoDataFrame) -> None:
    result = classify(toy_network, "Infiniti", "Nissan", COLOCATION_RADIUS_MILES)
    assert set(result[COLOCATION_TEST].dropna()) == {BY_RADIUS}


def test_sample_co_location_is_unchanged(sample_network: gpd.GeoDataFrame) -> None:
    # The sample's co-located pairs stand 10-40 numbers apart on one street, all within the
    # radius; no stand-alone store has a Nissan site on its block, so the address test adds none.
    result = classify(sample_network, "Infiniti", "Nissan", COLOCATION_RADIUS_MILES)
    assert (result[STATUS] == COLOCATED).sum() == 30
    assert result[COLOCATION_TEST].value_counts().to_dict() == {BY_RADIUS: 30}


# --- decisions ------------------------------------------------------------------------------


def test_address_co_location_is_explained_in_the_decision() -> None:
    got = apply_rules(elk_grove(), CLOSE_ALL).table.iloc[0]
    assert (got["status"], got["colocation_test"], got["decision"]) == (
        COLOCATED,
        BY_ADDRESS,
        "unaffected",
    )
    assert got["host_dealer_id"] == "3773"
    assert got["distance_miles"] == pytest.approx(0.269, abs=1e-3)
    assert "8586 Laguna Grove Dr; 8590 Laguna Grove Dr" in got["reason"]
    assert "0.3 miles apart" in got["reason"]


# --- the address normaliser ---------------------------------------------------------------------


def test_case_and_suffix_spelling_normalise_alike() -> None:
    assert normalise_street_address("8586 Laguna Grove Dr") == "8586 laguna grove dr"
    assert normalise_street_address("8590 LAGUNA GROVE DRIVE") == "8590 laguna grove dr"
    assert same_block("8586 Laguna Grove Dr", "8590 LAGUNA GROVE DRIVE")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("3220 West Liberty Avenue", "3220 W Liberty Ave"),
        ("475 E Francisco Blvd", "475 Francisco Blvd East"),
        ("2121 Northwest 100Th St", "2121 NW 100th Street"),
        ("12200 Katy Freeway", "12200 Katy Fwy."),
        ("2855 Auto Mall Parkway", "2855 Auto Mall Pkwy"),
        ("1060 Highway 315", "1060 Hwy 315"),
        ("303 E Cleveland Ave", "303 East Cleveland Avenue, Suite 4"),
        ("900 Route 1", "900 Rt. 1"),
        ("11841 Midlothian Turnpike", "11841 Midlothian Tpke"),
        ("1 Commercial Center Dr", "One Commercial Center Drive"),
        ("5200 Us Rte 60 E", "5200 US Route 60 East"),
        ("8137 Main St", "8137 MAIN ST. #200"),
    ],
)
def test_suffix_and_direction_spellings_normalise_alike(a: str, b: str) -> None:
    assert normalise_street_address(a) == normalise_street_address(b)


@pytest.mark.parametrize(
    ("a", "b", "why"),
    [
        ("100 N Main St", "100 S Main St", "other direction"),
        ("100 Main St", "100 Main Ave", "other street type"),
        ("100 Main St", "100 Maple St", "other street"),
        ("8585 Laguna Grove Dr", "8586 Laguna Grove Dr", "other side of the street"),
        ("3103 Route 10", "3057 Route 10", "46 numbers apart"),
        ("P.O. Box 744", "P.O. Box 744", "no house number"),
    ],
)
def test_different_blocks_do_not_match(a: str, b: str, why: str) -> None:
    assert not same_block(a, b), why


def test_a_missing_suffix_or_direction_still_matches() -> None:
    assert same_block("2950 N Victory Lane", "2950 Victory Ln")
    assert same_block("866-880 Boston Providence", "870 Boston Providence Tpke")


def test_unreadable_addresses_parse_to_none() -> None:
    for text in (None, "", "Main St", "Patrick Plaza", float("nan")):
        assert parse_street_address(text) is None
