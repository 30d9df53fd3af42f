"""Population points from Parquet: one (Geo)Parquet file or a partitioned dataset (a folder).

Customer access weighs people by where they live. The shipped US places
(:func:`dealernet.geo.places.load_places`) are enough for a national picture; a finer grid
(census blocks, a population raster as points, several countries) comes as Parquet:

* one ``.parquet`` / ``.geoparquet`` file, or a folder of them (searched recursively, as
  Dask, Spark and GDAL write partitioned datasets), read in natural order (``part.2``
  before ``part.10``);
* coordinates as a GeoParquet point geometry (WKB or native ``point`` encoding, any CRS:
  transformed to WGS84) or as ``latitude`` / ``longitude`` columns (also ``lat``, ``y`` and
  ``lon``, ``lng``, ``long``, ``x``) in degrees;
* a ``population`` column (also ``pop``, ``people``, ``total_population``).

Every other column is carried through. The same reader serves the in-memory engine
(:func:`load_population`) and the Dask engine (:mod:`dealernet.analysis.access_dask`), one piece
(a row group) at a time, so both see identical data.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dealernet._errors import InputFileError
from dealernet.schema import LATITUDE, LONGITUDE

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

__all__ = ["POPULATION", "PopulationDataset", "load_population", "open_population"]

#: The population column of the frames returned here (as :mod:`dealernet.analysis.access` wants).
POPULATION = "population"
#: Accepted spellings, first match wins (compared case-insensitively).
POPULATION_NAMES = ("population", "pop", "people", "total_population")
LATITUDE_NAMES = ("latitude", "lat", "y")
LONGITUDE_NAMES = ("longitude", "lon", "lng", "long", "x")
PARQUET_SUFFIXES = (".parquet", ".geoparquet", ".parq")

#: A piece of a dataset: a file and one of its row groups.
Piece = tuple[str, int]


@dataclass(frozen=True)
class PopulationDataset:
    """A checked population dataset: which files, and which columns mean what.

    Attributes
    ----------
    files
        Parquet files in reading order.
    population
        The population column as spelled in the files.
    latitude, longitude
        Coordinate columns, when coordinates are columns (else ``None``).
    geometry
        The GeoParquet primary geometry column, when coordinates are a geometry.
    encoding, crs
        The geometry's encoding (``"WKB"`` or ``"point"``) and CRS (PROJJSON, or ``None``
        for WGS84 longitude / latitude).
    carried
        Other columns, passed through unchanged.
    """

    files: tuple[str, ...]
    population: str
    latitude: str | None
    longitude: str | None
    geometry: str | None
    encoding: str | None
    crs: Any
    carried: tuple[str, ...]

    def pieces(self) -> list[Piece]:
        """Every ``(file, row group)`` in reading order: the unit of work of the Dask engine."""
        import pyarrow.parquet as pq  # heavy or optional: imported on first use

        return [
            (f, i) for f in self.files for i in range(pq.ParquetFile(f).metadata.num_row_groups)
        ]

    def read_piece(self, piece: Piece) -> pd.DataFrame:
        """One row group as carried columns, ``latitude``, ``longitude`` and ``population``."""
        import pyarrow.parquet as pq  # heavy or optional: imported on first use

        path, group = piece
        try:
            table = pq.ParquetFile(path).read_row_group(group, columns=self._columns())
        except (OSError, ValueError) as exc:  # pyarrow raises ArrowInvalid (a ValueError)
            msg = f"cannot read {path} (row group {group}): {exc}"
            raise InputFileError(msg) from exc
        return self._frame(table, path)

    def empty(self) -> pd.DataFrame:
        """A frame with no rows and the columns and types :meth:`read_piece` returns."""
        import pyarrow.parquet as pq  # heavy or optional: imported on first use

        if not self.files:
            columns = [*self.carried, LATITUDE, LONGITUDE, POPULATION]
            return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
        path = self.files[0]
        table = pq.read_schema(path).empty_table().select(self._columns())
        return self._frame(table, path)

    def _columns(self) -> list[str]:
        coords = [self.geometry] if self.geometry else [self.latitude, self.longitude]
        return [*self.carried, self.population, *(c for c in coords if c is not None)]

    def _frame(self, table: pa.Table, path: str) -> pd.DataFrame:
        if self.carried:  # the file's own index (a range from the pandas metadata) is dropped
            frame = table.select(list(self.carried)).to_pandas().reset_index(drop=True)
        else:
            frame = pd.DataFrame(index=pd.RangeIndex(table.num_rows))
        if self.geometry is not None:
            lon, lat = _point_coordinates(table.column(self.geometry), self, path)
        else:
            lat = table.column(self.latitude).to_numpy(zero_copy_only=False)
            lon = table.column(self.longitude).to_numpy(zero_copy_only=False)
        frame[LATITUDE] = np.asarray(lat, dtype="float64")
        frame[LONGITUDE] = np.asarray(lon, dtype="float64")
        frame[POPULATION] = table.column(self.population).to_pandas().to_numpy()
        return frame


def _natural_key(path: Path) -> list[object]:
    """Sort key putting ``part.2`` before ``part.10``."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.as_posix())]


