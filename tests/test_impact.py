"""The impact model: calibration, site figures, ranges, decisions, distance, roll-ups."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from dealernet.analysis import rollups
from dealernet.analysis.assumptions import load_assumptions
from dealernet.analysis.impact import LOSSES as MEASURES
from helpers import ASSUMPTIONS
from helpers import impacts_with_market as estimate_impacts

ASSUMPTIONS = load_assumptions(ASSUMPTIONS)


def site(dealer_id: str, lat: float, lon: float, **extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "dealer_id": dealer_id,
        "brand": extra.pop("brand", "Infiniti"),
        "owner_group": extra.pop("owner_group", "G"),
        "state": extra.pop("state", "TX"),
        "latitude": lat,
        "longitude": lon,
        "location_quality": "exact",
    }
    row.update(extra)
    return row


def decision(
    dealer_id: str,
    lat: float,
    lon: float,
    what: str,
    miles: float = np.nan,
    host: str | None = None,
    same_owner: bool = False,
    owner: str = "G",
    state: str = "TX",
) -> dict[str, object]:
    return {
        "dealer_id": dealer_id,
        "decision": what,
        "host_dealer_id": host,
        "same_owner_host": same_owner,
        "distance_miles": miles,
        "owner_group": owner,
        "state": state,
        "latitude": lat,
        "longitude": lon,
    }


HOST = site("H", 31.0, -97.0, brand="Nissan")


def run(sites: list[dict], decisions: list[dict], assumptions=ASSUMPTIONS):
    network = pd.DataFrame([*sites, HOST])
    return estimate_impacts(network, pd.DataFrame(decisions), assumptions, "Infiniti", "Nissan")


def test_calibration_of_sample_baselines(sample_network: gpd.GeoDataFrame) -> None:
    """With no site revenue, average stores come to a full year's sourced revenue: Infiniti
    $35.4-43.2 M (two nine-month figures, annualised), Nissan about $52.5 M (H1 2024 x 2)."""
    net = sample_network
    for brand, (low, high), staff_band in (
        ("Infiniti", (35.4e6, 43.2e6), (25, 40)),
        ("Nissan", (50e6, 55e6), (55, 75)),
    ):
        sites = net[net["brand"] == brand]
        decisions = pd.DataFrame(
            [
                decision(i, la, lo, "keep")
                for i, la, lo in zip(
                    sites["dealer_id"], sites["latitude"], sites["longitude"], strict=True
                )
            ]
        )
        table = estimate_impacts(net, decisions, ASSUMPTIONS, brand, "Nissan").table
        assert (table["revenue_source"] == "estimated").all()
        mean = table["baseline_revenue_total"].mean()
        assert low <= mean <= high, (brand, mean)
        # the sample gives each store's volume: revenue is volume x revenue per unit
        per_unit = ASSUMPTIONS.base(f"revenue_per_new_unit.{brand}")
        expected = per_unit * sites["annual_new_units"].mean()
        assert abs(mean / expected - 1) < 0.03, (brand, mean, expected)
        assert staff_band[0] <= table["baseline_employees_total"].mean() <= staff_band[1]


def test_site_figures_override_estimates() -> None:
    sites = [site("A", 32.0, -96.0, annual_new_units=300, annual_revenue=10e6, employees=20)]
    table = run(sites, [decision("A", 32.0, -96.0, "close")]).table
    row = table.iloc[0]
    assert row["baseline_revenue_total"] == pytest.approx(10e6)
    assert row["baseline_employees_total"] == pytest.approx(20)
    assert row["revenue_source"] == "site file" and row["employees_source"] == "site file"
    # department head counts from the file are kept as given
    sites = [site("A", 32.0, -96.0, sales_employees=5, service_employees=7, office_employees=3)]
    row = run(sites, [decision("A", 32.0, -96.0, "close")]).table.iloc[0]
    assert (row["baseline_employees_sales"], row["baseline_employees_service"]) == (5, 7)
    assert row["baseline_employees_total"] == 15
    assert row["jobs_lost_office_base"] == pytest.approx(3)


def mixed_network() -> tuple[list[dict], list[dict]]:
    sites, decisions = [], []
    rng = np.random.default_rng(3)
    for i in range(40):
        lat, lon = 30 + rng.uniform(0, 8), -100 + rng.uniform(0, 10)
        what = ["keep", "absorb", "close", "unaffected"][i % 4]
        sites.append(site(f"S{i}", lat, lon, annual_new_units=float(rng.integers(100, 700))))
        decisions.append(
            decision(
                f"S{i}",
                lat,
                lon,
                what,
                miles=float(rng.uniform(1, 60)) if what == "absorb" else np.nan,
                host="H" if what == "absorb" else None,
                same_owner=bool(i % 3 == 0),
                owner=f"O{i % 5}",
                state=["TX", "OK"][i % 2],
            )
        )
    return sites, decisions


def test_low_base_high_are_ordered_for_every_row_and_measure() -> None:
    table = run(*mixed_network()).table
    for measure in MEASURES:
        low, base, high = (table[f"{measure}_{x}"] for x in ("low", "base", "high"))
        assert (low <= base).all() and (base <= high).all(), measure
    affected = table["decision"].isin(["absorb", "close"])
    assert (table.loc[affected, "jobs_lost_high"] > table.loc[affected, "jobs_lost_low"]).all()


@pytest.mark.parametrize("what", ["keep", "unaffected"])
def test_kept_and_unaffected_sites_lose_nothing(what: str) -> None:
    table = run([site("A", 32, -96)], [decision("A", 32, -96, what)]).table
    for measure in MEASURES:
        for x in ("low", "base", "high"):
            assert table.loc[0, f"{measure}_{x}"] == 0


def test_closed_site_with_nothing_near_loses_its_whole_baseline() -> None:
    sites = [site("A", 32, -96, annual_revenue=25e6, employees=30)]
    table = run(sites, [decision("A", 32, -96, "close")]).table
    row = table.iloc[0]
    assert np.isinf(row["recapture_miles"])
    for x in ("low", "base", "high"):
        assert row[f"revenue_lost_{x}"] == pytest.approx(25e6)
        assert row[f"revenue_at_risk_{x}"] == pytest.approx(25e6)
        assert row[f"jobs_lost_{x}"] == pytest.approx(30)


def test_closed_site_next_to_a_kept_store_is_partly_recaptured() -> None:
    sites = [site("A", 32, -96, annual_revenue=25e6), site("B", 32.0001, -96, annual_revenue=1e6)]
    decisions = [decision("A", 32, -96, "close"), decision("B", 32.0001, -96, "keep")]
    row = run(sites, decisions).table.iloc[0]
    assert row["recapture_miles"] < 0.01
    assert row["sales_brand_other_base"] > 0  # some buyers go to the store next door
    assert row["sales_site_base"] == 0  # a closed store has no site
    assert 0 < 25e6 - row["revenue_lost_base"] < 25e6
    assert row["revenue_at_risk_base"] == pytest.approx(25e6)  # the owner loses the store


def test_losses_grow_with_distance_for_an_absorbed_site() -> None:
    """The farther the host, the fewer customers find the store there: more jobs go."""
    miles = [0.5, 5, 15, 40, 90]
    east = 1 / (69.17 * np.cos(np.radians(32)))  # degrees of longitude per mile at 32 N
    sites = [site(f"A{i}", 32, -96, annual_new_units=300) for i in range(len(miles))]
    sites = [
        site(f"A{i}", 32 + i, -96, annual_new_units=300, state="TX") for i in range(len(miles))
    ]
    hosts = [
        site(
            f"H{i}",
            32 + i,
            -96 + m * east / np.cos(np.radians(32 + i)) * np.cos(np.radians(32)),
            brand="Nissan",
        )
        for i, m in enumerate(miles)
    ]
    decisions = [
        decision(f"A{i}", 32 + i, -96, "absorb", m, host=f"H{i}") for i, m in enumerate(miles)
    ]
    network = pd.DataFrame([*sites, *hosts])
    table = estimate_impacts(
        network, pd.DataFrame(decisions), ASSUMPTIONS, "Infiniti", "Nissan"
    ).table
    for measure in ("jobs_lost", "revenue_lost", "jobs_lost_sales", "jobs_lost_service"):
        assert np.all(np.diff(table[f"{measure}_base"]) > 0), measure
    assert np.all(np.diff(table["sales_site_base"]) < 0)
    # an absorbed store never loses more than a closed one would
    assert (table["jobs_lost_base"] < table["baseline_employees_total"]).all()


def test_revenue_at_risk_depends_on_whether_the_owner_owns_the_host() -> None:
    sites = [site("A", 32, -96, annual_revenue=20e6), site("B", 32, -96, annual_revenue=20e6)]
    decisions = [
        decision("A", 32, -96, "absorb", 10, host="H", same_owner=True),
        decision("B", 32, -96, "absorb", 10, host="H", same_owner=False),
    ]
    table = run(sites, decisions).table
    same, other = table.iloc[0], table.iloc[1]
    assert same["revenue_lost_base"] <= same["revenue_at_risk_base"] < 20e6
    assert other["revenue_at_risk_base"] == pytest.approx(20e6)
    assert same["revenue_lost_base"] == pytest.approx(other["revenue_lost_base"])


def test_payroll_and_profit_follow_jobs_and_revenue() -> None:
    sites = [site("A", 32, -96, annual_revenue=20e6, employees=30)]
    table = run(sites, [decision("A", 32, -96, "close")]).table
    earnings = ASSUMPTIONS["earnings.annual"]
    assert earnings.low * 30 <= table.loc[0, "payroll_lost_base"] <= earnings.high * 30
    ros = ASSUMPTIONS["return_on_sales.Infiniti"]
    # a closed store's owner gives up its pre-tax profit, and nothing comes back
    assert ros.low * 20e6 <= table.loc[0, "profit_given_up_base"] <= ros.high * 20e6
    assert table.loc[0, "profit_change_base"] == pytest.approx(
        -table.loc[0, "profit_given_up_base"]
    )
    assert table.loc[0, "buyout_high"] == 0 and table.loc[0, "payroll_avoided_high"] == 0


def test_monte_carlo_is_reproducible_for_a_seed() -> None:
    a = run(*mixed_network()).table
    b = run(*mixed_network()).table
    pd.testing.assert_frame_equal(a, b)
    other = ASSUMPTIONS.with_overrides({"monte_carlo.seed": 7})
    c = run(*mixed_network(), assumptions=other).table
    assert not np.allclose(a["jobs_lost_high"], c["jobs_lost_high"])


def test_fixing_a_parameter_removes_its_uncertainty() -> None:
    fixed = {k: ASSUMPTIONS[k].base for k in ASSUMPTIONS.parameters}
    table = run(*mixed_network(), assumptions=ASSUMPTIONS.with_overrides(fixed)).table
    np.testing.assert_allclose(table["jobs_lost_low"], table["jobs_lost_high"])


def test_owner_and_region_totals_equal_the_sum_of_their_rows() -> None:
    sites, decisions_rows = mixed_network()
    impacts = run(sites, decisions_rows)
    decisions = pd.DataFrame(decisions_rows)
    table = impacts.table
    owners = rollups.owners(decisions, impacts).set_index("owner_group")
    states = rollups.states(decisions, impacts).set_index("region")
    for groups, key in ((owners, "owner_group"), (states, "state")):
        for name, rows in decisions.groupby(key):
            mine = table[decisions[key].to_numpy() == name]
            assert groups.loc[name, "stores"] == len(rows)
            assert groups.loc[name, "stores_close"] == (rows["decision"] == "close").sum()
            assert groups.loc[name, "baseline_revenue_total"] == pytest.approx(
                mine["baseline_revenue_total"].sum()
            )
            # ranges come from the summed draws of exactly these rows
            member = decisions[key].to_numpy() == name
            summed = impacts.draws["jobs_lost"][:, member].sum(axis=1)
            assert groups.loc[name, "jobs_lost_base"] == pytest.approx(np.percentile(summed, 50))
    nation = rollups.national(decisions, impacts)
    assert nation["stores"] == len(decisions)
    assert nation["stores_affected"] == owners["stores_affected"].sum()
    total = impacts.draws["revenue_lost"].sum(axis=1)
    assert nation["revenue_lost_high"] == pytest.approx(np.percentile(total, 90))
    # summed draws of the groups equal the national draws: nothing lost or counted twice
    assert owners["baseline_employees_total"].sum() == pytest.approx(
        table["baseline_employees_total"].sum()
    )


def test_counties_come_from_the_boundary_layer() -> None:
    sites = [site("A", 32.78, -96.80), site("B", 40.75, -73.99, state="NY")]
    decisions = pd.DataFrame(
        [decision("A", 32.78, -96.80, "close"), decision("B", 40.75, -73.99, "close", state="NY")]
    )
    impacts = estimate_impacts(pd.DataFrame(sites), decisions, ASSUMPTIONS, "Infiniti", "Nissan")
    counties = rollups.counties(decisions, impacts).set_index("region")
    assert counties.loc["48113", "region_name"] == "Dallas"
    assert counties.loc["36061", "region_name"] == "New York"


def test_subset_totals_equal_the_rollup_of_that_group() -> None:
    sites, decisions_rows = mixed_network()
    impacts = run(sites, decisions_rows)
    decisions = pd.DataFrame(decisions_rows)
    mask = (decisions["state"] == "TX").to_numpy()
    subset = rollups.subset_totals(mask, decisions, impacts)
    group = rollups.rollup(np.where(mask, "in", "out"), decisions, impacts).set_index("key")
    pd.testing.assert_series_equal(
        subset.astype(float), group.loc["in"].astype(float), check_names=False
    )
    empty = rollups.subset_totals(np.zeros(len(mask), dtype=bool), decisions, impacts)
    assert (empty == 0).all()
