"""Map pages laid out on a phone (390 x 844) and a desktop (1400 x 1000), in headless Chromium.

A small network spread over the lower 48 (stores in Seattle, San Diego, Dallas,
Minneapolis, Miami and Boston, so the view must reach every corner) is drawn as the national
map and as the map of the owner group with stores on both coasts, inside its report. At both
sizes no panel (layer list, legend, title, zoom and view buttons) overlaps another or leaves
the window, nothing is wider than the window, every store is inside the first view and none
is under a panel. On the phone the panels start folded to buttons and open one at a time.
The same network with a store in Honolulu opens on the lower 48, and one click shows it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from browser import PageLog, browser_fixture
from dealernet.render.maps import map_path, render_map, write_map
from dealernet.render.reports import write_reports
from dealernet.slugs import slug
from helpers import MILE, network_from, site

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Frame, Page

    from dealernet.analysis.result import Result

#: Fixture: ``browser`` (one Chromium for the module).
__all__ = ["browser_fixture"]
SIZES = {"phone": (390, 844), "desktop": (1400, 1000)}
#: The group whose report map spans the country.
COAST = "Coast Motors"
HONOLULU = [21.3359, -157.9003]
READY = "() => !!(window.dealernetMap && window.dealernetMap.ready)"
PANELS = {
    "layers": ".leaflet-control-layers",
    "legend": "#dn-legend",
    "title": "#dn-title",
    "zoom": ".leaflet-control-zoom",
    "views": ".dn-views",
}
BOXES = """(panels) => {
    const out = {};
    for (const [key, selector] of Object.entries(panels)) {
        const el = document.querySelector(selector);
        if (!el) { continue; }
        const r = el.getBoundingClientRect();
        if (r.width > 0 && r.height > 0) { out[key] = [r.left, r.top, r.right, r.bottom]; }
    }
    return out;
}"""
#: Stores (lat, lon) outside the map's current view.
OUTSIDE = """(stores) => {
    const view = window.dealernetMap.map.getBounds();
    return stores.filter((s) => !view.contains(s));
}"""
#: Store markers whose centre is under a panel.
COVERED = """(panels) => {
    const boxes = Object.values(panels).map((s) => document.querySelector(s))
        .filter(Boolean).map((el) => el.getBoundingClientRect())
        .filter((r) => r.width > 0 && r.height > 0);
    return Array.from(document.querySelectorAll(".leaflet-marker-icon.dn-site")).filter((m) => {
        const r = m.getBoundingClientRect();
        const x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2;
        return boxes.some((b) => x >= b.left && x <= b.right && y >= b.top && y <= b.bottom);
    }).length;
}"""
WIDTH = "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
FOLDED = """() => ({
    narrow: window.dealernetMap.map.getContainer().classList.contains("dn-narrow"),
    layers: !!document.querySelector(".leaflet-control-layers-expanded"),
    legend: document.querySelector("#dn-legend details").open,
    title: document.querySelector("#dn-title details").open,
})"""


def _stores() -> list[dict[str, object]]:
    def store(key: str, lat: float, lon: float, owner: str, state: str, city: str) -> Any:
        return site(key, "Infiniti", lat, lon, owner=owner, state=state, city=city)

    def nissan(key: str, lat: float, lon: float, owner: str, state: str, city: str) -> Any:
        return site(key, "Nissan", lat, lon, owner=owner, state=state, city=city)

    return [
        store("I1", 47.61, -122.33, COAST, "WA", "Seattle"),
        store("I2", 25.76, -80.19, COAST, "FL", "Miami"),
        store("I3", 42.36, -71.06, COAST, "MA", "Boston"),
        store("I4", 32.78, -96.80, "Plains Auto", "TX", "Dallas"),
        store("I5", 32.72, -117.16, "Plains Auto", "CA", "San Diego"),
        store("I6", 44.98, -93.27, "North Star", "MN", "Minneapolis"),
        nissan("N1", 47.61 + 5 * MILE, -122.33, "Sound Nissan", "WA", "Seattle"),
        nissan("N2", 25.76 + 3 * MILE, -80.19, COAST, "FL", "Miami"),
        nissan("N3", 42.36 - 8 * MILE, -71.06, "Bay Nissan", "MA", "Boston"),
        nissan("N4", 32.78, -96.77, "Plains Auto", "TX", "Dallas"),
        nissan("N5", 32.72, -117.1594, "Plains Auto", "CA", "San Diego"),
        nissan("N6", 44.98 - 150 * MILE, -93.27, "Prairie", "IA", "Des Moines"),
    ]


def _run(rows: list[dict[str, object]]) -> Result:
    from dealernet.analysis.pipeline import run

    return run(network_from(rows), what_drives=False)


@pytest.fixture(scope="module")
def result() -> Result:
    """The small network: Coast Motors' three stores are absorbed, North Star's closes."""
    return _run(_stores())


@pytest.fixture(scope="module")
def pages(result: Result, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("layout")
    write_map(result, map_path(out))
    write_reports(result, out, [COAST])
    return {"national": map_path(out), "report": out / "owners" / f"{slug(COAST)}.html"}


@pytest.fixture(scope="module")
def islands(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The national map of the same network with a store and its host in Honolulu."""
    rows = _stores()
    rows.append(
        site("I7", "Infiniti", HONOLULU[0], HONOLULU[1], owner="Aloha", state="HI", city="Honolulu")
    )
    rows.append(site("N7", "Nissan", HONOLULU[0], -157.88, owner="Aloha", state="HI"))
    out = tmp_path_factory.mktemp("islands")
    return write_map(_run(rows), map_path(out))


