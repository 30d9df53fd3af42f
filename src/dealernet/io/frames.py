"""A network handed over as a (Geo)DataFrame, checked and completed like a loaded file.

``dealernet.run(gdf)`` accepts what a notebook user has at hand: a GeoDataFrame of points or
a DataFrame with latitude and longitude, with our column names or their usual spellings
(``lat``, ``lng``, ``postal_code``...). :func:`as_network` names what is missing instead of
failing later with a bare ``KeyError``, reprojects points to EPSG:4326, and adds the optional
columns as missing values, so every later stage sees the columns the loader produces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dealernet._errors import InvalidInputError
from dealernet.schema import (
    BRAND,
    CONTACT_COLUMNS,
    DEALER_CODE,
    DEALER_ID,
    EXACT,
    GEOMETRY,
    LATITUDE,
    LOCATION_QUALITY,
    LONGITUDE,
    NUMERIC_COLUMNS,
    REQUIRED_COLUMNS,
    SITE_COLUMNS,
    SOURCE_FILE,
    SOURCE_ROW,
    TEXT_COLUMNS,
    accepted_spellings,
    match_headers,
    normalise_brand,
    ordered,
)

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

CRS = "EPSG:4326"
#: ``source_file`` of sites that came in as a frame rather than a file.
FRAME_SOURCE = "(data frame)"


def as_network(frame: object) -> gpd.GeoDataFrame:
    """The frame as a network GeoDataFrame with every schema column, in EPSG:4326.

    A network from :func:`dealernet.load_network` is returned as it is. Otherwise headers are
    matched to the schema, points are taken from the geometry when there are no coordinate
    columns, and brands are spelt as the schema spells them.

    Raises
    ------
    InvalidInputError
        When ``frame`` is not a data frame, or lacks a required column or a location; the
        message names every missing column and the spellings accepted for it.
    """
    import geopandas as gpd  # heavy or optional: imported on first use

    if not isinstance(frame, pd.DataFrame):
        msg = f"a network must be a GeoDataFrame or DataFrame, not {type(frame).__name__}"
        raise InvalidInputError(msg)
    if _is_complete(frame):
        return frame
    table = _renamed(frame)
    table = _with_coordinates(table)
    _require(table)
    out = pd.DataFrame(table).drop(columns=[GEOMETRY], errors="ignore").reset_index(drop=True)
    for column in TEXT_COLUMNS:
        if column not in out:
            out[column] = None
        out[column] = out[column].astype(object).where(out[column].notna(), None)
        if column not in (BRAND,):
            out[column] = out[column].map(lambda v: None if v is None else str(v))
    out[BRAND] = out[BRAND].map(normalise_brand).fillna(out[BRAND])
    for column in CONTACT_COLUMNS:
        if column not in out:
            out[column] = None
        out[column] = out[column].astype(object).where(out[column].notna(), None)
    if DEALER_CODE not in out:  # a frame's ids are its codes: nothing to qualify
        out[DEALER_CODE] = out[DEALER_ID]
    for column in NUMERIC_COLUMNS:
        out[column] = pd.to_numeric(out[column], errors="coerce") if column in out else np.nan
    out[LATITUDE] = pd.to_numeric(out[LATITUDE], errors="coerce").astype("float64")
    out[LONGITUDE] = pd.to_numeric(out[LONGITUDE], errors="coerce").astype("float64")
    if LOCATION_QUALITY not in out:
        out[LOCATION_QUALITY] = EXACT
    if SOURCE_FILE not in out:
        out[SOURCE_FILE] = FRAME_SOURCE
    if SOURCE_ROW not in out:
        out[SOURCE_ROW] = np.arange(1, len(out) + 1, dtype="int64")
    geometry = gpd.points_from_xy(out[LONGITUDE], out[LATITUDE], crs=CRS)
    gdf = gpd.GeoDataFrame(out, geometry=geometry, crs=CRS)
    return gdf[ordered(gdf.columns)]


def _is_complete(frame: pd.DataFrame) -> bool:
    """Already shaped by the loader: every schema column, points in EPSG:4326."""
    crs = getattr(frame, "crs", None)
    return all(c in frame.columns for c in SITE_COLUMNS) and crs is not None and crs == CRS


def _renamed(frame: pd.DataFrame) -> pd.DataFrame:
    """Headers matched to schema columns; the first header wins when two mean one column."""
    original = {str(h): h for h in frame.columns if h != GEOMETRY}
    found = match_headers(original)  # whole headers before flattened ones (geo.latitude)
    mapping = {original[h]: c for c, h in found.items() if c not in frame}
    return frame.rename(columns=mapping)


def _with_coordinates(table: pd.DataFrame) -> pd.DataFrame:
    """Latitude and longitude from point geometry (reprojected to EPSG:4326) when absent."""
    geometry = table.get(GEOMETRY)
    if (LATITUDE in table and LONGITUDE in table) or geometry is None:
        return table
    import geopandas as gpd  # heavy or optional: imported on first use

    points = gpd.GeoSeries(geometry, crs=getattr(table, "crs", None))
    if points.crs is None:
        msg = (
            "the GeoDataFrame's geometry has no CRS, so its points cannot be placed: "
            "set one (gdf.set_crs('EPSG:4326')) or give latitude and longitude columns"
        )
        raise InvalidInputError(msg)
    if not bool(points.geom_type.eq("Point").all()):
        msg = "the GeoDataFrame's geometry must be points, one per site"
        raise InvalidInputError(msg)
    points = points.to_crs(CRS)
    table = table.copy()
    table[LATITUDE] = points.y.to_numpy()
    table[LONGITUDE] = points.x.to_numpy()
    return table


def _require(table: pd.DataFrame) -> None:
    """Refuse a frame without the required columns or a location, naming each one."""
    missing = [c for c in REQUIRED_COLUMNS if c not in table]
    missing += [c for c in (LATITUDE, LONGITUDE) if c not in table]
    if not missing:
        return
    hints = "; ".join(f"{c} ({accepted_spellings(c)})" for c in missing)
    msg = (
        f"the network lacks {len(missing)} required column{'s' if len(missing) > 1 else ''}: "
        f"{', '.join(missing)}. Columns found: {', '.join(map(str, table.columns)) or 'none'}. "
        f"Accepted spellings: {hints}. A GeoDataFrame of points may give its location "
        "as geometry instead of latitude and longitude."
    )
    raise InvalidInputError(msg)
