"""The market model's two map layers: the brand's share change per county, competing stores.

Both come from ``result.market`` (:class:`~dealernet.analysis.market_run.MarketResult`);
a run saved before the market model has none, and its maps show neither layer. The county
figures are :func:`dealernet.analysis.market_maps.county_share_change`, the table the run
writes, so map and table agree; only the colours and the tooltips are made here, by the
autoescaping partials, and they travel in the page's JSON block like every other layer
(:mod:`dealernet.render._map_layers`). A regional map or an owner report shows the counties
and competing stores of the states its sites are in.

The county shapes are the ones the jobs-lost county layer draws (same simplification and
grid), but packed: each ring as whole steps of the grid from the previous vertex, which
``_map.js`` unpacks into GeoJSON. The 2,695 counties within reach on the real 2015 network
take 0.37 MB so, about 40 % of the same shapes as GeoJSON text, which keeps the national
map under 3 MB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dealernet.analysis.market_maps import (
    CHANGE_POINTS,
    SHARE_AFTER,
    SHARE_BEFORE,
    county_share_change,
)
from dealernet.geo.customers import COUNTY
from dealernet.planning.selection import host_sites
from dealernet.render._map_layers import (
    COUNTY_TOLERANCE,
    GRID,
    _per_run,
    _records,
    _round,
    _simplified,
)
from dealernet.render._templates import macros
from dealernet.schema import BRAND, LATITUDE, LONGITUDE, NAME, STATE

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.analysis.market_run import MarketResult
    from dealernet.analysis.result import Result
    from dealernet.planning.selection import Selection

#: Fills for a change of share, ColorBrewer "RdBu" (safe for colour-blind readers): losses
#: red, gains blue, strongest last; ``NEUTRAL_FILL`` for a change that rounds to 0.0 points.
LOSS_FILLS = ("#fddbc7", "#ef8a62", "#b2182b")
GAIN_FILLS = ("#d1e5f0", "#67a9cf", "#2166ac")
NEUTRAL_FILL = "#f7f7f7"
#: Tooltips give a change to a tenth of a point; the smallest coloured change is that tenth.
STEP_POINTS = 0.1
#: Competing stores: a small grey square, in lighter clusters than the host brand's dots.
RIVAL_COLOUR = "#8a9099"


@dataclass
class MarketLayers:
    """What the page needs of the market model for one map."""

    share: dict[str, Any]
    competitors: list[list[Any]]
    ramp: dict[str, Any]
    n_competitors: int
    brand: str
    source: str


def _shown(changes: np.ndarray) -> np.ndarray:
    """Changes rounded as the tooltips show them (Python's rounding, as Jinja's ``round``)."""
    return np.array([round(float(v), 1) for v in np.asarray(changes, dtype="float64")])


def change_edges(changes: np.ndarray, classes: int = len(LOSS_FILLS)) -> list[float]:
    """Magnitudes (percentage points) where a stronger shade starts, the same for losses and
    gains: a tenth of a point, then quantiles of the larger changes, to one significant digit.

    One scale for both sides, so a loss and a gain of the same size share a depth of colour.
    """
    size = np.abs(_shown(changes))
    size = size[np.isfinite(size) & (size >= STEP_POINTS)]
    edges = [STEP_POINTS]
    if size.size:
        for q in np.quantile(size, np.linspace(0, 1, classes + 1)[1:-1]):
            nice = float(f"{q:.1g}")
            if nice > edges[-1]:
                edges.append(nice)
    return edges[:classes]


def change_fills(changes: np.ndarray, edges: list[float]) -> list[str]:
    """The fill of each change, classed on the change as its tooltip shows it (0.1 points)."""
    shown = _shown(changes)
    depth = np.searchsorted(np.asarray(edges) - 1e-9, np.abs(shown), side="right")
    return [
        NEUTRAL_FILL if d == 0 else (LOSS_FILLS if v < 0 else GAIN_FILLS)[d - 1]
        for v, d in zip(shown, depth, strict=True)
    ]


def change_ramp(brand: str, edges: list[float]) -> dict[str, Any]:
    """Legend of the diverging fills: strongest loss to strongest gain, ticks between cells."""
    n = len(edges)
    cells = [*LOSS_FILLS[:n][::-1], NEUTRAL_FILL, *GAIN_FILLS[:n]]
    ticks = [-e for e in edges[::-1]] + list(edges)
    return {"title": f"{brand} share change, points", "cells": cells, "ticks": ticks}


def packed(geometry: dict[str, Any], grid: float = GRID) -> list[list[list[int]]]:
    """A GeoJSON (multi)polygon as polygons of rings of ``x0, y0, dx1, dy1, ...``: whole
    steps of ``grid`` degrees from the previous vertex (the first from 0, 0)."""
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    out = []
    for polygon in polygons:
        rings = []
        for ring in polygon:
            steps = np.rint(np.asarray(ring, dtype="float64") / grid).astype("int64")
            rings.append(np.diff(steps, axis=0, prepend=[[0, 0]]).ravel().tolist())
        out.append(rings)
    return out


def _county_features(
    market: MarketResult, brand: str
) -> tuple[list[tuple[str, list[Any]]], dict[str, Any]]:
    """Every county within the brand's reach as ``[fill, tooltip, packed shape]`` with its
    state; and the legend. Counties whose buyers had no store of the brand within reach,
    before or after, are left out: the land shows through, as "no store in the area"."""
    table = county_share_change(market.points)
    reach = (table[SHARE_BEFORE] > 0) | (table[SHARE_AFTER] > 0)
    table = table.loc[reach]
    edges = change_edges(table[CHANGE_POINTS].to_numpy())
    fills = change_fills(table[CHANGE_POINTS].to_numpy(), edges)
    simple = _simplified("geoid", COUNTY_TOLERANCE)
    tips = macros("_map_tooltip.html.j2")
    features = []
    for row, fill in zip(_records(table), fills, strict=True):
        geometry = simple.get(row[COUNTY])
        if geometry is None:
            continue
        features.append((row[STATE], [fill, str(tips.share(row, brand)), packed(geometry)]))
    return features, change_ramp(brand, edges)


def _rival_rows(market: MarketResult) -> list[tuple[str, list[Any]]]:
    """Every competing store with a location: its state, and ``[lat, lon, tooltip]``."""
    stores = market.competitors
    if LATITUDE not in stores or LONGITUDE not in stores:  # a run with no competitor roster
        return []
    where = pd.DataFrame(
        {
            LATITUDE: pd.to_numeric(stores[LATITUDE], errors="coerce"),
            LONGITUDE: pd.to_numeric(stores[LONGITUDE], errors="coerce"),
            NAME: stores.get(NAME),
            BRAND: stores.get(BRAND),
            STATE: stores.get(STATE),
        }
    ).dropna(subset=[LATITUDE, LONGITUDE])
    tips = macros("_map_tooltip.html.j2")
    rows = []
    for row in _records(where):
        lat, lon = _round([row[LATITUDE], row[LONGITUDE]])
        rows.append((str(row[STATE] or ""), [lat, lon, str(tips.competitor(row))]))
    return rows


def _touched(result: Result, selection: Selection) -> set[str] | None:
    """States of the selection's sites (None for the national map: every state)."""
    if selection.is_everything:
        return None
    table = result.decisions.table
    hosts = _per_run(result, "hosts", lambda: host_sites(result))
    picked = [table.loc[selection.mask, STATE], hosts.loc[selection.host_mask, STATE]]
    return {str(s) for part in picked for s in part.dropna()}


def market_layers(result: Result, selection: Selection) -> MarketLayers | None:
    """The share-change choropleth and the competing stores for ``selection``; None when the
    run has no market model (a run saved before it)."""
    market = getattr(result, "market", None)
    if market is None:
        return None
    brand = result.scenario.source_brand
    features, ramp = _per_run(result, "market_counties", lambda: _county_features(market, brand))
    rivals = _per_run(result, "market_rivals", lambda: _rival_rows(market))
    touched = _touched(result, selection)
    shown = [f for state, f in features if touched is None or state in touched]
    stores = [r for state, r in rivals if touched is None or state in touched]
    return MarketLayers(
        share={"grid": GRID, "features": shown},
        competitors=stores,
        ramp=ramp,
        n_competitors=len(stores),
        brand=brand,
        source=market.competitors_source,
    )
