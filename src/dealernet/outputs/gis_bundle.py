"""A run as GIS layers: one GeoPackage with a default QGIS style per layer, or GeoParquet.

The CSV tables of ``OUT/data/`` carry coordinates, but a GIS user has to join them, rebuild
the lines to the hosts and find boundaries before drawing anything, and every type is lost
on the way (a ZIP ``02134`` read as a number, ``true`` as text). The bundle hands them typed
layers in EPSG:4326 that open styled in QGIS:

``stores``
    Source-brand stores as points, decisions joined with impacts (:attr:`Result.impacts_gdf`).
``host_sites``
    Host-brand sites, with ``takes_store`` and the stores absorbed into each.
``moves``
    A line from each absorbed store to its host.
``states``, ``counties``
    Boundaries with the totals of ``regions.csv``: every state (zero where no store is),
    the counties with a store.
``competitors``
    The market model's competing stores, when the run has one.

Types follow the column names as everywhere in dealernet (:mod:`dealernet.formatting`):
codes are text, dollars whole numbers, booleans real booleans (nullable, so a host whose
owner is not known stays empty rather than false), counts integers, jobs and shares floats.
Numbers are rounded as in the CSV tables (:func:`dealernet._csv.rounded`). Where the figures
come from, the scenario and the dealernet version are in each layer's
``gpkg_contents.description`` and in each Parquet file's key-value metadata (``dealernet``).

The GeoPackage is built in a temporary file beside the target and renamed at the end, so a
failed write leaves the previous ``dealernet.gpkg`` as it was and never half a file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import sqlite3
from collections.abc import Sequence
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined

from dealernet._atomic import atomic_path, staged_gpkg
from dealernet._csv import _is_flags, rounded  # the CSV's one test of a flag column
from dealernet._errors import QueryError
from dealernet.analysis.result import CRS
from dealernet.formatting import count, format_of, is_code
from dealernet.geo import boundaries
from dealernet.planning.selection import host_sites
from dealernet.schema import (
    ADDRESS,
    DEALER_ID,
    DECISION,
    HOST_DEALER_ID,
    LATITUDE,
    LONGITUDE,
    NAME,
    STATE,
    TRANSFER,
    ZIP,
)
from dealernet.settings import GIS_DIR

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from dealernet.analysis.result import Result

#: The GeoPackage's name in the output folder, and the folder of the GeoParquet files.
GPKG_NAME = "dealernet.gpkg"
FORMATS = ("gpkg", "parquet")
#: Key of the Parquet files' key-value metadata that says where the figures come from.
METADATA_KEY = "dealernet"


#: Layer -> (title, what one row is; ``{source}`` and ``{host}`` are the run's brands).
LAYERS: dict[str, tuple[str, str]] = {
    "stores": ("{source} stores", "one point per {source} store: decision, host and losses"),
    "host_sites": ("{host} sites", "one point per {host} site: whether it takes in a store"),
    "moves": ("Moves to hosts", "one line per absorbed {source} store, from it to its host"),
    "states": ("States", "every state: the totals of its {source} stores (0 where none)"),
    "counties": ("Counties", "one outline per county with {source} stores: their totals"),
    "competitors": ("Competitors", "one point per competing store of the market model"),
}
#: Layer -> (geometry type, so an empty layer has one too; its QGIS style, ``templates/qgis/``).
DRAWN: dict[str, tuple[str, str]] = {
    "stores": ("Point", "stores.qml.j2"),
    "host_sites": ("Point", "host_sites.qml.j2"),
    "moves": ("LineString", "moves.qml.j2"),
    "states": ("MultiPolygon", "regions.qml.j2"),
    "counties": ("MultiPolygon", "regions.qml.j2"),
    "competitors": ("Point", "competitors.qml.j2"),
}
#: Name of the default style of every layer in ``layer_styles`` (QGIS allows 30 characters).
STYLE_NAME = "dealernet"
#: The table QGIS reads a GeoPackage layer's styles from, as QGIS itself creates it.
_LAYER_STYLES_SQL = "layer_styles.sql"
#: Decision columns the moves layer keeps (the rest is on the ``stores`` layer).
_MOVE_COLUMNS = (DEALER_ID, NAME, STATE, HOST_DEALER_ID, TRANSFER, "same_owner_host")
_MOVE_DETAILS = "host_name host_brand distance_miles road_miles_est from_owner to_owner".split()
#: Number of shaded classes of a choropleth (the map's palette has five).
_CLASSES = 5


def write_gis_bundle(result: Result, out: Path, formats: Sequence[str] = ("gpkg",)) -> list[Path]:
    """Write ``result`` as GIS layers into ``out``; returns the paths written.

    ``"gpkg"`` writes ``out/dealernet.gpkg`` (every layer, with its QGIS style),
    ``"parquet"`` one GeoParquet file per layer in ``out/gis/``.

    Raises
    ------
    QueryError
        For a format that is neither.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        msg = f"unknown GIS format {unknown[0]!r}; choose from {', '.join(FORMATS)}"
        raise QueryError(msg)
    layers = gis_layers(result)
    about = provenance(result)
    notes = {name: layer_note(name, result, about) for name in layers}
    written: list[Path] = []
    if "gpkg" in formats:
        styles = {name: layer_style(name, frame, result) for name, frame in layers.items()}
        written.append(write_gpkg(layers, Path(out) / GPKG_NAME, notes, styles))
    if "parquet" in formats:
        for name, frame in layers.items():
            title, description = notes[name]
            meta = {**about, "layer": name, "title": title, "description": description}
            written.append(write_parquet(frame, Path(out) / GIS_DIR / f"{name}.parquet", meta))
    return written


