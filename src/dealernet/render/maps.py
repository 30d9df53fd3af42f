"""Interactive HTML maps of a run: the national picture, or any selection, working offline.

A map is what most people see of dealernet, forwarded to a banker or shown in a meeting, so
it must open anywhere, also without internet, and show every value from an input file as
text. The page is our own template (``templates/map_page.html.j2``) with Leaflet and the
marker-cluster plug-in inlined from the xstatic packages (:mod:`dealernet.render._map_assets`).
The map, its layers and their content (markers, lines, choropleths, popups, the layer list's
labels) travel as one JSON block that a small script (``templates/_map.js``) turns into
Leaflet layers: a fraction of the size of one Leaflet call per marker, and cheap enough to
draw one map per owner report. folium serves only ``Result.explore()`` in a notebook
(:func:`build_map`): it makes the map there, and the same script draws into it. Tooltips,
popups, title and legend are rendered by autoescaping Jinja partials in ``templates/``. The
script also lays the page out for its size: on a phone the layer list, legend and title
fold to buttons, and the view is fitted clear of every panel (the lower 48 first; buttons
show Alaska, Hawaii and every store).

Layers: Nissan sites (clustered); Infiniti sites by decision, each with its own colour and
shape; a line from every absorbed store to its host; hosts that take stores; jobs lost
(base) per state, and per county on regional maps; places pushed beyond 50 miles from the
nearest Infiniti store. When the run has a market model (:mod:`dealernet.render._map_market`),
two more, off at first: the change of Infiniti's share of luxury buyers per county, and the
competing luxury stores (clustered). The state outlines are always drawn, so the country
reads without tiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from branca.element import Element
from markupsafe import Markup

from dealernet._atomic import write_text
from dealernet._errors import MissingDependencyError, QueryError
from dealernet.planning.selection import select
from dealernet.render._map_assets import assets
from dealernet.render._map_layers import (
    DECISION_WORD,
    FAR_MILES,
    STYLE,
    LayerData,
    json_for_html,
    layer_data,
    legend_decisions,
    relative_url,
)
from dealernet.render._map_market import RIVAL_COLOUR, MarketLayers, market_layers
from dealernet.render._templates import macros, template
from dealernet.schema import brand_label
from dealernet.settings import NETWORK_MAP, OWNERS_DIR, REGIONS_DIR

if TYPE_CHECKING:  # pragma: no cover
    import folium

    from dealernet.analysis.result import Result
    from dealernet.planning.selection import Selection

#: Layer keys, in the layer control's order (panes set the drawing order); ``_map.js``
#: fills the group of each.
LAYERS = (
    "absorb",
    "close",
    "keep",
    "unaffected",
    "lines",
    "hosts",
    "nissan",
    "competitors",
    "places",
    "counties",
    "states",
    "share",
    "outline",
)
#: The background tiles' entry in the layer list.
TILES_LABEL = "OpenStreetMap background (online)"
#: Marker-cluster options for host-brand sites: tight clusters, every site shown up close.
CLUSTER_OPTIONS = {
    "showCoverageOnHover": False,
    "maxClusterRadius": 45,
    "disableClusteringAtZoom": 10,
    "chunkedLoading": True,
}

#: OpenStreetMap's standard tiles and the attribution its tile policy asks for.
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
TILE_OPTIONS = {"maxZoom": 19, "attribution": OSM_ATTRIBUTION}
#: Leaflet map options: the first view is the lower 48 at zoom 4 until ``_map.js`` fits it.
MAP_OPTIONS = {"zoom": 4, "zoomSnap": 0.25, "zoomDelta": 0.5}


class _Verbatim(Element):
    """Text put into a folium page exactly as given (for :func:`build_map` only).

    Branca's own elements (and so every folium element) compile their rendered output into
    a new Jinja template, which would evaluate ``{{ ... }}`` inside a dealer's name. This
    element returns its text untouched; it only ever carries text our autoescaping
    templates rendered.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


@dataclass(frozen=True)
class MapParts:
    """A map page's pieces: ``<head>`` content, ``<body>`` content (panels and the JSON
    block), the builder script, and the centre of the first view."""

    head: str
    body: str
    script: str
    centre: tuple[float, float]


class _PageParts(Element):
    """Adds dealernet's head, body and script fragments to a folium map when it renders."""

    def __init__(self, parts: MapParts) -> None:
        super().__init__()
        self.parts = parts

    def render(self, **kwargs: Any) -> str:
        figure = self.get_root()
        name = self.get_name()
        header, html, script = figure.header, figure.html, figure.script  # type: ignore[attr-defined]
        header.add_child(_Verbatim(self.parts.head), name=f"{name}_head")
        html.add_child(_Verbatim(self.parts.body), name=f"{name}_body")
        script.add_child(_Verbatim(self.parts.script), name=f"{name}_script")
        return ""


