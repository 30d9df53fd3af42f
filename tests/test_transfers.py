"""Co-location or franchise transfer: who gives up a store and who gains it, per decision.

A store absorbed into its own group's host is a co-location (the owner keeps the franchise);
one absorbed into another owner's host, or where either owner is not known, is a franchise
transfer. The tiny network below is laid out by hand so every expected owner is known.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from dealernet.engine._owners import possessive
from dealernet.engine.decisions import DECISION_COLUMNS
from dealernet.engine.rules import apply_rules
from dealernet.engine.scenario import load_scenario, parse_scenario
from dealernet.io.owners import with_owners
from dealernet.schema import (
    ANNUAL_NEW_UNITS,
    BRAND,
    DEALER_ID,
    FROM_OWNER,
    LATITUDE,
    LONGITUDE,
    OWNER_GROUP,
    TO_OWNER,
    TRANSFER,
)
from dealernet.settings import METRES_PER_MILE
from helpers import MILE, ORIGIN, east, network_from, site

LAT, LON = ORIGIN
GEOD = Geod(ellps="WGS84")

#: Keep the strong, absorb within 30 miles (the owner's own store first), close the rest.
PLAN = parse_scenario(
    {
        "scenario": {"name": "test", "source_brand": "Infiniti", "host_brand": "Nissan"},
        "rules": [
            {"id": "strong", "when": "annual_new_units >= 600", "action": "keep"},
            {"id": "near", "action": "absorb", "max_distance_miles": 30, "same_owner": "prefer"},
            {"id": "rest", "action": "close"},
        ],
    },
    "test.toml",
)


def tiny() -> gpd.GeoDataFrame:
    """One store of each kind, 100 miles apart so no store can reach another's host."""

    def north(miles: float) -> float:
        return LAT + miles * MILE

    return network_from(
        [
            # the owner's own Nissan store 5 miles east: a co-location
            site("I-own", "Infiniti", LAT, LON, owner="Maple Group"),
            site("N-own", "Nissan", LAT, LON + east(5), owner="Maple Group"),
            # another owner's Nissan store 3 miles east: a franchise transfer
            site("I-other", "Infiniti", north(100), LON, owner="Cedar Motors"),
            site("N-other", "Nissan", north(100), LON + east(3), owner="Hawk Falls Motors"),
            # this store's owner not known, the host's known
            site("I-nobody", "Infiniti", north(200), LON),
            site("N-birch", "Nissan", north(200), LON + east(3), owner="Birch Autos"),
            # this store's owner known, the host's not
            site("I-solo", "Infiniti", north(300), LON, owner="Solo Motors"),
            site("N-anon", "Nissan", north(300), LON + east(3)),
            # strong enough to keep its showroom, a Nissan store 3 miles away notwithstanding
            site(
                "I-keep", "Infiniti", north(400), LON, owner="Elm Auto", **{ANNUAL_NEW_UNITS: 700}
            ),
            site("N-elm", "Nissan", north(400), LON + east(3), owner="Oak Auto"),
            # no Nissan store within 30 miles: closes
            site("I-far", "Infiniti", north(-300), LON, owner="Pine Auto"),
            # on a Nissan rooftop already: unaffected
            site("I-dual", "Infiniti", north(500), LON, owner="Ash Auto"),
            site("N-dual", "Nissan", north(500), LON + east(0.05), owner="Ash Auto"),
        ]
    )


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return apply_rules(tiny(), PLAN).table.set_index(DEALER_ID)


def test_every_store_gets_the_decision_it_was_laid_out_for(table: pd.DataFrame) -> None:
    expected = {
        "I-own": ("absorb", "N-own"),
        "I-other": ("absorb", "N-other"),
        "I-nobody": ("absorb", "N-birch"),
        "I-solo": ("absorb", "N-anon"),
        "I-keep": ("keep", ""),
        "I-far": ("close", ""),
        "I-dual": ("unaffected", "N-dual"),
    }
    hosts = table["host_dealer_id"].fillna("")
    got = {i: (table.at[i, "decision"], hosts[i]) for i in table.index}
    assert got == expected


def test_a_same_owner_absorb_is_a_co_location(table: pd.DataFrame) -> None:
    row = table.loc["I-own"]
    assert not pd.isna(row[TRANSFER]) and bool(row[TRANSFER]) is False
    assert row[FROM_OWNER] == row[TO_OWNER] == "Maple Group"
    assert "co-location with its own group's Nissan store" in row["reason"]
    assert "transfer" not in row["reason"]


def test_another_owners_host_is_a_franchise_transfer_naming_both(table: pd.DataFrame) -> None:
    row = table.loc["I-other"]
    assert bool(row[TRANSFER]) is True
    assert (row[FROM_OWNER], row[TO_OWNER]) == ("Cedar Motors", "Hawk Falls Motors")
    assert "franchise transfer to Hawk Falls Motors' store" in row["reason"]
    assert "co-location" not in row["reason"]


