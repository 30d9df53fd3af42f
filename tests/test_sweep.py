"""`dealernet sweep` and `dealernet.sweep`: one setting, several values, the same totals."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner

import dealernet
from dealernet import AssumptionsError, QueryError, ScenarioError
from dealernet.analysis.pipeline import default_scenario
from dealernet.cli.main import cli
from dealernet.planning.sweep import Sweep, split_overrides, sweep
from dealernet.render.charts import LineSpec, line_chart, nice_step
from dealernet.render.planning_pages import sweep_html, write_sweep
from helpers import MILE, ORIGIN, east, network_from, site

DISTANCES = [5, 10, 20, 60]


@pytest.fixture(scope="module")
def distance_sweep(sample_network: gpd.GeoDataFrame) -> Sweep:
    """The absorb distance of the shipped scenario's `optimal` rule, on the bundled sample."""
    return sweep("rules.nearest.max_distance_miles", DISTANCES, network=sample_network)


def test_closures_never_increase_as_the_optimal_rules_absorb_distance_grows(
    distance_sweep,
) -> None:
    assert default_scenario().rule("nearest").assignment == "optimal"
    closed = distance_sweep.totals["stores_close"].to_numpy()
    assert np.all(np.diff(closed) <= 0), closed
    assert closed[0] > closed[-1], "a longer reach should save some stores"
    absorbed = distance_sweep.totals["stores_absorb"].to_numpy()
    assert np.all(np.diff(absorbed) >= 0), absorbed


def test_each_value_is_a_run_with_that_setting(distance_sweep) -> None:
    assert list(distance_sweep.totals["value"]) == DISTANCES
    for value, result in zip(DISTANCES, distance_sweep.results, strict=True):
        assert result.scenario.rule("nearest").max_distance_miles == value
        far = result.decisions.table.query("rule_id == 'nearest'")["distance_miles"]
        assert (far <= value).all()
    stores = distance_sweep.totals[
        ["stores_keep", "stores_absorb", "stores_close", "stores_unaffected"]
    ].sum(axis=1)
    assert set(stores) == {197}


def test_sweep_page_draws_inline_svg_charts_and_works_offline(distance_sweep, tmp_path) -> None:
    page = write_sweep(distance_sweep, tmp_path / "sweep.html").read_text()
    assert page.count("<svg") == 4 and "<polyline" in page and "<polygon" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    for value in DISTANCES:
        assert f"<td>{value}</td>" in page
    csv = write_sweep(distance_sweep, tmp_path / "sweep.csv").read_text().splitlines()
    assert csv[0].startswith("rules.nearest.max_distance_miles,") and len(csv) == len(DISTANCES) + 1


def test_sweep_is_offered_at_the_top_of_the_package() -> None:
    assert dealernet.sweep is sweep


def _toy_network() -> object:
    lat, lon = ORIGIN
    return network_from(
        [
            site("I1", "Infiniti", lat, lon, owner="A", annual_new_units=300),
            site("I2", "Infiniti", lat + 40 * MILE, lon, owner="B", annual_new_units=300),
            site("N1", "Nissan", lat, lon + east(6), owner="C", annual_new_units=900),
            site("N2", "Nissan", lat + 40 * MILE, lon + east(25), owner="D", annual_new_units=900),
        ]
    )


def test_an_assumption_can_be_swept_too() -> None:
    result = sweep("retention.staffing", [0.75, 0.85, 0.95], network=_toy_network())
    jobs = result.totals["jobs_lost_base"].to_numpy()
    assert np.all(np.diff(jobs) < 0), "more sales kept means fewer jobs lost"
    assert set(result.totals["stores_absorb"]) == {2}