def _where(result: Result, owner: str | None = None) -> list[list[float]]:
    table = result.decisions.table
    if owner is not None:
        table = table.loc[table["owner_group"] == owner]
    return table[["latitude", "longitude"]].to_numpy().tolist()


@contextmanager
def opened(browser: Browser, path: Path, size: str) -> Iterator[tuple[Page, Frame, PageLog]]:
    """``path`` at ``size``, offline: the page, the map's frame (the page itself for a map)."""
    from dealernet.render.browser import offline

    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = offline(context.new_page())
    log = PageLog()
    tab.on("console", log.console)
    tab.on("pageerror", log.page_error)
    try:
        tab.goto(path.as_uri())
        frame = tab.main_frame
        if tab.locator("iframe.map-frame").count():
            tab.wait_for_function("() => !document.querySelector('iframe[data-srcdoc]')")
            frame = next(f for f in tab.frames if f is not tab.main_frame)
        frame.wait_for_function(READY, timeout=15_000)
        yield tab, frame, log
    finally:
        context.close()


def overlaps(boxes: dict[str, list[float]]) -> list[str]:
    """Pairs of panels whose boxes share more than a pixel, with the shared size."""
    keys = sorted(boxes)
    found = []
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            (al, at, ar, ab), (bl, bt, br, bb) = boxes[a], boxes[b]
            w, h = min(ar, br) - max(al, bl), min(ab, bb) - max(at, bt)
            if w > 1 and h > 1:
                found.append(f"{a} and {b}: {w:.0f} x {h:.0f} px")
    return found


def outside_window(boxes: dict[str, list[float]], width: float, height: float) -> list[str]:
    """Panels cut off by the window's edge."""
    return [
        key
        for key, (left, top, right, bottom) in boxes.items()
        if left < 0 or top < 0 or right > width + 1 or bottom > height + 1
    ]


def check_layout(tab: Page, frame: Frame, stores: list[list[float]]) -> dict[str, Any]:
    """What the layout tests assert, measured once: boxes, widths, stores out of view."""
    size = frame.evaluate("() => [window.innerWidth, window.innerHeight]")
    boxes = frame.evaluate(BOXES, PANELS)
    return {
        "boxes": boxes,
        "overlaps": overlaps(boxes),
        "cut off": outside_window(boxes, *size),
        "page width": tab.evaluate(WIDTH),
        "map width": frame.evaluate(WIDTH),
        "out of view": frame.evaluate(OUTSIDE, stores),
        "covered": frame.evaluate(COVERED, PANELS),
    }


def assert_laid_out(seen: dict[str, Any]) -> None:
    assert {"layers", "legend", "title", "zoom"} <= set(seen["boxes"]), seen["boxes"]
    assert seen["overlaps"] == [], seen["boxes"]
    assert seen["cut off"] == [], seen["boxes"]
    for key in ("page width", "map width"):
        scroll, inner = seen[key]
        assert scroll <= inner, f"{key}: {scroll} px wide in a {inner} px window"
    assert seen["out of view"] == []
    assert seen["covered"] == 0


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("which", ["national", "report"])
def test_panels_never_cover_each_other_and_every_store_is_in_view(
    browser, pages, result, which, size
) -> None:
    stores = _where(result, COAST if which == "report" else None)
    with opened(browser, pages[which], size) as (tab, frame, log):
        assert_laid_out(check_layout(tab, frame, stores))
        folded = frame.evaluate(FOLDED)
        narrow = size == "phone"
        assert folded == {
            "narrow": narrow,
            "layers": not narrow,
            "legend": not narrow,
            "title": not narrow,
        }
        assert log.errors == []


