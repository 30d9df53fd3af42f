"""Owner reports and the index in headless Chromium from file://, offline: they render, the
embedded map draws, the table sorts, hostile names run no script, and reports print to PDF."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from browser import browser_fixture, page_fixture, unavailable
from dealernet import MissingDependencyError
from dealernet.analysis.result import Result
from dealernet.outputs.tables import write_tables
from dealernet.render.reports import affected_owners, write_pdfs, write_reports
from dealernet.slugs import slug
from hostile import hostile_result

#: Fixtures: ``browser`` (one Chromium for the module) and ``page`` (offline, logged).
__all__ = ["browser_fixture", "page_fixture"]
MAP_READY = "() => !!(window.dealernetMap && window.dealernetMap.ready)"
PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


@pytest.fixture(scope="module")
def result(sample_result: Result) -> Result:
    """The shared sample run (``sample_result`` in conftest)."""
    return sample_result


@pytest.fixture(scope="module")
def owner(result: Result) -> str:
    """The group with the most affected stores, so the PDF has the most store pages."""
    owners = result.owners.set_index("owner_group")["stores_affected"]
    return str(owners.sort_values(ascending=False, kind="stable").index[0])


@pytest.fixture(scope="module")
def out(result: Result, owner: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("out")
    write_tables(result, folder)
    write_reports(result, folder, [owner])
    return folder


@pytest.fixture(scope="module")
def hostile_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    hostile = hostile_result(tmp_path_factory.mktemp("hostile"))
    folder = tmp_path_factory.mktemp("hostile-out")
    write_reports(hostile, folder)
    return hostile, folder


def map_frame(tab):
    """The report's map frame, once its map is built."""
    tab.wait_for_function("() => !document.querySelector('iframe[data-srcdoc]')")
    frames = [f for f in tab.frames if f is not tab.main_frame]
    assert len(frames) == 1
    frames[0].wait_for_load_state("load")
    frames[0].wait_for_function(MAP_READY, timeout=15_000)
    return frames[0]


def test_report_opens_offline_without_errors_and_its_map_renders(page, out, owner, result):
    tab, log = page
    tab.goto((out / "owners" / f"{slug(owner)}.html").as_uri())
    frame = map_frame(tab)
    assert frame.evaluate("() => !!document.querySelector('.leaflet-container')")
    markers = frame.evaluate("() => document.querySelectorAll('.leaflet-marker-icon').length")
    stores = int((result.decisions.table["owner_group"] == owner).sum())
    assert markers >= stores
    size = frame.evaluate("() => [window.innerWidth, window.innerHeight]")
    assert min(size) > 300  # laid out at its size, not fitted into a frame of none
    assert tab.locator("section.store").count() == stores
    assert tab.locator("section.store svg.chart").count() == 2 * stores
    assert tab.locator("#drivers svg.chart").count() == 1  # the owner's tornado
    assert log.errors == []


def test_index_opens_offline_without_errors_and_sorts_its_table(page, out, result):
    tab, log = page
    tab.goto((out / "index.html").as_uri())
    names = (
        "() => [...document.querySelectorAll('#owner-table tbody tr')].map(r => r.dataset.owner)"
    )
    listed = tab.evaluate(names)
    assert listed == affected_owners(result)  # most jobs lost first
    tab.get_by_role("button", name="Owner group").click()
    assert tab.evaluate(names) == sorted(listed, key=str.casefold)
    tab.get_by_role("button", name="Owner group").click()
    assert tab.evaluate(names) == sorted(listed, key=str.casefold, reverse=True)
    tab.get_by_role("button", name="Affected").click()
    affected = result.owners.set_index("owner_group")["stores_affected"]
    counts = [affected[n] for n in tab.evaluate(names)]
    assert counts == sorted(counts, reverse=True)
    header = tab.locator("th", has=tab.get_by_role("button", name="Affected"))
    assert header.get_attribute("aria-sort") == "descending"
    assert log.errors == []


def test_hostile_names_run_no_script_in_reports_or_index(page, hostile_out):
    hostile, folder = hostile_out
    tab, log = page
    pages = [folder / "index.html", *sorted((folder / "owners").glob("*.html"))]
    assert len(pages) == 1 + len(affected_owners(hostile))
    for path in pages:
        tab.goto(path.as_uri())
        frames = [tab.main_frame]
        if path.parent.name == "owners":
            frame = map_frame(tab)
            for marker in frame.locator(".leaflet-marker-icon").all():
                marker.dispatch_event("mouseover")  # tooltips and popups hold the names
                marker.dispatch_event("click")
            frames.append(frame)
        for element in tab.locator("h1, h2, td, a, span").all():
            element.dispatch_event("mouseover")
        for frame in frames:
            assert frame.evaluate("() => window.__pwned") is None, path.name
    assert log.errors == []


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_report_prints_to_pdf_with_a_page_per_store(out, owner, result, paper, tmp_path):
    source = out / "owners" / f"{slug(owner)}.html"
    copy = tmp_path / source.name
    shutil.copyfile(source, copy)
    try:
        (pdf,) = write_pdfs([copy], paper=paper)
    except MissingDependencyError as exc:
        unavailable(str(exc))
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 20_000
    stores = int(result.owners.set_index("owner_group").loc[owner, "stores_affected"])
    pages = len(PAGE_OBJECT.findall(data))
    assert pages >= stores + 1  # a title page, then one page or more per affected store
    assert pdf == copy.with_suffix(".pdf")
