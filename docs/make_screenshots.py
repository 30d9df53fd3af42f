"""Regenerate the documentation's screenshots: five pages at a phone's and a desktop's size.

Runs the synthetic sample through the command line (``run``, ``compare``, ``sweep``) into a
temporary folder, opens the national map, the index, one owner report, the compare page and
the sweep page in headless Chromium with every network request refused (so the pictures show
what anyone sees offline), and saves each at 390 x 844 and 1400 x 1000 into ``docs/img/``
as ``<page>-phone.png`` and ``<page>-desktop.png``. Each is the first screen a reader sees,
not the whole page.

Run from the repository root (about two minutes; needs Playwright and Chromium, see
``dealernet.render.browser``)::

    python docs/make_screenshots.py
    python docs/make_screenshots.py --keep /tmp/pages    # also keep the pages it shot
"""

from __future__ import annotations

import argparse
import contextlib
import io
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser

OUT = Path(__file__).resolve().parent / "img"
#: (name, width, height): the sizes the layout tests check.
SIZES = (("phone", 390, 844), ("desktop", 1400, 1000))
#: The owner group whose report is shown (it exists in the sample).
OWNER = "Maple Lake Automotive"
SCENARIOS = ("consolidation", "announced-2024", "all-stand-alone")
SWEEP = "rules.nearest.max_distance_miles=10,20,30,40,60"
#: A screenshot above this many bytes is reduced to a 256-colour palette.
MAX_BYTES = 300_000
#: How long a map may take to switch to its offline look after the tiles fail.
OFFLINE_WAIT_MS = 3_000


@dataclass(frozen=True)
class Page:
    """One page to shoot: its name in ``docs/img`` and its file."""

    name: str
    path: Path
    is_map: bool = False


def dealernet(*args: str) -> None:
    """Run one ``dealernet`` command with this Python; stop on failure with its message."""
    done = subprocess.run(
        [sys.executable, "-m", "dealernet", *args], capture_output=True, text=True, check=False
    )
    if done.returncode:
        msg = f"dealernet {' '.join(args)} failed:\n{done.stderr.strip()}"
        raise SystemExit(msg)


def make_pages(folder: Path) -> list[Page]:
    """Write the sample's run, a comparison and a sweep; the pages to shoot."""
    run = folder / "run"
    dealernet("run", "--dealers", "sample", "--out", str(run))
    dealernet(
        "compare", *SCENARIOS, "--dealers", "sample", "--output", str(folder / "compare.html")
    )
    dealernet(
        "sweep", "--dealers", "sample", "--set", SWEEP, "--output", str(folder / "sweep.html")
    )
    slug = OWNER.lower().replace(" ", "-")
    reports = sorted((run / "owners").glob(f"{slug}*.html"))
    if not reports:
        msg = f"no report of {OWNER} in {run / 'owners'}"
        raise SystemExit(msg)
    return [
        Page("map", run / "network.html", is_map=True),
        Page("index", run / "index.html"),
        Page("report", reports[0]),
        Page("compare", folder / "compare.html"),
        Page("sweep", folder / "sweep.html"),
    ]


def shoot(browser: Browser, page: Page, width: int, height: int) -> bytes:
    """The first screen of one page at one size, offline."""
    from dealernet.render.browser import offline

    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        tab = offline(context.new_page())
        tab.goto(page.path.as_uri(), wait_until="load")
        if page.is_map:
            tab.wait_for_function("window.dealernetMap && window.dealernetMap.ready")
            with contextlib.suppress(Exception):  # no failed tile: already as it will be
                tab.wait_for_function("window.dealernetMap.offline", timeout=OFFLINE_WAIT_MS)
        tab.wait_for_timeout(400)  # let charts, marker icons and folded panels settle
        return tab.screenshot(type="png")
    finally:
        context.close()


def smaller(png: bytes) -> bytes:
    """The PNG as it is when small enough, else reduced to a 256-colour palette."""
    if len(png) <= MAX_BYTES:
        return png
    from PIL import Image  # Pillow comes with matplotlib; only needed for large pictures

    image = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, "PNG", optimize=True)
    return out.getvalue() if out.tell() < len(png) else png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="write the pages here and keep them")
    args = parser.parse_args(argv)
    from dealernet.render.browser import chromium

    with contextlib.ExitStack() as stack:
        folder = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        folder.mkdir(parents=True, exist_ok=True)
        pages = make_pages(folder)
        OUT.mkdir(exist_ok=True)
        with chromium() as browser:
            for page in pages:
                for size, width, height in SIZES:
                    target = OUT / f"{page.name}-{size}.png"
                    target.write_bytes(smaller(shoot(browser, page, width, height)))
                    print(
                        f"wrote {target.relative_to(OUT.parent.parent)} "
                        f"({target.stat().st_size / 1000:.0f} KB)"
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
