"""The rule engine: who keeps, who is absorbed where, who closes, and why."""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod

from dealernet.engine._assign import assign_nearest, assign_optimal
from dealernet.engine.rules import DECISION_COLUMNS, Decisions, apply_rules, write_decisions_csv
from dealernet.engine.scenario import Scenario, load_scenario, parse_scenario
from dealernet.schema import BRAND, DEALER_ID, HOST_CAPACITY, LATITUDE, LONGITUDE
from dealernet.settings import METRES_PER_MILE
from helpers import MILE, ORIGIN, east, network_from, site

LAT0, LON0 = ORIGIN
GEOD = Geod(ellps="WGS84")


def scenario(*rules: dict[str, object], **meta: object) -> Scenario:
    head = {"name": "test", "source_brand": "Infiniti", "host_brand": "Nissan", **meta}
    distance = head.pop("distance", None)
    data: dict[str, object] = {"scenario": head, "rules": list(rules)}
    if distance is not None:
        data["distance"] = distance
    return parse_scenario(data, "test.toml")


def row(decisions: Decisions, dealer_id: str) -> pd.Series:
    table = decisions.table
    return table[table[DEALER_ID] == dealer_id].iloc[0]


def geodesic(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2] / METRES_PER_MILE


# --- geometry: the chosen host is the true geodesic nearest -----------------------------------


def test_unlimited_absorb_picks_the_true_geodesic_nearest_host() -> None:
    rng = np.random.default_rng(7)
    rows = []
    src = np.column_stack([rng.uniform(25, 49, 80), rng.uniform(-124, -67, 80)])
    hosts = np.column_stack([rng.uniform(25, 49, 300), rng.uniform(-124, -67, 300)])
    # near-ties: pairs of hosts almost equally far from a store, 1 mm apart in distance
    for k in range(10):
        lat, lon = src[k]
        hosts[2 * k] = (lat + 0.2, lon)
        hosts[2 * k + 1] = (lat - 0.2 + 1e-8, lon)
    rows += [site(f"I{i:03d}", "Infiniti", a, b) for i, (a, b) in enumerate(src)]
    rows += [site(f"N{i:03d}", "Nissan", a, b) for i, (a, b) in enumerate(hosts)]
    decisions = apply_rules(
        network_from(rows),
        scenario({"id": "all", "action": "absorb"}, colocation_radius_miles=0),
    )
    table = decisions.table
    assert (table["decision"] == "absorb").all()
    for i, (lat, lon) in enumerate(src):
        _, _, metres = GEOD.inv(
            np.full(len(hosts), lon), np.full(len(hosts), lat), hosts[:, 1], hosts[:, 0]
        )
        miles = np.asarray(metres) / METRES_PER_MILE
        best = int(np.argmin(miles))
        got = table.iloc[i]
        assert got["host_dealer_id"] == f"N{best:03d}"
        assert abs(got["distance_miles"] - miles[best]) < 1e-6


# --- the rules ------------------------------------------------------------------------------


def test_colocated_sites_are_unaffected_and_never_reach_the_rules(
    toy_network: gpd.GeoDataFrame,
) -> None:
    decisions = apply_rules(toy_network, scenario({"id": "close-all", "action": "close"}))
    i3 = row(decisions, "I3")
    assert (i3["status"], i3["decision"]) == ("colocated", "unaffected")
    assert pd.isna(i3["rule_id"])
    assert i3["host_dealer_id"] == "N3"
    assert "Already shares a rooftop with N3 Nissan" in i3["reason"]
    assert decisions.trace["I3"].steps == ()
    others = decisions.table[decisions.table[DEALER_ID] != "I3"]
    assert (others["decision"] == "close").all()


def test_absorbs_into_same_owner_store_first(toy_network: gpd.GeoDataFrame) -> None:
    decisions = apply_rules(
        toy_network,
        scenario(
            {
                "id": "same-owner",
                "action": "absorb",
                "same_owner": "require",
                "max_distance_miles": 40,
            },
            {"id": "nearest", "action": "absorb", "max_distance_miles": 30},
        ),
    )
    i1 = row(decisions, "I1")  # N2 (other owner) is 2 miles away, N1 (own group) 5 miles
    assert (i1["host_dealer_id"], i1["rule_id"], bool(i1["same_owner_host"])) == (
        "N1",
        "same-owner",
        True,
    )
    assert i1["reason"].startswith(
        "Absorbed into N1 Nissan (same owner group), 5.0 straight-line miles away"
    )
    assert i1["reason"].endswith("(rule same-owner)")