#: A wider typeface than any the page asks for: fonts differ between machines (CI's
#: Chromium once laid the report out 30 px wider than this machine's).
WIDE_TYPE = "* { font-family: monospace !important; letter-spacing: 0.04em !important; }"


@pytest.mark.parametrize("which", ["national", "report"])
def test_on_a_phone_nothing_is_wider_than_the_window_even_in_a_wide_typeface(
    browser, pages, which
) -> None:
    with opened(browser, pages[which], "phone") as (tab, frame, log):
        for target in {tab.main_frame, frame}:
            target.add_style_tag(content=WIDE_TYPE)
        tab.wait_for_timeout(200)
        for target in (tab, frame):
            scroll, inner = target.evaluate(WIDTH)
            assert scroll <= inner, f"{scroll} px wide in a {inner} px window"
        assert log.errors == []


def test_on_a_phone_panels_open_one_at_a_time_and_never_overlap(browser, pages, result) -> None:
    stores = _where(result)
    with opened(browser, pages["national"], "phone") as (tab, frame, log):
        # a tap: a mouse would open the list on hover already
        frame.locator(".leaflet-control-layers-toggle").dispatch_event("click")
        assert frame.evaluate(FOLDED)["layers"]
        assert overlaps(frame.evaluate(BOXES, PANELS)) == []
        frame.locator("#dn-legend summary").click()
        assert frame.evaluate(FOLDED) == {
            "narrow": True,
            "layers": False,
            "legend": True,
            "title": False,
        }
        assert overlaps(frame.evaluate(BOXES, PANELS)) == []
        frame.locator("#dn-title summary").click()
        state = frame.evaluate(FOLDED)
        assert state["title"] and not state["legend"] and not state["layers"]
        assert overlaps(frame.evaluate(BOXES, PANELS)) == []
        assert frame.evaluate(OUTSIDE, stores) == []  # opening panels does not move the map
        assert log.errors == []


@pytest.mark.parametrize("size", list(SIZES))
def test_the_national_map_opens_on_the_lower_48_and_one_click_shows_honolulu(
    browser, islands, result, size
) -> None:
    with opened(browser, islands, size) as (tab, frame, log):
        seen = check_layout(tab, frame, _where(result))  # the lower-48 stores
        assert_laid_out(seen)
        assert "views" in seen["boxes"]
        assert frame.evaluate(OUTSIDE, [HONOLULU]) == [HONOLULU]
        west, east = frame.evaluate(
            "() => { const b = window.dealernetMap.map.getBounds(); "
            "return [b.getWest(), b.getEast()]; }"
        )
        assert east - west < 90  # the lower 48, not the Pacific
        labels = frame.locator(".dn-view").all_inner_texts()
        assert labels == ["Lower 48", "Hawaii", "All stores"]
        frame.locator(".dn-view", has_text="All stores").click()
        assert frame.evaluate(OUTSIDE, [HONOLULU, *_where(result)]) == []
        assert overlaps(frame.evaluate(BOXES, PANELS)) == []
        frame.locator(".dn-view", has_text="Lower 48").click()
        assert frame.evaluate(OUTSIDE, [HONOLULU]) == [HONOLULU]
        assert log.errors == []


def test_an_owner_map_names_its_stores_and_lists_no_empty_class(browser, pages, result) -> None:
    table = result.decisions.table
    names = set(table.loc[table["owner_group"] == COAST, "name"])
    with opened(browser, pages["report"], "desktop") as (tab, frame, log):
        assert set(frame.locator(".dn-label").all_inner_texts()) == names
        counts = frame.locator("#dn-legend .dn-n, .leaflet-control-layers .dn-n")
        assert counts.count() > 5 and "0" not in counts.all_inner_texts()
        legend = frame.locator("#dn-legend").inner_text()
        assert "Absorbed into a Nissan site" in legend
        for empty in ("Closed", "Kept", "Unaffected"):  # none of the group's stores
            assert empty not in legend
        assert log.errors == []


def test_map_distances_say_straight_line_or_estimated_road_miles(result: Result) -> None:
    html = render_map(result)
    assert "straight-line miles" in html and "estimated road miles" in html
    for bare in ("mi away", "mi farther", "mi by road", " mi)"):
        assert bare not in html