def test_a_hostile_scenario_name_is_escaped_on_the_page() -> None:
    from dealernet.engine.scenario import parse_scenario

    scenario = parse_scenario(
        {
            "scenario": {
                "name": "<script>x()</script>",
                "source_brand": "Infiniti",
                "host_brand": "Nissan",
            },
            "rules": [
                {"id": "near", "action": "absorb", "max_distance_miles": 10},
                {"id": "rest", "action": "close"},
            ],
        },
        "<img src=x>",
    )
    page = sweep_html(
        sweep("rules.near.max_distance_miles", [5, 30], scenario=scenario, network=_toy_network())
    )
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;x()&lt;/script&gt;" in page


@pytest.mark.parametrize(
    ("texts", "setting", "values", "fixed"),
    [
        (
            ["rules.nearest.max_distance_miles=10,20,30"],
            "rules.nearest.max_distance_miles",
            [10, 20, 30],
            [],
        ),
        (
            ["revenue_share.new.base=0.5", "rules.*.capacity=1, 2"],
            "rules.*.capacity",
            [1, 2],
            ["revenue_share.new.base=0.5"],
        ),
        (
            ["rules.nearest.assignment=nearest,optimal", 'scenario.name="a, b"'],
            "rules.nearest.assignment",
            ["nearest", "optimal"],
            ['scenario.name="a, b"'],
        ),
    ],
)
def test_the_swept_set_is_the_one_with_several_values(texts, setting, values, fixed) -> None:
    assert split_overrides(texts) == (setting, values, fixed)


@pytest.mark.parametrize(
    ("texts", "error"),
    [
        (["rules.nearest.capacity=2"], QueryError),
        (["a.b=1,2", "c.d=3,4"], QueryError),
        # a malformed list is an error of the settings it is for, like any --set
        (["rules.nearest.capacity=1,,2"], ScenarioError),
        (["a.b=1,,2"], AssumptionsError),
    ],
)
def test_a_sweep_needs_exactly_one_list_of_values(texts, error) -> None:
    with pytest.raises(error):
        split_overrides(texts)


def test_a_bad_value_fails_before_any_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from dealernet.planning import sweep as sweep_module

    runs: list[object] = []
    real_run = sweep_module.run

    def recorded(*args: object, **kwargs: object) -> object:
        runs.append(args)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(sweep_module, "run", recorded)
    with pytest.raises(dealernet.ScenarioError):
        sweep("rules.nearest.max_distance_miles", [10, "far"], network=_toy_network())
    with pytest.raises(QueryError, match="each value once"):
        sweep("rules.nearest.max_distance_miles", [10, 10], network=_toy_network())
    assert runs == [], "a run started before every value was checked"
    # the recorder does see runs: a good sweep goes through it
    sweep("rules.nearest.max_distance_miles", [10, 20], network=_toy_network())
    assert len(runs) == 2


def test_line_chart_starts_at_zero_on_round_ticks() -> None:
    chart = line_chart(
        "t",
        [10, 20, 60],
        [LineSpec("a", "keep", [3, 7, 11], [2, 6, 9], [4, 8, 13])],
        numeric_x=True,
    )
    values = [t.value for t in chart.y_ticks]
    assert values[0] == 0 and values[-1] >= 13 and nice_step(13) in (2, 5)
    left, _top, right, bottom = chart.plot
    xs = [t.pos for t in chart.x_ticks]
    assert xs[0] == left and xs[-1] == right and xs[1] == pytest.approx(left + (right - left) / 5)
    assert chart.y_ticks[0].pos == bottom
    assert len(chart.lines[0].markers) == 3 and chart.lines[0].band


def test_cli_sweep_prints_the_table_and_writes_the_page(tmp_path: Path) -> None:
    dealers = tmp_path / "dealers.csv"
    _toy_network().drop(columns="geometry").to_csv(dealers, index=False)
    page = tmp_path / "sweep.html"
    args = [
        "sweep",
        "--dealers",
        str(dealers),
        "--set",
        "rules.nearest.max_distance_miles=5,30",
        "--output",
        str(page),
    ]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    assert "Sweep of rules.nearest.max_distance_miles" in out.stdout
    assert page.exists() and page.read_text().count("<svg") == 4
