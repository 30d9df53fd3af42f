"""Headless Chromium for browser tests, offline, with every page error recorded.

Imported by browser test modules (not a conftest, so only they pay for it): importing
``browser_fixture`` and ``page_fixture`` provides the fixtures ``browser`` and ``page``.
When Chromium or Playwright is missing the tests skip, except under ``CI=true``, where
they fail: CI installs Chromium, so a skip there would hide a broken setup.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NoReturn

import pytest

from dealernet import MissingDependencyError

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page

#: Console errors that are expected offline: background tiles that cannot load. Nothing else
#: is filtered.
TILE_HOSTS = ("tile.openstreetmap.org",)
VIEWPORT = {"width": 1280, "height": 860}


def unavailable(reason: str) -> NoReturn:
    """Skip the test for a missing browser, or fail it when running in CI."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} (CI=true: browser tests may not skip)")
    pytest.skip(reason)


@dataclass
class PageLog:
    """Everything a page reported: console errors and uncaught exceptions."""

    errors: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "") or ""
        if message.text.startswith("Failed to load resource") and any(
            host in url for host in TILE_HOSTS
        ):
            return
        self.errors.append(f"console: {message.text} ({url})")

    def page_error(self, error: Exception) -> None:
        self.errors.append(f"pageerror: {error}")


@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[Browser]:
    """One Chromium per test module, closed at the end."""
    from dealernet.render.browser import chromium

    try:
        with chromium() as launched:
            yield launched
    except MissingDependencyError as exc:
        unavailable(str(exc))


@pytest.fixture(name="page")
def page_fixture(browser: Browser) -> Iterator[tuple[Page, PageLog]]:
    """A fresh offline page and its log; non-file requests are aborted."""
    from dealernet.render.browser import offline

    context = browser.new_context(viewport=VIEWPORT)
    new = offline(context.new_page())
    log = PageLog()
    new.on("console", log.console)
    new.on("pageerror", log.page_error)
    try:
        yield new, log
    finally:
        context.close()


def distinct_colours(page: Page, png: bytes, limit: int = 10_000) -> int:
    """How many distinct colours a PNG screenshot has, counted by the browser itself."""
    import base64

    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return int(
        page.evaluate(
            """async ([uri, limit]) => {
                const img = new Image();
                img.src = uri;
                await img.decode();
                const canvas = document.createElement("canvas");
                canvas.width = img.width; canvas.height = img.height;
                const ctx = canvas.getContext("2d");
                ctx.drawImage(img, 0, 0);
                const px = ctx.getImageData(0, 0, img.width, img.height).data;
                const seen = new Set();
                for (let i = 0; i < px.length && seen.size < limit; i += 4) {
                    seen.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
                }
                return seen.size;
            }""",
            [uri, limit],
        )
    )
