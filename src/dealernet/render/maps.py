"""Interactive HTML maps of a run: the national picture, or any selection, working offline.

A map is what most people see of dealernet, forwarded to a banker or shown in a meeting, so
it must open anywhere, also without internet, and show every value from an input file as
text. The page is a :class:`folium.Map` (tiles, scale bar, layer groups, layer control,
fitted view) stripped of folium's CDN scripts (jQuery, Bootstrap, awesome-markers, fonts),
with Leaflet and the marker-cluster plug-in inlined from the xstatic packages
(:mod:`dealernet.render._map_assets`). The layers' content (markers, lines, choropleths, popups)
travels as one JSON block that a small script (``templates/_map.js``) turns into Leaflet
layers: a fraction of the size of one folium object per marker, and it keeps input values
away from folium, whose elements re-parse their output as Jinja templates. Tooltips, popups,
title and legend are rendered by autoescaping Jinja partials in ``templates/``.

Layers: Nissan sites (clustered); Infiniti sites by decision, each with its own colour and
shape; a line from every absorbed store to its host; hosts that take stores; jobs lost
(base) per state, and per county on regional maps; places pushed beyond 50 miles from the
nearest Infiniti store. When the run has a market model (:mod:`dealernet.render._map_market`),
two more, off at first: the change of Infiniti's share of luxury buyers per county, and the
competing luxury stores (clustered). The state outlines are always drawn, so the country
reads without tiles.
"""

from __future__ import annotations

import re
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
#: Marker-cluster options for host-brand sites: tight clusters, every site shown up close.
CLUSTER_OPTIONS = {
    "showCoverageOnHover": False,
    "maxClusterRadius": 45,
    "disableClusteringAtZoom": 10,
    "chunkedLoading": True,
}

#: Pixels kept free when fitting the view: the title above, the legend at the bottom right.
FIT_PADDING = ((20, 110), (320, 20))

_FOLIUM_ID = re.compile(r"[0-9a-f]{32}")
#: OpenStreetMap's standard tiles and the attribution its tile policy asks for.
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)


class _Verbatim(Element):
    """Text put into the page exactly as given.

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


class _PageParts(Element):
    """Adds dealernet's head, body and script fragments to the map's page when it renders."""

    def __init__(self, head: str, body: str, script: str) -> None:
        super().__init__()
        self.parts = (head, body, script)

    def render(self, **kwargs: Any) -> str:
        figure = self.get_root()
        head, body, script = self.parts
        name = self.get_name()
        figure.header.add_child(_Verbatim(head), name=f"{name}_head")  # type: ignore[attr-defined]
        figure.html.add_child(_Verbatim(body), name=f"{name}_body")  # type: ignore[attr-defined]
        figure.script.add_child(_Verbatim(script), name=f"{name}_script")  # type: ignore[attr-defined]
        return ""


def _folium() -> Any:
    try:
        import folium  # heavy or optional: imported on first use
        from folium.plugins import MarkerCluster  # heavy or optional: imported on first use
    except ImportError as exc:  # pragma: no cover - folium is a core dependency
        msg = "maps need folium: pip install folium"
        raise MissingDependencyError(msg) from exc
    return folium, MarkerCluster


def _layer_label(text: str, n: int | None = None, symbol: Markup | None = None) -> str:
    """A layer-control label: escaped text, made inert for folium's template pass.

    Leaflet shows the label as HTML and folium compiles it as Jinja, so braces become
    character references that both read as plain ``{`` and ``}``.
    """
    html = str(template("_map_layer_label.html.j2").render(text=text, n=n, symbol=symbol))
    return html.replace("{", "&#123;").replace("}", "&#125;")


def _strip_default_assets(*elements: Any) -> None:
    """Drop folium's CDN scripts and stylesheets; the page inlines what it needs instead."""
    for element in elements:
        element.default_js = []
        element.default_css = []


def build_map(
    result: Result,
    selection: Selection | None = None,
    *,
    cdn: bool = False,
    report_dir: str = OWNERS_DIR,
) -> folium.Map:
    """The map of a run as a :class:`folium.Map`, ready to render or save.

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

    Raises
    ------
    QueryError
        When the selection holds no site of either brand and no radius to show.
    """

    folium, marker_cluster = _folium()
    selection = selection if selection is not None else select(result)
    if selection.empty and selection.centre is None:
        brands = brand_label((result.source_brand, *result.host_brands))
        msg = f"no {brands} site in {selection.label}"
        raise QueryError(msg)
    layer = layer_data(result, selection, report_dir)
    market = market_layers(result, selection)
    (south, west), (north, east) = layer.bounds
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=4,
        tiles=None,
        control_scale=True,
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    # The URL and attribution spelled out: looking the provider up by name costs a search
    # of xyzservices' catalogue on every map, and owner reports draw a map each.
    folium.TileLayer(
        OSM_TILES,
        attr=OSM_ATTRIBUTION,
        max_zoom=19,
        name=_layer_label("OpenStreetMap background (online)"),
    ).add_to(m)
    groups = _groups(folium, marker_cluster, m, result, layer, market)
    _strip_default_assets(m, groups["nissan"], *([groups["competitors"]] if market else []))
    page = _page(result, selection, layer, market, groups, m, assets(cdn))
    m.add_child(_PageParts(*page))
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    folium.FitBounds(
        layer.bounds, padding_top_left=FIT_PADDING[0], padding_bottom_right=FIT_PADDING[1]
    ).add_to(m)
    return m


