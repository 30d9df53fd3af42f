"""Reading dealer files of every supported format into raw tables of text.

Nothing here judges the data: a reader returns the cells as text with the row numbers a
user sees in their own tool (the line in a CSV, the row in a spreadsheet, the feature in a
GeoJSON, the record in a JSON roster), and file-level problems as
:class:`~dealernet.io.validate.Problem` objects, so that validation can report every
problem in every file at once.
"""

from __future__ import annotations

import csv
import stat
from pathlib import Path

import numpy as np
import pandas as pd

from dealernet._errors import InputFileError
from dealernet.io.json_rosters import RosterError, parse_roster
from dealernet.io.tables import (
    FIX_FORMAT,
    FileProblem,
    RawTable,
    cell_text_any,
    failed,
    short,
)
from dealernet.io.text_files import decode, read_csv
from dealernet.io.validate import WARNING, Problem
from dealernet.io.workbooks import read_xlsx
from dealernet.schema import LATITUDE, LONGITUDE, canonical_column
from dealernet.settings import SUPPORTED_SUFFIXES

__all__ = ["RawTable", "discover", "read_table"]

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")
PARQUET_SUFFIXES = (".parquet", ".geoparquet")


#: Files a data folder holds beside its data (a licence, a read-me): skipped in a folder,
#: read only when named on their own.
NOTICE_STEMS = ("license", "licence", "readme", "sources", "notice", "copying", "changelog")


def _is_notice(path: Path) -> bool:
    return path.stem.casefold() in NOTICE_STEMS


#: Files an editor leaves beside a dealer file: Excel's lock file (``~$dealers.xlsx``, while
#: the workbook is open), macOS's resource forks (``._dealers.csv``, on a USB stick or a
#: network share). Skipped in a folder, with a note; they are never dealer data.
_LITTER_PREFIXES = ("~$", "._")


def _is_litter(path: Path) -> bool:
    return path.name.startswith(_LITTER_PREFIXES) or path.name in (".DS_Store", "Thumbs.db")