def test_prefer_takes_same_owner_host_in_reach_else_the_usual_choice(
    toy_network: gpd.GeoDataFrame,
) -> None:
    def host_of_i1(limit: float, mode: str) -> object:
        rule = {"id": "r", "action": "absorb", "max_distance_miles": limit, "same_owner": mode}
        return row(apply_rules(toy_network, scenario(rule)), "I1")["host_dealer_id"]

    assert host_of_i1(10, "prefer") == "N1"  # own group's store, though 3 miles farther
    assert host_of_i1(3, "prefer") == "N2"  # own store out of reach: nearest
    assert host_of_i1(10, "ignore") == "N2"
    assert pd.isna(host_of_i1(3, "require"))  # falls through


def test_require_falls_through_when_no_same_owner_host_in_reach(
    toy_network: gpd.GeoDataFrame,
) -> None:
    decisions = apply_rules(
        toy_network,
        scenario(
            {"id": "own", "action": "absorb", "same_owner": "require", "max_distance_miles": 3}
        ),
    )
    i1 = row(decisions, "I1")
    assert i1["decision"] == "keep"
    assert "No rule applied" in i1["reason"]
    step = decisions.trace["I1"].steps[0]
    assert (step.rule_id, step.decided) == ("own", False)
    assert "of the same owner group within 3 miles" in step.detail


def test_excluded_hosts_are_never_used(toy_network: gpd.GeoDataFrame) -> None:
    decisions = apply_rules(
        toy_network,
        scenario(
            {"id": "big-hosts", "action": "absorb", "exclude_hosts": "annual_new_units < 300"}
        ),
    )
    table = decisions.table
    assert "N2" not in set(table["host_dealer_id"].dropna())  # N2 sells 200
    assert row(decisions, "I1")["host_dealer_id"] == "N1"
    assert row(decisions, "I2")["host_dealer_id"] == "N1"


def test_absorb_without_eligible_host_falls_through_to_the_next_rule(
    toy_network: gpd.GeoDataFrame,
) -> None:
    decisions = apply_rules(
        toy_network,
        scenario(
            {"id": "near", "action": "absorb", "max_distance_miles": 30},
            {"id": "close-rest", "action": "close"},
        ),
    )
    i4 = row(decisions, "I4")  # about 97 miles from any Nissan site
    assert (i4["decision"], i4["rule_id"]) == ("close", "close-rest")
    assert i4["reason"] == "Closed: no Nissan showroom within 30 miles (rule close-rest)"
    steps = decisions.trace["I4"].steps
    assert [s.rule_id for s in steps] == ["near", "close-rest"]
    assert "the nearest is 96.9 straight-line miles away" in steps[0].detail


def test_a_store_no_rule_decides_keeps_its_showroom(toy_network: gpd.GeoDataFrame) -> None:
    decisions = apply_rules(
        toy_network, scenario({"id": "tx-only", "action": "close", "when": 'state == "OK"'})
    )
    table = decisions.table
    standalone = table[table["status"] == "standalone"]
    assert (standalone["decision"] == "keep").all()
    assert standalone["rule_id"].isna().all()
    assert standalone["reason"].str.startswith("No rule applied").all()


def test_keep_rule_uses_its_reason_and_condition(toy_network: gpd.GeoDataFrame) -> None:
    decisions = apply_rules(
        toy_network,
        scenario(
            {
                "id": "keep-strong",
                "action": "keep",
                "when": "annual_new_units >= 600",
                "reason": "Sells enough to keep its own showroom",
            },
            {"id": "close-rest", "action": "close"},
        ),
    )
    assert row(decisions, "I2")["reason"] == (
        "Kept: sells enough to keep its own showroom (rule keep-strong)"
    )
    step = decisions.trace["I4"].steps[0]
    assert "annual_new_units: no value for this store" in step.detail


def test_conditions_see_derived_fields(toy_network: gpd.GeoDataFrame) -> None:
    decisions = apply_rules(
        toy_network,
        scenario(
            {"id": "far", "action": "close", "when": "distance_to_nearest_host > 50"},
            {"id": "own-nearest", "action": "keep", "when": "nearest_host_same_owner"},
            {
                "id": "groups",
                "action": "keep",
                "when": "owner_host_count >= 1 and owner_store_count == 1",
            },
        ),
    )
    assert row(decisions, "I4")["rule_id"] == "far"
    assert row(decisions, "I2")["rule_id"] == "own-nearest"  # Beta Motors owns N2, its nearest
    assert row(decisions, "I1")["rule_id"] == "groups"  # Alpha holds N1 ("alpha  group")


