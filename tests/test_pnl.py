"""The owners' profit and loss and the net and spin-off jobs, recomputed by hand.

Every parameter is fixed (low = base = high), so each store's figures are plain arithmetic
on the assumptions, the store's own figures and the market model's customer shares (which
the impacts table reports). The arithmetic below is written from the method as the README
states it, not from the code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from dealernet.analysis import rollups
from dealernet.analysis.assumptions import load_assumptions
from dealernet.analysis.impact import JOBS, PNL
from helpers import ASSUMPTIONS, MILE
from helpers import impacts_with_market as estimate_impacts

SHIPPED = load_assumptions(ASSUMPTIONS)
FIXED = SHIPPED.with_overrides({key: SHIPPED[key].base for key in SHIPPED.parameters})
LAT, LON = 32.78, -96.80  # Dallas: plenty of competing luxury stores around
REVENUE = 40e6
STAFF = {"sales_employees": 10.0, "service_employees": 14.0, "office_employees": 6.0}


def source(dealer_id: str, miles_north: float, owner: str | None) -> dict[str, object]:
    return {
        "dealer_id": dealer_id,
        "brand": "Infiniti",
        "owner_group": owner,
        "state": "TX",
        "latitude": LAT + miles_north * MILE,
        "longitude": LON,
        "location_quality": "exact",
        "annual_revenue": REVENUE,
        **STAFF,
    }


def host(dealer_id: str, miles_north: float, owner: str | None) -> dict[str, object]:
    row = source(dealer_id, miles_north, owner)
    row.update(brand="Nissan", annual_revenue=np.nan, **dict.fromkeys(STAFF, np.nan))
    return row


def decision(
    row: dict[str, object], what: str, host_row: dict[str, object] | None, same: bool | None
) -> dict[str, object]:
    return {
        "dealer_id": row["dealer_id"],
        "name": f"{row['dealer_id']} Infiniti",
        "decision": what,
        "host_dealer_id": None if host_row is None else host_row["dealer_id"],
        "host_owner_group": None if host_row is None else host_row["owner_group"],
        "same_owner_host": same,
        "distance_miles": 3.0 if host_row is not None else np.nan,
        "owner_group": row["owner_group"],
        "state": "TX",
        "latitude": row["latitude"],
        "longitude": row["longitude"],
    }


def tiny(assumptions=FIXED):  # type: ignore[no-untyped-def]
    """A co-location (A into its owner's H1), a transfer (B of G2 into H2 of G3), a closure
    (C) and a store that keeps its showroom (D), 30 miles apart."""
    owners = ("G1", "G2", "G2", "G4")
    a, b, c, d = (source(i, 30 * k, o) for k, (i, o) in enumerate(zip("ABCD", owners, strict=True)))
    h1, h2 = host("H1", 3, "G1"), host("H2", 33, "G3")
    decisions = pd.DataFrame(
        [
            decision(a, "absorb", h1, True),
            decision(b, "absorb", h2, False),
            decision(c, "close", None, None),
            decision(d, "keep", None, None),
        ]
    )
    network = pd.DataFrame([a, b, c, d, h1, h2])
    impacts = estimate_impacts(network, decisions, assumptions, "Infiniti", "Nissan")
    return network, decisions, impacts


@pytest.fixture(scope="module")
def fixed_run():  # type: ignore[no-untyped-def]
    return tiny()


def by_hand(row: pd.Series, what: str) -> dict[str, float]:
    """One store's P&L and jobs from the assumptions, its own figures and its customer
    shares, as the README's method describes them."""
    p = FIXED.base
    shares = {d: p(f"revenue_share.{d}") for d in ("new", "used", "service", "fi")}
    total = sum(shares.values())
    revenue = {d: REVENUE * s / total for d, s in shares.items()}
    gross_sales = sum(revenue[d] * p(f"gross_margin.{d}") for d in ("new", "used", "fi"))
    gross_service = revenue["service"] * p("gross_margin.service")
    site = row["sales_site_base"] if what == "absorb" else 0.0
    service_site = row["service_site_base"] if what == "absorb" else 0.0
    brand = row["sales_brand_other_base"]
    nowhere = row["sales_no_store_in_reach_base"]
    rivals = 1 - site - brand - nowhere  # buyers who go to competing brands
    service_brand = row["service_brand_other_base"]
    service_out = 1 - service_site - service_brand
    sales, service, office = STAFF.values()
    staffing, kept = p("retention.staffing"), p("back_office.kept_share")
    if what == "absorb":
        moved = sales * site * staffing + service * service_site * staffing + office * kept
        office_lost = office * (1 - kept)
    else:
        moved, office_lost = 0.0, office
    lost = sales + service + office - moved
    office_elsewhere = min(office * (brand + rivals), office_lost)
    to_rivals = (
        sales * rivals + service * service_out + office_elsewhere * rivals / (brand + rivals)
    )
    to_brand = sales * brand + service * service_brand + office_elsewhere * brand / (brand + rivals)
    net = lost - to_rivals - to_brand
    earnings = p("earnings.annual")
    profit = REVENUE * p("return_on_sales.Infiniti")
    colocation = what == "absorb" and row["change"] == "co-location"
    transfer = what == "absorb" and not colocation
    out = {
        "jobs_lost": lost,
        "jobs_gained_host": moved,
        "jobs_to_competitors": to_rivals,
        "jobs_to_brand_other": to_brand,
        "net_jobs_lost": net,
        "spin_off_jobs": net * p("spin_off.jobs_per_job"),
        "gross_profit_lost_sales": gross_sales * (1 - site) if colocation else 0.0,
        "gross_profit_lost_service": gross_service * (1 - service_site) if colocation else 0.0,
        "payroll_avoided": lost * earnings if colocation else 0.0,
        "occupancy_avoided": p("occupancy.saved_per_store") if colocation else 0.0,
        "profit_given_up": 0.0 if colocation else profit,
        "buyout": p("blue_sky_multiple.Infiniti") * max(profit, 0) if transfer else 0.0,
        "host_gross_profit_gained": (
            gross_sales * site + gross_service * service_site - moved * earnings
            if transfer
            else 0.0
        ),
    }
    out["profit_change"] = (
        out["payroll_avoided"]
        + out["occupancy_avoided"]
        - out["gross_profit_lost_sales"]
        - out["gross_profit_lost_service"]
        - out["profit_given_up"]
    )
    return out


@pytest.mark.parametrize(
    ("dealer_id", "what", "change"),
    [("A", "absorb", "co-location"), ("B", "absorb", "transfer"), ("C", "close", "closure")],
)
def test_one_stores_pnl_and_jobs_recomputed_by_hand(fixed_run, dealer_id, what, change) -> None:  # type: ignore[no-untyped-def]
    _network, _decisions, impacts = fixed_run
    row = impacts.table.set_index("dealer_id").loc[dealer_id].copy()
    row["change"] = change
    expected = by_hand(row, what)
    assert set(expected) == set(PNL) | (
        set(JOBS) - {f"jobs_lost_{d}" for d in ("sales", "service", "office")}
    )
    for measure, value in expected.items():
        for level in ("low", "base", "high"):  # nothing is uncertain: all three agree
            assert row[f"{measure}_{level}"] == pytest.approx(value, rel=1e-9, abs=1e-6), (
                measure,
                level,
            )


def test_the_customer_shares_used_are_those_of_a_store_with_competition(fixed_run) -> None:  # type: ignore[no-untyped-def]
    """The hand check means something only if every share is in play."""
    table = fixed_run[2].table.set_index("dealer_id")
    a = table.loc["A"]
    assert 0 < a["sales_site_base"] < 1 and 0 < a["service_site_base"] < 1
    assert 1 - a["sales_site_base"] - a["sales_brand_other_base"] > 0.05  # rivals win some
    assert table.loc["C", "sales_site_base"] == 0  # a closed store has no site


def test_signs_of_a_colocation_a_transfer_a_closure_and_a_kept_store(fixed_run) -> None:  # type: ignore[no-untyped-def]
    table = fixed_run[2].table.set_index("dealer_id")
    colocation, transfer, closure, kept = (table.loc[i] for i in "ABCD")
    assert colocation["payroll_avoided_base"] > 0 and colocation["occupancy_avoided_base"] > 0
    assert colocation["gross_profit_lost_sales_base"] > 0
    assert colocation["buyout_base"] == 0 and colocation["profit_given_up_base"] == 0
    assert colocation["host_gross_profit_gained_base"] == 0  # the host is the owner's own
    assert transfer["buyout_base"] > 0 and transfer["host_gross_profit_gained_base"] > 0
    assert transfer["profit_change_base"] == pytest.approx(-transfer["profit_given_up_base"])
    assert transfer["payroll_avoided_base"] == 0 and transfer["occupancy_avoided_base"] == 0
    assert closure["buyout_base"] == 0 and closure["host_gross_profit_gained_base"] == 0
    assert closure["jobs_gained_host_base"] == 0
    assert closure["profit_change_base"] == pytest.approx(
        -REVENUE * FIXED.base("return_on_sales.Infiniti")
    )
    for measure in (*PNL, *JOBS):
        assert kept[f"{measure}_base"] == 0, measure
    for row in (colocation, transfer, closure):  # jobs re-created never exceed jobs lost
        assert 0 <= row["net_jobs_lost_base"] <= row["jobs_lost_base"]
        assert row["spin_off_jobs_base"] == pytest.approx(1.2 * row["net_jobs_lost_base"])


def test_a_store_that_loses_money_sells_for_no_blue_sky() -> None:
    losing = FIXED.with_overrides({"return_on_sales.Infiniti": -0.003})
    table = tiny(losing)[2].table.set_index("dealer_id")
    transfer = table.loc["B"]
    assert transfer["buyout_base"] == 0
    assert transfer["profit_given_up_base"] == pytest.approx(-0.003 * REVENUE)
    assert transfer["profit_change_base"] > 0  # the owner stops carrying the loss


def test_profit_change_and_net_jobs_add_up_in_every_draw() -> None:
    """With the shipped ranges, the identities hold draw by draw, not only at the median."""
    impacts = tiny(SHIPPED.with_overrides({"monte_carlo.draws": 200}))[2]
    d = impacts.draws
    change = (
        d["payroll_avoided"]
        + d["occupancy_avoided"]
        - d["gross_profit_lost_sales"]
        - d["gross_profit_lost_service"]
        - d["profit_given_up"]
    )
    np.testing.assert_allclose(d["profit_change"], change)
    np.testing.assert_allclose(
        d["net_jobs_lost"], d["jobs_lost"] - d["jobs_to_competitors"] - d["jobs_to_brand_other"]
    )
    assert (d["net_jobs_lost"] >= -1e-9).all()
    assert (d["buyout"] >= 0).all()
    spin = d["spin_off_jobs"][d["net_jobs_lost"] > 0] / d["net_jobs_lost"][d["net_jobs_lost"] > 0]
    p = SHIPPED["spin_off.jobs_per_job"]
    assert p.low - 1e-9 <= spin.min() and spin.max() <= p.high + 1e-9


def test_owner_totals_are_the_sums_of_their_stores_and_hosts(fixed_run) -> None:  # type: ignore[no-untyped-def]
    network, decisions, impacts = fixed_run
    table = impacts.table.set_index("dealer_id")
    owners = rollups.owners(decisions, impacts).set_index("owner_group")
    mine = {"G1": ["A"], "G2": ["B", "C"], "G4": ["D"]}
    for owner, stores in mine.items():
        for measure in [m for m in PNL if m != "host_gross_profit_gained"]:
            summed = table.loc[stores, f"{measure}_base"].sum()
            assert owners.loc[owner, f"{measure}_base"] == pytest.approx(summed), (owner, measure)
    # the host's gain belongs to the host's owner (G3 holds no Infiniti store: no row here)
    assert owners["host_gross_profit_gained_base"].eq(0).all()
    assert owners.loc["G1", "stores_taken_in"] == 0  # a co-location is not a transfer
    hosts = rollups.host_owners(decisions, impacts).set_index("owner_group")
    assert list(hosts.index) == ["G3"] and hosts.loc["G3", "stores_taken_in"] == 1
    gained = table.loc["B", "host_gross_profit_gained_base"]
    assert hosts.loc["G3", "host_gross_profit_gained_base"] == pytest.approx(gained)
    # the host's owner read from the network gives the same, with no decisions column
    bare = decisions.drop(columns="host_owner_group")
    assert list(rollups.host_keys(bare, network)) == [None, "G3", None, None]
    assert list(rollups.host_keys(bare)) == [None, None, None, None]


def test_a_host_owner_who_also_holds_infiniti_stores_sees_his_gain() -> None:
    """G2 transfers B into G1's host H2; G1 co-locates A into its own H1: G1's row carries
    the gain on B, G2's row the buy-out."""
    a, b = source("A", 0, "G1"), source("B", 30, "G2")
    h1, h2 = host("H1", 3, "G1"), host("H2", 33, "G1")
    decisions = pd.DataFrame([decision(a, "absorb", h1, True), decision(b, "absorb", h2, False)])
    impacts = estimate_impacts(pd.DataFrame([a, b, h1, h2]), decisions, FIXED, "Infiniti", "Nissan")
    table = impacts.table.set_index("dealer_id")
    owners = rollups.owners(decisions, impacts).set_index("owner_group")
    assert owners.loc["G1", "stores_taken_in"] == 1
    assert owners.loc["G1", "host_gross_profit_gained_base"] == pytest.approx(
        table.loc["B", "host_gross_profit_gained_base"]
    )
    assert table.loc["B", "buyout_base"] > 0
    assert owners.loc["G2", "buyout_base"] == pytest.approx(table.loc["B", "buyout_base"])
    assert owners.loc["G2", "host_gross_profit_gained_base"] == 0


def test_owner_ranges_come_from_summed_draws() -> None:
    network, decisions, impacts = tiny(SHIPPED.with_overrides({"monte_carlo.draws": 200}))
    owners = rollups.owners(decisions, impacts).set_index("owner_group")
    member = (decisions["owner_group"] == "G2").to_numpy()
    for measure in ("profit_change", "buyout", "net_jobs_lost", "spin_off_jobs"):
        summed = impacts.draws[measure][:, member].sum(axis=1)
        for level, q in (("low", 10), ("base", 50), ("high", 90)):
            value = owners.loc["G2", f"{measure}_{level}"]
            assert value == pytest.approx(np.percentile(summed, q)), (measure, level)
    transferred = (decisions["dealer_id"] == "B").to_numpy()
    hosts = rollups.host_owners(decisions, impacts).set_index("owner_group")
    summed = impacts.draws["host_gross_profit_gained"][:, transferred].sum(axis=1)
    assert hosts.loc["G3", "host_gross_profit_gained_high"] == pytest.approx(
        np.percentile(summed, 90)
    )


def test_national_totals_table_says_which_jobs_figure_is_which(fixed_run) -> None:  # type: ignore[no-untyped-def]
    from dealernet.outputs.terminal import totals_table

    _network, decisions, impacts = fixed_run
    console = Console(width=120, record=True)
    console.print(totals_table(rollups.national(decisions, impacts)))
    text = console.export_text()
    for label in (
        "Jobs lost at the stores (gross)",
        "Jobs lost to the region (net)",
        "Spin-off jobs lost",
        "Change in owners' yearly profit",
        "One-time buy-outs",
        "Host owners' yearly gain",
    ):
        assert label in text, label
    assert "profit at stake" not in text.casefold()