def discover(paths: list[Path] | tuple[Path, ...], skipped: list[str] | None = None) -> list[Path]:
    """Expand folders into the supported files they hold; check every path is a file.

    ``skipped`` (when given) receives a note for each file of a folder passed over:
    an editor's lock file or a macOS resource fork.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(
                p
                for p in path.iterdir()
                if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not _is_notice(p)
            )
            litter = [p for p in files if _is_litter(p)]
            if skipped is not None:
                skipped.extend(
                    f"{p}: skipped; an editor's lock file or a macOS resource fork, not dealer data"
                    for p in litter
                )
            files = [p for p in files if not _is_litter(p)]
            if not files:
                msg = (
                    f"{path}: no dealer files in this folder. Supported: "
                    f"{', '.join(SUPPORTED_SUFFIXES)}."
                )
                raise InputFileError(msg)
            found.extend(files)
        elif path.is_file():
            found.append(path)
        elif path.exists():
            msg = (
                f"{path}: is not a regular file ({_kind(path)}); dealernet reads dealer data "
                "only from files. Fix: pass the dealer files or the folder holding them "
                "(save the data to a file first)."
            )
            raise InputFileError(msg)
        else:
            msg = (
                f"{path}: no such file or folder. Pass the dealer files or the folder holding them."
            )
            raise InputFileError(msg)
    return found


def _kind(path: Path) -> str:
    """What a path that is neither a file nor a folder is: ``a character device``..."""
    mode = path.stat().st_mode
    kinds = (
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a file")


def read_table(path: Path) -> list[RawTable]:
    """Read one file into raw tables (several for a workbook with several dealer sheets)."""
    suffix = path.suffix.lower()
    try:
        if not path.is_file():  # replaced by a device or pipe since it was found
            raise FileProblem("is not a regular file", "Pass the dealer file itself.")
        if suffix in CSV_SUFFIXES:
            return [read_csv(path, path.read_bytes())]
        if suffix == ".xlsx":
            return read_xlsx(path)
        if suffix == ".json" and (roster := _read_json_roster(path)) is not None:
            return [roster]
        if suffix in PARQUET_SUFFIXES:
            return [_read_parquet(path)]
        if suffix in VECTOR_SUFFIXES:
            return [_read_vector(path)]
    except FileProblem as exc:
        return [failed(path, exc.message, exc.fix, exc.notes)]
    except (OSError, ValueError, UnicodeError, csv.Error, KeyError, IndexError) as exc:
        return [failed(path, f"cannot be read ({short(exc)})", FIX_FORMAT)]
    return [
        failed(
            path,
            f"unsupported file type {suffix!r}",
            f"Save it as one of: {', '.join(SUPPORTED_SUFFIXES)}.",
        )
    ]


# --- JSON rosters -------------------------------------------------------------------------


def _read_json_roster(path: Path) -> RawTable | None:
    """A dealer-locator JSON array as a table; ``None`` for GeoJSON (the GIS reader's)."""
    data = path.read_bytes()
    if not data.strip():
        raise FileProblem("the file is empty", "Export the dealer list again; it has no rows.")
    text, _ = decode(data)
    try:
        roster = parse_roster(text)
    except RosterError as exc:
        raise FileProblem(exc.message, exc.fix) from exc
    if roster is None:
        return None
    rows = np.arange(1, len(roster.frame) + 1, dtype="int64")
    return RawTable(path, roster.frame, rows, "record", ignored=roster.ignored)


# --- GIS formats --------------------------------------------------------------------------


def _read_parquet(path: Path) -> RawTable:
    """GeoParquet as a GIS layer; plain Parquet as a table with latitude/longitude columns."""
    if path.stat().st_size == 0:
        raise FileProblem("the file is empty", "Export the dealer table again; it has no rows.")
    import pyarrow.parquet as pq  # heavy or optional: imported on first use

    try:
        geo = b"geo" in (pq.read_schema(path).metadata or {})
    except Exception as exc:  # Arrow raises many types for bad files
        raise FileProblem(f"cannot be read as Parquet ({short(exc)})") from exc
    if geo:
        return _read_vector(path)
    try:
        table = pd.read_parquet(path)
    except Exception as exc:  # Arrow raises many types for bad files
        raise FileProblem(f"cannot be read as Parquet ({short(exc)})") from exc
    if table.empty:
        raise FileProblem("has no rows", "Export the dealer table again with its rows.")
    frame = pd.DataFrame({str(c): table[c].map(cell_text_any) for c in table.columns}, dtype=object)
    frame.index = range(len(frame))
    return RawTable(path, frame, np.arange(1, len(frame) + 1, dtype="int64"), "row")


def _read_vector(path: Path) -> RawTable:
    """GeoJSON, GeoPackage, Shapefile or GeoParquet, reprojected to EPSG:4326."""
    import geopandas as gpd  # heavy or optional: imported on first use

    if path.stat().st_size == 0:
        raise FileProblem("the file is empty", "Export the dealer layer again; it has no features.")
    if path.suffix.lower() == ".shp":
        _check_shapefile_parts(path)
    problems: list[Problem] = []
    layer = None
    try:
        if path.suffix.lower() in PARQUET_SUFFIXES:
            gdf = gpd.read_parquet(path)
        else:
            layer, problems = _pick_layer(path)
            gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except FileProblem:
        raise
    except Exception as exc:  # GDAL and Arrow raise many types for bad files
        raise FileProblem(f"cannot be read as a GIS layer ({short(exc)})") from exc
    if len(gdf) == 0:
        raise FileProblem(
            "has no features", "Export the dealer layer again with its points.", problems
        )
    frame = pd.DataFrame(
        {c: gdf[c].map(cell_text_any) for c in gdf.columns if c != gdf.geometry.name},
        dtype=object,
    )
    frame.index = range(len(frame))
    geom = gdf.geometry
    if len(gdf) and geom.notna().any():
        if gdf.crs is None:
            problems.append(
                Problem(
                    WARNING,
                    str(path),
                    None,
                    None,
                    None,
                    "the layer has no coordinate reference system; assumed EPSG:4326",
                    "Save it with a CRS so coordinates are read correctly.",
                )
            )
        elif not gdf.crs.equals("EPSG:4326"):
            geom = geom.to_crs("EPSG:4326")
        kinds = set(geom.dropna().geom_type)
        if kinds - {"Point"}:
            raise FileProblem(
                f"has {', '.join(sorted(kinds))} geometries; dealer sites must be points",
                "Save one point per dealership.",
                problems,
            )
        is_point = geom.notna() & ~geom.is_empty
        frame[LONGITUDE] = np.where(is_point, geom.x.astype(str), frame.get(LONGITUDE, ""))
        frame[LATITUDE] = np.where(is_point, geom.y.astype(str), frame.get(LATITUDE, ""))
        frame = _drop_alias_duplicates(frame)
    rows = np.arange(1, len(frame) + 1, dtype="int64")
    return RawTable(path, frame, rows, "feature", layer, problems)


def _check_shapefile_parts(path: Path) -> None:
    """A shapefile is several files: name the one that is missing (GDAL's error would not)."""
    present = {p.suffix.lower() for p in path.parent.glob(path.stem + ".*")}
    for suffix, what in ((".dbf", "attribute table"), (".shx", "shape index")):
        if suffix not in present:
            msg = (
                f"the shapefile's {suffix} file ({what}) is missing: "
                f"{path.with_suffix(suffix).name} should sit beside {path.name}"
            )
            raise FileProblem(
                msg,
                f"Copy every file of the shapefile ({path.stem}.shp, .shx, .dbf, .prj) into "
                "the same folder, or save the layer as one GeoPackage or GeoJSON file.",
            )


#: Geometry types of a layer that holds dealer points.
_POINT_TYPES = ("Point", "Point Z", "Point M", "Point ZM", "3D Point")


def _pick_layer(path: Path) -> tuple[str | None, list[Problem]]:
    """The first layer of a multi-layer file, with a note naming it.

    When that layer holds no points, the file is refused, naming the layers that do.
    """
    import pyogrio  # heavy or optional: imported on first use

    layers = pyogrio.list_layers(path)
    if len(layers) <= 1:
        return None, []
    name, kind = str(layers[0][0]), str(layers[0][1])
    note = Problem(
        WARNING,
        str(path),
        None,
        None,
        None,
        f"has {len(layers)} layers ({', '.join(repr(str(r[0])) for r in layers)}); "
        f"read the first, {name!r}",
        "Keep one dealer layer per file, or split the layers into files.",
    )
    if kind not in _POINT_TYPES:
        with_points = [repr(str(r[0])) for r in layers if str(r[1]) in _POINT_TYPES]
        where = (
            f"the layers with points: {', '.join(with_points)}"
            if with_points
            else "no layer holds points"
        )
        raise FileProblem(
            f"its first layer, {name!r}, holds {kind} geometries, not dealer points ({where})",
            "Put the dealer layer first, or save it as its own file.",
            [note],
        )
    return name, [note]


def _drop_alias_duplicates(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop attribute columns that alias latitude/longitude now that geometry supplies them."""
    drop = [
        c
        for c in frame.columns
        if c not in (LATITUDE, LONGITUDE) and canonical_column(c) in (LATITUDE, LONGITUDE)
    ]
    return frame.drop(columns=drop)