# --- capacity and assignment ------------------------------------------------------------------


def test_capacity_is_shared_across_rules() -> None:
    net = network_from(
        [
            site("A", "Infiniti", LAT0, LON0, owner="Own"),
            site("B", "Infiniti", LAT0 + 4 * MILE, LON0, owner="Other"),
            site("H1", "Nissan", LAT0 + 2 * MILE, LON0, owner="Own"),
            site("H2", "Nissan", LAT0 + 9 * MILE, LON0, owner="Third"),
        ]
    )
    decisions = apply_rules(
        net,
        scenario(
            {"id": "own", "action": "absorb", "same_owner": "require", "capacity": 1},
            {"id": "any", "action": "absorb", "capacity": 1},
        ),
    )
    assert row(decisions, "A")["host_dealer_id"] == "H1"
    # H1 is B's nearest (2 miles) but already took A under the first rule
    b = row(decisions, "B")
    assert (b["host_dealer_id"], b["rule_id"]) == ("H2", "any")


def test_host_capacity_column_overrides_the_rule(toy_network: gpd.GeoDataFrame) -> None:
    net = toy_network.copy()
    net[HOST_CAPACITY] = np.where(net[DEALER_ID] == "N2", 0.0, np.nan)
    decisions = apply_rules(net, scenario({"id": "all", "action": "absorb"}))
    assert row(decisions, "I1")["host_dealer_id"] == "N1"
    assert "N2" not in set(decisions.table["host_dealer_id"].dropna())


def test_nearest_assignment_goes_by_distance_then_dealer_id() -> None:
    # Two stores exactly as far east and west of the one host with room; the nearer
    # third store is served first.
    net = network_from(
        [
            site("I-b", "Infiniti", LAT0, LON0 - east(3)),
            site("I-a", "Infiniti", LAT0, LON0 + east(3)),
            site("I-c", "Infiniti", LAT0 + 1 * MILE, LON0),
            site("N1", "Nissan", LAT0, LON0),
            site("N2", "Nissan", LAT0 + 30 * MILE, LON0),
        ]
    )
    decisions = apply_rules(net, scenario({"id": "r", "action": "absorb", "capacity": 2}))
    assert row(decisions, "I-c")["host_dealer_id"] == "N1"
    assert row(decisions, "I-a")["host_dealer_id"] == "N1"  # "I-a" sorts before "I-b"
    assert row(decisions, "I-b")["host_dealer_id"] == "N2"


def test_road_metric_compares_the_limit_with_the_road_estimate() -> None:
    net = network_from(
        [site("I1", "Infiniti", LAT0, LON0), site("N1", "Nissan", LAT0 + 10 * MILE, LON0)]
    )
    rule = {"id": "r", "action": "absorb", "max_distance_miles": 11}
    by_air = apply_rules(net, scenario(rule))
    by_road = apply_rules(net, scenario(rule, distance={"metric": "road", "circuity_factor": 1.25}))
    absorbed = row(by_air, "I1")
    assert absorbed["decision"] == "absorb"
    assert absorbed["road_miles_est"] == pytest.approx(absorbed["distance_miles"] * 1.25)
    assert row(by_road, "I1")["decision"] == "keep"  # about 12.5 road miles > 11
    assert "within 11 road miles" in by_road.trace["I1"].steps[0].detail


def _random_network(data: st.DataObject) -> gpd.GeoDataFrame:
    n_src = data.draw(st.integers(1, 9), label="stores")
    n_host = data.draw(st.integers(1, 6), label="hosts")
    offset = st.floats(-25, 25, allow_nan=False)
    rows = [
        site(
            f"I{i}",
            "Infiniti",
            LAT0 + data.draw(offset) * MILE,
            LON0 + east(data.draw(offset)),
            owner=data.draw(st.sampled_from(["A", "B", None])),
        )
        for i in range(n_src)
    ]
    for j in range(n_host):
        cap = data.draw(st.sampled_from([np.nan, np.nan, 0.0, 1.0, 2.0]), label="host_capacity")
        rows.append(
            site(
                f"N{j}",
                "Nissan",
                LAT0 + data.draw(offset) * MILE,
                LON0 + east(data.draw(offset)),
                owner=data.draw(st.sampled_from(["A", "B", None])),
                host_capacity=cap,
            )
        )
    return network_from(rows)


_PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_PROPERTY
@given(st.data())
def test_capacities_are_never_exceeded(data: st.DataObject) -> None:
    net = _random_network(data)
    caps = [data.draw(st.sampled_from([None, 0, 1, 2]), label=f"capacity {k}") for k in range(2)]
    rules = []
    for k, cap in enumerate(caps):
        rule = {
            "id": f"r{k}",
            "action": "absorb",
            "assignment": data.draw(st.sampled_from(["nearest", "optimal"])),
            "same_owner": data.draw(st.sampled_from(["ignore", "prefer", "require"])),
            "max_distance_miles": data.draw(st.sampled_from([10, 30, 100])),
        }
        if cap is not None:
            rule["capacity"] = cap
        rules.append(rule)
    decisions = apply_rules(net, scenario(*rules))
    absorbed = decisions.table[decisions.table["decision"] == "absorb"]
    hosts = net[net[BRAND] == "Nissan"].set_index(DEALER_ID)
    limit = max(np.inf if c is None else c for c in caps)
    for host_id, count in absorbed["host_dealer_id"].value_counts().items():
        own = hosts.loc[host_id, HOST_CAPACITY]
        assert count <= (own if not np.isnan(own) else limit)
    for k, cap in enumerate(caps):  # no rule alone overfills a host either
        mine = absorbed[absorbed["rule_id"] == f"r{k}"]["host_dealer_id"].value_counts()
        for host_id, count in mine.items():
            if cap is not None and np.isnan(hosts.loc[host_id, HOST_CAPACITY]):
                assert count <= cap


@_PROPERTY
@given(st.data())
def test_optimal_absorbs_at_least_as_many_as_nearest_with_no_longer_drive(
    data: st.DataObject,
) -> None:
    net = _random_network(data)
    rule = {
        "id": "r",
        "action": "absorb",
        "capacity": data.draw(st.integers(1, 2)),
        "max_distance_miles": data.draw(st.sampled_from([10, 20, 40])),
    }
    results = {}
    for mode in ("nearest", "optimal"):
        table = apply_rules(net, scenario({**rule, "assignment": mode})).table
        absorbed = table[table["decision"] == "absorb"]
        results[mode] = (len(absorbed), absorbed["distance_miles"].sum())
    assert results["optimal"][0] >= results["nearest"][0]
    if results["optimal"][0] == results["nearest"][0]:
        assert results["optimal"][1] <= results["nearest"][1] + 1e-9


def _brute_force(n_rows, row, host, miles, preferred, remaining):
    """Best (placed, preferred, -miles) over every possible assignment."""
    options = [[(-1, 0.0, False)] for _ in range(n_rows)]
    for r, h, d, p in zip(row, host, miles, preferred, strict=True):
        options[r].append((h, d, p))
    best = None
    for combo in itertools.product(*options):
        used = np.zeros(len(remaining))
        for h, _, _ in combo:
            if h >= 0:
                used[h] += 1
        if (used > remaining).any():
            continue
        score = (
            sum(h >= 0 for h, _, _ in combo),
            sum(p for _, _, p in combo),
            -sum(d for _, d, _ in combo),
        )
        best = score if best is None or score > best else best
    return best


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_optimal_assignment_matches_brute_force(data: st.DataObject) -> None:
    n_rows, n_hosts = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 4))
    pairs = data.draw(
        st.lists(
            st.tuples(st.integers(0, n_rows - 1), st.integers(0, n_hosts - 1)),
            max_size=12,
            unique=True,
        )
    )
    row = np.array([p[0] for p in pairs], dtype="int64")
    host = np.array([p[1] for p in pairs], dtype="int64")
    miles = np.array([data.draw(st.integers(0, 50)) for _ in pairs], dtype="float64")
    preferred = np.array([data.draw(st.booleans()) for _ in pairs], dtype=bool)
    remaining = np.array(
        [data.draw(st.sampled_from([0.0, 1.0, 2.0, np.inf])) for _ in range(n_hosts)]
    )
    chosen = assign_optimal(n_rows, row, host, miles, preferred, remaining)
    lookup = {(r, h): (d, p) for r, h, d, p in zip(row, host, miles, preferred, strict=True)}
    placed = [(r, h) for r, h in enumerate(chosen) if h >= 0]
    assert all(pair in lookup for pair in placed)
    assert (np.bincount(chosen[chosen >= 0], minlength=n_hosts) <= remaining).all()
    score = (len(placed), sum(lookup[p][1] for p in placed), -sum(lookup[p][0] for p in placed))
    assert score == _brute_force(n_rows, row, host, miles, preferred, remaining)
    greedy = assign_nearest(n_rows, row, host, miles, preferred, remaining, np.arange(n_rows))
    assert (greedy >= 0).sum() <= len(placed)


