"""A network prepared once (``dealernet.prepare``) runs scenario after scenario with the
figures of fresh runs, and reads what does not depend on the rules only once."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import dealernet
from dealernet.analysis import pipeline
from dealernet.analysis.pipeline import default_assumptions, default_scenario, prepare, run

DRAWS = {"monte_carlo.draws": 60, "monte_carlo.market_draws": 2}


def _same(a: dealernet.Result, b: dealernet.Result) -> None:
    pd.testing.assert_frame_equal(a.decisions.table, b.decisions.table)
    pd.testing.assert_frame_equal(a.impacts.table, b.impacts.table)
    pd.testing.assert_frame_equal(a.owners, b.owners)
    pd.testing.assert_series_equal(a.national, b.national)
    for measure in a.impacts.draws:
        np.testing.assert_array_equal(a.impacts.draws[measure], b.impacts.draws[measure])


def test_a_prepared_network_gives_the_figures_of_fresh_runs(
    sample_network: gpd.GeoDataFrame,
) -> None:
    """Scenario B after scenario A on one prepared network is a fresh run of B, bit for bit,
    and a distance limit moved back gives the first figures again."""
    assumptions = default_assumptions().with_overrides(DRAWS)
    base = default_scenario()
    moved = base.with_overrides({"rules.nearest.max_distance_miles": 5.0})
    prepared = prepare(sample_network)
    first = prepared.run(base, assumptions, what_drives=False)
    second = prepared.run(moved, assumptions, what_drives=False)
    again = prepared.run(base, assumptions, what_drives=False)
    fresh = run(sample_network, moved, assumptions, what_drives=False)
    _same(second, fresh)
    _same(again, first)
    assert not first.decisions.table["decision"].equals(second.decisions.table["decision"])


def test_owners_and_rosters_are_read_once_per_pair_of_brands(
    sample_network: gpd.GeoDataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: dict[str, int] = {"owners": 0, "competitors": 0}
    real_owners, real_competitors = pipeline.with_owners, pipeline.load_competitors

    def owners(*args: object, **kwargs: object) -> object:
        calls["owners"] += 1
        return real_owners(*args, **kwargs)  # type: ignore[arg-type]

    def competitors(*args: object, **kwargs: object) -> object:
        calls["competitors"] += 1
        return real_competitors(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "with_owners", owners)
    monkeypatch.setattr(pipeline, "load_competitors", competitors)
    assumptions = default_assumptions().with_overrides(DRAWS)
    prepared = prepare(sample_network)
    for miles in (5.0, 8.0, 12.0):
        scenario = default_scenario().with_overrides({"rules.nearest.max_distance_miles": miles})
        prepared.run(scenario, assumptions, what_drives=False)
    assert calls == {"owners": 1, "competitors": 1}


def test_bad_options_fail_when_prepared_and_a_bad_roster_before_the_rules(
    sample_network: gpd.GeoDataFrame, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    with pytest.raises(dealernet.InvalidInputError, match="dask engine reads a population"):
        prepare(sample_network, engine="dask")
    with pytest.raises(dealernet.InvalidInputError, match="use one of memory, dask"):
        prepare(sample_network, engine="spark")
    ruled: list[object] = []
    monkeypatch.setattr(pipeline, "apply_rules", lambda *a, **k: ruled.append(a))
    prepared = prepare(sample_network, competitors=tmp_path / "no-such-rosters")
    with pytest.raises(dealernet.InputFileError):
        prepared.run(what_drives=False)
    assert ruled == []


def test_frames_made_from_a_loaded_network_share_its_validation_report(
    sample_network: gpd.GeoDataFrame,
) -> None:
    """pandas deep-copies ``attrs`` on every operation; the report is shared instead (an
    explorer's re-decide spent a tenth of its time copying it)."""
    report = sample_network.attrs["validation"]
    assert isinstance(report, dealernet.ValidationReport)
    derived = sample_network[sample_network["brand"] == "Infiniti"].reset_index(drop=True)
    assert derived.attrs["validation"] is report


def test_the_monte_carlo_gives_the_same_bits_on_one_thread_and_two(
    sample_result: dealernet.Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Monte Carlo's blocks of stores run on threads; each block depends on its stores
    alone, so the figures do not depend on the number of threads."""
    from dealernet.analysis.impact import estimate_impacts

    r = sample_result
    table = r.decisions.table
    args = (r.network, table, r.assumptions, r.scenario.source_brand, r.scenario.host_brands)
    found = []
    for workers in ("1", "2"):
        monkeypatch.setenv("DEALERNET_WORKERS", workers)
        found.append(estimate_impacts(*args, market=r.market, block_stores=16))
    pd.testing.assert_frame_equal(found[0].table, found[1].table)
    for measure in found[0].draws:
        np.testing.assert_array_equal(found[0].draws[measure], found[1].draws[measure])
    assert len(table) > 16 * 4  # more blocks than threads
