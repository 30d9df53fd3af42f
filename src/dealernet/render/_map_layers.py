"""What each layer of a map holds, as plain data for the page's JSON block.

The map page carries one JSON block that ``templates/_map.js`` turns into Leaflet layers:
compact arrays of coordinates plus tooltip and popup HTML rendered here by the Jinja
partials (autoescaped). One GeoJSON-style block and a small script are far smaller and
faster than one folium object per marker, and no value from an input file ever passes
through folium, whose elements re-parse their output as Jinja templates (a dealer named
``{{ 7*7 }}`` would show as ``49``). Rendering never recomputes analysis: figures come
from ``result``; only the selection's totals are summed, with
:func:`dealernet.analysis.rollups.rollup`.
"""

from __future__ import annotations

import json
import math
import os
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import numpy as np
import pandas as pd
from markupsafe import Markup

from dealernet.analysis.owner_groups import owner_keys, owner_sources
from dealernet.analysis.rollups import subset_totals
from dealernet.formatting import count
from dealernet.geo.boundaries import counties, states
from dealernet.planning.selection import host_sites
from dealernet.render._map_view import map_bounds, views
from dealernet.render._owner_files import report_stems
from dealernet.render._records import records
from dealernet.render._templates import macros
from dealernet.schema import (
    ADDRESS,
    BRAND,
    CITY,
    DEALER_ID,
    DECISION,
    HOST_DEALER_ID,
    LATITUDE,
    LONGITUDE,
    NAME,
    OWNER_GROUP,
    OWNER_INFERRED,
    STATE,
    ZIP,
)
from dealernet.settings import METRES_PER_MILE

T = TypeVar("T")

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    import geopandas as gpd

    from dealernet.analysis.result import Result
    from dealernet.planning.selection import Selection

#: Places shown as "pushed out": nearest source-brand store within this before, beyond after.
FAR_MILES = 50.0
#: Decision -> (marker shape, colour, legend label; ``{host}`` is the host brand). Colours are
#: from the Okabe-Ito palette, told apart with colour-blindness too; shapes differ as well.
DECISION_STYLE: dict[str, tuple[str, str, str]] = {
    "absorb": ("triangle", "#E69F00", "Absorbed into a {host} site"),
    "close": ("square", "#D55E00", "Closed"),
    "keep": ("circle", "#009E73", "Kept: keeps its own showroom"),
    "unaffected": ("diamond", "#0072B2", "Unaffected: already shares a {host} site"),
}
#: Short decision names for tooltips and popups.
DECISION_WORD = {
    "absorb": "Absorbed",
    "close": "Closed",
    "keep": "Kept",
    "unaffected": "Unaffected",
}
#: Colours of everything that is not a decision.
STYLE: dict[str, Any] = {
    "nissan": "#5b6472",
    "host": "#1f2937",
    "line": "#c98500",
    "place": "#b0306e",
    "radius": "#333333",
    "land": "#f5f2ea",
    "landOpacity": 0.35,
    "landOfflineOpacity": 1.0,
    "border": "#8f8f8f",
    "water": "#d4e4ee",
    "choroplethOpacity": 0.65,
}
#: Sequential fills for jobs lost (ColorBrewer "Purples"), lightest first.
PALETTE: tuple[str, ...] = ("#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f")
#: Fill of regions with stores but no job lost.
ZERO_FILL = "#ffffff"
#: Geometry simplification (degrees) and coordinate grid for boundary layers: well under a
#: pixel at the zoom each layer is read at, and a third of the bytes.
STATE_TOLERANCE, COUNTY_TOLERANCE, GRID = 0.01, 0.003, 0.001
#: Maps of a selection this small name each source-brand store on the map (owner maps).
LABEL_LIMIT = 25
_COORD_DIGITS = 5


@dataclass
class LayerData:
    """Everything the page needs: JSON-ready layer data and the legend's counts."""

    data: dict[str, Any]
    counts: dict[str, int]
    ramps: list[dict[str, Any]]
    bounds: list[list[float]]
    has_counties: bool
    #: Whether a drawn region has no store of the source brand (the legend's land swatch).
    land_shown: bool
    totals: pd.Series
    #: Host sites shown per host brand, in the scenario's order (an alliance's legend lists
    #: each brand's count).
    host_brand_counts: tuple[tuple[str, int], ...] = ()