def _groups(
    folium: Any,
    marker_cluster: Any,
    m: folium.Map,
    result: Result,
    layer: LayerData,
    market: MarketLayers | None,
) -> dict[str, Any]:
    """One empty layer group per layer, named for the layer control; ``_map.js`` fills them."""
    src, host, n, style = result.source_brand, result.host_brand, layer.counts, STYLE
    shape = macros("_map_symbols.html.j2").shape
    groups: dict[str, Any] = {"outline": folium.FeatureGroup(name="outline", control=False)}
    groups["states"] = folium.FeatureGroup(
        name=_layer_label("Jobs lost (base) per state"), show=not layer.has_counties
    )
    if layer.has_counties:
        groups["counties"] = folium.FeatureGroup(name=_layer_label("Jobs lost (base) per county"))
    far = f"Places now over {FAR_MILES:g} miles from {src}"
    groups["places"] = folium.FeatureGroup(
        name=_layer_label(far, n["places"], shape("place", style["place"], 14))
    )
    groups["lines"] = folium.FeatureGroup(
        name=_layer_label(
            "Absorbed store \u2192 host", n["lines"], shape("line", style["line"], 14)
        )
    )
    groups["hosts"] = folium.FeatureGroup(
        name=_layer_label(
            f"{host} hosts taking stores", n["hosts"], shape("ring", style["host"], 14)
        )
    )
    groups["nissan"] = marker_cluster(
        name=_layer_label(f"{host} sites", n["nissan"], shape("dot", style["nissan"], 14)),
        options=CLUSTER_OPTIONS,
    )
    if market is not None:
        _market_groups(folium, marker_cluster, groups, market)
    for entry in legend_decisions(n, host):
        word = DECISION_WORD[entry["kind"]].lower()
        label = _layer_label(
            f"{src} {word}", entry["n"], shape(entry["shape"], entry["colour"], 14)
        )
        groups[entry["kind"]] = folium.FeatureGroup(name=label)
    for key in LAYERS:
        if key in groups:
            groups[key].add_to(m)
    return groups


def _market_groups(
    folium: Any, marker_cluster: Any, groups: dict[str, Any], market: MarketLayers
) -> None:
    """The market model's two layers, off at first: they answer a second question."""
    shape = macros("_map_symbols.html.j2").shape
    groups["share"] = folium.FeatureGroup(
        name=_layer_label(f"{market.brand} share change per county"),
        show=False,
    )
    groups["competitors"] = marker_cluster(
        name=_layer_label(
            "Competing luxury stores", market.n_competitors, shape("tile", RIVAL_COLOUR, 14)
        ),
        options=CLUSTER_OPTIONS,
        show=False,
    )


def _page(
    result: Result,
    selection: Selection,
    layer: LayerData,
    market: MarketLayers | None,
    groups: dict[str, Any],
    m: folium.Map,
    assets: Any,
) -> tuple[str, str, str]:
    """The head, body and script fragments of the page, rendered by the Jinja partials."""
    data = dict(layer.data)
    data["map"] = m.get_name()
    data["groups"] = {k: g.get_name() for k, g in groups.items()}
    data["bounds"] = layer.bounds
    if market is not None:
        shape = macros("_map_symbols.html.j2").shape
        data["icons"] = {**data["icons"], "competitor": str(shape("tile", RIVAL_COLOUR, 14))}
        data["share"], data["competitors"] = market.share, market.competitors
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
        far_miles=FAR_MILES,
        ramps=layer.ramps,
        radius_text=f"{selection.radius_miles:g}" if selection.radius_miles else None,
        market=market,
        rival_colour=RIVAL_COLOUR,
        data_json=json_for_html(data),
    )
    return head, body, str(assets.builder)


def _stable_ids(m: folium.Map, html: str) -> str:
    """Replace folium's random element ids with sequential ones.

    Two runs on the same inputs then write byte-identical maps (diffable, cacheable). Only
    the ids of this map's own elements are replaced; they are random 128-bit values that
    no input text can know in advance.
    """
    ids: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        if _FOLIUM_ID.fullmatch(str(node.get("id", ""))):
            ids.append(str(node["id"]))
        for child in node.get("children", {}).values():
            walk(child)

    walk(m.get_root().to_dict())
    mapping = {old: f"{i:x}" for i, old in enumerate(dict.fromkeys(ids))}
    if not mapping:
        return html
    # One scan for anything shaped like an id; only this map's own ids are replaced.
    return _FOLIUM_ID.sub(lambda match: mapping.get(match.group(0), match.group(0)), html)


def render_map(
    result: Result,
    selection: Selection | None = None,
    *,
    cdn: bool = False,
    report_dir: str = OWNERS_DIR,
) -> str:
    """The map page as one HTML string; same arguments as :func:`build_map`."""
    m = build_map(result, selection, cdn=cdn, report_dir=report_dir)
    return _stable_ids(m, m.get_root().render())


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
