"""`dealernet sweep` and `dealernet.sweep`: one setting, several values, the same totals."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner

import dealernet
from dealernet import AssumptionsError, QueryError, ScenarioError
from dealernet.analysis.pipeline import default_scenario
from dealernet.cli.main import cli
from dealernet.outputs.side_by_side import SWEEP_MEASURES
from dealernet.planning.sweep import Sweep, split_overrides, sweep
from dealernet.render.charts import LineSpec, line_chart, nice_step
from dealernet.render.planning_pages import sweep_charts, sweep_html, write_sweep
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


def only_our_script(page: str) -> bool:
    """The page's one script is the table script, inline: nothing else runs, nothing loads."""
    return page.count("<script") == 1 and page.count("<script>") == 1


def test_sweep_page_draws_inline_svg_charts_and_works_offline(distance_sweep, tmp_path) -> None:
    page = write_sweep(distance_sweep, tmp_path / "sweep.html").read_text()
    assert page.count('<svg class="chart') == 4 and "<polyline" in page and "<polygon" in page
    assert "http://" not in page and "https://" not in page and only_our_script(page)
    for value in DISTANCES:
        assert f'<td data-sort="{value}">{value}</td>' in page
    csv = write_sweep(distance_sweep, tmp_path / "sweep.csv").read_text("utf-8-sig")
    csv = csv.splitlines()
    assert csv[0].startswith("rules.nearest.max_distance_miles,") and len(csv) == len(DISTANCES) + 1


def test_sweep_page_names_the_setting_in_words_and_sorts_its_table(distance_sweep) -> None:
    page = sweep_html(distance_sweep)
    title = re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)
    assert title == "Farthest move to a host (miles), rule nearest"
    assert "<code>rules.nearest.max_distance_miles</code>" in page  # the key --set takes
    assert '<p class="notice origin" role="note" data-text><strong>Data:</strong>' in page
    assert 'class="sortable fit" id="sweep-table"' in page
    heads = re.findall(r'<th[^>]*aria-sort="none"[^>]*><button type="button">', page)
    assert len(heads) == 1 + len(SWEEP_MEASURES)
    assert '<div class="scroll">\n<table class="sortable fit"' in page  # scrolls in its box


def test_lines_of_one_chart_differ_by_marker_and_dash_not_only_colour(distance_sweep) -> None:
    stores = sweep_charts(distance_sweep)[0]
    assert [line.label for line in stores.lines] == ["Kept", "Absorbed", "Closed"]
    assert len({line.marker for line in stores.lines}) == 3
    assert len({line.dash for line in stores.lines}) == 3
    page = sweep_html(distance_sweep)
    series = re.findall(r'<g class="series close">(.*?)</g>', page, re.S)[0]
    assert 'stroke-dasharray="2 3"' in series and "<circle" not in series
    assert series.count('<polygon class="marker"') == len(DISTANCES)  # triangles
    legend = re.findall(r'<li data-marker="(\w+)">', page)
    assert legend[:3] == ["circle", "square", "triangle"]


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
    assert only_our_script(page) and "<img" not in page
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


@pytest.mark.parametrize(
    ("retired", "instead"),
    [
        ("retention.sales.base", "market.decay_sales.base=1.5,2,3"),
        ("retention.service.base", "market.decay_service.base=2,3,4"),
        ("distance_decay.sales_half_miles.base", "market.decay_sales.base=1.5,2,3"),
    ],
)
def test_a_retired_parameter_is_refused_with_a_sweep_that_works(retired, instead) -> None:
    # the README of older versions swept retention.sales.base=0.3,0.5,0.7
    with pytest.raises(AssumptionsError, match="is retired") as info:
        split_overrides([f"{retired}=0.3,0.5,0.7"])
    message = str(info.value)
    assert message.endswith(f"--set {instead}")
    setting, values, _ = split_overrides([message.rsplit("--set ", 1)[1]])  # the fix works
    assert setting == instead.split("=")[0] and len(values) == 3


def test_a_bad_value_fails_before_any_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from dealernet.analysis import pipeline

    runs: list[object] = []
    real_run = pipeline.Prepared.run

    def recorded(*args: object, **kwargs: object) -> object:
        runs.append(args)
        return real_run(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline.Prepared, "run", recorded)
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
    assert page.exists() and page.read_text().count('<svg class="chart') == 4
