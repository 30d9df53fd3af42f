"""Alliances: Infiniti stores folded into Nissan *or* Honda rooftops.

A small three-brand network laid out by hand: in each cluster an Infiniti store has a Nissan
and a Honda rooftop at different distances, and clusters stand 200 miles apart so no store
can reach another cluster's hosts. Every expected host is read off the layout; distances are
checked against pyproj's ``Geod`` directly.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod

from dealernet._errors import InvalidInputError, ScenarioError
from dealernet.analysis.access import points_of_sale
from dealernet.analysis.scenario_spread import _cannot_run
from dealernet.engine.checks import check_brands
from dealernet.engine.colocation import COLOCATED, STANDALONE, STATUS, classify
from dealernet.engine.decisions import DECISION_COLUMNS
from dealernet.engine.rules import apply_rules
from dealernet.engine.scenario import Scenario, load_scenario, parse_scenario
from dealernet.io.owners import infer_owners
from dealernet.planning.selection import host_sites
from dealernet.schema import (
    ANNUAL_NEW_UNITS,
    BRAND,
    DEALER_ID,
    DECISION,
    HOST_DEALER_ID,
    OWNER_GROUP,
    brand_label,
    brands_from_label,
)
from dealernet.settings import METRES_PER_MILE
from helpers import MILE, ORIGIN, east, network_from, site

LAT, LON = ORIGIN
GEOD = Geod(ellps="WGS84")
ALLIANCE = ["Nissan", "Honda"]


def north(miles: float) -> float:
    return LAT + miles * MILE


def three_brands() -> gpd.GeoDataFrame:
    """Three clusters of Infiniti stores with a Nissan and a Honda rooftop each."""
    return network_from(
        [
            # A: Honda 4 miles east (the owner's own, and small), Nissan 9 miles east
            site("I-a", "Infiniti", LAT, LON, owner="Maple Group"),
            site(
                "H-a",
                "Honda",
                LAT,
                LON + east(4),
                owner="Maple Group",
                name="Honda of Dallas",
                **{ANNUAL_NEW_UNITS: 250},
            ),
            site("N-a", "Nissan", LAT, LON + east(9), owner="Oak Auto", **{ANNUAL_NEW_UNITS: 200}),
            # B: Nissan 3 miles east, Honda 7 miles east (a big store, never excluded)
            site("I-b", "Infiniti", north(200), LON, owner="Cedar Motors"),
            site("N-b", "Nissan", north(200), LON + east(3), owner="Birch Autos"),
            site(
                "H-b",
                "Honda",
                north(200),
                LON + east(7),
                owner="Elm Auto",
                **{ANNUAL_NEW_UNITS: 900},
            ),
            # C: two stores whose nearest rooftop is one Honda store; Nissan farther, west
            site("I-c1", "Infiniti", north(400), LON, owner="Pine Auto"),
            site("I-c2", "Infiniti", north(400), LON + east(1), owner="Ash Auto"),
            site(
                "H-c",
                "Honda",
                north(400),
                LON + east(3),
                owner="Fir Auto",
                **{ANNUAL_NEW_UNITS: 800},
            ),
            site("N-c", "Nissan", north(400), LON - east(5), owner="Yew Auto"),
        ]
    )


def alliance(host_brand: object = ALLIANCE, **rule: object) -> Scenario:
    """Absorb within 30 miles into the host brands, then close what is left."""
    return parse_scenario(
        {
            "scenario": {"name": "t", "source_brand": "Infiniti", "host_brand": host_brand},
            "rules": [
                {"id": "near", "action": "absorb", "max_distance_miles": 30, **rule},
                {"id": "rest", "action": "close"},
            ],
        },
        "alliance.toml",
    )


def hosts_of(scenario: Scenario, network: gpd.GeoDataFrame | None = None) -> dict[str, str]:
    table = apply_rules(three_brands() if network is None else network, scenario).table
    return dict(zip(table[DEALER_ID], table[HOST_DEALER_ID], strict=True))


def miles(network: gpd.GeoDataFrame, a: str, b: str) -> float:
    at = network.set_index(DEALER_ID)
    _, _, metres = GEOD.inv(
        at.at[a, "longitude"], at.at[a, "latitude"], at.at[b, "longitude"], at.at[b, "latitude"]
    )
    return metres / METRES_PER_MILE


# --- scenario files -----------------------------------------------------------------------


def test_a_list_of_host_brands_is_read_and_labelled() -> None:
    two = alliance(["nissan", "HONDA"])
    assert two.host_brands == ("Nissan", "Honda")
    assert two.host_brand == "Nissan or Honda"
    three = alliance(["Nissan", "Honda", "Mitsubishi"])
    assert three.host_brand == "Nissan, Honda or Mitsubishi"
    assert brands_from_label(three.host_brand) == ("Nissan", "Honda", "Mitsubishi")
    one = alliance("Nissan")
    assert (one.host_brand, one.host_brands) == ("Nissan", ("Nissan",))
    assert alliance(["Nissan"]).host_brands == ("Nissan",)
    # the scenario written back reads as the same scenario
    assert parse_scenario(two.to_dict(), "again.toml") == two


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("Nissan, Toyota", 'host_brand = ["Nissan", "Toyota"]'),
        ("nissan or honda", 'host_brand = ["Nissan", "Honda"]'),
        ("Nissan/Honda", 'host_brand = ["Nissan", "Honda"]'),
    ],
)
def test_several_brands_in_one_text_are_refused_with_the_list_to_write(
    value: str, hint: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        alliance(value)
    message = str(caught.value)
    assert "alliance.toml, [scenario], key 'host_brand'" in message
    assert hint in message
    assert "did you mean" not in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["Nissan", "nissan"], "item 2: names 'Nissan' again"),
        (["Nissan", "Infiniti"], "item 2: is the source brand 'Infiniti'"),
        (["Nissan", "Hondaa"], "item 2: unknown brand 'Hondaa' (did you mean 'Honda'?)"),
        (["Nissan", 3], "item 2: must be a brand in quotes, not int 3"),
        ([], "is an empty list"),
        ({"Nissan": 1}, "must be a brand in quotes or a list of brands"),
    ],
)
def test_a_bad_list_of_host_brands_is_refused(value: object, expected: str) -> None:
    with pytest.raises(ScenarioError, match=re.escape(expected)):
        alliance(value)


def test_per_brand_keys_must_be_host_brands_of_the_scenario() -> None:
    with pytest.raises(ScenarioError) as caught:
        alliance(capacity={"Nissan": 2, "Toyota": 1}, exclude_hosts={"Hondaa": "state == 'TX'"})
    message = str(caught.value)
    assert "2 problems" in message
    assert "alliance.toml, rule 'near', key 'capacity': 'Toyota' is not a host brand" in message
    assert "host_brand names Nissan, Honda" in message
    assert "key 'exclude_hosts': 'Hondaa' is not a host brand of this scenario" in message
    assert "(did you mean 'Honda'?)" in message
    for bad, expected in (
        ({"capacity": {"Honda": 1.5}}, "key 'capacity', brand 'Honda': must be a whole number"),
        ({"capacity": {}}, "key 'capacity': is an empty table"),
        ({"capacity": {"honda": 1, "Honda": 2}}, "gives 'Honda' twice"),
        ({"exclude_hosts": {"Honda": "colour == 1"}}, "key 'exclude_hosts', brand 'Honda'"),
    ):
        with pytest.raises(ScenarioError, match=re.escape(expected)):
            alliance(**bad)


def test_a_per_brand_table_is_written_back_and_overridden_per_brand() -> None:
    rule = alliance(capacity={"nissan": 2, "Honda": 1}).rule("near")
    assert rule.capacity is None
    assert (rule.capacity_for("Nissan"), rule.capacity_for("Honda")) == (2, 1)
    assert rule.to_dict()["capacity"] == {"Nissan": 2, "Honda": 1}
    assert "per host: Nissan 2, Honda 1" in rule.summary()
    # one number for every brand, then one brand changed: the number spreads over both
    changed = alliance(capacity=2).with_overrides({"rules.near.capacity.Honda": 1})
    assert dict(changed.rule("near").capacity_by_brand) == {"Nissan": 2, "Honda": 1}
    assert "rules.near.capacity.Honda=1" in changed.source
    freed = changed.with_overrides({"rules.near.capacity.Nissan": None})
    assert freed.rule("near").capacity_for("Nissan") is None
    assert freed.rule("near").capacity_for("Honda") == 1


# --- the engine ---------------------------------------------------------------------------


def test_each_store_goes_to_the_nearest_rooftop_of_either_brand() -> None:
    network = three_brands()
    table = apply_rules(network, alliance()).table.set_index(DEALER_ID)
    expected = {"I-a": "H-a", "I-b": "N-b", "I-c1": "H-c", "I-c2": "H-c"}
    for store, host in expected.items():
        # the expected host is the nearest of the cluster's two rooftops, by Geod
        rivals = {h for h in ("H-a", "N-a", "N-b", "H-b", "H-c", "N-c") if h[2:] == host[2:]}
        assert min(rivals, key=lambda h: miles(network, store, h)) == host
        assert table.at[store, HOST_DEALER_ID] == host
        assert table.at[store, "host_brand"] == ("Honda" if host.startswith("H") else "Nissan")
        assert table.at[store, "distance_miles"] == pytest.approx(miles(network, store, host))
    # with Nissan alone the Honda rooftops do not count
    assert hosts_of(alliance("Nissan")) == {
        "I-a": "N-a",
        "I-b": "N-b",
        "I-c1": "N-c",
        "I-c2": "N-c",
    }
    # and with Honda alone the Nissan ones do not
    assert hosts_of(alliance("Honda"))["I-b"] == "H-b"


def test_a_capacity_of_one_for_honda_sends_the_second_store_to_nissan() -> None:
    got = hosts_of(alliance(capacity={"Honda": 1}))
    # I-c2 is 2 miles from H-c, I-c1 3 miles: the nearer store takes the one place, and
    # I-c1 goes on to N-c, 5 miles west of it
    assert (got["I-c2"], got["I-c1"]) == ("H-c", "N-c")
    assert (got["I-a"], got["I-b"]) == ("H-a", "N-b")  # one store each: room enough
    # the optimal assignment agrees: 2 + 5 miles in all, against 3 + 6 the other way round
    optimal = hosts_of(alliance(capacity={"Honda": 1}, assignment="optimal"))
    assert (optimal["I-c2"], optimal["I-c1"]) == ("H-c", "N-c")
    # a limit for Nissan only leaves Honda without one: both C stores go to H-c
    assert hosts_of(alliance(capacity={"Nissan": 1}))["I-c1"] == "H-c"
    # one number applies to every host brand, as {Nissan = 1, Honda = 1} does
    assert hosts_of(alliance(capacity=1)) == hosts_of(alliance(capacity={"Nissan": 1, "Honda": 1}))


def test_a_per_brand_exclusion_removes_a_honda_host_only() -> None:
    scenario = alliance(exclude_hosts={"Honda": "annual_new_units < 300"})
    decisions = apply_rules(three_brands(), scenario)
    got = dict(zip(decisions.table[DEALER_ID], decisions.table[HOST_DEALER_ID], strict=True))
    # H-a sells 250 a year: excluded, so I-a goes on to N-a, which sells only 200 but is
    # a Nissan store, which the Honda condition does not touch
    assert got["I-a"] == "N-a"
    assert (got["I-b"], got["I-c1"], got["I-c2"]) == ("N-b", "H-c", "H-c")
    assert "Honda hosts excluded when annual_new_units < 300" in scenario.rule("near").summary()
    # the same condition for every host brand excludes N-a too, and I-a closes
    closed = apply_rules(three_brands(), alliance(exclude_hosts="annual_new_units < 300"))
    row = closed.table.set_index(DEALER_ID).loc["I-a"]
    assert row[DECISION] == "close"
    assert "no Nissan or Honda showroom within 30 miles had room for it" in row["reason"]
    assert "2 excluded by this rule" in closed.explain("I-a")


def test_the_reason_names_the_hosts_own_brand() -> None:
    table = apply_rules(three_brands(), alliance()).table.set_index(DEALER_ID)
    own = table.at["I-a", "reason"]
    assert own.startswith(
        "Absorbed into Honda of Dallas (same owner group), 4.0 straight-line miles away"
    )
    assert "co-location with its own group's Honda store" in own
    assert "Nissan" not in own
    assert (
        list(DECISION_COLUMNS).index("host_brand") == list(DECISION_COLUMNS).index("host_name") + 1
    )
    # a store on a Honda rooftop is already dualled within the alliance, not with Nissan
    network = three_brands()
    on_roof = network_from(
        [
            *network.drop(columns="geometry").to_dict("records"),
            site("I-roof", "Infiniti", LAT, LON + east(4)),
        ]
    )
    status = {
        brands: classify(on_roof, "Infiniti", brands, 0.25)
        .set_index(DEALER_ID)
        .at["I-roof", STATUS]
        for brands in ("Nissan", ("Nissan", "Honda"))
    }
    assert status == {"Nissan": STANDALONE, ("Nissan", "Honda"): COLOCATED}
    roof = apply_rules(on_roof, alliance()).table.set_index(DEALER_ID).loc["I-roof"]
    assert (roof[DECISION], roof["host_brand"]) == ("unaffected", "Honda")
    assert "Already shares a rooftop with Honda of Dallas" in roof["reason"]


def test_a_single_brand_scenario_is_the_same_as_a_list_of_one(sample_network) -> None:
    plan = load_scenario("consolidation")
    listed = plan.with_overrides({"scenario.host_brand": ["Nissan"]})
    assert listed.host_brands == plan.host_brands == ("Nissan",)
    one, other = apply_rules(sample_network, plan).table, apply_rules(sample_network, listed).table
    assert one.equals(other)
    absorbed = one[DECISION] == "absorb"
    assert absorbed.any()
    assert set(one.loc[absorbed, "host_brand"]) == {"Nissan"}
    assert one.loc[~one[HOST_DEALER_ID].notna(), "host_brand"].isna().all()


# --- the stages after the rules -----------------------------------------------------------


def test_points_of_sale_after_include_the_honda_hosts() -> None:
    network = three_brands()
    table = apply_rules(network, alliance()).table
    _, after = points_of_sale(network, table, "Infiniti", ALLIANCE)
    assert sorted(after[DEALER_ID]) == ["H-a", "H-c", "N-b"]
    with pytest.raises(InvalidInputError, match="hosts that are not Nissan sites"):
        points_of_sale(network, table, "Infiniti", "Nissan")


def test_every_named_host_brand_must_have_a_site() -> None:
    network = three_brands()
    check_brands(network, alliance())
    with pytest.raises(InvalidInputError) as caught:
        check_brands(network, alliance(["Nissan", "Toyota"]))
    message = str(caught.value)
    assert "the dealer files hold no Toyota site, so there are no Toyota sites" in message
    assert "remove Toyota from the scenario's host_brand list" in message
    assert "Honda (3)" in message and "Nissan (3)" in message
    # the spread of shipped scenarios only needs one host brand present
    brands = set(network[BRAND])
    assert _cannot_run(alliance(["Nissan", "Toyota"]), brands) == ""
    assert _cannot_run(alliance(["Toyota", "Kia"]), brands) == (
        "the network has no Toyota or Kia stores"
    )


def test_owners_are_grouped_across_every_host_brand() -> None:
    network = network_from(
        [
            site("I-1", "Infiniti", LAT, LON, name="Bert Ogden Infiniti"),
            site("H-1", "Honda", LAT, LON + east(6), name="Bert Ogden Honda"),
            site("N-1", "Nissan", north(300), LON, name="Lone Nissan"),
        ]
    )
    grouped = infer_owners(network, "Infiniti", ALLIANCE).set_index(DEALER_ID)[OWNER_GROUP]
    assert grouped["I-1"] == grouped["H-1"] is not None
    alone = infer_owners(network, "Infiniti", "Nissan").set_index(DEALER_ID)[OWNER_GROUP]
    assert alone.isna().all()


def test_the_host_layer_holds_every_host_brand() -> None:
    network = three_brands()
    result = SimpleNamespace(network=network, host_brands=("Nissan", "Honda"))
    hosts = host_sites(result)  # type: ignore[arg-type]
    assert sorted(hosts[DEALER_ID]) == ["H-a", "H-b", "H-c", "N-a", "N-b", "N-c"]
    assert np.array_equal(hosts.index, np.flatnonzero(network[BRAND] != "Infiniti"))
    assert brand_label(("Infiniti", "Nissan", "Honda")) == "Infiniti, Nissan or Honda"
