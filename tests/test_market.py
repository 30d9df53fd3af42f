"""The Huff market model: a toy market by hand, its invariants, and the national run."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dealernet.analysis.assumptions import Assumptions
from dealernet.analysis.impact import market_units
from dealernet.analysis.market import (
    NEAR_MILES,
    NO_STORE,
    Parameters,
    build_market,
    huff,
    slot_weights,
    solve,
)
from dealernet.analysis.pipeline import default_assumptions
from dealernet.geo.distance import chord_to_geodesic_miles, geodesic_miles, pairs_within, to_ecef
from helpers import market_params

# Customers along the equator: 0.1 degree of longitude there is 6.9 miles.
MILES_PER_DEGREE = float(geodesic_miles(0.0, 0.0, 0.0, 1.0))


def params(**changes: float) -> Parameters:
    return market_params([1.0, 1.0], **changes)


def line_market(decision: str = "keep", host_lon: float | None = None) -> object:
    """Two stores at longitude 0 (brand) and 1 (competitor); customers at 0.2 .. 0.8.

    ``decision`` is the brand store's: keep, close, or absorb into a host at ``host_lon``.
    """
    customers = np.array([0.2, 0.4, 0.6, 0.8])
    slots_lon = [0.0, 1.0] + ([host_lon] if host_lon is not None else [])
    brand = [0, 1] + ([0] if host_lon is not None else [])
    kept = decision == "keep"
    before = [True, True] + ([False] if host_lon is not None else [])
    after = [kept, True] + ([True] if host_lon is not None else [])
    dualled = [False, False] + ([True] if host_lon is not None else [])
    store_after = [0 if kept else (2 if decision == "absorb" else -1)]
    return build_market(
        population=np.array([100.0, 200.0, 300.0, 400.0]),
        point_lat=np.zeros(4),
        point_lon=customers,
        slot_lat=np.zeros(len(slots_lon)),
        slot_lon=np.array(slots_lon),
        brand=np.array(brand),
        brands=("Infiniti", "Lexus"),
        before=np.array(before),
        after=np.array(after),
        dualled=np.array(dualled),
        store_slot=np.array([0]),
        store_after=np.array(store_after),
        cutoff_miles=150.0,
    )


def hand_shares(x: np.ndarray, lam: float) -> np.ndarray:
    """Huff by hand: P(store at 0) = d0^-lam / (d0^-lam + d1^-lam)."""
    d0, d1 = x * MILES_PER_DEGREE, (1 - x) * MILES_PER_DEGREE
    return d0**-lam / (d0**-lam + d1**-lam)


def test_toy_market_shares_match_a_hand_computation() -> None:
    market = line_market()
    x = np.array([0.2, 0.4, 0.6, 0.8])
    for lam in (1.0, 2.0, 3.5):
        p = huff(market.pairs, market.points, np.array([1.0, 1.0]), lam, 150.0)
        mine = p[market.pairs.slot == 0]
        np.testing.assert_allclose(mine, hand_shares(x, lam), rtol=1e-6)
        outcome = solve(market, params(decay_sales=lam))
        people = np.sum(np.array([100, 200, 300, 400]) * hand_shares(x, lam))
        np.testing.assert_allclose(outcome.people[0], people, rtol=1e-6)


def test_closing_the_only_brand_store_sends_everyone_to_the_competitor() -> None:
    outcome = solve(line_market("close"), params())
    split = dict(zip(outcome.destinations, outcome.sales[0], strict=True))
    assert split["site"] == 0 and split["brand_other"] == 0
    assert split["Lexus"] == pytest.approx(1.0)
    # service: no brand point left, so all of it goes elsewhere
    assert outcome.service[0] == pytest.approx([0.0, 0.0, 1.0])


def test_a_dualled_store_in_place_keeps_the_logit_share_by_hand() -> None:
    """Absorbed into a host at the same spot with pull 0.77: at each point the store's
    chance falls from p to p' (hand Huff), so p'/p of its buyers stay; the rest go to the
    competitor, the only other choice."""
    market = line_market("absorb", host_lon=0.0)
    outcome = solve(market, params())
    x = np.array([0.2, 0.4, 0.6, 0.8])
    d0, d1 = x * MILES_PER_DEGREE, (1 - x) * MILES_PER_DEGREE
    p = d0**-2 / (d0**-2 + d1**-2)
    q = 0.77 * d0**-2 / (0.77 * d0**-2 + d1**-2)
    buyers = np.array([100, 200, 300, 400]) * p
    stay = np.sum(buyers * q / p) / buyers.sum()
    split = dict(zip(outcome.destinations, outcome.sales[0], strict=True))
    assert split["site"] == pytest.approx(stay, rel=1e-6)
    assert split["Lexus"] == pytest.approx(1 - stay, rel=1e-6)
    assert split[NO_STORE] == pytest.approx(0.0, abs=1e-12)


def test_a_host_closer_to_customers_keeps_them_all() -> None:
    """Moving nearer to every customer point raises the store's chance everywhere."""
    market = line_market("absorb", host_lon=0.1)
    outcome = solve(market, params(dualled=1.0))
    assert outcome.sales[0][0] == pytest.approx(1.0)