def _folium() -> Any:
    try:
        import folium  # heavy or optional: imported on first use
    except ImportError as exc:  # pragma: no cover - folium is a core dependency
        msg = "Result.explore() needs folium: pip install folium"
        raise MissingDependencyError(msg) from exc
    return folium


def _layer_label(text: str, n: int | None = None, symbol: Markup | None = None) -> str:
    """A layer-control label as escaped HTML; it travels in the page's JSON."""
    return str(template("_map_layer_label.html.j2").render(text=text, n=n, symbol=symbol))


def map_parts(
    result: Result,
    selection: Selection | None = None,
    *,
    cdn: bool = False,
    report_dir: str = OWNERS_DIR,
    folium_map: str | None = None,
) -> MapParts:
    """The pieces of the map page of a run; :func:`render_map` puts them in a page.

    Parameters
    ----------
    result
        A finished run (:func:`dealernet.run`).
    selection
        The sites to show (:func:`dealernet.planning.selection.select`); the national picture
        without one. A selection adds a county choropleth and its radius circle.
    cdn
        Link Leaflet and the plug-in from a CDN instead of inlining them.
    report_dir
        Relative URL of the owner reports' folder as seen from the map's folder.
    folium_map
        The JavaScript name of a folium map to draw into, instead of a map of our own.

    Raises
    ------
    QueryError
        When the selection holds no site of either brand and no radius to show.
    """
    selection = selection if selection is not None else select(result)
    if selection.empty and selection.centre is None:
        brands = brand_label((result.source_brand, *result.host_brands))
        msg = f"no {brands} site in {selection.label}"
        raise QueryError(msg)
    layer = layer_data(result, selection, report_dir)
    market = market_layers(result, selection)
    (south, west), (north, east) = layer.bounds
    centre = ((south + north) / 2, (west + east) / 2)
    data = dict(layer.data)
    if folium_map is not None:
        data["map"] = folium_map
    data["view"] = {"center": list(centre), **MAP_OPTIONS}
    data["tiles"] = {"url": OSM_TILES, "options": TILE_OPTIONS, "label": _layer_label(TILES_LABEL)}
    data["groups"], listed = _groups(result, layer, market)
    data["cluster"] = CLUSTER_OPTIONS
    data["control"] = {"overlays": listed}
    data["bounds"] = layer.bounds
    if market is not None:
        shape = macros("_map_symbols.html.j2").shape
        data["icons"] = {**data["icons"], "competitor": str(shape("tile", RIVAL_COLOUR, 14))}
        data["share"], data["competitors"] = market.share, market.competitors
    page_assets = assets(cdn)
    head, body = _page(result, selection, layer, market, data, page_assets)
    return MapParts(head, body, str(page_assets.builder), centre)


def _groups(
    result: Result, layer: LayerData, market: MarketLayers | None
) -> tuple[list[list[Any]], list[list[str]]]:
    """Each layer as ``[key, "group" or "cluster", shown at first]`` in drawing order
    (``_map.js`` makes and fills them), and the layer list's ``[key, label]`` entries: a
    layer with nothing in it is not listed."""
    src, host, n, style = result.source_brand, result.host_brand, layer.counts, STYLE
    shape = macros("_map_symbols.html.j2").shape
    kinds: dict[str, list[Any]] = {"outline": ["group", True]}
    labels: dict[str, str | None] = {}
    kinds["states"] = ["group", not layer.has_counties]
    labels["states"] = _layer_label("Jobs lost (base) per state")
    if layer.has_counties:
        kinds["counties"] = ["group", True]
        labels["counties"] = _layer_label("Jobs lost (base) per county")
    far = f"Places now over {FAR_MILES:g} straight-line miles from {src}"
    kinds["places"] = ["group", True]
    labels["places"] = _counted(far, n["places"], shape("place", style["place"], 14))
    kinds["lines"] = ["group", True]
    line = shape("line", style["line"], 14)
    labels["lines"] = _counted("Absorbed store \u2192 host", n["lines"], line)
    kinds["hosts"] = ["group", True]
    ring = shape("ring", style["host"], 14)
    labels["hosts"] = _counted(f"{host} hosts taking stores", n["hosts"], ring)
    kinds["nissan"] = ["cluster", True]
    dot = shape("dot", style["nissan"], 14)
    labels["nissan"] = _counted(f"{host} sites", n["nissan"], dot)
    if market is not None:
        _market_groups(kinds, labels, market)
    for entry in legend_decisions(n, host):
        word = DECISION_WORD[entry["kind"]].lower()
        symbol = shape(entry["shape"], entry["colour"], 14)
        labels[entry["kind"]] = _counted(f"{src} {word}", entry["n"], symbol)
        kinds[entry["kind"]] = ["group", True]
    groups = [[key, *kinds[key]] for key in LAYERS if key in kinds]
    listed = [[key, label] for key in LAYERS if (label := labels.get(key)) is not None]
    return groups, listed


