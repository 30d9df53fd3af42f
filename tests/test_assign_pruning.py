"""Short candidate lists stay exact: the pruned solve gives what complete lists would.

An absorb rule lists each store's few nearest hosts and grows a list only where it might
hide a better result (``dealernet.engine._choices.choose``); these tests check it against
complete lists and against an independent dense ``linear_sum_assignment`` oracle, on
random instances with limited room, owner preferences and tied distances, and check the
geometry shortcuts (``sure_chord``, ``count_within``) against ``Geod`` pair by pair.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from scipy.optimize import linear_sum_assignment

from dealernet.engine import _choices
from dealernet.engine._assign import (
    assign_nearest,
    assign_optimal,
    enough_choices,
    may_hide_better,
)
from dealernet.engine._candidates import (
    Reach,
    ball_radius,
    count_within,
    merge_pairs,
    nearest_pairs,
    owner_pairs,
    sure_chord,
)
from dealernet.engine._choices import Sites, Usable, choose
from dealernet.engine.rules import apply_rules
from dealernet.engine.scenario import parse_scenario
from dealernet.geo.distance import SiteIndex, geodesic_miles, to_ecef
from helpers import MILE, ORIGIN, east, network_from, site
from properties import IN_CI

GEOD = Geod(ellps="WGS84")
LAT0, LON0 = ORIGIN
PROPERTY = settings(
    max_examples=600 if IN_CI else 120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def score(
    chosen: np.ndarray, row: np.ndarray, host: np.ndarray, miles: np.ndarray, pref: np.ndarray
) -> tuple[int, int, float]:
    """(stores placed, preferred placements, total miles) of an assignment."""
    lookup = {(int(r), int(h)): (d, p) for r, h, d, p in zip(row, host, miles, pref, strict=True)}
    placed = [(r, int(h)) for r, h in enumerate(chosen) if h >= 0]
    assert all(p in lookup for p in placed)  # only listed pairs are ever chosen
    return (
        len(placed),
        sum(bool(lookup[p][1]) for p in placed),
        float(sum(lookup[p][0] for p in placed)),
    )


def lsa_oracle(
    n_rows: int,
    row: np.ndarray,
    host: np.ndarray,
    miles: np.ndarray,
    pref: np.ndarray,
    room: np.ndarray,
) -> tuple[int, int, float]:
    """The best (placed, preferred, miles) from one dense ``linear_sum_assignment``.

    Independent of :func:`assign_optimal`: every host expanded into its slots, one "no
    host" column per row, lexicographic weights (miles here stay under 100 a pair).
    """
    slot_host = [h for h in range(room.size) for _ in range(int(min(room[h], n_rows)))]
    place, prefer, forbid = 1e7, 1e4, 1e12
    cost = np.full((n_rows, len(slot_host) + n_rows), forbid)
    cost[np.arange(n_rows), len(slot_host) + np.arange(n_rows)] = 0.0
    for r, h, d, p in zip(row, host, miles, pref, strict=True):
        for s, sh in enumerate(slot_host):
            if sh == h:
                cost[r, s] = -place - prefer * p + d
    rows, cols = linear_sum_assignment(cost)
    chosen = np.full(n_rows, -1)
    for r, c in zip(rows, cols, strict=True):
        if c < len(slot_host):
            chosen[r] = slot_host[c]
    return score(chosen, row, host, miles, pref)


# --- the certificate on plain arrays -----------------------------------------------------


def test_a_cut_list_whose_hosts_are_all_full_needs_more() -> None:
    # Row 0 lists host 0 only (cut short); row 1 lists host 0 too and took it.
    row, host = np.array([0, 1]), np.array([0, 0])
    remaining = np.array([1.0, 1.0])
    chosen = np.array([-1, 0])
    assert may_hide_better(2, row, host, chosen, remaining, np.array([True, False])).tolist() == [
        True,
        False,
    ]
    # Not cut: its list is complete, nothing hides.
    assert not may_hide_better(2, row, host, chosen, remaining, np.zeros(2, bool)).any()
    # With room left at host 0 (three places, two taken) both cut rows are settled.
    roomy = np.array([3.0, 1.0])
    assert not may_hide_better(2, row, host, np.array([0, 0]), roomy, np.ones(2, bool)).any()


def test_enough_choices_is_the_classic_bound() -> None:
    assert enough_choices(np.array([1.0, 1.0, np.inf]), 5) == 5
    assert enough_choices(np.array([2.0, 3.0]), 5) == 3
    assert enough_choices(np.array([np.inf]), 5) == 1
    assert enough_choices(np.array([0.0, 4.0]), 3) == 3  # a full host counts as room 1


# --- the engine's lists against complete ones ---------------------------------------------


def _instance(data: st.DataObject) -> tuple[Sites, Sites, dict[str, np.ndarray], np.ndarray]:
    """Stores and hosts on a coarse grid (so distances tie), owners, and room."""
    n_rows = data.draw(st.integers(1, 7), label="stores")
    n_hosts = data.draw(st.integers(1, 7), label="hosts")
    cell = st.tuples(st.integers(0, 4), st.integers(0, 4))

    def place(n: int, label: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cells = [data.draw(cell, label=label) for _ in range(n)]
        lat = np.array([LAT0 + 3 * y * MILE for _, y in cells])
        lon = np.array([LON0 + east(3 * x) for x, _ in cells])
        owner = np.array(
            [data.draw(st.sampled_from(["a", "b", None]), label=f"{label} owner") for _ in cells],
            dtype=object,
        )
        return lat, lon, owner

    stores, hosts = Sites(*place(n_rows, "store")), Sites(*place(n_hosts, "host"))
    room = np.array(
        [data.draw(st.sampled_from([0.0, 1.0, 1.0, 2.0, np.inf]), label="room") for _ in hosts.lat]
    )
    hosts_of = {k: np.flatnonzero(hosts.owner == k) for k in ("a", "b") if (hosts.owner == k).any()}
    return stores, hosts, hosts_of, room


def _full_lists(
    stores: Sites,
    hosts: Sites,
    hosts_of: dict[str, np.ndarray],
    usable: Usable,
    same_owner: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every usable host within reach of every store, with the preferred flags."""
    parts = []
    if same_owner != "require" and usable.ok.size:
        prow, phost, pmiles, _ = nearest_pairs(
            stores.lat, stores.lon, usable.sub, usable.ok, usable.ok.size, usable.reach
        )
        parts.append((prow, phost, pmiles))
    if same_owner != "ignore":
        parts.append(
            owner_pairs(
                stores.lat,
                stores.lon,
                stores.owner,
                hosts_of,
                usable.mask,
                hosts.lat,
                hosts.lon,
                usable.reach,
            )
        )
    row, host, miles = merge_pairs(parts, hosts.lat.size)
    owner = stores.owner[row]
    pref = (owner == hosts.owner[host]) & (owner != None)  # noqa: E711
    if same_owner == "ignore":
        pref = np.zeros(row.size, dtype=bool)
    return row, host, miles, pref


