"""Regenerate the README's market-model picture: ``python -m dealernet.render.market_picture``.

A toy market on a 40-mile road: an Infiniti store at mile 0, a Lexus store at mile 40, people
every two miles between them. It is solved with the same functions as a run
(:mod:`dealernet.analysis.market`) at the bundled base assumptions, before and after the
Infiniti store moves into a Nissan showroom 10 miles further out (as a dualled store), and
drawn as the share of people at each mile who buy Infiniti. Needs Playwright and Chromium
(:mod:`dealernet.render.browser`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from dealernet._atomic import atomic_open
from dealernet.analysis.market import Market, build_market, huff, slot_weights
from dealernet.analysis.market_run import market_parameters
from dealernet.analysis.pipeline import default_assumptions
from dealernet.geo.distance import geodesic_miles
from dealernet.render._templates import render_page
from dealernet.render.browser import chromium, offline
from dealernet.render.charts import LineChart, LineSpec, line_chart

#: Where the README expects the picture.
DEFAULT_OUTPUT = Path("docs/market-model.png")
#: Road length (miles), and how far out the host is (behind the Infiniti store).
ROAD_MILES = 40
HOST_MILES = 10
_MILES_PER_DEGREE = float(geodesic_miles(0.0, 0.0, 0.0, 1.0))  # along the equator


def toy_market() -> tuple[Market, np.ndarray]:
    """The road: slots Infiniti (mile 0), Lexus (mile 40), host (mile -10); people at 1..39."""
    miles = np.arange(1, ROAD_MILES, 2, dtype="float64")
    slots = np.array([0.0, ROAD_MILES, -HOST_MILES]) / _MILES_PER_DEGREE
    market = build_market(
        population=np.full(miles.size, 1000.0),
        point_lat=np.zeros(miles.size),
        point_lon=miles / _MILES_PER_DEGREE,
        slot_lat=np.zeros(3),
        slot_lon=slots,
        brand=np.array([0, 1, 0]),
        brands=("Infiniti", "Lexus"),
        before=np.array([True, True, False]),
        after=np.array([False, True, True]),
        dualled=np.array([False, False, True]),
        store_slot=np.array([0]),
        store_after=np.array([2]),
        cutoff_miles=150.0,
    )
    return market, miles


def picture_chart() -> tuple[LineChart, str]:
    """The chart (share buying Infiniti at each mile, before and after) and its note."""
    a = default_assumptions()
    market, miles = toy_market()
    _sets, p = market_parameters(a, market.brands)
    lines = []
    for world, label, css in (
        ("before", "today: Infiniti store at mile 0", "absorb"),
        ("after", f"after: inside a Nissan showroom {HOST_MILES} miles further out", "close"),
    ):
        prob = huff(
            market.pairs,
            market.points,
            slot_weights(market, p, world),
            p.decay_sales,
            p.cutoff_miles,
        )
        brand = market.brand[market.pairs.slot] == 0
        share = np.bincount(market.pairs.point[brand], prob[brand], minlength=market.points)
        lines.append(LineSpec(label, css, list(np.round(share * 100, 1))))
    chart = line_chart(
        "People buying Infiniti (%), along a 40-mile road to a Lexus store",
        [int(m) for m in miles],
        lines,
        numeric_x=True,
        x_label="miles from the Infiniti store (the Lexus store is at mile 40)",
    )
    note = (
        f"Huff model at the bundled base values: decay {p.decay_sales:g}, equal pull, a "
        f"dualled store pulls {p.dualled:g} of a stand-alone one. Near the old store most "
        "people still buy Infiniti afterwards, but fewer than before; near the Lexus store "
        "little changes."
    )
    return chart, note


def take(out: Path = DEFAULT_OUTPUT, width: int = 760, height: int = 420) -> Path:
    """Render the picture's page and save its screenshot to ``out``."""
    chart, note = picture_chart()
    html = render_page("market_picture.html.j2", chart=chart, note=note)
    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(tmp) / "market.html"
        page_path.write_text(html, encoding="utf-8")
        with chromium() as browser:
            page = offline(browser.new_page(viewport={"width": width, "height": height}))
            page.goto(page_path.as_uri())
            png = page.screenshot(full_page=True)
    with atomic_open(Path(out), "wb") as handle:
        handle.write(png)
    return Path(out)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m dealernet.render.market_picture",
        description="Regenerate the README's picture of the market model.",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUTPUT, help="PNG to write")
    args = parser.parse_args(argv)
    print(f"wrote {take(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
