"""Every page dealernet writes, fed hostile names in every text field, runs no script.

One hostile network (``tests/hostile.py``: script tags, event handlers, Jinja expressions,
already-escaped text, in names, owners, addresses and the scenario name) goes through
everything that writes HTML: the national and a regional map, the index, every owner
report, a scenario comparison and a sweep page. Each page is opened from file:// in
headless Chromium with the network blocked; every marker, link target and table row is
hovered and clicked; ``window.__pwned`` must stay unset and no dialog may open.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from browser import browser_fixture, page_fixture  # noqa: F401 - fixtures
from dealernet.analysis.result import Result
from dealernet.outputs.tables import write_tables
from dealernet.planning.compare import compare
from dealernet.planning.selection import select
from dealernet.planning.sweep import sweep
from dealernet.render.maps import map_path, write_map
from dealernet.render.planning_pages import write_comparison, write_sweep
from dealernet.render.reports import write_reports
from hostile import SCENARIO_NAME, hostile_result

#: Elements worth poking: map markers and paths, links, table cells, chart marks.
TARGETS = ".leaflet-interactive, .leaflet-marker-icon, a, td, th, svg *, button, summary"


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("hostile")
    result: Result = hostile_result(folder)
    out = folder / "out"
    write_tables(result, out)
    written = [write_map(result, map_path(out), out=out)]
    texas = select(result, states=["TX"])
    written.append(write_map(result, map_path(out, texas), texas, out=out))
    written += [p for p in write_reports(result, out) if p.suffix == ".html"]
    other = dataclasses.replace(result.scenario, name=SCENARIO_NAME + " (b)")
    other = other.with_overrides({"rules.nearest.max_distance_miles": 5})
    comparison = compare([result.scenario, other], network=result.network)
    written += [
        p for p in write_comparison(comparison, out / "compare.html") if p.suffix == ".html"
    ]
    curve = sweep(
        "rules.nearest.max_distance_miles",
        [5, 50],
        scenario=result.scenario,
        network=result.network,
    )
    written.append(write_sweep(curve, out / "sweep.html"))
    return written


def test_every_kind_of_page_is_covered(pages: list[Path]) -> None:
    names = {p.name for p in pages}
    assert {"network.html", "index.html", "compare.html", "sweep.html"} <= names
    assert any(p.parent.name == "regions" for p in pages)
    assert sum(p.parent.name == "owners" for p in pages) >= 2


def test_no_page_runs_a_hostile_name(page, pages: list[Path]) -> None:
    tab, log = page
    dialogs: list[str] = []
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for path in pages:
        tab.goto(path.as_uri())
        tab.wait_for_load_state("load")
        tab.wait_for_timeout(600)  # maps build their layers, reports load their map frame
        for frame in tab.frames:  # owner reports embed their map in an iframe
            frame.wait_for_load_state("load")
            poke(frame)
        tab.wait_for_timeout(300)  # a click may reload the map frame: check the frames now
        for frame in tab.frames:
            frame.wait_for_load_state("load")
            assert frame.evaluate("typeof window.__pwned") == "undefined", path
        assert not dialogs, f"{path}: a dialog opened: {dialogs}"
    assert log.errors == []


def poke(frame) -> None:
    """Hover and click every interactive element (links are not followed).

    A click that reloads a frame ends its script early; the frame is checked again after.
    """
    from playwright.sync_api import Error

    try:
        _poke(frame)
    except Error as exc:
        if "Execution context was destroyed" not in str(exc):
            raise


def _poke(frame) -> None:
    frame.evaluate(
        """(selector) => {
            document.addEventListener('click', e => e.preventDefault(), true);
            const events = ['mouseover', 'mouseenter', 'mousemove', 'click', 'focus'];
            for (const el of document.querySelectorAll(selector)) {
                for (const type of events) {
                    el.dispatchEvent(new MouseEvent(type, {bubbles: true, cancelable: true}));
                }
            }
        }""",
        TARGETS,
    )
    frame.wait_for_timeout(50)
