"""Printing HTML reports to PDF: headless Chromium through Playwright, else WeasyPrint.

Chromium is preferred because it runs the map's script, so the PDF shows the map as the
browser does; WeasyPrint has no script engine and prints the rest. Both are optional: the
HTML reports are the product and print from any browser; a PDF is a convenience.
Rendering never touches the network: every request that is not a local file is refused.
Chromium numbers the pages in its own footer ("Maple Lake Automotive, page 3 of 12"),
named by the page's ``dealernet-print-title`` meta tag, else its title.
"""

from __future__ import annotations

import asyncio
import importlib.util
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dealernet._atomic import atomic_path
from dealernet._errors import DealernetError, MissingDependencyError, QueryError
from dealernet.render._templates import template
from dealernet.render.browser import chromium, chromium_path, find_chromium, offline

if TYPE_CHECKING:  # pragma: no cover
    from playwright.sync_api import Browser, Page

#: Names a user may pass for the paper size -> the name the renderers use.
PAPERS = {"letter": "Letter", "a4": "A4"}
#: Width of the printable area in CSS pixels (page width less the reports' 13 mm side
#: margins), so the page, and the map inside it, are laid out at the printed size.
PRINT_WIDTH = {"Letter": 718, "A4": 696}
VIEWPORT_HEIGHT = 1000
#: How to install Playwright, for messages.
PLAYWRIGHT_FIX = "pip install 'dealernet[pdf]'"
INSTALL_HINT = (
    f"To write PDFs, install Playwright and a Chromium (`{PLAYWRIGHT_FIX}` and "
    "`apt install chromium` or `playwright install chromium`; set "
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


def check_pdf_ready() -> str:
    """The renderer that will print PDFs, ``"chromium"`` or ``"weasyprint"``, checked first.

    ``report --pdf`` calls this before any analysis, so a missing browser is said at once,
    not after the run. Cheap: a module lookup and a file check (Playwright's driver starts
    only when no Chromium of the system is found). Printing with WeasyPrint is allowed
    with a warning, as its PDFs have no maps.

    Raises
    ------
    MissingDependencyError
        When neither can print, saying what is missing and the command that installs it.
    """
    problems: list[str] = []
    has_playwright = _installed("playwright")
    if not has_playwright:
        problems.append(f"Playwright is not installed: {PLAYWRIGHT_FIX}")
    find = find_chromium if has_playwright else chromium_path  # the driver needs Playwright
    try:
        find()
    except MissingDependencyError as exc:
        problems.append(str(exc))
    if not problems:
        return "chromium"
    if _installed("weasyprint"):
        warnings.warn(
            f"printing with WeasyPrint, without maps ({'; '.join(problems)})", stacklevel=2
        )
        return "weasyprint"
    msg = (
        f"--pdf needs Playwright and a Chromium: {'; '.join(problems)}. "
        "Or leave out --pdf: the HTML reports print from any browser."
    )
    raise MissingDependencyError(msg)


def _installed(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it (that is slow)."""
    return importlib.util.find_spec(module) is not None


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
                page.pdf(
                    path=str(tmp),
                    format=size,
                    print_background=True,
                    display_header_footer=True,
                    header_template=NO_HEADER,
                    footer_template=footer_html(
                        page.evaluate(_PRINT_TITLE), page.evaluate(_CLOSING_LINE)
                    ),
                )
            written.append(target)
    finally:
        context.close()


#: Chromium's header is its date and title by default: none here, the page has its own.
NO_HEADER = "<span></span>"
_PRINT_TITLE = """() => {
    const meta = document.querySelector('meta[name="dealernet-print-title"]');
    return meta ? meta.content : document.title;
}"""


#: The page's closing line ("Made with dealernet ...") moves into every page's footer and
#: leaves the page: on its own it could fall alone onto a last page (Chromium does not
#: always honour ``break-before: avoid``), and each printed page then says where it came from.
_CLOSING_LINE = """() => {
    const line = document.querySelector('footer.report-end');
    if (!line) return '';
    line.style.display = 'none';
    return line.textContent.trim();
}"""


def footer_html(title: str, closing: str = "") -> str:
    """Chromium's footer template: ``closing`` above ``title, page N of M``, both escaped
    as text."""
    return template("_pdf_footer.html.j2").render(title=title, closing=closing)


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
