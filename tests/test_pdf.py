"""An owner report printed to PDF reads well on paper, checked on the printed pages.

One report of the sample is printed by Chromium (through Playwright) as ``report --pdf``
prints it; poppler's ``pdftoppm`` renders its pages and ``pdftotext`` reads them. Pages
are counted against what the report holds (a page per affected store), none may be nearly
empty, every page is numbered in the footer, and no assumption is named by its key alone.
Without Chromium or poppler the tests skip, except under ``CI=true`` (see ``browser.py``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from browser import unavailable
from dealernet import MissingDependencyError
from dealernet.analysis.parameter_labels import BRAND_FAMILIES, label
from dealernet.analysis.result import Result
from dealernet.render.report_assumptions import applied_parameters
from dealernet.render.reports import write_pdfs, write_reports

#: Share of a page's pixels that must be ink (darker than INK_LEVEL): a full page of the
#: report's text has about 0.07 at 50 dpi, a page with a heading and a few lines under 0.01.
MIN_INK = 0.02
INK_LEVEL = 200
#: Pages before the first store (summary, profit and loss, table and map) and after the
#: last (assumptions and method), at most.
MAX_FRONT, MAX_APPENDIX = 3, 4


@pytest.fixture(scope="module")
def owner(sample_result: Result) -> str:
    """The group with the most affected stores, so the PDF has the most store pages."""
    owners = sample_result.owners.set_index("owner_group")["stores_affected"]
    return str(owners.sort_values(ascending=False, kind="stable").index[0])


@pytest.fixture(scope="module")
def stores(sample_result: Result, owner: str) -> list[str]:
    """Names of the owner's affected stores, in the report's order (its store table's)."""
    table = sample_result.decisions.table
    mine = table[(table["owner_group"] == owner) & table["decision"].isin(["absorb", "close"])]
    return sorted(mine["name"].astype(str), key=str.casefold)


@pytest.fixture(scope="module")
def pdf(sample_result: Result, owner: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The owner's report, printed as ``report --pdf`` prints it."""
    for tool in ("pdftoppm", "pdftotext"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed (apt install poppler-utils)")
    try:
        from dealernet.render.browser import find_chromium

        find_chromium()  # not WeasyPrint: its PDFs have no map and no page numbers
    except (ImportError, MissingDependencyError) as exc:
        unavailable(str(exc))
    folder = tmp_path_factory.mktemp("pdf")
    written = write_reports(sample_result, folder, [owner])
    html = [p for p in written if p.suffix == ".html" and p.parent.name == "owners"]
    (printed,) = write_pdfs(html)
    return printed


def pdf_text(pdf: Path, mode: str) -> list[str]:
    """The text of each page: ``-layout`` as printed, ``-raw`` in the order it is drawn."""
    text = subprocess.run(
        ["pdftotext", mode, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]  # each page ends in a form feed


@pytest.fixture(scope="module")
def pages(pdf: Path) -> list[str]:
    """The text of each page, laid out as printed."""
    return pdf_text(pdf, "-layout")


@pytest.fixture(scope="module")
def drawn(pdf: Path) -> list[str]:
    """The text of each page in the order the page draws it: a table cell's lines, and a
    label and the key under it, come one after the other."""
    return pdf_text(pdf, "-raw")


def words(text: str) -> str:
    """Text as one line of lower-case words: line breaks (after a hyphen too) closed up."""
    return re.sub(r"\s+", " ", re.sub(r"-\s*\n\s*", "-", text)).casefold()


def ink(pgm: Path) -> float:
    """Share of a greyscale page's pixels darker than INK_LEVEL (binary PGM, as written by
    ``pdftoppm -gray``: read here so the test needs no imaging library)."""
    data = pgm.read_bytes()
    fields = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert fields is not None, pgm
    width, height = int(fields[1]), int(fields[2])
    pixels = np.frombuffer(data, np.uint8, width * height, fields.end())
    return float((pixels < INK_LEVEL).mean())


def store_page(page: str, store: str) -> bool:
    """Whether the page starts with this store's section (its name heads the page, then
    its decision: the name alone, not a longer one that starts with it)."""
    first = next((line.strip() for line in page.splitlines() if line.strip()), "")
    return re.split(r"\s{2,}", first)[0].casefold() == store.casefold()


def test_each_store_gets_one_page_between_the_front_pages_and_the_appendix(pages, stores):
    starts = [[i for i, page in enumerate(pages) if store_page(page, s)] for s in stores]
    assert all(len(found) == 1 for found in starts), dict(zip(stores, starts, strict=True))
    first = min(found[0] for found in starts)
    assert sorted(found[0] for found in starts) == list(range(first, first + len(stores)))
    appendix = first + len(stores)  # each store's section fits on its page, so the next is
    assert words(pages[appendix]).lstrip().startswith("assumptions used")
    assert 1 <= first <= MAX_FRONT
    assert 1 <= len(pages) - appendix <= MAX_APPENDIX
    assert len(pages) == first + len(stores) + (len(pages) - appendix)


def test_no_page_is_nearly_empty(pdf, pages, tmp_path):
    subprocess.run(["pdftoppm", "-r", "50", "-gray", str(pdf), str(tmp_path / "page")], check=True)
    rendered = sorted(tmp_path.glob("page-*.pgm"))
    assert len(rendered) == len(pages)
    shares = [ink(p) for p in rendered]
    assert min(shares) > MIN_INK, [round(s, 3) for s in shares]


def test_every_page_is_numbered_with_the_owner_in_the_footer(pages, owner):
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        last = [line.strip() for line in page.splitlines() if line.strip()][-1]
        assert last == f"{owner}, page {number} of {total}"


def test_the_map_prints_its_legend_and_store_names_but_no_buttons(drawn, stores):
    map_page = words(next(p for p in drawn if "Map of the group's stores" in p))
    assert "legend" in map_page and "jobs lost (base) per county" in map_page
    for store in stores:  # each store's label on the map, besides its row in the table
        assert map_page.count(store.casefold()) >= 2, store
    # Not printed: the zoom buttons (drawn "+" and "\u2212", a sign no figure uses) and the
    # layer list (its background entry).
    assert "\u2212" not in map_page and "openstreetmap background" not in map_page


def test_no_assumption_is_named_by_its_key_alone(drawn, sample_result):
    text = words(" ".join(drawn))
    keys = {key: label(key) for key in sample_result.assumptions.parameters}
    keys |= {family: label(family) for family in BRAND_FAMILIES}
    keys |= {f"{k.split('.')[0]}.*": label(k).split(":")[0] for k in keys if ":" in label(k)}
    named = 0
    for key, name in keys.items():
        pattern = rf"(?<![\w.]){re.escape(key.casefold())}(?![\w*]|\.\w)"
        for hit in re.finditer(pattern, text):
            before = text[max(0, hit.start() - 160) : hit.start()]
            assert name.casefold() in before, f"{key} without {name!r}: ...{before[-80:]}"
            named += 1
    rows = applied_parameters(sample_result)
    assert named >= len(rows)  # every row of the assumptions table, at least
    for row in rows:  # each in words, with its unit
        assert words(row["label"]) in text and words(row["unit"])[:40] in text, row["key"]


def test_report_pdf_says_what_to_install_before_any_work(monkeypatch, tmp_path):
    import dealernet.render._pdf
    import dealernet.render.browser
    from dealernet.cli.main import cli

    monkeypatch.setattr(dealernet.render._pdf, "_installed", lambda module: False)
    monkeypatch.setattr(dealernet.render.browser, "CHROMIUM_CANDIDATES", ("/nonexistent",))
    monkeypatch.delenv("DEALERNET_CHROMIUM", raising=False)
    out = tmp_path / "out"
    args = ["report", "--dealers", "sample", "--owner", "Maple Lake", "--pdf", "--out", str(out)]
    started = time.perf_counter()
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert time.perf_counter() - started < 5  # the analysis takes longer: it did not run
    assert not out.exists()
    said = " ".join(result.output.split())
    assert "Playwright is not installed: pip install 'dealernet[pdf]'" in said
    assert "no Chromium found: apt install chromium" in said
    assert "playwright install chromium" in said


def test_the_footer_shows_the_owner_as_text():
    from dealernet.render._pdf import footer_html

    footer = footer_html('<img src=x onerror="alert(1)"> & Sons')
    assert "<img" not in footer
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; Sons, page" in footer
    assert '<span class="pageNumber"></span> of <span class="totalPages"></span>' in footer


def test_every_page_says_where_it_came_from_and_none_holds_only_that(pages):
    """The page's closing line moves into every page's footer (it once fell alone onto a
    13th page); it is still said, once per page, escaped as text."""
    flat = [" ".join(page.split()) for page in pages]
    assert all(page.count("Made with dealernet") == 1 for page in flat), flat[-1][-300:]
    assert all("Estimates, not forecasts: read the ranges." in page for page in flat)


def test_the_footer_escapes_the_closing_line():
    from dealernet.render._pdf import footer_html

    footer = footer_html("Sons", "Made with <b>x</b> & y")
    assert "<b>" not in footer and "Made with &lt;b&gt;x&lt;/b&gt; &amp; y" in footer
