"""``hosts.csv``: the owners who gain in a franchise transfer, also those with no source-brand
store, and the sensitivity, scenarios and hosts tables read back from a finished run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dealernet.analysis.pipeline import run
from dealernet.analysis.result import Result
from dealernet.engine.scenario import parse_scenario
from dealernet.planning.saved_run import load_results
from dealernet.planning.sql import run_sql
from helpers import MILE, ORIGIN, east, network_from, site

LAT, LON = ORIGIN

#: Every store folds into the nearest Nissan site within 30 miles, its own owner's first.
PLAN = parse_scenario(
    {
        "scenario": {"name": "test", "source_brand": "Infiniti", "host_brand": "Nissan"},
        "rules": [{"id": "near", "action": "absorb", "max_distance_miles": 30}],
    },
    "test.toml",
)


@pytest.fixture(scope="module")
def hosted() -> Result:
    """I1 goes to a Nissan-only group's store, I2 to a store whose owner is not known, I3
    to its own owner's store (a co-location, not a host owner's gain); 100 miles apart."""
    sites = [
        site("I1", "Infiniti", LAT, LON, owner="Alpha"),
        site("N1", "Nissan", LAT, LON + east(5), owner="Nissan Only Group"),
        site("I2", "Infiniti", LAT + 100 * MILE, LON, owner="Beta"),
        site("N2", "Nissan", LAT + 100 * MILE, LON + east(5), owner=None),
        site("I3", "Infiniti", LAT + 200 * MILE, LON, owner="Gamma"),
        site("N3", "Nissan", LAT + 200 * MILE, LON + east(3), owner="Gamma"),
    ]
    return run(network_from(sites), PLAN, what_drives=False)


def test_a_nissan_only_group_has_a_row_with_its_gain(hosted: Result) -> None:
    hosts = hosted.hosts.set_index("host_dealer_ids")
    assert set(hosts.index) == {"N1", "N2"}  # N3 takes its own owner's store: no gain
    row = hosts.loc["N1"]
    assert row["owner_group"] == "Nissan Only Group"
    assert bool(row["owner_known"]) and not bool(row["holds_source_store"])
    assert row["stores_taken_in"] == 1
    # one store: the group's percentiles are the store's own
    store = hosted.impacts.table.set_index("dealer_id").loc["I1"]
    for level in ("low", "base", "high"):
        for measure in ("host_gross_profit_gained", "jobs_gained_host"):
            assert row[f"{measure}_{level}"] == pytest.approx(store[f"{measure}_{level}"])
    assert row["host_gross_profit_gained_base"] > 0
    assert "Nissan Only Group" not in set(hosted.owners["owner_group"].dropna())


def test_a_host_whose_owner_is_not_known_is_a_row_of_its_own(hosted: Result) -> None:
    row = hosted.hosts.set_index("host_dealer_ids").loc["N2"]
    assert row["owner_group"] is None or pd.isna(row["owner_group"])
    assert not bool(row["owner_known"]) and pd.isna(row["holds_source_store"])
    assert row["host_names"] == "N2 Nissan"


def test_host_gains_add_up_to_the_national_figure(sample_result: Result) -> None:
    hosts = sample_result.hosts
    transfers = int(sample_result.decisions.table["transfer"].fillna(False).sum())
    assert hosts["stores_taken_in"].sum() == transfers
    # sums of medians against the median of the sum: the same figure within a few percent
    total = sample_result.national["host_gross_profit_gained_base"]
    assert hosts["host_gross_profit_gained_base"].sum() == pytest.approx(total, rel=0.05)
    assert not hosts["holds_source_store"].dropna().all()  # some hosts hold no Infiniti store


def test_a_finished_run_gives_back_hosts_sensitivity_and_scenarios(
    sample_result: Result, tmp_path
) -> None:
    sample_result.write(tmp_path, reports=False)
    loaded = load_results(tmp_path, draws=False)
    assert loaded.sensitivity is not None and loaded.spread is not None
    sens, saved = sample_result.sensitivity, loaded.sensitivity
    assert sens is not None and len(saved.table) == len(sens.table)
    top = saved.top("jobs_lost")
    assert list(top["parameter"]) == list(sens.top("jobs_lost")["parameter"])
    assert saved.skipped == sens.skipped
    assert list(loaded.spread.table["scenario"]) == list(sample_result.spread.table["scenario"])
    assert len(loaded.hosts) == len(sample_result.hosts)
    np.testing.assert_allclose(
        loaded.hosts["host_gross_profit_gained_base"],
        sample_result.hosts["host_gross_profit_gained_base"],
        atol=0.5,  # written as whole dollars
    )
    answer = run_sql(loaded, "SELECT sum(stores_taken_in) AS n FROM hosts")
    assert answer["n"].iloc[0] == sample_result.hosts["stores_taken_in"].sum()
    ranked = run_sql(loaded, "SELECT count(*) AS n FROM sensitivity WHERE scope = 'national'")
    assert ranked["n"].iloc[0] == (sens.table["scope"] == "national").sum()


def test_a_run_without_sensitivity_has_empty_tables_to_query(hosted: Result) -> None:
    answer = run_sql(hosted, "SELECT count(*) AS n FROM sensitivity")
    assert answer["n"].iloc[0] == 0
