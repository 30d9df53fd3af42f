"""Headless Chromium through Playwright, offline: for screenshots, PDFs and browser tests.

Maps and reports must work from ``file://`` without internet, so every page dealernet
opens in a browser is opened with all non-file requests refused (:func:`offline`). The
browser is Debian's ``chromium`` (or ``DEALERNET_CHROMIUM``), driven by Playwright through
``executable_path``, so no browser download is needed; failing those, the Chromium that
``playwright install chromium`` downloaded.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from dealernet._errors import MissingDependencyError

if TYPE_CHECKING:  # pragma: no cover
    from playwright.sync_api import Browser, Page, Playwright, Route

#: Environment variable naming the Chromium executable to use.
CHROMIUM_ENV = "DEALERNET_CHROMIUM"
#: Where Debian and Ubuntu install Chromium, then names to look up on ``PATH``.
CHROMIUM_CANDIDATES: tuple[str, ...] = (
    "/usr/bin/chromium",
    "chromium",
    "chromium-browser",
    "google-chrome",
)
#: How to install a Chromium, for messages.
CHROMIUM_FIX = "apt install chromium (Debian, Ubuntu) or playwright install chromium"
#: Quiet, sandbox-free flags for containers and CI: no background traffic, no first-run UI.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium_path() -> Path:
    """The Chromium executable: ``$DEALERNET_CHROMIUM``, else the first one found.

    Raises
    ------
    MissingDependencyError
        When none is installed, with how to install one.
    """
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        if Path(named).is_file():
            return Path(named)
        msg = f"{CHROMIUM_ENV}={named!r} is not a file"
        raise MissingDependencyError(msg)
    for candidate in CHROMIUM_CANDIDATES:
        found = candidate if Path(candidate).is_file() else shutil.which(candidate)
        if found:
            return Path(found)
    msg = f"no Chromium found: {CHROMIUM_FIX} (or set {CHROMIUM_ENV} to its path)"
    raise MissingDependencyError(msg)


def find_chromium() -> Path:
    """:func:`chromium_path`, else the Chromium ``playwright install chromium`` downloaded.

    Starts Playwright's driver only when no Chromium of the system is found, to ask it
    where its own is. Playwright must be importable.

    Raises
    ------
    MissingDependencyError
        When there is none, with how to install one.
    """
    try:
        return chromium_path()
    except MissingDependencyError:
        if os.environ.get(CHROMIUM_ENV):
            raise  # a named browser that is not there is an error, not a cue to look on
        from playwright.sync_api import sync_playwright  # heavy or optional: on first use

        with sync_playwright() as pw:
            own = _downloaded(pw)
        if own is None:
            raise
        return own


def _downloaded(pw: Playwright) -> Path | None:
    """Playwright's own Chromium, if ``playwright install chromium`` put it there."""
    own = Path(pw.chromium.executable_path)
    return own if own.is_file() else None


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium browser, closed when the block ends.

    Raises
    ------
    MissingDependencyError
        When Playwright or Chromium is not installed.
    """
    try:
        from playwright.sync_api import sync_playwright  # heavy or optional: imported on first use
    except ImportError as exc:
        msg = "this needs Playwright: pip install playwright (no browser download needed)"
        raise MissingDependencyError(msg) from exc
    try:
        executable: Path | None = chromium_path()
    except MissingDependencyError as exc:
        if os.environ.get(CHROMIUM_ENV):
            raise
        executable, missing = None, exc
    with sync_playwright() as pw:
        if executable is None:
            executable = _downloaded(pw)
            if executable is None:
                raise missing
        browser = pw.chromium.launch(
            executable_path=str(executable), args=list(CHROMIUM_ARGS), headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


def _only_files(route: Route) -> None:
    if route.request.url.startswith(("file:", "data:", "blob:", "about:")):
        route.continue_()
    else:
        route.abort()


def offline(page: Page) -> Page:
    """Refuse every request that is not for a local file, as on a machine without network."""
    page.route("**/*", _only_files)
    return page