def population_files(path: str | Path) -> list[Path]:
    """The Parquet files of a dataset: the file itself, or every one under a folder."""
    path = Path(path)
    if not path.exists():
        msg = f"population data not found: {path}"
        raise InputFileError(msg)
    if path.is_file():
        if path.suffix.lower() not in PARQUET_SUFFIXES:
            msg = (
                f"{path}: population data must be Parquet or GeoParquet "
                f"({', '.join(PARQUET_SUFFIXES)}); convert a table with "
                "pandas.read_csv(...).to_parquet(...)"
            )
            raise InputFileError(msg)
        return [path]
    files = [
        p
        for p in path.rglob("*")
        if p.is_file()
        and p.suffix.lower() in PARQUET_SUFFIXES
        and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
    ]
    if not files:
        msg = f"{path}: no Parquet files (*.parquet, *.geoparquet) in this folder"
        raise InputFileError(msg)
    return sorted(files, key=lambda p: _natural_key(p.relative_to(path)))


def _pick(names: list[str], wanted: tuple[str, ...]) -> str | None:
    lower = {n.casefold(): n for n in reversed(names)}
    return next((lower[w] for w in wanted if w in lower), None)


def _geo_metadata(schema: pa.Schema) -> dict[str, Any] | None:
    raw = (schema.metadata or {}).get(b"geo")
    return json.loads(raw) if raw else None


def open_population(path: str | Path) -> PopulationDataset:
    """Find a dataset's files and check, from their schemas alone, that it can be used.

    Raises
    ------
    InputFileError
        The path is missing or holds no Parquet, a file cannot be read, or a file lacks a
        population column or coordinates (a point geometry or latitude / longitude).
    """
    import pyarrow as pa  # heavy or optional: imported on first use
    import pyarrow.parquet as pq  # heavy or optional: imported on first use

    files = population_files(path)
    found: PopulationDataset | None = None
    for file in files:
        try:
            schema = pq.read_schema(file)
        except (OSError, ValueError) as exc:
            msg = f"cannot read {file} as Parquet: {exc}"
            raise InputFileError(msg) from exc
        this = _describe(file, schema)
        if found is not None and this != found:
            msg = f"{file}: its columns differ from {files[0]}'s; a dataset needs one schema"
            raise InputFileError(msg)
        found = this
        pop_type = schema.field(this.population).type
        if not (pa.types.is_integer(pop_type) or pa.types.is_floating(pop_type)):
            msg = f"{file}: column {this.population!r} is {pop_type}, not a number"
            raise InputFileError(msg)
    assert found is not None
    return PopulationDataset(**{**found.__dict__, "files": tuple(str(f) for f in files)})


