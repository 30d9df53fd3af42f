"""The explorer's rows (issue 20): the server's time per change of a distance limit, and in
Chromium the time until the page shows the preview figures and until the map has redrawn.

The explorer runs in this process (:func:`dealernet.serve.app.served_in_thread`) over the
network prepared once, as ``dealernet serve`` does; the solved markets are dropped before
every change, so each change solves its market (the worst case).
"""

from __future__ import annotations

import itertools
import json
import time
import urllib.request
from typing import Any

from benchmarks.measure import Measured, measure, median_of
from benchmarks.row import Row

SECTION = "explorer"
#: A change re-decides and re-estimates the national network within this (preview draws).
CHANGE_SECONDS = 1.0
#: The distance limits (miles) each timed change moves the ``nearest`` rule to, in turn.
LIMITS = (10.0, 20.0, 15.0)
RULE = "nearest"


def explorer(dealers: str | None = None, rounds: int = 3, browser: bool = True) -> list[Row]:
    """Time ``rounds`` changes through the explorer's HTTP API (preview and full draws) and,
    when ``browser``, as a user makes them in Chromium."""
    from dealernet.analysis.pipeline import default_assumptions, default_scenario, prepare
    from dealernet.io.loader import load_network
    from dealernet.serve.app import create_app, served_in_thread
    from dealernet.serve.tabs import Network, Tabs
    from dealernet.settings import DEFAULT_DEALERS

    dealers = dealers or DEFAULT_DEALERS
    network = load_network(dealers)
    explorer = Tabs(Network(dealers, prepare(network), default_scenario(), default_assumptions()))
    explorer.network.started()
    size = f"{dealers}: {len(network):,} sites"
    limits = list(itertools.islice(itertools.cycle(LIMITS), rounds))
    rows = []
    with served_in_thread(create_app(explorer, hosts=["127.0.0.1"])) as address:
        for quality in ("preview", "full"):
            runs = [_api_change(address, quality, miles) for miles in limits]
            rows.append(_api_row(quality, size, limits, runs))
        if browser:
            rows.extend(_in_chromium(address, size, limits))
    return rows


def _api_change(address: str, quality: str, miles: float) -> Measured:
    from dealernet.analysis.market_run import forget_solved

    tab = _post(f"{address}/api/tabs", {})["tab"]
    form = {"rules": [{"id": RULE, "max_distance_miles": miles}], "quality": quality}
    forget_solved()
    state, m = measure(lambda: _post(f"{address}/api/tabs/{tab}/change", form))
    if "errors" in state:
        raise RuntimeError(f"the explorer refused the change: {state['errors']}")
    return m


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=300) as answer:
        return dict(json.load(answer))


def _api_row(quality: str, size: str, limits: list[float], runs: list[Measured]) -> Row:
    median = median_of(runs)
    shown = ", ".join(f"{v:g}" for v in limits)
    figure = (
        f"median of {len(runs)} POST /api/tabs/<tab>/change over HTTP on 127.0.0.1 "
        f"(rules.{RULE}.max_distance_miles -> {shown}), the market solved afresh each time"
    )
    if quality == "preview":
        return Row.of(
            SECTION,
            "(g) explorer: server time per change, preview draws",
            size,
            median,
            figure=figure,
            target=f"< {CHANGE_SECONDS:g} s",
            ok=median.seconds < CHANGE_SECONDS,
        )
    return Row.of(
        SECTION,
        "(g) explorer: server time per change, the scenario's full draws",
        size,
        median,
        figure=figure + "; what the page shows after the preview, and downloads use",
    )


def _in_chromium(address: str, size: str, limits: list[float]) -> list[Row]:
    """From typing a new limit until the preview figures show, and until the map has
    redrawn with the full figures (a new map page loaded and drawn in the frame)."""
    try:
        from dealernet.render.browser import chromium
    except ImportError as exc:
        return [Row(SECTION, "(g) explorer in Chromium", size, figure=f"not measured: {exc}")]
    from dealernet.analysis.market_run import forget_solved

    previews, redraws = [], []
    try:
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.route(
                "**/*",
                lambda r: r.continue_() if r.request.url.startswith(address) else r.abort(),
            )
            page.goto(address + "/")
            page.wait_for_function("() => document.body.dataset.ready === '0'", timeout=120_000)
            for n, miles in enumerate(limits, start=1):
                forget_solved()
                start = time.perf_counter()
                page.get_by_test_id(f"rule-{RULE}-miles").fill(f"{miles:g}")
                page.wait_for_function(
                    "() => document.getElementById('status').textContent.startsWith('Preview (')",
                    timeout=120_000,
                    polling=10,
                )
                previews.append(time.perf_counter() - start)
                _wait_for_map(page, n)
                redraws.append(time.perf_counter() - start)
    except Exception as exc:  # no browser here: report, do not stop the run
        why = f"not measured: {type(exc).__name__}: {exc}"[:150]
        return [Row(SECTION, "(g) explorer in Chromium", size, figure=why)]
    note = f"median of {len(limits)} changes typed into the {RULE} rule's distance box"
    return [
        _browser_row("until the preview figures show", size, previews, note),
        _browser_row("until the map has redrawn (full draws)", size, redraws, note),
    ]


def _wait_for_map(page: Any, sequence: int) -> None:
    """Until the map frame holds the page of change ``sequence`` and has drawn it."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        page.wait_for_timeout(10)
        for frame in page.frames:
            if "/map.html" not in frame.url:
                continue
            ready = page.evaluate("() => document.body.dataset.ready")
            try:
                drawn = frame.evaluate("() => !!(window.dealernetMap && dealernetMap.ready)")
            except Exception:  # the frame is navigating
                continue
            if ready == str(sequence) and drawn and frame.url.endswith(f"v={sequence}"):
                return
    raise TimeoutError(f"the map did not redraw after change {sequence}")


def _browser_row(what: str, size: str, seconds: list[float], note: str) -> Row:
    median = sorted(seconds)[len(seconds) // 2]
    return Row(
        SECTION,
        f"(g) explorer in Chromium: {what}",
        size,
        seconds=median,
        figure=f"{note}; each: " + ", ".join(f"{s:.2f} s" for s in seconds),
    )
