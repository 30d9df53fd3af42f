"""The one-at-a-time sensitivity ranks assumptions by how far they move a figure."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from dealernet.analysis.impact import estimate_impacts
from dealernet.analysis.scenario_spread import at_base
from dealernet.analysis.sensitivity import NATIONAL, sensitivity
from dealernet.render.charts import tornado_chart
from dealernet.schema import DEALER_ID


def run_sensitivity(result, assumptions=None, owners=None):  # type: ignore[no-untyped-def]
    return sensitivity(
        result.network,
        result.decisions.table,
        assumptions or result.assumptions,
        result.scenario.source_brand,
        result.scenario.host_brand,
        market=result.market,
        owners=owners,
    )


@pytest.fixture(scope="module")
def found(sample_result):  # type: ignore[no-untyped-def]
    return run_sensitivity(sample_result)


def test_the_base_row_is_the_run_with_every_assumption_at_base(sample_result, found) -> None:
    base = found.top("jobs_lost", n=1)["at_base"].iloc[0]
    market = replace(sample_result.market, draws=[sample_result.market.base])
    alone = estimate_impacts(
        sample_result.network,
        sample_result.decisions.table,
        at_base(sample_result.assumptions),
        sample_result.scenario.source_brand,
        sample_result.scenario.host_brand,
        market=market,
    )
    assert base == pytest.approx(float(alone.draws["jobs_lost"].sum()), rel=1e-9)
    assert base > 0


def test_ranks_follow_the_swings_and_unused_assumptions_are_left_out(found) -> None:
    table = found.table[
        (found.table["scope"] == NATIONAL) & (found.table["measure"] == "jobs_lost")
    ]
    ordered = table.sort_values("rank")
    swings = np.abs(ordered["swing"].to_numpy())
    assert (np.diff(swings) <= 1e-9).all() and ordered["rank"].tolist() == list(
        range(1, len(table) + 1)
    )
    # The run sells Infiniti: Nissan's own revenue per unit cannot move its figures.
    assert "revenue_per_new_unit.Nissan" not in set(table["parameter"])
    # Market assumptions are solved again and move the jobs (customers follow or not).
    decay = table.set_index("parameter").loc["market.decay_sales"]
    assert decay["at_low"] != decay["at_high"]
    assert (table["value_low"] < table["value_high"]).all()


def test_the_assumption_whose_range_is_widened_most_moves_to_the_top(sample_result, found) -> None:
    ranks = found.top("jobs_lost", n=100).set_index("parameter")["rank"]
    # Of two head-count assumptions (no natural bound), the one that moves jobs least.
    last = max(("staff.fixed", "staff.per_100_new_units"), key=lambda k: ranks[k])
    assert ranks[last] > 1
    param = sample_result.assumptions[last]
    wide = replace(param, low=0.0, high=param.base * 20)
    params = {**sample_result.assumptions.parameters, last: wide}
    again = run_sensitivity(sample_result, replace(sample_result.assumptions, parameters=params))
    assert again.top("jobs_lost", n=1)["parameter"].iloc[0] == last


def test_owner_rows_add_up_to_their_stores(sample_result) -> None:
    table = sample_result.decisions.table
    owners = (
        sample_result.network.drop_duplicates(DEALER_ID)
        .set_index(DEALER_ID)["owner_group"]
        .dropna()
        .astype(str)
    )
    found = run_sensitivity(sample_result, owners=owners)
    scopes = set(found.table["scope"]) - {NATIONAL}
    assert scopes and scopes <= set(owners.loc[owners.index.isin(table[DEALER_ID])])
    at_base = found.table[(found.table["measure"] == "jobs_lost") & (found.table["rank"] == 1)]
    owners_total = at_base.loc[at_base["scope"] != NATIONAL, "at_base"].sum()
    national = at_base.loc[at_base["scope"] == NATIONAL, "at_base"].iloc[0]
    assert 0 < owners_total <= national + 1e-6


def test_tornado_bars_sit_on_one_scale_around_the_base() -> None:
    chart = tornado_chart(
        "t", [("a", 80.0, 140.0, 1.0, 2.0), ("b", 110.0, 90.0, 3.0, 4.0)], 100.0, "jobs_lost"
    )
    a, b = chart.bars
    assert a.x_low < chart.base_x < a.x_high and b.x_high < chart.base_x < b.x_low
    assert chart.plot_x <= a.x_low and a.x_high <= chart.plot_x + chart.plot_width + 1e-9
    # 20 jobs on either side of base span the same width
    assert (chart.base_x - a.x_low) == pytest.approx((a.x_high - chart.base_x) / 2)
    assert a.y < b.y
