"""Printing HTML reports to PDF: headless Chromium through Playwright, else WeasyPrint.

Chromium is preferred because it runs the map's script, so the PDF shows the map as the
browser does; WeasyPrint has no script engine and prints the rest. Both are optional: the
HTML reports are the product and print from any browser; a PDF is a convenience.
Rendering never touches the network: every request that is not a local file is refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealernet._atomic import atomic_path
from dealernet._errors import DealernetError, MissingDependencyError, QueryError
from dealernet.render.browser import chromium, offline

if TYPE_CHECKING:  # pragma: no cover
    from playwright.sync_api import Browser, Page

#: Names a user may pass for the paper size -> the name the renderers use.
PAPERS = {"letter": "Letter", "a4": "A4"}
#: Width of the printable area in CSS pixels (page width less the reports' 13 mm side
#: margins), so the page, and the map inside it, are laid out at the printed size.
PRINT_WIDTH = {"Letter": 718, "A4": 696}
VIEWPORT_HEIGHT = 1000
INSTALL_HINT = (
    "To write PDFs, install Playwright and a Chromium (`pip install playwright` and "
    "`apt-get install chromium` or `playwright install chromium`; set "
    "DEALERNET_CHROMIUM to use another Chromium or Chrome) or WeasyPrint "
    "(`pip install weasyprint`, prints without the maps). The HTML reports print from any "
    "browser too."
)


def paper_name(paper: str) -> str:
    """``"letter"`` -> ``"Letter"``; an unknown size is a :class:`QueryError`."""
    name = PAPERS.get(str(paper).strip().casefold())
    if name is None:
        msg = f"unknown paper size {paper!r}: use one of {', '.join(PAPERS)}"
        raise QueryError(msg)
    return name


def print_pdfs(paths: Sequence[Path], *, paper: str = "letter") -> list[Path]:
    """Print each HTML file of ``paths`` to a PDF beside it; returns the PDFs written."""
    size = paper_name(paper)
    paths = [Path(p) for p in paths]
    if not paths:
        return []
    problems: list[str] = []
    try:
        return _with_chromium(paths, size)
    except MissingDependencyError as exc:
        problems.append(str(exc))
    try:
        return _with_weasyprint(paths, size)
    except ImportError:
        problems.append("WeasyPrint is not installed")
    msg = f"cannot write PDFs ({'; '.join(problems)}). {INSTALL_HINT}"
    raise MissingDependencyError(msg)


def _with_chromium(paths: Sequence[Path], size: str) -> list[Path]:
    """Print with headless Chromium (see :mod:`dealernet.render.browser`), offline."""
    try:
        from playwright.sync_api import Error  # heavy or optional: imported on first use
    except ImportError as exc:
        msg = "Playwright is not installed"
        raise MissingDependencyError(msg) from exc

    written: list[Path] = []
    try:
        _outside_event_loop(_launch_and_print, chromium, paths, size, written)
    except Error as exc:
        done = f" after {len(written)} of {len(paths)} files" if written else ""
        msg = f"Chromium failed to print{done}: {str(exc).splitlines()[0]}"
        raise DealernetError(msg) from exc
    return written


def _launch_and_print(
    chromium: Callable[[], Any], paths: Sequence[Path], size: str, written: list[Path]
) -> None:
    with chromium() as browser:
        _print_all(browser, paths, size, written)


def _outside_event_loop(func: Callable[..., None], *args: Any) -> None:
    """Call ``func`` here, or in a worker thread when this thread runs an asyncio loop.

    Playwright's synchronous API refuses to run inside an event loop (a Jupyter notebook,
    or another Playwright session), so there it gets a thread of its own.
    """

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        func(*args)
        return

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(func, *args).result()


def _print_all(browser: Browser, paths: Sequence[Path], size: str, written: list[Path]) -> None:
    """Print each page in one browser context; ``written`` grows as PDFs are finished."""

    context = browser.new_context(viewport={"width": PRINT_WIDTH[size], "height": VIEWPORT_HEIGHT})
    try:
        page = offline(context.new_page())
        page.emulate_media(media="print")
        for path in paths:
            page.goto(path.resolve().as_uri(), wait_until="load")
            _settle_maps(page)
            target = path.with_suffix(".pdf")
            with atomic_path(target) as tmp:
                page.pdf(path=str(tmp), format=size, print_background=True)
            written.append(target)
    finally:
        context.close()


#: Longest wait (ms) for a map to finish drawing before printing anyway.
MAP_WAIT_MS = 10_000
#: A map counts as settled when it has not moved or zoomed for this long (ms): Leaflet
#: animates its first fit to the data, and a PDF printed mid-animation shows a scaled map.
QUIET_MS = 400
_FRAMES_SET = "() => !document.querySelector('iframe[data-srcdoc]')"
_HAS_MAP = "() => !!document.querySelector('.leaflet-container')"
_READY = "() => !!(window.dealernetMap && window.dealernetMap.ready)"
_QUIET = """(quiet) => new Promise((resolve) => {
    const map = window.dealernetMap.map;
    let timer = setTimeout(() => resolve(true), quiet);
    map.on("movestart zoomstart moveend zoomend", () => {
        clearTimeout(timer);
        timer = setTimeout(() => resolve(true), quiet);
    });
})"""


def _settle_maps(page: Page) -> None:
    """Wait until every dealernet map on the page (in its iframe) is built and still.

    Each frame is scrolled into view first: Chromium does not animate frames off screen,
    so a map below the fold would keep its opening zoom instead of its fit to the stores.
    The map page sets ``window.dealernetMap.ready`` when its layers are built; then we wait
    for a quiet spell without moves, so the PDF shows the map as fitted, not mid-zoom.
    """
    page.wait_for_function(_FRAMES_SET, timeout=MAP_WAIT_MS)
    for element in page.locator("iframe").element_handles():
        element.scroll_into_view_if_needed(timeout=MAP_WAIT_MS)
        inner = element.content_frame()
        if inner is None:
            continue
        inner.wait_for_load_state("load", timeout=MAP_WAIT_MS)
        if not inner.evaluate(_HAS_MAP):
            continue
        inner.wait_for_function(_READY, timeout=MAP_WAIT_MS)
        inner.evaluate(_QUIET, QUIET_MS)


def _with_weasyprint(paths: Sequence[Path], size: str) -> list[Path]:
    import weasyprint  # heavy or optional: imported on first use

    page_size = weasyprint.CSS(string="@page { size: %s; }" % size)  # noqa: UP031
    written = []
    for path in paths:
        target = path.with_suffix(".pdf")
        with atomic_path(target) as tmp:
            weasyprint.HTML(filename=str(path)).write_pdf(str(tmp), stylesheets=[page_size])
        written.append(target)
    return written