def test_an_unknown_owner_counts_as_a_transfer_and_says_why(table: pd.DataFrame) -> None:
    nobody, solo = table.loc["I-nobody"], table.loc["I-solo"]
    assert bool(nobody[TRANSFER]) is True and bool(solo[TRANSFER]) is True
    assert pd.isna(nobody[FROM_OWNER]) and nobody[TO_OWNER] == "Birch Autos"
    assert solo[FROM_OWNER] == "Solo Motors" and pd.isna(solo[TO_OWNER])
    for row in (nobody, solo):
        assert pd.isna(row["same_owner_host"])  # the engine asserts nothing about owners
        assert "counted as a franchise transfer" in row["reason"]
        assert "owner not known" in row["reason"]


def test_keep_close_and_unaffected_rows_have_no_transfer(table: pd.DataFrame) -> None:
    for store, owner in (("I-keep", "Elm Auto"), ("I-far", "Pine Auto"), ("I-dual", "Ash Auto")):
        row = table.loc[store]
        assert pd.isna(row[TRANSFER]), store
        assert pd.isna(row[TO_OWNER]), store  # not absorbed: nobody gains it
        assert row[FROM_OWNER] == owner, store
        assert "transfer" not in row["reason"] and "co-location with" not in row["reason"]
    # the dualled store shares its own group's rooftop, and still nothing moves
    assert bool(table.loc["I-dual", "same_owner_host"]) is True


def test_the_csv_writes_the_new_columns_after_same_owner_host(tmp_path) -> None:
    path = apply_rules(tiny(), PLAN).to_csv(tmp_path / "decisions.csv")
    header, *lines = path.read_text(encoding="utf-8-sig").splitlines()
    columns = header.split(",")
    at = columns.index("same_owner_host")
    assert columns[at + 1 : at + 4] == [TRANSFER, FROM_OWNER, TO_OWNER]
    assert tuple(columns) == DECISION_COLUMNS
    read = pd.read_csv(path, dtype=str, keep_default_na=False).set_index(DEALER_ID)
    assert read.loc["I-own", TRANSFER] == "false"
    assert read.loc["I-other", [TRANSFER, FROM_OWNER, TO_OWNER]].tolist() == [
        "true",
        "Cedar Motors",
        "Hawk Falls Motors",
    ]
    assert read.loc["I-nobody", [TRANSFER, FROM_OWNER]].tolist() == ["true", ""]
    assert read.loc["I-keep", [TRANSFER, TO_OWNER]].tolist() == ["", ""]


def test_possessive_of_an_owner_name() -> None:
    assert possessive("Maple Group") == "Maple Group's"
    assert possessive("Hawk Falls Motors") == "Hawk Falls Motors'"


# --- the shipped scenarios on the bundled sample ----------------------------------------------


@pytest.fixture(scope="module")
def owned(sample_network: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The sample with owners as a run sees them."""
    return with_owners(sample_network, "Infiniti", "Nissan")


def _miles(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2] / METRES_PER_MILE


def test_announced_2024_only_co_locates_with_the_owners_own_store(
    owned: gpd.GeoDataFrame,
) -> None:
    table = apply_rules(owned, load_scenario("announced-2024")).table
    absorbed = table[table["decision"] == "absorb"]
    assert len(absorbed) > 0
    assert set(table["decision"]) <= {"absorb", "keep", "unaffected"}  # closes none
    assert not absorbed[TRANSFER].astype(bool).any()
    # checked against the network itself, not the engine's own owner flag
    hosts = owned[owned[BRAND] == "Nissan"].set_index(DEALER_ID)
    host_owner = hosts.loc[absorbed["host_dealer_id"], OWNER_GROUP].str.casefold().to_numpy()
    assert (absorbed[OWNER_GROUP].str.casefold().to_numpy() == host_owner).all()
    assert (absorbed[FROM_OWNER] == absorbed[TO_OWNER]).all()
    miles = _miles(
        absorbed[LATITUDE].to_numpy(),
        absorbed[LONGITUDE].to_numpy(),
        hosts.loc[absorbed["host_dealer_id"], LATITUDE].to_numpy(),
        hosts.loc[absorbed["host_dealer_id"], LONGITUDE].to_numpy(),
    )
    assert (miles <= 40 + 1e-6).all()
    # a kept store with its own group's Nissan store within 40 miles found it full (2 each)
    taken = absorbed["host_dealer_id"].value_counts()
    kept = table[table["decision"] == "keep"]
    for _, store in kept.iterrows():
        mine = hosts[hosts[OWNER_GROUP].str.casefold() == str(store[OWNER_GROUP]).casefold()]
        if mine.empty:
            continue
        near = _miles(
            np.full(len(mine), store[LATITUDE]),
            np.full(len(mine), store[LONGITUDE]),
            mine[LATITUDE].to_numpy(),
            mine[LONGITUDE].to_numpy(),
        )
        for host in mine.index[near <= 40]:
            assert taken.get(host, 0) == 2, (store[DEALER_ID], host)


def test_all_stand_alone_affects_at_least_as_many_stores_as_consolidation(
    owned: gpd.GeoDataFrame,
) -> None:
    def affected(name: str) -> pd.Series:
        table = apply_rules(owned, load_scenario(name)).table
        return table["decision"].isin(["absorb", "close"])

    every, plan = affected("all-stand-alone"), affected("consolidation")
    assert every.sum() >= plan.sum() > 0
    # every store consolidation moves or closes is moved by all-stand-alone too
    assert (every | ~plan).all()