@PROPERTY
@given(st.data())
def test_short_lists_give_the_optimum_of_complete_lists(data: st.DataObject) -> None:
    stores, hosts, hosts_of, room = _instance(data)
    same_owner = data.draw(st.sampled_from(["ignore", "prefer", "require"]), label="same_owner")
    limit = data.draw(st.sampled_from([np.inf, 5.0, 9.0]), label="limit")
    first = data.draw(st.integers(1, 3), label="first choices")
    usable_mask = room > 0
    ok = np.flatnonzero(usable_mask)
    usable = Usable(
        ok,
        SiteIndex.build(hosts.lat[ok], hosts.lon[ok]),
        usable_mask,
        np.where(usable_mask, room, 0.0),
        Reach(float(limit)),
    )
    n = stores.lat.size
    k_max = max(1, min(enough_choices(usable.room[ok], n), ok.size))
    rank = np.arange(n)
    row, host, miles, pref = _full_lists(stores, hosts, hosts_of, usable, same_owner)
    full = assign_optimal(n, row, host, miles, pref, usable.room)
    best = score(full, row, host, miles, pref)
    with mock.patch.object(_choices, "FIRST_CHOICES", first):
        prow, phost, pmiles, chosen = choose(
            stores, hosts, hosts_of, usable, same_owner=same_owner, optimal=True,
            k_max=k_max, rank=rank,
        )  # fmt: skip
        greedy = choose(
            stores, hosts, hosts_of, usable, same_owner=same_owner, optimal=False,
            k_max=k_max, rank=rank,
        )[3]  # fmt: skip
    got = score(chosen, row, host, miles, pref)  # pairs it chose are real candidates
    assert got[:2] == best[:2]
    assert got[2] == pytest.approx(best[2], abs=1e-9)
    oracle = lsa_oracle(n, row, host, miles, pref, usable.room)
    assert got[:2] == oracle[:2]
    assert got[2] == pytest.approx(oracle[2], abs=1e-6)
    assert (np.bincount(chosen[chosen >= 0], minlength=room.size) <= room).all()
    # Greedy on short lists takes exactly the hosts greedy on complete lists takes.
    expected = assign_nearest(n, row, host, miles, pref, usable.room, rank)
    np.testing.assert_array_equal(greedy, expected)
    assert prow.size <= row.size