# --- the layers ----------------------------------------------------------------------------


def gis_layers(result: Result) -> dict[str, gpd.GeoDataFrame]:
    """Every layer of the bundle, typed, in EPSG:4326 (``competitors`` only with a market)."""
    layers = {
        "stores": stores_layer(result),
        "host_sites": host_sites_layer(result),
        "moves": moves_layer(result),
        "states": states_layer(result),
        "counties": counties_layer(result),
    }
    if result.market is not None:
        layers["competitors"] = competitors_layer(result)
    return {name: typed(frame) for name, frame in layers.items()}


def stores_layer(result: Result) -> gpd.GeoDataFrame:
    """Source-brand stores as points: decisions and impacts, with address and ZIP."""
    import geopandas as gpd  # heavy or optional: imported on first use

    stores = result.impacts_gdf
    extra = [c for c in (ADDRESS, ZIP) if c in result.network and c not in stores]
    sites = pd.DataFrame(result.network[[DEALER_ID, *extra]]).drop_duplicates(DEALER_ID)
    frame = pd.DataFrame(stores).merge(sites, on=DEALER_ID, how="left")
    first = [DEALER_ID, NAME, DECISION]
    frame = frame[[*first, *(c for c in frame.columns if c not in first)]]
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=CRS)


def host_sites_layer(result: Result) -> gpd.GeoDataFrame:
    """Host-brand sites: ``stores_taken_in`` counts the stores absorbed into each,
    ``transfers_taken_in`` those of them that change owner (summed per host owner, that is
    ``hosts.csv``'s ``stores_taken_in``)."""
    import geopandas as gpd  # heavy or optional: imported on first use

    table = result.decisions.table
    absorbed = table.loc[table[DECISION] == "absorb"]
    hosts = absorbed[HOST_DEALER_ID].astype("string")
    taken = hosts.value_counts()
    moved = hosts[absorbed[TRANSFER].astype("boolean").fillna(False).to_numpy(bool)]
    transfers = moved.value_counts()
    sites = _in_crs(gpd.GeoDataFrame(host_sites(result)).reset_index(drop=True))
    ids = sites[DEALER_ID].astype("string")
    sites["stores_taken_in"] = ids.map(taken).fillna(0).astype("int64").to_numpy()
    sites["transfers_taken_in"] = ids.map(transfers).fillna(0).astype("int64").to_numpy()
    sites.insert(3, "takes_store", sites["stores_taken_in"].to_numpy() > 0)
    return sites


