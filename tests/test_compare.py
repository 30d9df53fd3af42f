"""`dealernet compare` and `dealernet.compare`: scenarios side by side, and exactly what differs."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

import dealernet
from dealernet import QueryError, formatting
from dealernet.cli.main import cli
from dealernet.engine.scenario import parse_scenario
from dealernet.planning.compare import TOTAL_COLUMNS, Comparison, compare, scenario_totals
from dealernet.render.planning_pages import comparison_html, write_comparison
from helpers import MILE, ORIGIN, SCENARIOS_DIR, east, network_from, site

SCENARIOS = sorted(SCENARIOS_DIR.glob("*.toml"))
HOSTILE = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def comparison(sample_network: gpd.GeoDataFrame) -> Comparison:
    """The three shipped scenarios on the bundled sample."""
    return compare(SCENARIOS, network=sample_network)


def test_compare_lists_exactly_the_sites_whose_decision_differs(comparison) -> None:
    tables = [r.decisions.table.set_index("dealer_id")["decision"] for r in comparison.results]
    wide = pd.concat(tables, axis=1)
    expected = set(wide.index[wide.nunique(axis=1) > 1])
    assert expected, "the shipped scenarios disagree about some stores"
    assert set(comparison.differences["dealer_id"]) == expected
    assert len(comparison.differences) == len(expected)
    for label, table in zip(comparison.labels, tables, strict=True):
        shown = comparison.differences.set_index("dealer_id")[f"decision_{label}"]
        assert (shown == table.loc[shown.index]).all()


def test_host_changes_are_stores_absorbed_everywhere_into_different_hosts(comparison) -> None:
    hosts = [r.decisions.table.set_index("dealer_id") for r in comparison.results]
    for dealer_id in comparison.host_changes["dealer_id"]:
        assert all(h.at[dealer_id, "decision"] == "absorb" for h in hosts)
        assert len({h.at[dealer_id, "host_dealer_id"] for h in hosts}) > 1
    assert not set(comparison.host_changes["dealer_id"]) & set(comparison.differences["dealer_id"])


def test_totals_are_each_scenarios_own_totals(comparison) -> None:
    assert list(comparison.labels) == [p.stem for p in SCENARIOS]
    for (_, row), result in zip(comparison.totals.iterrows(), comparison.results, strict=True):
        own = scenario_totals(result)
        assert {c: row[c] for c in TOTAL_COLUMNS} == pytest.approx(own)
        assert row["stores_keep"] == (result.decisions.table["decision"] == "keep").sum()
        assert row["jobs_lost_low"] <= row["jobs_lost_base"] <= row["jobs_lost_high"]


def test_compare_is_offered_at_the_top_of_the_package() -> None:
    assert dealernet.compare is compare


def test_compare_writes_csv_and_an_offline_html_page(comparison, tmp_path: Path) -> None:
    written = write_comparison(comparison, tmp_path / "cmp.csv")
    assert [p.name for p in written] == ["cmp.csv", "cmp-sites.csv"]
    assert list(pd.read_csv(written[0])["scenario"]) == list(comparison.labels)
    assert len(pd.read_csv(written[1])) == len(comparison.differences)
    page = write_comparison(comparison, tmp_path / "cmp.html")[0].read_text()
    fetched = page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # a name, not a request
    assert "http://" not in fetched and "https://" not in fetched and only_our_script(page)
    for dealer_id in comparison.differences["dealer_id"]:
        assert dealer_id in page


def only_our_script(page: str) -> bool:
    """The page's one script is the table script, inline: nothing else runs, nothing loads."""
    return page.count("<script") == 1 and page.count("<script>") == 1


def test_compare_page_charts_each_scenarios_totals(comparison) -> None:
    page = comparison_html(comparison)
    assert page.count('<svg class="chart"') == 3  # stores by decision, jobs, revenue
    shown = dict(re.findall(r'data-field="s(\d+\.[a-z_]+)">([^<]*)</text>', page))
    totals = comparison.totals.reset_index(drop=True)
    assert len(shown) == 3 * len(totals)
    for n, row in totals.iterrows():
        stores = row[["stores_keep", "stores_absorb", "stores_close", "stores_unaffected"]].sum()
        assert shown[f"{n}.stores"] == formatting.count(stores)
        assert shown[f"{n}.jobs_lost_base"] == formatting.count(row["jobs_lost_base"])
        assert shown[f"{n}.revenue_lost_base"] == formatting.money(row["revenue_lost_base"])
    # every bar of the stacked chart is split into the four decisions, in the same order
    for decision in ("keep", "absorb", "close", "unaffected"):
        assert page.count(f'<rect class="{decision}"') == len(totals)