# --- output ---------------------------------------------------------------------------------


def test_decisions_table_has_the_issue_columns_in_input_order(
    toy_network: gpd.GeoDataFrame,
) -> None:
    shuffled = toy_network.iloc[[6, 3, 0, 5, 2, 1, 4, 7]]
    before = shuffled.copy()
    decisions = apply_rules(shuffled, scenario({"id": "all", "action": "absorb"}))
    assert tuple(decisions.table.columns) == DECISION_COLUMNS
    assert decisions.table[DEALER_ID].tolist() == ["I4", "I1", "I3", "I2"]
    pd.testing.assert_frame_equal(shuffled, before)  # the input is left alone


def test_decisions_csv_is_byte_identical_for_identical_inputs(
    tmp_path: Path, scenarios_dir: Path, toy_network: gpd.GeoDataFrame
) -> None:
    plan = load_scenario(scenarios_dir / "consolidation.toml")
    first = write_decisions_csv(
        apply_rules(toy_network.copy(), plan).table, tmp_path / "a" / "d.csv"
    )
    second = apply_rules(toy_network.copy(), plan).to_csv(tmp_path / "b" / "d.csv")
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes().startswith("\ufeff".encode())  # Excel reads it as UTF-8
    lines = first.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == ",".join(DECISION_COLUMNS)
    assert len(lines) == 5
    assert any(',"true",' in line for line in lines)  # one spelling, quoted like all text
    assert ",5.017," in first.read_text()  # miles with 3 decimals
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["d.csv"]  # no temp files left


def test_counts_by_rule_lists_every_rule(
    toy_network: gpd.GeoDataFrame, scenarios_dir: Path
) -> None:
    decisions = apply_rules(toy_network, load_scenario(scenarios_dir / "consolidation.toml"))
    counts = decisions.counts_by_rule()
    assert list(counts.index[:4]) == ["keep-strong", "same-owner", "nearest", "close-rest"]
    assert counts["sites"].sum() == len(decisions.table) == 4
    assert counts.loc["keep-strong", "sites"] == 1  # I2 sells 700
    assert counts.loc["(co-located)", "sites"] == 1
    assert decisions.counts().to_dict() == {"keep": 1, "absorb": 1, "close": 1, "unaffected": 1}


def test_trace_keeps_rules_tried_and_three_nearest_hosts(
    toy_network: gpd.GeoDataFrame, scenarios_dir: Path
) -> None:
    decisions = apply_rules(toy_network, load_scenario(scenarios_dir / "consolidation.toml"))
    trace = decisions.trace["I4"]
    assert [(s.rule_id, s.decided) for s in trace.steps] == [
        ("keep-strong", False),
        ("same-owner", False),
        ("nearest", False),
        ("close-rest", True),
    ]
    assert len(trace.nearest_hosts) == 3
    i4 = toy_network[toy_network[DEALER_ID] == "I4"].iloc[0]
    for near in trace.nearest_hosts:
        host = toy_network[toy_network[DEALER_ID] == near.dealer_id].iloc[0]
        expected = geodesic(i4[LATITUDE], i4[LONGITUDE], host[LATITUDE], host[LONGITUDE])
        assert abs(near.miles - expected) < 1e-6
    assert [h.miles for h in trace.nearest_hosts] == sorted(h.miles for h in trace.nearest_hosts)
    assert "rule nearest" in decisions.explain("I4")


def test_notes_flag_a_condition_on_a_field_no_store_has(toy_network: gpd.GeoDataFrame) -> None:
    decisions = apply_rules(
        toy_network, scenario({"id": "rich", "action": "keep", "when": "annual_revenue > 1e7"})
    )
    assert any("annual_revenue" in note for note in decisions.notes)


def test_without_any_host_every_absorb_falls_through(make_network) -> None:
    net = make_network([site("I1", "Infiniti", LAT0, LON0), site("I2", "Infiniti", LAT0 + 1, LON0)])
    decisions = apply_rules(
        net, scenario({"id": "all", "action": "absorb"}, {"id": "close", "action": "close"})
    )
    assert (decisions.table["decision"] == "close").all()
    assert decisions.trace["I1"].nearest_hosts == ()
    assert "there is no Nissan showroom" in decisions.trace["I1"].steps[0].detail
