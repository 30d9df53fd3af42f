"""``dealernet serve`` in headless Chromium: the page a user drives, checked against what
``dealernet run`` prints for the same settings.

The server runs in a thread on a free port of 127.0.0.1; the page may reach only it (tiles
and anything else are refused, as offline). The explorer's screenshots in ``docs/img/``
are made here (``DEALERNET_DOCS_SCREENSHOTS=1`` rewrites them; a missing one is written).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

import hostile
from browser import PageLog, browser_fixture, distinct_colours
from dealernet.analysis.pipeline import default_scenario, run
from dealernet.outputs.terminal import NBSP
from dealernet.serve.app import create_app
from helpers import ROOT
from serving import TEST_HOSTS, explorer_over, live_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from dealernet.serve.tabs import Tabs

#: Fixture: ``browser`` (one Chromium for the module).
__all__ = ["browser_fixture"]
#: The page has drawn the latest change at full draws (or the start).
SETTLED = "document.body.dataset.ready !== undefined && !document.querySelector('.preview')"
ROWS = """(selector) => Array.from(document.querySelectorAll(selector)).map(
    (tr) => Array.from(tr.children).map((td) => td.textContent.trim()))"""
DOCS_IMG = ROOT / "docs" / "img"
SIZES = {"phone": (390, 844), "desktop": (1400, 1000)}


@pytest.fixture(scope="module")
def explorer(sample_network: Any) -> Tabs:
    return explorer_over(sample_network)


@pytest.fixture(scope="module")
def server(explorer: Tabs) -> Iterator[str]:
    with live_server(create_app(explorer, hosts=TEST_HOSTS)) as address:
        yield address


def new_page(browser: Browser, base: str, width: int = 1280, height: int = 900) -> Page:
    """A page that may reach the explorer only; every page error is recorded."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, accept_downloads=True
    )
    page = context.new_page()

    def only_ours(route: Any) -> None:
        url = route.request.url
        if url.startswith((base, "data:", "blob:", "about:")):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", only_ours)
    log = PageLog()
    page.on("console", log.console)
    page.on("pageerror", log.page_error)
    page.on("dialog", lambda d: log.errors.append(f"dialog: {d.message}"))
    page.log = log  # type: ignore[attr-defined]
    return page


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    tab = new_page(browser, server)
    tab.goto(server + "/")
    tab.wait_for_function("() => document.body.dataset.ready === '0'", timeout=60_000)
    try:
        yield tab
    finally:
        tab.context.close()


def settle(page: Page, after: str) -> None:
    """Wait for the full figures of a change (the ready counter passes ``after``)."""
    page.wait_for_function(
        f"() => document.body.dataset.ready !== {after!r} && ({SETTLED})", timeout=90_000
    )


def tables(page: Page) -> dict[str, list[list[str]]]:
    return {
        "totals": page.evaluate(ROWS, "#totals tbody tr"),
        "decisions": page.evaluate(ROWS, "#decisions tbody tr, #decisions tfoot tr"),
    }