def moves_layer(result: Result) -> gpd.GeoDataFrame:
    """A line from each absorbed store to its host site."""
    import geopandas as gpd  # heavy or optional: imported on first use
    import shapely  # heavy or optional: imported on first use

    table = result.decisions.table
    moves = table.loc[(table[DECISION] == "absorb") & table[HOST_DEALER_ID].notna()]
    sites = pd.DataFrame(result.network[[DEALER_ID, LATITUDE, LONGITUDE]])
    sites = sites.assign(**{DEALER_ID: sites[DEALER_ID].astype(str)}).drop_duplicates(DEALER_ID)
    at = sites.set_index(DEALER_ID)
    host = at.reindex(moves[HOST_DEALER_ID].astype(str))
    x = np.column_stack([moves[LONGITUDE].to_numpy(float), host[LONGITUDE].to_numpy(float)])
    y = np.column_stack([moves[LATITUDE].to_numpy(float), host[LATITUDE].to_numpy(float)])
    known = np.isfinite(x).all(axis=1) & np.isfinite(y).all(axis=1)
    lines = np.full(len(moves), None, dtype=object)  # a host not in the network: no line
    if known.any():
        lines[known] = shapely.linestrings(np.stack([x[known], y[known]], axis=-1))
    columns = [c for c in (*_MOVE_COLUMNS, *_MOVE_DETAILS) if c in moves]
    frame = moves[columns].reset_index(drop=True)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(lines, crs=CRS), crs=CRS)


def states_layer(result: Result) -> gpd.GeoDataFrame:
    """Every state (and territory) of the shipped boundaries with its totals, zero where
    no store is, so a map of the layer shows the whole country."""
    shapes = boundaries.states().rename(columns={"state": "region"})
    totals = _level(result, "state")
    frame = shapes[["region", "name", "geometry"]].merge(totals, on="region", how="left")
    frame = frame[frame["region"].astype(str) != ""]
    figures = [c for c in totals.columns if c not in ("level", "region", "region_name")]
    frame[figures] = frame[figures].fillna(0)
    for column in figures:
        if pd.api.types.is_integer_dtype(totals[column]):
            frame[column] = frame[column].astype("int64")
    frame["level"] = "state"
    frame["region_name"] = frame["region_name"].where(frame["region_name"].notna(), frame["name"])
    frame = frame.drop(columns=["name"]).sort_values("region", kind="stable")
    return _outlines(frame.reset_index(drop=True), list(totals.columns), shapes.crs)


def counties_layer(result: Result) -> gpd.GeoDataFrame:
    """Counties with a store, with their totals: every row of ``regions.csv`` at county
    level, also one whose stores fall in no shipped county (it keeps no outline)."""
    shapes = boundaries.counties().rename(columns={"geoid": "region"})
    totals = _level(result, "county")
    frame = totals.merge(shapes[["region", "state", "geometry"]], on="region", how="left")
    return _outlines(frame, [*totals.columns, "state"], shapes.crs)


def competitors_layer(result: Result) -> gpd.GeoDataFrame:
    """The competing stores of the market model as points (none without a market)."""
    import geopandas as gpd  # heavy or optional: imported on first use

    market = result.market
    frame = pd.DataFrame(market.competitors if market is not None else None)
    frame = frame.reindex(columns=frame.columns.union([LATITUDE, LONGITUDE], sort=False))
    geometry = gpd.points_from_xy(frame[LONGITUDE], frame[LATITUDE], crs=CRS)
    return gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=geometry, crs=CRS)


def _level(result: Result, level: str) -> pd.DataFrame:
    regions = result.regions
    rows = regions.loc[regions["level"] == level].reset_index(drop=True)
    return rows.assign(region=rows["region"].astype(str))