def _counted(text: str, n: int, symbol: Markup) -> str | None:
    """A layer-list label with its count, or None for an empty layer (not listed)."""
    return _layer_label(text, n, symbol) if n else None


def _market_groups(
    kinds: dict[str, list[Any]], labels: dict[str, str | None], market: MarketLayers
) -> None:
    """The market model's two layers, off at first: they answer a second question."""
    shape = macros("_map_symbols.html.j2").shape
    kinds["share"] = ["group", False]
    share = _layer_label(f"{market.brand} share change per county")
    labels["share"] = share if market.share["features"] else None
    kinds["competitors"] = ["cluster", False]
    tile = shape("tile", RIVAL_COLOUR, 14)
    labels["competitors"] = _counted("Competing luxury stores", market.n_competitors, tile)


def _page(
    result: Result,
    selection: Selection,
    layer: LayerData,
    market: MarketLayers | None,
    data: dict[str, Any],
    assets: Any,
) -> tuple[str, str]:
    """The head and body fragments of the page, rendered by the Jinja partials."""
    name = result.scenario.name or f"{result.source_brand} into {result.host_brand}"
    label = "All sites in the dealer files" if selection.is_everything else selection.label
    head = template("_map_head.html.j2").render(page_title=f"{name} \u2014 {label}", assets=assets)
    body = template("_map_body.html.j2").render(
        scenario_name=name,
        label=label,
        sample=result.is_sample,
        data_origin=result.data_origin,
        totals=layer.totals,
        source_brand=result.source_brand,
        host_brand=result.host_brand,
        decisions=legend_decisions(layer.counts, result.host_brand),
        style=STYLE,
        n_host_sites=layer.counts["nissan"],
        host_brand_counts=layer.host_brand_counts if len(result.host_brands) > 1 else (),
        n_hosts=layer.counts["hosts"],
        n_lines=layer.counts["lines"],
        n_places=layer.counts["places"],
        land_shown=layer.land_shown,
        far_miles=FAR_MILES,
        ramps=layer.ramps,
        radius_text=f"{selection.radius_miles:g}" if selection.radius_miles else None,
        market=market,
        rival_colour=RIVAL_COLOUR,
        data_json=json_for_html(data),
    )
    return str(head), str(body)


def render_map(
    result: Result,
    selection: Selection | None = None,
    *,
    cdn: bool = False,
    report_dir: str = OWNERS_DIR,
) -> str:
    """The map page as one HTML string, from our own template (no folium); arguments as
    :func:`map_parts`. The same inputs give the same bytes."""
    parts = map_parts(result, selection, cdn=cdn, report_dir=report_dir)
    return str(template("map_page.html.j2").render(parts=parts))


def build_map(
    result: Result,
    selection: Selection | None = None,
    *,
    cdn: bool = False,
    report_dir: str = OWNERS_DIR,
) -> folium.Map:
    """The map of a run as a :class:`folium.Map`, for a notebook (``Result.explore()``).

    folium makes only the map; our builder script draws the same layers into it as on the
    written pages. Arguments as :func:`map_parts`.
    """
    folium = _folium()
    m = folium.Map(location=[39.5, -98.35], zoom_start=4, tiles=None)
    m.default_js, m.default_css = [], []  # the page inlines Leaflet and the plug-in
    parts = map_parts(result, selection, cdn=cdn, report_dir=report_dir, folium_map=m.get_name())
    m.location = list(parts.centre)
    m.add_child(_PageParts(parts))
    return m


def map_path(out: Path, selection: Selection | None = None) -> Path:
    """Where a run puts a map: ``OUT/network.html``, or ``OUT/regions/<slug>.html``."""
    if selection is None or selection.is_everything:
        return Path(out) / NETWORK_MAP
    return Path(out) / REGIONS_DIR / f"{selection.slug}.html"


def write_map(
    result: Result,
    path: Path,
    selection: Selection | None = None,
    *,
    cdn: bool = False,
    out: Path | None = None,
) -> Path:
    """Write the map page to ``path`` atomically; returns ``path``.

    Parameters
    ----------
    out
        The run's output folder, which holds ``owners/``: report links are made relative
        to the map's folder. By default the folder above ``path`` when that is
        ``regions/``, else the map's own folder (so ``OUT/network.html`` links
        ``owners/<slug>.html`` and ``OUT/regions/x.html`` links ``../owners/<slug>.html``).
    """
    path = Path(path)
    if out is None:
        out = path.parent.parent if path.parent.name == REGIONS_DIR else path.parent
    report_dir = relative_url(Path(out) / OWNERS_DIR, path.parent)
    html = render_map(result, selection, cdn=cdn, report_dir=report_dir)
    return write_text(path, html)