def test_no_store_in_reach_when_the_cutoff_leaves_nothing() -> None:
    # customers 0.8 degrees from the brand store (55 miles), competitor 0.2 away: cut at 20
    outcome = solve(line_market("close"), params(cutoff_miles=20.0))
    split = dict(zip(outcome.destinations, outcome.sales[0], strict=True))
    assert split[NO_STORE] > 0.5  # the points near the brand store have nothing within 20 mi
    assert sum(split.values()) == pytest.approx(1.0)


def random_market(seed: int, stores: int, competitors: int, decisions: list[str]) -> object:
    rng = np.random.default_rng(seed)
    n = 300
    lat, lon = rng.uniform(30, 33, n), rng.uniform(-98, -94, n)
    s_lat, s_lon = rng.uniform(30, 33, stores), rng.uniform(-98, -94, stores)
    c_lat, c_lon = rng.uniform(30, 33, competitors), rng.uniform(-98, -94, competitors)
    absorbed = [i for i, d in enumerate(decisions) if d == "absorb"]
    h_lat = s_lat[absorbed] + rng.normal(0, 0.05, len(absorbed))
    h_lon = s_lon[absorbed] + rng.normal(0, 0.05, len(absorbed))
    kept = np.array([d == "keep" for d in decisions])
    comp_brand = rng.integers(1, 3, competitors)
    store_after = [
        i if d == "keep" else stores + absorbed.index(i) if d == "absorb" else -1
        for i, d in enumerate(decisions)
    ]
    k = len(absorbed)
    return build_market(
        population=rng.integers(0, 50_000, n).astype(float),
        point_lat=lat,
        point_lon=lon,
        slot_lat=np.concatenate([s_lat, h_lat, c_lat]),
        slot_lon=np.concatenate([s_lon, h_lon, c_lon]),
        brand=np.concatenate([np.zeros(stores + k, int), comp_brand]),
        brands=("Infiniti", "Lexus", "Audi"),
        before=np.concatenate(
            [np.ones(stores, bool), np.zeros(k, bool), np.ones(competitors, bool)]
        ),
        after=np.concatenate([kept, np.ones(k, bool), np.ones(competitors, bool)]),
        dualled=np.concatenate(
            [np.zeros(stores, bool), np.ones(k, bool), np.zeros(competitors, bool)]
        ),
        store_slot=np.arange(stores),
        store_after=np.array(store_after),
        cutoff_miles=150.0,
    )


def brand_buyers(market: object, p: Parameters, world: str) -> float:
    w = slot_weights(market, p, world)  # type: ignore[arg-type]
    prob = huff(market.pairs, market.points, w, p.decay_sales, p.cutoff_miles)  # type: ignore[attr-defined]
    mine = market.brand[market.pairs.slot] == 0  # type: ignore[attr-defined]
    return float(np.sum(market.population[market.pairs.point[mine]] * prob[mine]))  # type: ignore[attr-defined]


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    decisions=st.lists(st.sampled_from(["keep", "close", "absorb"]), min_size=2, max_size=8),
    lam=st.floats(1.0, 4.0),
    cutoff=st.floats(30.0, 150.0),
)
def test_splits_sum_to_one_and_closing_never_adds_brand_buyers(
    seed: int, decisions: list[str], lam: float, cutoff: float
) -> None:
    market = random_market(seed, len(decisions), 12, decisions)
    p = Parameters(lam, lam + 1, cutoff, 0.77, 10.0, np.array([1.0, 1.3, 0.8]))
    outcome = solve(market, p)
    for split in (outcome.sales, outcome.service):
        has = ~np.isnan(split).any(axis=1)
        np.testing.assert_allclose(split[has].sum(axis=1), 1.0, atol=1e-9)
        assert (split[has] >= -1e-12).all()
    # removing stores (closing, nothing else) never raises the brand's buyers
    closing = [d if d != "absorb" else "close" for d in decisions]
    closed = random_market(seed, len(decisions), 12, closing)
    assert brand_buyers(closed, p, "after") <= brand_buyers(closed, p, "before") * (1 + 1e-12)
    share_before = solve(closed, p).share_before
    share_after = solve(closed, p).share_after
    assert (share_after <= share_before + 1e-12).all()