def json_for_html(value: object) -> Markup:
    """JSON that is safe inside ``<script type="application/json">``.

    Every ``<`` becomes ``\\u003c``, so no text can close the element or open a comment;
    the line and paragraph separators are escaped for older JavaScript parsers.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return Markup(text)


def relative_url(target: Path, start: Path) -> str:
    """A relative URL from folder ``start`` to ``target``, as links in a page need it."""
    try:
        rel = os.path.relpath(target, start)
    except ValueError:  # another drive on Windows: no relative path exists
        return target.resolve().as_uri()
    parts = [quote(p) for p in rel.replace(os.sep, "/").split("/")]
    return posixpath.join(*parts)


def report_href(owner: object, report_dir: str, reported: Mapping[str, str]) -> str | None:
    """The owner report link for ``owner``, if the run writes a report for that group
    (``reported``: each such group's file stem, :func:`report_stems`)."""
    if not isinstance(owner, str) or owner not in reported:
        return None
    name = f"{reported[owner]}.html"
    return posixpath.join(report_dir, name) if report_dir not in ("", ".") else name


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with every missing value as None (NaN is truthy in a template)."""
    return records(frame, lambda v: None if _missing(v) else v)


def _missing(value: object) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and value != value)
    )


def _round(values: object) -> list[float]:
    return [round(float(v), _COORD_DIGITS) for v in np.asarray(values, dtype="float64")]


def totals(result: Result, selection: Selection) -> pd.Series:
    """National totals, or the selection's, summed the way the run sums any group."""
    if selection.is_everything:
        return result.national

    return subset_totals(selection.mask, result.decisions.table, result.impacts)


def _site_frame(
    result: Result, selection: Selection, report_dir: str, reported: Mapping[str, str]
) -> pd.DataFrame:
    """Selected source-brand sites with address, brand, losses and report link joined on."""
    frame = _per_run(result, "site_frame", lambda: _all_sites(result))
    frame = frame.loc[selection.mask].copy()
    frame["report"] = [report_href(o, report_dir, reported) for o in frame["owner_key"]]
    frame["decision_label"] = frame[DECISION].map(DECISION_WORD).fillna(frame[DECISION])
    return frame


def _positions(result: Result) -> dict[str, list[float]]:
    """Rounded ``[lat, lon]`` of every site by dealer id (a dict: maps look up thousands)."""
    net = result.network
    coords = zip(_round(net[LATITUDE]), _round(net[LONGITUDE]), strict=True)
    return {str(k): [lat, lon] for k, (lat, lon) in zip(net[DEALER_ID], coords, strict=True)}


def _all_sites(result: Result) -> pd.DataFrame:
    """Every source-brand site, in decisions order, with address, brand and losses."""
    table = result.decisions.table
    extra = result.network[[DEALER_ID, BRAND, ADDRESS, ZIP]].drop_duplicates(DEALER_ID)
    losses = [
        c
        for c in result.impacts.table.columns
        if c.startswith(("jobs_lost_", "revenue_lost_", "customers_"))
    ]
    frame = table.merge(extra, on=DEALER_ID, how="left").merge(
        result.impacts.table[[DEALER_ID, *losses]], on=DEALER_ID, how="left"
    )
    for column in ("customers_population", "customers_places", "customers_mean_added_miles"):
        if column not in frame:
            frame[column] = np.nan
    # keyed on the whole table, so a store alone keeps one key in every selection
    frame["owner_key"] = owner_keys(table).to_numpy()
    network = result.network
    frame["owner_inferred"] = owner_sources(table, network, result.source_brand) == OWNER_INFERRED
    hosts = frame[[HOST_DEALER_ID, "host_owner_group"]].set_axis([DEALER_ID, OWNER_GROUP], axis=1)
    frame["host_owner_inferred"] = _owner_inferred(hosts, network, result.host_brands)
    return frame


def _owner_inferred(
    table: pd.DataFrame, network: pd.DataFrame, brands: tuple[str, ...]
) -> np.ndarray:
    """Whether each host row's owner group was inferred, whichever host brand the site is
    (:func:`~dealernet.analysis.owner_groups.owner_sources` looks within one brand)."""
    inferred = np.zeros(len(table), dtype=bool)
    for brand in brands:
        inferred |= owner_sources(table, network, brand) == OWNER_INFERRED
    return inferred


def _host_cards(
    result: Result, ids: list[str], report_dir: str, reported: Mapping[str, str]
) -> list[list[str]]:
    """Tooltip and popup of each host-brand site, listing every store it takes in the run."""
    table = result.decisions.table
    absorbed = table.loc[(table[DECISION] == "absorb") & table[HOST_DEALER_ID].isin(ids)]
    rows = _records(absorbed[[HOST_DEALER_ID, NAME, "distance_miles", "same_owner_host"]])
    taken: dict[str, list[dict[str, Any]]] = {}
    for row in rows:  # one pass over the selection's absorptions, not a groupby per host
        taken.setdefault(row.pop(HOST_DEALER_ID), []).append(row)
    network = result.network.set_index(DEALER_ID, drop=False)
    sites = network.loc[ids, [DEALER_ID, NAME, BRAND, OWNER_GROUP, ADDRESS, CITY, STATE, ZIP]]
    inferred = _owner_inferred(sites, result.network, result.host_brands)
    tips, popups = macros("_map_tooltip.html.j2"), macros("_map_popup.html.j2")
    cards = []
    for row, owner_inferred in zip(_records(sites), inferred, strict=True):
        row["owner_inferred"] = bool(owner_inferred)
        row["absorbed"] = taken.get(row[DEALER_ID], [])
        row["takes"] = len(row["absorbed"])
        row["source_brand"] = result.source_brand
        row["report"] = report_href(row[OWNER_GROUP], report_dir, reported)
        cards.append([str(tips.host(row)), str(popups.host(row))])
    return cards


def _places(result: Result, site_ids: set[str]) -> list[list[Any]]:
    """Places whose nearest source-brand store was within reach and no longer is."""
    places = result.access.places
    pushed = (places["miles_before"] <= FAR_MILES) & (places["miles_after"] > FAR_MILES)
    pushed &= places["nearest_before_id"].isin(site_ids)
    chosen = places.loc[pushed].sort_values("population", ascending=False)
    tips = macros("_map_tooltip.html.j2")
    out = []
    for row in _records(chosen):
        radius = min(14.0, max(3.0, 2.5 + math.sqrt(float(row["population"])) / 60))
        lat, lon = _round([row[LATITUDE], row[LONGITUDE]])
        out.append([lat, lon, round(radius, 1), str(tips.place(row, result.source_brand))])
    return out


def classes(values: np.ndarray, palette: tuple[str, ...] = PALETTE) -> list[float]:
    """Class edges for a choropleth: quantiles of the positive values, rounded for reading."""
    positive = np.asarray(values, dtype="float64")
    positive = positive[np.isfinite(positive) & (positive > 0)]
    if positive.size == 0:
        return []
    qs = np.quantile(positive, np.linspace(0, 1, len(palette) + 1)[1:-1])
    edges = sorted({_nice(q) for q in qs if _nice(q) > 0})
    return edges[: len(palette) - 1]


def _nice(value: float) -> float:
    """Two significant digits, whole numbers from 10 up (``37.4`` -> ``37``, ``143`` -> ``140``)."""
    if value <= 0:
        return 0.0
    digits = max(0, 1 - int(math.floor(math.log10(value))))
    return float(round(value, digits))


def _fills(values: np.ndarray, edges: list[float]) -> list[str]:
    shades = _shades(len(edges) + 1)
    index = np.searchsorted(np.asarray(edges), values, side="right")
    return [ZERO_FILL if v <= 0 else shades[i] for v, i in zip(values, index, strict=True)]


def _shades(n: int) -> list[str]:
    """``n`` colours spread over the palette, so few classes still run light to dark."""
    if n >= len(PALETTE):
        return list(PALETTE)
    picks = np.linspace(0, len(PALETTE) - 1, n).round().astype(int)
    return [PALETTE[i] for i in picks]


def _ramp(title: str, edges: list[float], used: set[str | None]) -> dict[str, Any]:
    """Legend entries for a choropleth: short class labels (``<19``, ``19-35``, ``98+``).

    Only classes some drawn region falls in (fills in ``used``): an owner's map draws a
    few counties, and a legend class nothing on the map has would only puzzle.
    """

    shades = _shades(len(edges) + 1)
    labels = []
    for i in range(len(edges) + 1):
        if not edges:
            labels.append(">0")
        elif i == 0:
            labels.append(f"<{count(edges[0])}")
        elif i == len(edges):
            labels.append(f"{count(edges[-1])}+")
        else:
            labels.append(f"{count(edges[i - 1])}\u2013{count(edges[i])}")
    entries = [{"colour": ZERO_FILL, "label": "0"}]
    entries += [{"colour": c, "label": lab} for c, lab in zip(shades, labels, strict=True)]
    return {"title": title, "classes": [e for e in entries if e["colour"] in used]}


def _fills_used(collection: dict[str, Any] | None) -> set[str | None]:
    """The fills a choropleth draws (None: a region without a store of the brand)."""
    if not collection:
        return set()
    return {f["properties"]["fill"] for f in collection["features"]}


def _geojson(
    shapes: gpd.GeoDataFrame, key: str, values: pd.DataFrame, tolerance: float, source: str
) -> tuple[dict[str, Any], list[float]]:
    """A FeatureCollection of simplified shapes, each with its fill and tooltip (or None)."""

    values = values.loc[values["region"].isin(set(shapes[key]))]  # only the shapes drawn
    rows = values.set_index("region")
    edges = classes(rows["jobs_lost_base"].to_numpy())
    fill = dict(zip(rows.index, _fills(rows["jobs_lost_base"].to_numpy(), edges), strict=True))
    records = dict(zip(rows.index, _records(values), strict=True))
    simple = _simplified(key, tolerance)
    tips = macros("_map_tooltip.html.j2")
    features = []
    for code, name in zip(shapes[key], shapes["name"], strict=True):
        geometry = simple.get(code)
        if geometry is None:
            continue
        props: dict[str, Any] = {"fill": None, "tip": None}
        if code in records:
            record = dict(records[code], region_name=records[code]["region_name"] or name)
            props = {"fill": fill[code], "tip": str(tips.region(record, source))}
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}, edges


