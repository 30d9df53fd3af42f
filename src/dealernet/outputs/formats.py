"""Answers as files: CSV, JSON, GeoJSON, GeoPackage, Parquet.

Queries, SQL answers, comparisons and sweeps all end as a table someone opens in a
spreadsheet or a GIS (the terminal's rich tables are in :mod:`dealernet.outputs.terminal`).
This module turns them into those formats and nothing else: it never filters or computes
totals. Numbers are rounded as in ``OUT/data/``
(:func:`dealernet._csv.rounded`), files are written atomically, and the format follows the
file's extension, so ``--output texas.geojson`` needs no ``--format``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dealernet._atomic import atomic_path, staged_gpkg, write_text
from dealernet._csv import BOM, csv_file_text, csv_text, rounded
from dealernet._errors import QueryError
from dealernet.geo import boundaries
from dealernet.geo.regions import load_regions
from dealernet.planning.query import GROUP_COLUMNS
from dealernet.schema import LATITUDE, LONGITUDE

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from dealernet.planning.query import QueryResult

#: File extension -> format name.
EXTENSIONS: dict[str, str] = {
    ".csv": "csv",
    ".json": "json",
    ".geojson": "geojson",
    ".gpkg": "gpkg",
    ".parquet": "parquet",
    ".html": "html",
}
#: Formats a query can be printed in or written to.
QUERY_FORMATS = ("table", "csv", "json", "geojson", "gpkg")
RANGES_EXACT = "10th / 50th / 90th percentiles of the summed Monte Carlo draws"
RANGES_APPROX = "sums of each store's own 10th / 50th / 90th percentiles (approximate)"
#: Groups that have a shape on a map, and the column holding their key.
_SHAPED = ("state", "county", "region", "division", "host")


def format_for(path: Path | None, fmt: str | None, allowed: Sequence[str]) -> str:
    """The format to write: ``fmt`` if given, else the file's extension, checked to agree.

    Raises
    ------
    QueryError
        For an extension or format not in ``allowed``, or one that contradicts the other.
    """
    by_suffix = EXTENSIONS.get(path.suffix.casefold()) if path is not None else None
    if path is not None and by_suffix not in allowed:
        known = ", ".join(f".{f}" for f in allowed if f != "table")
        msg = f"cannot tell the format of {path.name!r} from its extension; use one of {known}"
        raise QueryError(msg)
    chosen = fmt or by_suffix or "table"
    if chosen not in allowed:
        msg = f"unknown format {chosen!r}; choose one of {', '.join(allowed)}"
        raise QueryError(msg)
    if path is not None and by_suffix and fmt and fmt not in ("table", by_suffix):
        msg = f"--format {fmt} does not match the extension of {path.name!r} ({by_suffix})"
        raise QueryError(msg)
    return by_suffix or chosen


# --- queries ------------------------------------------------------------------------------


def query_text(answer: QueryResult, fmt: str) -> str:
    """The answer as CSV, JSON or GeoJSON text (for standard output or a file)."""
    if fmt == "csv":
        return csv_text(answer.frame)
    if fmt == "json":
        return _query_json(answer)
    if fmt == "geojson":
        return query_geodataframe(answer).to_json(drop_id=True, na="null") + "\n"
    msg = f"{fmt} is not a text format; give --output FILE.{fmt}"
    raise QueryError(msg)


def write_query(answer: QueryResult, path: Path, fmt: str | None = None) -> Path:
    """Write the answer atomically as CSV, JSON, GeoJSON or GeoPackage."""
    chosen = format_for(path, fmt, [f for f in QUERY_FORMATS if f != "table"])
    if chosen == "gpkg":
        layer = f"by_{answer.group_by}" if answer.group_by else "sites"
        return write_gpkg(query_geodataframe(answer), path, layer)
    text = query_text(answer, chosen)
    return write_text(path, BOM + text if chosen == "csv" else text)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (NaN and infinities become null)."""
    text = rounded(frame).replace([np.inf, -np.inf], np.nan).to_json(orient="records")
    return json.loads(text)


def _query_json(answer: QueryResult) -> str:
    totals = records(pd.DataFrame([answer.totals]).infer_objects())[0]
    data: dict[str, Any] = {
        "selection": answer.label,
        "group_by": answer.group_by,
        "ranges": RANGES_EXACT if answer.ranges_exact else RANGES_APPROX,
        "totals": totals,
        "groups" if answer.groups is not None else "sites": records(answer.frame),
        "notes": list(answer.notes),
    }
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def query_geodataframe(answer: QueryResult) -> gpd.GeoDataFrame:
    """Sites as points; groups by state, county, region or division as outlines; hosts as
    points. Owner groups and decisions have no place, so they are refused.
    """
    import geopandas as gpd  # heavy or optional: imported on first use

    frame = rounded(answer.frame)
    by = answer.group_by
    if by is None:
        geometry = gpd.points_from_xy(frame[LONGITUDE], frame[LATITUDE], crs="EPSG:4326")
        return gpd.GeoDataFrame(_plain(frame), geometry=geometry, crs="EPSG:4326")
    if by not in _SHAPED:
        msg = (
            f"groups by {by} have no place to draw; write them as .csv or .json, or group "
            f"by one of {', '.join(_SHAPED)} for GeoJSON and GeoPackage"
        )
        raise QueryError(msg)
    if by == "host":
        geometry = gpd.points_from_xy(frame["host_longitude"], frame["host_latitude"], crs=4326)
        return gpd.GeoDataFrame(_plain(frame), geometry=geometry, crs="EPSG:4326")
    return _outlines(_plain(frame), by)


def _outlines(frame: pd.DataFrame, by: str) -> gpd.GeoDataFrame:
    """Groups joined to the shipped state or county boundaries (regions dissolved)."""
    import geopandas as gpd  # heavy or optional: imported on first use

    key = GROUP_COLUMNS[by]
    if by == "county":
        shapes = boundaries.counties()[["geoid", "geometry"]].rename(columns={"geoid": key})
    else:
        shapes = boundaries.states()[["state", "geometry"]]
        if by in ("region", "division"):
            kind = "region" if by == "region" else "division"
            shapes = shapes.assign(**{key: load_regions().keys_for(shapes["state"], kind)})
            shapes = shapes.dissolve(by=key, as_index=False)[[key, "geometry"]]
    merged = frame.merge(shapes, on=key, how="left")
    return gpd.GeoDataFrame(merged, geometry="geometry", crs="EPSG:4326")


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns every GIS driver takes: nullable booleans and objects become text or numbers."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.BooleanDtype):
            out[column] = out[column].astype(object).where(out[column].notna(), None)
        elif out[column].dtype == object:
            out[column] = out[column].map(lambda v: None if v is None or v is pd.NA else str(v))
    return out


def write_gpkg(frame: gpd.GeoDataFrame, path: Path, layer: str) -> Path:
    """Write one GeoPackage layer atomically (a fresh file replaces any old one)."""
    with atomic_path(path) as tmp, staged_gpkg(tmp) as staged:
        frame.to_file(staged, driver="GPKG", layer=layer, engine="pyogrio")
        staged.replace(tmp)
    return Path(path)


def write_frame(frame: pd.DataFrame, path: Path, fmt: str | None = None) -> Path:
    """Write a plain table atomically as CSV, JSON (records) or Parquet."""
    chosen = format_for(path, fmt, ["csv", "json", "parquet"])
    if chosen == "csv":
        return write_text(path, csv_file_text(frame))
    if chosen == "json":
        text = json.dumps(records(frame), indent=2, ensure_ascii=False, allow_nan=False)
        return write_text(path, text + "\n")
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)
    return Path(path)