def _outlines(frame: pd.DataFrame, columns: list[str], crs: object) -> gpd.GeoDataFrame:
    """Outlines all as multipolygons, so GeoParquet has the GeoPackage's one geometry type."""
    import geopandas as gpd  # heavy or optional: imported on first use
    from shapely.geometry import MultiPolygon, Polygon

    multi = [MultiPolygon([g]) if isinstance(g, Polygon) else g for g in frame["geometry"]]
    geometry = gpd.GeoSeries(multi, index=frame.index, crs=crs)
    return _in_crs(gpd.GeoDataFrame(frame[columns], geometry=geometry))


def _in_crs(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` in :data:`CRS`; a frame without a CRS is taken to be in it (lon, lat)."""
    return frame.set_crs(CRS) if frame.crs is None else frame.to_crs(CRS)


# --- types ---------------------------------------------------------------------------------


def typed(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns as a GIS should store them: codes text, booleans nullable booleans, dollars
    whole (``Int64``), other numbers as they are, any other object text."""
    out = rounded(frame)
    out.attrs = {}  # the network's validation report is no layer's (nor JSON, for Parquet)
    geometry = frame.geometry.name
    for column in out.columns:
        if column != geometry:
            out[column] = _typed_column(str(column), out[column])
    return out


def _typed_column(column: str, values: pd.Series) -> pd.Series:
    if is_code(column):
        return values.astype("string")
    if _is_flags(values):
        return values.astype("boolean")
    if pd.api.types.is_float_dtype(values) and format_of(column) == "money":
        return values.where(np.isfinite(values)).round(0).astype("Int64")
    if values.dtype == object or isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype(object).map(lambda v: None if _missing(v) else str(v)).astype("string")
    return values


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


# --- provenance and styles -----------------------------------------------------------------


def provenance(result: Result) -> dict[str, Any]:
    """Where the figures come from, the scenario and the dealernet version: what every
    layer carries, so a layer copied elsewhere keeps its caveat."""
    from dealernet import __version__

    return {
        "data_origin": result.data_origin,
        "scenario": result.scenario.name,
        "source_brand": result.source_brand,
        "host_brands": list(result.host_brands),
        "dealernet_version": __version__,
        "written": dt.date.today().isoformat(),
    }


def layer_note(name: str, result: Result, about: dict[str, Any]) -> tuple[str, str]:
    """A layer's title, and what one row is with where the figures come from."""
    title, rows = LAYERS[name]
    brands = {"source": result.source_brand, "host": result.host_brand}
    description = (
        f"{rows.format(**brands)}. Data: {about['data_origin']}. Scenario: "
        f"{about['scenario']}. Written by dealernet {about['dealernet_version']} on "
        f"{about['written']}."
    )
    return title.format(**brands), description


@lru_cache(maxsize=1)
def _qml_environment() -> Environment:
    """Jinja for the QGIS styles: package data, XML-escaped values, misspelt names fail.

    Its own environment, not the pages' (:mod:`dealernet.render._templates` sits a layer
    above this one); the filter ``rgba`` writes ``#E69F00`` as QGIS does (``230,159,0,255``).
    """
    env = Environment(
        loader=PackageLoader("dealernet", "templates/qgis"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["rgba"] = _rgba
    return env


def _rgba(colour: str, alpha: int = 255) -> str:
    hex_digits = colour.lstrip("#")
    red, green, blue = (int(hex_digits[i : i + 2], 16) for i in (0, 2, 4))
    return f"{red},{green},{blue},{alpha}"


def layer_style(name: str, frame: pd.DataFrame, result: Result) -> str:
    """The default QGIS style (QML) of layer ``name``; choropleth classes from ``frame``."""
    context: dict[str, Any] = {
        "source_brand": result.source_brand,
        "host_brand": result.host_brand,
        "ranges": [],
    }
    if name in ("states", "counties"):
        context["ranges"] = choropleth_ranges(frame["jobs_lost_base"].to_numpy(float))
    return _qml_environment().get_template(DRAWN[name][1]).render(**context) + "\n"


def choropleth_ranges(values: np.ndarray) -> list[dict[str, Any]]:
    """The zero class, then up to five classes at quantiles of the positive values, with
    edges rounded to two significant digits, as the interactive map classes them."""
    finite = values[np.isfinite(values)]
    positive = finite[finite > 0]
    ranges: list[dict[str, Any]] = [{"lower": 0.0, "upper": 0.0, "label": "0"}]
    if positive.size == 0:
        return ranges
    quantiles = np.quantile(positive, np.linspace(0, 1, _CLASSES + 1)[1:-1])
    edges = sorted({_nice(q) for q in quantiles if _nice(q) > 0})[: _CLASSES - 1]
    top = max(float(positive.max()), *edges)
    bounds = [0.0, *edges, top]
    for i, (lower, upper) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        if not edges:
            label = ">0"
        elif i == 0:
            label = f"<{count(upper)}"
        elif i == len(edges):
            label = f"{count(lower)}+"
        else:
            label = f"{count(lower)}\u2013{count(upper)}"
        ranges.append({"lower": lower, "upper": upper, "label": label})
    return ranges


def _nice(value: float) -> float:
    """Two significant digits, whole numbers from 10 up (``37.4`` -> ``37``, ``143`` -> ``140``)."""
    digits = max(0, 1 - int(np.floor(np.log10(value))))
    return float(round(value, digits))


# --- writing -------------------------------------------------------------------------------


def write_gpkg(
    layers: dict[str, gpd.GeoDataFrame],
    target: Path,
    notes: dict[str, tuple[str, str]],
    styles: dict[str, str],
) -> Path:
    """Every layer into one GeoPackage, then styles and descriptions, then one rename."""
    with atomic_path(target) as tmp, staged_gpkg(tmp) as staged:
        for name, frame in layers.items():
            _write_layer(frame, staged, name)
        with contextlib.closing(sqlite3.connect(staged)) as db, db:
            _describe(db, notes)
            _write_styles(db, styles)
        staged.replace(tmp)
    return Path(target)


def _write_layer(frame: gpd.GeoDataFrame, path: Path, name: str) -> None:
    """Add one layer to the GeoPackage at ``path`` (created by the first)."""
    import pyogrio  # heavy or optional: imported on first use

    pyogrio.write_dataframe(
        frame,
        path,
        layer=name,
        driver="GPKG",
        geometry_type=DRAWN[name][0],
        promote_to_multi=DRAWN[name][0].startswith("Multi"),
    )


def _describe(db: sqlite3.Connection, notes: dict[str, tuple[str, str]]) -> None:
    """Each layer's title and description (with the data origin) in ``gpkg_contents``."""
    for name, (title, description) in notes.items():
        db.execute(
            "UPDATE gpkg_contents SET identifier = ?, description = ? WHERE table_name = ?",
            (title, description, name),
        )


def _write_styles(db: sqlite3.Connection, styles: dict[str, str]) -> None:
    """The default QGIS style of every layer in ``layer_styles``, registered as an
    attribute table so that GDAL (and through it QGIS) sees it."""
    qgis = files("dealernet").joinpath("templates").joinpath("qgis")
    db.execute(qgis.joinpath(_LAYER_STYLES_SQL).read_text(encoding="utf-8"))
    db.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
        "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles')"
    )
    columns = dict(db.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
    for name, qml in styles.items():
        db.execute(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
            "owner) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '')",
            (name, columns[name], STYLE_NAME, qml, "dealernet default style"),
        )


def write_parquet(frame: gpd.GeoDataFrame, target: Path, about: dict[str, Any]) -> Path:
    """One layer as GeoParquet, with ``about`` as JSON under the metadata key ``dealernet``."""
    import pyarrow.parquet as pq  # heavy or optional: imported on first use

    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    table = pq.read_table(io.BytesIO(buffer.getvalue()))
    metadata = dict(table.schema.metadata or {})
    metadata[METADATA_KEY.encode()] = json.dumps(about, ensure_ascii=False).encode()
    with atomic_path(target) as tmp:
        pq.write_table(table.replace_schema_metadata(metadata), tmp)
    return Path(target)