def _describe(file: Path, schema: pa.Schema) -> PopulationDataset:
    """What each column of one file means."""
    names = list(schema.names)
    geo = _geo_metadata(schema)
    geometry = geo.get("primary_column") if geo else None
    geo_columns = set((geo or {}).get("columns", {}))
    pop = _pick(names, POPULATION_NAMES)
    lat = lon = encoding = crs = None
    if geometry in names:
        meta = geo["columns"].get(geometry, {})  # type: ignore[index]
        encoding = str(meta.get("encoding", "WKB"))
        if encoding.upper() == "WKB":
            encoding = "WKB"
        elif encoding != "point":
            msg = f"{file}: geometry encoding {encoding!r}; population needs points (WKB or point)"
            raise InputFileError(msg)
        crs = meta.get("crs")
    else:
        geometry = None
        lat, lon = _pick(names, LATITUDE_NAMES), _pick(names, LONGITUDE_NAMES)
    problems = []
    if pop is None:
        problems.append(f"a population column ({' / '.join(POPULATION_NAMES)})")
    if geometry is None and (lat is None or lon is None):
        problems.append(
            "coordinates: a GeoParquet point geometry, or latitude and longitude columns "
            f"({' / '.join(LATITUDE_NAMES)}; {' / '.join(LONGITUDE_NAMES)})"
        )
    if problems:
        msg = f"{file} lacks {' and '.join(problems)}; it has columns {names}"
        raise InputFileError(msg)
    used = {pop, lat, lon, geometry, LATITUDE, LONGITUDE, POPULATION} | geo_columns
    carried = tuple(n for n in names if n not in used)
    return PopulationDataset((), pop, lat, lon, geometry, encoding, crs, carried)  # type: ignore[arg-type]


def _point_coordinates(
    column: pa.ChunkedArray, dataset: PopulationDataset, path: str
) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude (WGS84) of a GeoParquet point column."""
    import shapely  # heavy or optional: imported on first use

    if dataset.encoding == "point":
        flat = column.combine_chunks()
        x = flat.field("x").to_numpy(zero_copy_only=False).astype("float64")
        y = flat.field("y").to_numpy(zero_copy_only=False).astype("float64")
        missing = np.asarray(flat.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        x[missing] = y[missing] = np.nan
    else:
        geoms = shapely.from_wkb(column.to_numpy(zero_copy_only=False))
        kinds = shapely.get_type_id(geoms)
        bad = (kinds != shapely.GeometryType.POINT) & (kinds >= 0)
        if bad.any():
            kind = shapely.get_type_id(geoms[bad][0])
            msg = (
                f"{path}: population geometries must be points; found "
                f"{shapely.GeometryType(kind).name.title()} (use their centroids or "
                "representative points)"
            )
            raise InputFileError(msg)
        x, y = shapely.get_x(geoms), shapely.get_y(geoms)
    return _to_wgs84(x, y, dataset.crs)


def _to_wgs84(x: np.ndarray, y: np.ndarray, crs: Any) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude in degrees from coordinates in ``crs`` (``None``: lon/lat)."""
    if crs is None:
        return x, y
    from pyproj import CRS, Transformer  # heavy or optional: imported on first use

    source = CRS.from_user_input(crs)
    if source.equals(CRS.from_user_input("OGC:CRS84"), ignore_axis_order=True):
        return x, y
    lon, lat = Transformer.from_crs(source, "OGC:CRS84", always_xy=True).transform(x, y)
    return np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")


def load_population(path: str | Path) -> pd.DataFrame:
    """Read population points into memory for :func:`dealernet.analysis.access.compute_access`.

    Parameters
    ----------
    path
        A (Geo)Parquet file or a folder of them (see the module notes for the columns).

    Returns
    -------
    pandas.DataFrame
        The carried columns, then ``latitude``, ``longitude`` (WGS84 degrees) and
        ``population``, in file and row order, with a fresh 0..n-1 index.

    Raises
    ------
    InputFileError
        The path is missing or unreadable, or lacks population or coordinates.
    """
    dataset = open_population(path)
    frames = [dataset.read_piece(piece) for piece in dataset.pieces()]
    if not frames:
        return dataset.empty()
    return pd.concat(frames, ignore_index=True)
