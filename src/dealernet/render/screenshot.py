"""Regenerate the README's map screenshot: ``python -m dealernet.render.screenshot``.

Runs the default scenario on the dealer files (the bundled sample by default), writes the
national map, opens it in headless Chromium with every network request refused, so the
picture shows what anyone sees offline, and saves a PNG (``docs/network-map.png``). It
also prints the map's size and how long Chromium took from navigation to every marker
drawn, the two figures the maps issue sets limits for (5 MB, 3 s).

Needs Playwright and Chromium (:mod:`dealernet.render.browser`)::

    python -m dealernet.render.screenshot                      # docs/network-map.png
    python -m dealernet.render.screenshot --out /tmp/map.png --width 1280 --height 800
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from dealernet._atomic import atomic_open
from dealernet._errors import DealernetError
from dealernet.analysis.pipeline import run
from dealernet.render.browser import chromium, offline
from dealernet.render.maps import write_map
from dealernet.settings import dealer_paths

#: Where the README expects the picture.
DEFAULT_OUTPUT = Path("docs/network-map.png")
#: Wait at most this long for failed tiles to switch the map to its offline look.
OFFLINE_WAIT_MS = 3_000


@dataclass(frozen=True)
class Shot:
    """What one screenshot run measured."""

    png: Path
    map_bytes: int
    render_seconds: float
    wall_seconds: float


def take(
    out: Path = DEFAULT_OUTPUT,
    dealers: Path | None = None,
    width: int = 1600,
    height: int = 1000,
) -> Shot:
    """Write the national map of ``dealers`` and save its offline screenshot to ``out``."""
    import dealernet

    result = run(dealernet.load_network(dealers or dealer_paths([])), what_drives=False)
    with tempfile.TemporaryDirectory() as tmp:
        page_path = write_map(result, Path(tmp) / "network.html")
        size = page_path.stat().st_size
        with chromium() as browser:
            page = offline(browser.new_page(viewport={"width": width, "height": height}))
            start = time.perf_counter()
            page.goto(page_path.as_uri())
            page.wait_for_function("window.dealernetMap && window.dealernetMap.ready")
            wall = time.perf_counter() - start
            render = float(page.evaluate("window.dealernetMap.readyMs")) / 1000
            # No failed tile (a machine with a tile cache?): the picture is fine as it is.
            with contextlib.suppress(Exception):
                page.wait_for_function("window.dealernetMap.offline", timeout=OFFLINE_WAIT_MS)
            page.wait_for_timeout(300)  # let the marker icons settle after the restyle
            png = page.screenshot()
    with atomic_open(Path(out), "wb") as handle:
        handle.write(png)
    return Shot(png=Path(out), map_bytes=size, render_seconds=render, wall_seconds=wall)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m dealernet.render.screenshot",
        description="Regenerate the README screenshot of the national map, offline.",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUTPUT, help="PNG to write")
    parser.add_argument("--dealers", type=Path, default=None, help="dealer file or folder")
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=1000)
    args = parser.parse_args(argv)
    try:
        shot = take(args.out, args.dealers, args.width, args.height)
    except DealernetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {shot.png}")
    print(
        f"map: {shot.map_bytes / 1e6:.2f} MB; in Chromium, every marker drawn "
        f"{shot.render_seconds:.2f} s after navigation ({shot.wall_seconds:.2f} s "
        "measured from Python)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
