"""The index, a sweep page and a compare page in headless Chromium at a phone's 390 x 844 and a
desktop's 1400 x 1000: nothing overflows the screen sideways (wide tables scroll in their
own box), cards stack, the data-origin banner shows, and search, filter and sort do what
the data says."""

from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from browser import browser_fixture, page_fixture
from dealernet.analysis.owner_groups import owner_keys
from dealernet.analysis.result import Result
from dealernet.engine.scenario import parse_scenario
from dealernet.outputs.tables import write_tables
from dealernet.planning.compare import Comparison, compare
from dealernet.planning.sweep import Sweep, sweep
from dealernet.render.planning_pages import write_comparison, write_sweep
from dealernet.render.reports import affected_owners, write_reports
from helpers import MILE, ORIGIN, east, network_from, site

#: Fixtures: ``browser`` (one Chromium for the module) and ``page`` (offline, logged).
__all__ = ["browser_fixture", "page_fixture"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 1000}
#: Miles from each toy Infiniti store to its Nissan host: limits of 10 and 30 miles differ
#: on the stores at 14, 18 and 25 miles.
MILES = [2, 6, 9, 14, 18, 25, 35, 50]
SWEPT = [5, 10, 20, 40]
#: Where on a page something sticks out past the right edge of the screen, if anywhere.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const out = [...document.body.querySelectorAll("*")].filter((e) => {
    if (e.parentElement && e.parentElement.closest(".scroll")) { return false; }
    const r = e.getBoundingClientRect();
    return r.width > 0 && (r.right > width + 0.5 || r.left < -0.5);
  });
  return {
    scroll: document.documentElement.scrollWidth, width,
    out: out.slice(0, 5).map((e) => e.tagName + "." + (e.getAttribute("class") || "")),
  };
}"""
VISIBLE_ROWS = "(id) => [...document.querySelectorAll(`#${id} tbody tr:not([hidden])`)].length"


def toy_scenario(name: str, limit: float) -> object:
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


def toy_network() -> object:
    """Eight Infiniti stores in a column, each with a Nissan store some miles east."""
    lat, lon = ORIGIN
    rows = []
    for i, miles in enumerate(MILES):
        y = lat + 60 * i * MILE
        name = f"Infiniti of Store {chr(65 + i)}" + (" Across the Long River Valley" * (i == 3))
        rows.append(
            site(f"I{i}", "Infiniti", y, lon, owner=f"Group {i % 3}", name=name, city=f"Town{i}")
        )
        rows.append(site(f"N{i}", "Nissan", y, lon + east(miles), owner=f"Host {i}"))
    return network_from(rows)


@pytest.fixture(scope="module")
def index_page(sample_result: Result, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("index")
    write_tables(sample_result, folder)
    write_reports(sample_result, folder, affected_owners(sample_result)[:2])
    return folder / "index.html"


@pytest.fixture(scope="module")
def toy_sweep() -> Sweep:
    scenario = toy_scenario("toy", 10)
    return sweep("rules.near.max_distance_miles", SWEPT, scenario=scenario, network=toy_network())


@pytest.fixture(scope="module")
def toy_comparison() -> Comparison:
    scenarios = [toy_scenario("near", 10), toy_scenario("far", 30)]
    return compare(scenarios, network=toy_network(), labels=["ten-miles", "thirty-miles"])


@pytest.fixture(scope="module")
def pages(
    index_page: Path,
    toy_sweep: Sweep,
    toy_comparison: Comparison,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("planning")
    compared = write_comparison(toy_comparison, folder / "compare.html")[0]
    return {
        "index": index_page,
        "sweep": write_sweep(toy_sweep, folder / "sweep.html"),
        "compare": compared,
    }


def fold(text: str) -> str:
    """Text as the search box compares it: lower case, accents dropped."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390x844", "1400x1000"])
@pytest.mark.parametrize("name", ["index", "sweep", "compare"])
def test_page_fits_the_screen_and_says_where_its_data_comes_from(page, pages, name, viewport):
    tab, log = page
    tab.set_viewport_size(viewport)
    tab.goto(pages[name].as_uri())
    fit = tab.evaluate(OVERFLOW)
    assert fit["scroll"] <= fit["width"] and fit["out"] == [], fit
    banner = tab.locator(".notice.origin")
    assert banner.count() == 1 and banner.is_visible()
    assert banner.inner_text().startswith("Data:") and len(banner.inner_text()) > 12
    box = banner.bounding_box()
    assert box is not None and box["y"] < viewport["height"]  # on the first screen
    tables = tab.locator("table.sortable")
    assert tables.count() >= 1
    for i in range(tables.count()):  # every sortable table sits in a box that scrolls
        assert tables.nth(i).evaluate("(t) => t.parentElement.classList.contains('scroll')")
    assert log.errors == []


def test_index_puts_files_first_stacks_cards_and_scrolls_wide_tables(page, pages):
    tab, log = page
    for viewport, columns in ((PHONE, 2), (DESKTOP, 3)):
        tab.set_viewport_size(viewport)
        tab.goto(pages["index"].as_uri())
        lefts = tab.evaluate(
            "() => [...document.querySelectorAll('#national .card')]"
            ".map((c) => Math.round(c.getBoundingClientRect().left))"
        )
        assert len(set(lefts)) == columns, viewport
        links = tab.locator("nav.open a")
        first = links.first.bounding_box()
        assert first is not None and first["y"] < viewport["height"]  # files on the first screen
        cards = tab.locator("#national .card").first.bounding_box()
        assert cards is not None and first["y"] < cards["y"]
    owners = tab.locator("#owner-table")
    tab.set_viewport_size(PHONE)
    wide = owners.evaluate("(t) => [t.parentElement.scrollWidth, t.parentElement.clientWidth]")
    assert wide[0] > wide[1]  # the table keeps its columns and scrolls inside its box
    assert log.errors == []