def test_pairs_are_geodesic_distances_within_a_fraction_of_a_metre() -> None:
    """The chord-to-arc conversion against pyproj's WGS84 geodesic on random pairs."""
    rng = np.random.default_rng(5)
    lat1, lon1 = rng.uniform(18, 70, 5000), rng.uniform(-165, -66, 5000)
    lat2 = lat1 + rng.uniform(-2.5, 2.5, 5000)
    lon2 = lon1 + rng.uniform(-3, 3, 5000)
    exact = geodesic_miles(lat1, lon1, lat2, lon2)
    chord = np.linalg.norm(to_ecef(lat1, lon1) - to_ecef(lat2, lon2), axis=1)
    fast = chord_to_geodesic_miles(chord, lat1, lat2)
    near = exact < 200
    assert np.abs(fast - exact)[near].max() * 1609.344 < 0.5


def test_pairs_within_finds_exactly_the_pairs_under_the_cutoff() -> None:
    rng = np.random.default_rng(9)
    lat, lon = rng.uniform(35, 40, 400), rng.uniform(-90, -80, 400)
    s_lat, s_lon = rng.uniform(35, 40, 30), rng.uniform(-90, -80, 30)
    i, j, miles = pairs_within(lat, lon, s_lat, s_lon, 100.0)
    dense = geodesic_miles(lat[:, None], lon[:, None], s_lat[None, :], s_lon[None, :])
    want = np.argwhere(dense <= 100.0)
    assert {(a, b) for a, b in zip(i, j, strict=True)} == {tuple(x) for x in want}
    np.testing.assert_allclose(miles, dense[i, j], atol=1e-3)
    assert (np.diff(i * 30 + j) > 0).all()  # sorted by point, then store


def test_near_miles_floor_keeps_a_store_on_a_point_finite() -> None:
    market = build_market(
        population=np.array([10.0]),
        point_lat=np.array([40.0]),
        point_lon=np.array([-75.0]),
        slot_lat=np.array([40.0, 40.5]),
        slot_lon=np.array([-75.0, -75.0]),
        brand=np.array([0, 1]),
        brands=("Infiniti", "Lexus"),
        before=np.array([True, True]),
        after=np.array([True, True]),
        dualled=np.array([False, False]),
        store_slot=np.array([0]),
        store_after=np.array([0]),
        cutoff_miles=150.0,
    )
    p = huff(market.pairs, 1, np.array([1.0, 1.0]), 2.0, 150.0)
    d = float(geodesic_miles(40.0, -75.0, 40.5, -75.0))
    assert p[0] == pytest.approx(NEAR_MILES**-2 / (NEAR_MILES**-2 + d**-2))


def test_market_units_add_up_to_the_national_target_in_every_draw() -> None:
    a: Assumptions = default_assumptions()
    rng = np.random.default_rng(1)
    people = rng.uniform(1_000, 90_000, (7, 40))
    target = rng.uniform(58_070, 64_699, 7)
    units = market_units(people, {"national_units.Infiniti": target}, a, "Infiniti")
    np.testing.assert_allclose(units.sum(axis=1), target, rtol=1e-12)
    np.testing.assert_allclose(units[0] / units[0].sum(), people[0] / people[0].sum())


@pytest.fixture(scope="module")
def real_run(real_result: object) -> object:
    """The shared national run (``real_result`` in conftest) of the default dealer files."""
    return real_result


def test_real_network_volumes_differ_by_market_and_add_up(real_run: object) -> None:
    table = real_run.impacts.table  # type: ignore[attr-defined]
    assert set(table["volume_source"]) == {"market model"}
    units = table["new_units_base"]
    assert units.max() > 3 * units.min()  # a big-city store sells more than a rural one
    draws = real_run.impacts.draws["new_units"]  # type: ignore[attr-defined]
    # every draw's stores add up to that draw's national target: 58,070 to 64,699
    totals = draws.sum(axis=1)
    assert totals.min() >= 58_070 * 0.99 and totals.max() <= 64_699 * 1.01
    base = real_run.assumptions["national_units.Infiniti"]  # type: ignore[attr-defined]
    assert base.base == 64_699
    # the revenue follows the volume: no longer one figure for every store
    assert table["baseline_revenue_total"].nunique() > 150


def test_real_network_customers_add_up_to_the_census(real_run: object) -> None:
    from dealernet.geo.customers import census_counties

    census = census_counties()
    assert real_run.access.summary["total_population"] == census["population"].sum()  # type: ignore[attr-defined]