@lru_cache(maxsize=4)
def _simplified(key: str, tolerance: float) -> dict[str, dict[str, Any]]:
    """Simplified GeoJSON geometry of every state (``key="state"``) or county (``"geoid"``).

    Cached: owner reports draw a map each, and simplifying the layers once per run instead
    of once per map saves most of a map's drawing time.
    """
    import shapely  # heavy or optional: imported on first use

    layer = states() if key == "state" else counties()
    geoms = shapely.simplify(layer.geometry.to_numpy(), tolerance, preserve_topology=True)
    geoms = shapely.set_precision(geoms, GRID)
    return {
        code: json.loads(shapely.to_geojson(geom))
        for code, geom in zip(layer[key], geoms, strict=True)
        if geom is not None and not shapely.is_empty(geom)
    }


def _per_run(result: Result, key: str, build: Callable[[], T]) -> T:
    """A value that depends only on the run, built once per run object.

    Owner reports draw one map each; the national choropleth, the host table and the set of
    reported owners are the same for all of them.
    """
    cache: dict[str, Any] = result.__dict__.setdefault("_map_cache", {})
    if key not in cache:
        cache[key] = build()
    return cache[key]


def layer_data(result: Result, selection: Selection, report_dir: str) -> LayerData:
    """Build every layer's data for ``selection``; report links start with ``report_dir``."""

    tips, popups, symbols = (macros(f"_map_{n}.html.j2") for n in ("tooltip", "popup", "symbols"))
    reported = _per_run(result, "reported", lambda: report_stems(result))
    sites = _site_frame(result, selection, report_dir, reported)
    records = _records(sites)
    # An owner's few stores carry their names on the map; the nation's would be a blur.
    labels = not selection.is_everything and len(records) <= LABEL_LIMIT
    site_rows = []
    for row in records:
        lat, lon = _round([row[LATITUDE], row[LONGITUDE]])
        site_rows.append([lat, lon, row[DECISION], str(tips.site(row)), str(popups.site(row))])
        if labels:  # plain text: the page sets it as textContent, never as HTML
            site_rows[-1].append(str(row[NAME] or row[DEALER_ID]))

    absorbed = sites.loc[(sites[DECISION] == "absorb") & sites[HOST_DEALER_ID].notna()]
    host_ids = list(dict.fromkeys(absorbed[HOST_DEALER_ID].astype(str)))
    nissan = _per_run(result, "hosts", lambda: host_sites(result)).loc[selection.host_mask]
    card_ids = list(dict.fromkeys([*nissan[DEALER_ID].astype(str), *host_ids]))
    card_of = {k: i for i, k in enumerate(card_ids)}
    cards = _host_cards(result, card_ids, report_dir, reported)
    where = _per_run(result, "where", lambda: _positions(result))
    nissan_rows = [[*where[k], card_of[k]] for k in nissan[DEALER_ID].astype(str)]
    host_rows = [[*where[k], card_of[k]] for k in host_ids]
    line_rows = [
        [*_round([r[LATITUDE], r[LONGITUDE]]), *where[str(r[HOST_DEALER_ID])], str(tips.line(r))]
        for r in _records(absorbed)
    ]
    places = _places(result, set(sites[DEALER_ID].astype(str)))

    regions = result.regions
    state_fc, state_edges = _per_run(
        result,
        "states",
        lambda: _geojson(
            states(),
            "state",
            regions.loc[regions["level"] == "state"],
            STATE_TOLERANCE,
            result.source_brand,
        ),
    )
    ramps = [_ramp("Jobs lost (base) per state", state_edges, _fills_used(state_fc))]
    county_fc = None
    if not selection.is_everything:
        touched = set(sites[STATE].dropna()) | set(nissan[STATE].dropna())
        shapes = counties()
        shapes = shapes.loc[shapes["state"].isin(touched)]
        county_fc, county_edges = _geojson(
            shapes,
            "geoid",
            regions.loc[regions["level"] == "county"],
            COUNTY_TOLERANCE,
            result.source_brand,
        )
        ramps.append(_ramp("Jobs lost (base) per county", county_edges, _fills_used(county_fc)))

    icons = {
        d: str(symbols.shape(shape, colour, 18)) for d, (shape, colour, _) in DECISION_STYLE.items()
    }
    icons["nissan"] = str(symbols.shape("dot", STYLE["nissan"], 12))
    icons["host"] = str(symbols.shape("ring", STYLE["host"], 22))
    circle = None
    if selection.centre is not None and selection.radius_miles is not None:
        c = selection.centre
        circle = [c.latitude, c.longitude, selection.radius_miles * METRES_PER_MILE]
    every_lat = np.concatenate(
        [
            sites[LATITUDE].to_numpy(float),
            nissan[LATITUDE].to_numpy(float),
            [h[0] for h in host_rows],
        ]
    )
    every_lon = np.concatenate(
        [
            sites[LONGITUDE].to_numpy(float),
            nissan[LONGITUDE].to_numpy(float),
            [h[1] for h in host_rows],
        ]
    )
    counts = {d: int((sites[DECISION] == d).sum()) for d in DECISION_STYLE}
    counts.update(
        nissan=len(nissan_rows), hosts=len(host_rows), lines=len(line_rows), places=len(places)
    )
    data = {
        "style": STYLE,
        "icons": icons,
        "sites": site_rows,
        "nissan": nissan_rows,
        "hosts": host_rows,
        "cards": cards,
        "lines": line_rows,
        "places": places,
        "states": state_fc,
        "counties": county_fc,
        "circle": circle,
        "counts": counts,
        "labels": labels,
        "views": views(every_lat, every_lon, selection),
    }
    shown = nissan[BRAND].astype(str).value_counts()
    return LayerData(
        data=data,
        counts=counts,
        ramps=ramps,
        bounds=map_bounds(every_lat, every_lon, selection),
        has_counties=county_fc is not None,
        land_shown=None in _fills_used(state_fc) | _fills_used(county_fc),
        totals=totals(result, selection),
        host_brand_counts=tuple((b, int(shown.get(b, 0))) for b in result.host_brands),
    )


def legend_decisions(counts: dict[str, int], host_brand: str) -> list[dict[str, Any]]:
    """One legend entry per decision: its symbol, colour, label and count."""
    return [
        {
            "kind": d,
            "shape": shape,
            "colour": colour,
            "label": label.format(host=host_brand),
            "n": counts.get(d, 0),
        }
        for d, (shape, colour, label) in DECISION_STYLE.items()
    ]