def test_index_search_and_state_filter_show_the_owners_the_data_names(page, pages, sample_result):
    table = sample_result.decisions.table
    affected = table.loc[table["decision"].isin(["absorb", "close"])].copy()
    affected["key"] = owner_keys(affected)
    listed = affected_owners(sample_result)
    texts = {
        key: fold(" ".join([key, *rows["name"].astype(str), *rows["city"].astype(str)]))
        for key, rows in affected.groupby("key")
    }
    states = {key: set(rows["state"]) for key, rows in affected.groupby("key")}
    city = Counter(affected["city"]).most_common(1)[0][0]
    state = Counter(affected["state"]).most_common(2)[1][0]
    by_city = {k for k in listed if fold(city) in texts[k]}
    by_state = {k for k in listed if state in states[k]}
    assert 0 < len(by_city) < len(listed) and 0 < len(by_state) < len(listed)

    tab, log = page
    tab.set_viewport_size(PHONE)
    tab.goto(pages["index"].as_uri())
    search = tab.get_by_role("searchbox")
    shown = tab.locator("[data-filter='owner-table'] output")
    assert tab.evaluate(VISIBLE_ROWS, "owner-table") == len(listed)
    assert shown.inner_text() == f"All {len(listed)} shown"
    search.press_sequentially(city.upper()[:-1])  # part of the name, any case
    partial = {k for k in listed if fold(city[:-1]) in texts[k]}
    assert tab.evaluate(VISIBLE_ROWS, "owner-table") == len(partial)
    search.fill(city.lower())
    assert tab.evaluate(VISIBLE_ROWS, "owner-table") == len(by_city)
    visible = tab.evaluate(
        "() => [...document.querySelectorAll('#owner-table tbody tr:not([hidden])')]"
        ".map((r) => r.dataset.owner)"
    )
    assert set(visible) == by_city
    assert shown.inner_text() == f"{len(by_city)} of {len(listed)} shown"
    search.fill("")
    tab.locator("[data-filter='owner-table'] select").select_option(state)
    assert tab.evaluate(VISIBLE_ROWS, "owner-table") == len(by_state)
    search.fill(city)
    assert tab.evaluate(VISIBLE_ROWS, "owner-table") == len(by_city & by_state)
    search.fill("no such owner anywhere")
    assert tab.evaluate(VISIBLE_ROWS, "owner-table") == 0
    assert log.errors == []


def column(tab, table: str, attribute: str = "data-sort", cell: int = 0) -> list[str]:
    return tab.evaluate(
        "([t, a, i]) => [...document.querySelectorAll(`#${t} tbody tr`)]"
        ".map((r) => r.cells[i].getAttribute(a))",
        [table, attribute, cell],
    )


def test_index_state_table_sorts_by_any_column(page, pages, sample_result):
    states = sample_result.regions.query("level == 'state'").set_index("region")
    tab, log = page
    tab.goto(pages["index"].as_uri())
    codes = lambda: tab.evaluate(  # noqa: E731
        "() => [...document.querySelectorAll('#state-table tbody tr')].map((r) => r.dataset.state)"
    )
    shown = codes()
    assert sorted(shown) == sorted(states.index)
    jobs = [states.loc[c, "jobs_lost_base"] for c in shown]
    assert jobs == sorted(jobs, reverse=True)  # most jobs lost first
    table = tab.locator("#state-table")
    table.get_by_role("button", name="Stores").click()
    stores = [states.loc[c, "stores"] for c in codes()]
    assert stores == sorted(stores, reverse=True)
    table.get_by_role("button", name="State").click()
    names = [states.loc[c, "region_name"] for c in codes()]
    assert names == sorted(names, key=str.lower)
    table.get_by_role("button", name="State").click()
    assert [states.loc[c, "region_name"] for c in codes()] == sorted(names, key=str.lower)[::-1]
    assert log.errors == []


def test_sweep_and_compare_tables_sort(page, pages, toy_sweep, toy_comparison):
    tab, log = page
    tab.goto(pages["sweep"].as_uri())
    assert [float(v) for v in column(tab, "sweep-table")] == SWEPT
    totals = toy_sweep.totals.reset_index(drop=True)
    absorbed = tab.locator("#sweep-table").get_by_role("button", name="Absorbed")

    def shown(field: str) -> list[int]:
        rows = [SWEPT.index(int(float(v))) for v in column(tab, "sweep-table")]
        return [int(totals.loc[i, field]) for i in rows]

    absorbed.click()  # most first
    assert shown("stores_absorb") == sorted(totals["stores_absorb"], reverse=True)
    assert shown("stores_absorb")[0] > shown("stores_absorb")[-1]
    absorbed.click()  # then fewest first
    assert shown("stores_absorb") == sorted(totals["stores_absorb"])
    tab.locator("#sweep-table").get_by_role("button", name="Value").click()
    assert [float(v) for v in column(tab, "sweep-table")] == sorted(SWEPT, reverse=True)

    tab.goto(pages["compare"].as_uri())
    differ = pd.DataFrame(toy_comparison.differences)
    assert len(differ) == 3
    names = column(tab, "differences")
    assert sorted(names) == sorted(differ["name"])
    tab.locator("#differences").get_by_role("button", name="Store").click()
    assert column(tab, "differences") == sorted(differ["name"], key=str.lower)
    tab.locator("#differences").get_by_role("button", name="City").click()
    cities = [c.split(" ", 1)[1] for c in column(tab, "differences", cell=1)]
    assert cities == sorted(differ["city"], key=str.lower)
    assert log.errors == []