def _clustered_network(n_stores: int, n_hosts: int, seed: int):  # type: ignore[no-untyped-def]
    """Stores and hosts crowded around three towns, some hosts on identical coordinates."""
    rng = np.random.default_rng(seed)
    towns = np.array([[0.0, 0.0], [12.0, 5.0], [-8.0, 14.0]])

    def spots(n: int) -> np.ndarray:
        return towns[rng.integers(0, 3, n)] + rng.normal(0, 2.5, (n, 2)).round(1)

    rows = [
        site(f"I{i}", "Infiniti", LAT0 + y * MILE, LON0 + east(x), annual_new_units=300)
        for i, (x, y) in enumerate(spots(n_stores))
    ]
    rows += [
        site(f"N{j}", "Nissan", LAT0 + y * MILE, LON0 + east(x))
        for j, (x, y) in enumerate(spots(n_hosts))
    ]
    return network_from(rows)


@pytest.mark.parametrize(("limit", "capacity"), [(None, 1), (None, 2), (6, 1)])
def test_optimal_rule_matches_a_dense_oracle_with_short_lists(
    limit: float | None, capacity: int
) -> None:
    net = _clustered_network(60, 90, seed=7)
    rule: dict[str, object] = {
        "id": "opt",
        "action": "absorb",
        "capacity": capacity,
        "assignment": "optimal",
    }
    if limit is not None:
        rule["max_distance_miles"] = limit
    plan = parse_scenario(
        {
            "scenario": {
                "name": "t",
                "source_brand": "Infiniti",
                "host_brand": "Nissan",
                "colocation_radius_miles": 0,
            },
            "rules": [rule],
        }
    )
    sizes: list[int] = []

    def spy(n_rows, row, *rest):  # type: ignore[no-untyped-def]
        sizes.append(row.size)
        return assign_optimal(n_rows, row, *rest)

    with mock.patch.object(_choices, "assign_optimal", spy):
        table = apply_rules(net, plan).table
    stores = net[net["brand"] == "Infiniti"]
    hosts = net[net["brand"] == "Nissan"]
    s_lat, s_lon = stores["latitude"].to_numpy(), stores["longitude"].to_numpy()
    h_lat, h_lon = hosts["latitude"].to_numpy(), hosts["longitude"].to_numpy()
    r, h = np.divmod(np.arange(len(stores) * len(hosts)), len(hosts))
    miles = geodesic_miles(s_lat[r], s_lon[r], h_lat[h], h_lon[h])
    inside = miles <= (np.inf if limit is None else limit)
    room = np.full(len(hosts), float(capacity))
    expected = lsa_oracle(
        len(stores), r[inside], h[inside], miles[inside], np.zeros(inside.sum(), bool), room
    )
    absorbed = table[table["decision"] == "absorb"]
    assert len(absorbed) == expected[0]
    assert absorbed["distance_miles"].sum() == pytest.approx(expected[2], abs=1e-6)
    assert absorbed["host_dealer_id"].value_counts().max() <= capacity
    # The lists stayed short: the old lists held every store's 60 (or 30) nearest hosts.
    assert max(sizes) < 0.5 * len(stores) * min(len(stores), len(hosts)) / capacity