def cli_tables(tmp: Path, *args: str) -> dict[str, list[list[str]]]:
    """The decisions and national totals tables ``dealernet run`` prints for ``args``."""
    done = subprocess.run(
        [sys.executable, "-m", "dealernet", "run", "--dealers", "sample", "--no-reports"]
        + ["--no-sensitivity", "--out", str(tmp), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr
    return {
        "totals": printed_rows(done.stdout, "National totals"),
        "decisions": printed_rows(done.stdout, "Decisions by rule"),
    }


def printed_rows(text: str, title: str) -> list[list[str]]:
    """The body rows of the terminal table titled ``title`` (its cells, stripped)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(title))
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("└"):
            break
        if line.startswith("│"):
            # the terminal joins a figure to its unit by a no-break space (terminal.unbroken)
            cells = line.replace(NBSP, " ").strip().strip("│").split("│")
            rows.append([cell.strip() for cell in cells])
    return rows


def move_slider(page: Page, rule: str, presses: int, key: str = "ArrowLeft") -> None:
    slider = page.get_by_test_id(f"rule-{rule}-slider")
    slider.focus()
    for _ in range(presses):
        slider.press(key)


def ready(page: Page) -> str:
    return str(page.evaluate("document.body.dataset.ready"))


def test_moving_a_distance_slider_shows_what_dealernet_run_prints(
    page: Page, tmp_path: Path
) -> None:
    start = tables(page)
    move_slider(page, "nearest", 36)  # 30 -> 12 miles, half a mile a press
    assert page.get_by_test_id("rule-nearest-miles").input_value() == "12"
    settle(page, "0")
    shown = tables(page)
    printed = cli_tables(tmp_path / "out", "--set", "rules.nearest.max_distance_miles=12")
    assert shown == printed
    assert shown["totals"] != start["totals"] and shown["decisions"] != start["decisions"]
    assert page.get_by_test_id("changes").inner_text().strip() == (
        "rules.nearest.max_distance_miles: 30.0 -> 12.0"
    )
    assert "map.html?v=" in page.get_by_test_id("map").get_attribute("src")
    assert page.log.errors == []  # type: ignore[attr-defined]


def test_a_rule_switched_off_and_a_store_kept_change_the_decisions(
    page: Page, explorer: Tabs, sample_network: Any
) -> None:
    page.get_by_test_id("rule-keep-strong-on").uncheck()
    settle(page, "0")
    rules = [row[0] for row in tables(page)["decisions"]]
    assert "keep-strong" not in rules and "nearest" in rules
    table = run(sample_network, default_scenario(), what_drives=False).decisions.table
    store = table[table["decision"] == "absorb"].iloc[0]
    before = ready(page)
    page.get_by_test_id("keep-names").fill(f"{store['name']} ({store['city']}, {store['state']})")
    settle(page, before)
    decided = {row[0]: row for row in tables(page)["decisions"]}
    assert decided["explorer-keep"][1:] == ["keep", "1"]
    changed = page.evaluate(ROWS, "#changed tbody tr")
    assert [store["name"] + f" ({store['dealer_id']})", store["state"]] in [r[:2] for r in changed]
    assert page.log.errors == []  # type: ignore[attr-defined]


def test_a_bad_upload_shows_each_problem_with_its_line_column_and_fix(page: Page) -> None:
    bad = (
        "dealer_id,name,brand,city,state,latitude,longitude\n"
        "B-1,Good Infiniti,Infiniti,Dallas,TX,32.78,-96.80\n"
        "B-2,Bad Latitude,Infiniti,Dallas,TX,north,-96.80\n"
    )
    page.get_by_test_id("files").set_input_files(
        files=[{"name": "my dealers.csv", "mimeType": "text/csv", "buffer": bad.encode()}]
    )
    problems = page.get_by_test_id("problems")
    problems.wait_for(timeout=30_000)
    rows = page.evaluate(ROWS, "[data-testid=problems] tr")[1:]
    assert rows and all(r[1] == "my dealers.csv" for r in rows)
    latitude = next(r for r in rows if r[3] == "latitude")
    assert latitude[0] == "error" and latitude[2].endswith("3") and "north" in latitude[4]
    assert latitude[5]  # every problem says how to fix it
    assert "fix the errors" in page.get_by_test_id("upload-result").inner_text()
    # the network explored is still the sample's
    assert "synthetic" in page.get_by_test_id("network-label").inner_text()


def test_the_downloaded_scenario_reruns_with_the_cli_to_identical_decisions(
    page: Page, explorer: Tabs, tmp_path: Path
) -> None:
    page.get_by_test_id("rule-nearest-miles").fill("17.5")
    page.get_by_test_id("rule-same-owner-on").uncheck()
    settle(page, "0")
    with page.expect_download() as download:
        page.get_by_test_id("download-scenario").click()
    path = tmp_path / "explorer.toml"
    download.value.save_as(path)
    printed = cli_tables(tmp_path / "out", "--scenario", str(path))
    assert printed["decisions"] == tables(page)["decisions"]
    href = page.get_by_test_id("download-scenario").get_attribute("href") or ""
    shown = explorer.get(href.split("/")[2]).result.decisions.table
    again = pd.read_csv(tmp_path / "out" / "data" / "decisions.csv", dtype=str)
    columns = ["dealer_id", "decision", "rule_id", "host_dealer_id"]
    assert again[columns].fillna("").values.tolist() == shown[columns].fillna("").values.tolist()
    assert (shown["rule_id"] == "same-owner").sum() == 0


def test_hostile_names_in_an_uploaded_file_execute_nothing(page: Page) -> None:
    payload = pd.DataFrame(list(hostile.ROWS), columns=list(hostile.COLUMNS)).to_csv(index=False)
    name = "<img src=x onerror=window.__pwned=1>.csv"
    page.get_by_test_id("files").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": payload.encode()}]
    )
    label = page.get_by_test_id("network-label")
    label.filter(has_text="your files").wait_for(timeout=60_000)
    assert label.inner_text() == f"your files: {name}"
    page.wait_for_function("() => document.body.dataset.ready === '0'", timeout=60_000)
    owners = page.evaluate(ROWS, "#owners tbody tr")
    assert hostile.SCRIPT in [r[0] for r in owners]
    page.frame_locator("[data-testid=map]").locator(".leaflet-marker-icon").first.wait_for(
        timeout=30_000
    )
    page.wait_for_timeout(500)
    map_frame = next(f for f in page.frames if "/map.html" in f.url)
    for where in (page, map_frame):
        assert where.evaluate("window.__pwned") is None
        assert where.locator("img[src=x]").count() == 0
    assert page.log.errors == []  # type: ignore[attr-defined]


def test_the_owner_table_searches_sorts_and_opens_a_report_on_demand(page: Page) -> None:
    rows = page.evaluate(ROWS, "#owners tbody tr")
    jobs = [float(r[3].replace(",", "")) for r in rows]
    assert jobs == sorted(jobs, reverse=True) and len(rows) > 10  # largest loss first
    page.locator("#owners th[data-key=owner]").click()
    names = [r[0] for r in page.evaluate(ROWS, "#owners tbody tr")]
    assert names == sorted(names, key=str.lower) or names == sorted(names)
    word = rows[0][0].split()[0]
    page.get_by_test_id("owner-search").fill(word)
    found = [r[0] for r in page.evaluate(ROWS, "#owners tbody tr")]
    assert found and all(word.lower() in name.lower() for name in found)
    assert len(found) < len(rows)
    link = page.locator("#owners tbody a").first
    owner = link.inner_text()
    with page.context.expect_page() as opened:
        link.click()
    report = opened.value
    report.wait_for_load_state()
    assert owner in report.locator("h1").inner_text()
    assert page.log.errors == []  # type: ignore[attr-defined]


def test_served_beyond_this_machine_a_page_from_another_origin_is_refused(
    browser: Browser, sample_network: Any
) -> None:
    guarded = explorer_over(sample_network)
    token = "test-token-0123456789"
    app = create_app(guarded, token=token, hosts=TEST_HOSTS)
    with live_server(app) as target, live_server(create_app(guarded, hosts=TEST_HOSTS)) as other:
        # another site (localhost is not 127.0.0.1's site) sends the requests a hostile page
        # could: the cookie is not sent (SameSite=Strict) and the origin is not the page's
        elsewhere = other.replace("127.0.0.1", "localhost")
        attacker = new_page(browser, elsewhere)
        attacker.route(target + "/**", lambda route: route.continue_())
        attacker.goto(elsewhere + "/")
        user = new_page(browser, target)
        user.goto(f"{target}/?token={token}")
        user.wait_for_function("() => document.body.dataset.ready === '0'", timeout=60_000)
        opened = len(guarded._tabs)
        statuses = attacker.evaluate(
            """async (target) => {
                const out = [];
                for (const path of ["/api/tabs", "/api/tabs/x/change"]) {
                    try {
                        const r = await fetch(target + path, {method: "POST", body: "{}",
                            credentials: "include", headers: {"Content-Type": "text/plain"}});
                        out.push(r.status);
                    } catch (e) { out.push("blocked"); }
                }
                return out;
            }""",
            target,
        )
        assert all(s in (403, "blocked") for s in statuses), statuses
        assert len(guarded._tabs) == opened  # nothing was opened or changed
        attacker.context.close()
        user.context.close()
    with live_server(app) as target:
        stranger = new_page(browser, target)
        answer = stranger.goto(target + "/")
        assert answer is not None and answer.status == 403
        assert "access token" in stranger.inner_text("body")
        stranger.context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_the_page_fits_a_phone_and_a_desktop_and_its_screenshot_is_in_the_docs(
    browser: Browser, server: str, size: str, tmp_path: Path
) -> None:
    width, height = SIZES[size]
    page = new_page(browser, server, width, height)
    page.goto(server + "/")
    page.wait_for_function("() => document.body.dataset.ready === '0'", timeout=60_000)
    page.frame_locator("[data-testid=map]").locator(".leaflet-marker-icon").first.wait_for(
        timeout=30_000
    )
    wide = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert wide[0] <= wide[1], f"the page is wider than a {size} window: {wide}"
    status = page.get_by_test_id("status").bounding_box()
    assert status is not None and 0 <= status["y"] < height  # what a change did is in view
    page.wait_for_timeout(500)
    shot = page.screenshot()
    assert distinct_colours(page, shot) > 100
    target = DOCS_IMG / f"explorer-{size}.png"
    if os.environ.get("DEALERNET_DOCS_SCREENSHOTS") == "1" or not target.exists():
        target.write_bytes(shot)
    assert page.log.errors == []  # type: ignore[attr-defined]
    page.context.close()


def test_a_distance_that_is_not_a_number_is_refused_not_run_as_no_limit(
    page: Page, explorer: Tabs
) -> None:
    box = page.get_by_test_id("rule-nearest-miles")
    box.focus()
    box.press("Control+a")
    box.type("1e")  # the browser empties a number box it cannot read
    page.get_by_test_id("errors").filter(has_text="not a number").wait_for(timeout=10_000)
    assert page.get_by_test_id("status").inner_text().startswith("Not run")
    page.wait_for_timeout(500)
    href = page.get_by_test_id("download-scenario").get_attribute("href") or ""
    tab = explorer.get(href.split("/")[2])
    assert tab.scenario.rule("nearest").max_distance_miles == 30  # nothing was run