def test_compare_page_has_the_data_origin_and_sortable_store_tables(comparison) -> None:
    page = comparison_html(comparison)
    origin = comparison.results[0].data_origin
    assert f'<p class="notice origin" role="note" data-text><strong>Data:</strong> {origin}' in page
    assert 'class="sortable names" id="differences"' in page
    head = page[page.index('id="differences"') :].split("</thead>")[0]
    buttons = re.findall(r'<button type="button">([^<]*)</button>', head)
    assert buttons == ["Store", "City", "Owner group", *comparison.labels]


def test_compare_needs_two_scenarios_of_the_same_brands(comparison) -> None:
    network = comparison.results[0].network
    with pytest.raises(QueryError, match="at least two"):
        compare(SCENARIOS[:1], network=network)
    swapped = parse_scenario(
        {
            "scenario": {"name": "swapped", "source_brand": "Nissan", "host_brand": "Infiniti"},
            "rules": [{"id": "rest", "action": "close"}],
        },
        "swapped",
    )
    with pytest.raises(QueryError, match="fold different brands"):
        compare([SCENARIOS[0], swapped], network=network)


def _hostile_network() -> pd.DataFrame:
    lat, lon = ORIGIN
    return network_from(
        [
            site(
                "I<1>",
                "Infiniti",
                lat,
                lon,
                name=HOSTILE,
                owner="<img src=x onerror=alert(1)>",
                city="<b>Dallas</b>",
                annual_new_units=250,
            ),
            site("I2", "Infiniti", lat + 30 * MILE, lon, owner="Beta", annual_new_units=250),
            site(
                "N1",
                "Nissan",
                lat,
                lon + east(12),
                name=f"{HOSTILE} Nissan",
                owner="Gamma",
                annual_new_units=900,
            ),
        ]
    )


def _scenario(name: str, limit: float) -> object:
    return parse_scenario(
        {
            "scenario": {"name": name, "source_brand": "Infiniti", "host_brand": "Nissan"},
            "rules": [
                {"id": "near", "action": "absorb", "max_distance_miles": limit},
                {"id": "rest", "action": "close"},
            ],
        },
        name,
    )


def test_hostile_names_are_escaped_in_the_html_page() -> None:
    network = _hostile_network()
    comparison = compare(
        [_scenario(f"near {HOSTILE}", 20), _scenario("far", 5)],
        network=network,
        labels=["<i>near</i>", "far"],
    )
    assert list(comparison.differences["dealer_id"]) == ["I<1>"]
    page = comparison_html(comparison)
    assert only_our_script(page) and "<img" not in page and "<b>" not in page
    assert "<i>near</i>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_cli_compare_prints_both_tables_and_writes_html(tmp_path: Path) -> None:
    dealers = tmp_path / "dealers.csv"
    _hostile_network().drop(columns="geometry").to_csv(dealers, index=False)
    files = []
    for name, limit in (("near", 20), ("far", 5)):
        path = tmp_path / f"{name}.toml"
        path.write_text(
            f'[scenario]\nname = "{name}"\nsource_brand = "Infiniti"\nhost_brand = "Nissan"\n'
            f'[[rules]]\nid = "near"\naction = "absorb"\nmax_distance_miles = {limit}\n'
            '[[rules]]\nid = "rest"\naction = "close"\n'
        )
        files.append(str(path))
    page = tmp_path / "cmp.html"
    args = ["compare", *files, "--dealers", str(dealers), "--output", str(page)]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    assert "Stores whose decision differs: 1" in out.stdout
    assert "Jobs lost" in out.stdout
    assert page.exists() and "&lt;script&gt;" in page.read_text()


def test_a_compared_scenario_has_the_figures_of_its_own_run(sample_network, sample_result):
    """compare counts people as ``run`` does (the Census-matched customer points): the
    default scenario's column is the run's national figures, access included."""
    both = compare(
        [SCENARIOS_DIR / "consolidation.toml", SCENARIOS_DIR / "announced-2024.toml"],
        network=sample_network,
    )
    mine = both.results[0]
    for key in ("jobs_lost_base", "revenue_lost_base", "net_jobs_lost_base"):
        assert mine.national[key] == pytest.approx(sample_result.national[key], rel=1e-12)
    for key, value in sample_result.access.summary.items():
        assert mine.access.summary[key] == pytest.approx(value, rel=1e-12), key