# --- geometry shortcuts ------------------------------------------------------------------


def test_a_chord_below_sure_chord_is_always_within_the_limit() -> None:
    rng = np.random.default_rng(3)
    n = 20_000
    lat1 = rng.uniform(-80, 80, n)
    lon1 = rng.uniform(-180, 180, n)
    az = rng.uniform(0, 360, n)
    dist = rng.uniform(0, 1000, n) * 1609.344
    lon2, lat2, _ = GEOD.fwd(lon1, lat1, az, dist)
    miles = geodesic_miles(lat1, lon1, lat2, lon2)
    chord = np.linalg.norm(to_ecef(lat1, lon1) - to_ecef(lat2, lon2), axis=1)
    # A pair just beyond a limit never has a chord the shortcut would count as inside...
    below = miles * (1 - 1e-7)
    assert all(c > sure_chord(b) for c, b in zip(chord, below, strict=True) if b < 1000)
    # ...and the shortcut is tight: pairs 0.1 % inside a limit are caught by it.
    above = miles * 1.001
    caught = np.array([c <= sure_chord(a) for c, a in zip(chord, above, strict=True)])
    assert caught[above < 1000].mean() > 0.99
    # The ball radius never misses a pair within the limit.
    assert all(c <= ball_radius(m) for c, m in zip(chord, miles, strict=True))


@pytest.mark.parametrize("circuity", [1.0, 1.3])
def test_count_within_equals_measuring_every_pair(circuity: float) -> None:
    rng = np.random.default_rng(11)
    limit = 20.0
    geo = limit / circuity
    lat = LAT0 + rng.normal(0, 0.3, 40)
    lon = LON0 + rng.normal(0, 0.3, 40)
    # Hosts spread around, plus some exactly at the limit and a hair either side of it.
    h_lon, h_lat = LON0 + rng.normal(0, 0.3, 300), LAT0 + rng.normal(0, 0.3, 300)
    edge = np.repeat([geo * (1 - 1e-12), geo, geo * (1 + 1e-12)], 4) * 1609.344
    e_lon, e_lat, _ = GEOD.fwd(
        np.full(edge.size, lon[0]), np.full(edge.size, lat[0]), rng.uniform(0, 360, edge.size), edge
    )
    h_lat, h_lon = np.r_[h_lat, e_lat], np.r_[h_lon, e_lon]
    index = SiteIndex.build(h_lat, h_lon)
    mask = rng.random(h_lat.size) < 0.4
    reach = Reach(limit, circuity)
    counts = count_within(lat, lon, index, reach, {"all": np.ones(h_lat.size, bool), "some": mask})
    r, h = np.divmod(np.arange(lat.size * h_lat.size), h_lat.size)
    inside = reach.ok(geodesic_miles(lat[r], lon[r], h_lat[h], h_lon[h])).reshape(lat.size, -1)
    np.testing.assert_array_equal(counts["all"], inside.sum(axis=1))
    np.testing.assert_array_equal(counts["some"], inside[:, mask].sum(axis=1))
    assert 0 < counts["all"][0] < h_lat.size  # the edge hosts really sat on the boundary
    unlimited = count_within(lat, lon, index, Reach(np.inf), {"some": mask})
    assert (unlimited["some"] == mask.sum()).all()
