"""Load dealer files into one validated network GeoDataFrame (the public entry points).

:func:`read_network` does the work and returns the network with its validation report;
:func:`load_network` is the everyday call that refuses invalid input, and
:func:`validate_files` only reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dealernet import schema as S
from dealernet import validate as V
from dealernet._errors import InvalidInputError
from dealernet.io import RawTable, discover, read_table
from dealernet.places import normalise_zip, zip_centroids, zip_from_address

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

PathLike = str | Path
#: Called as ``progress(description, done, total)`` while loading, for progress bars.
Progress = Callable[[str, int, int], None]


@dataclass
class LoadResult:
    """A loaded network and the report of everything found while loading it."""

    network: gpd.GeoDataFrame
    report: V.ValidationReport


def load_network(
    paths: PathLike | Iterable[PathLike],
    *,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> gpd.GeoDataFrame:
    """Read dealer files or folders into one GeoDataFrame in EPSG:4326.

    Parameters
    ----------
    paths
        Files or folders (a folder means every supported file in it): CSV, XLSX, GeoJSON,
        GeoPackage, Shapefile or GeoParquet, one brand or many.
    skip_invalid
        Drop rows with errors instead of refusing the input. The report, with the dropped
        rows, is in ``network.attrs["validation"]``.

    Raises
    ------
    InvalidInputError
        When any error is found (and ``skip_invalid`` is false); ``exc.report`` lists all.
    """
    result = read_network(paths, skip_invalid=skip_invalid, progress=progress)
    result.network.attrs["validation"] = result.report
    return result.network


def validate_files(
    paths: PathLike | Iterable[PathLike], *, progress: Progress | None = None
) -> V.ValidationReport:
    """Check dealer files and report every problem, raising nothing for bad data."""
    return read_network(paths, skip_invalid=True, raise_on_error=False, progress=progress).report


def read_network(
    paths: PathLike | Iterable[PathLike],
    *,
    skip_invalid: bool = False,
    raise_on_error: bool = True,
    progress: Progress | None = None,
) -> LoadResult:
    """Read, check and combine dealer files; see :func:`load_network`.

    ``progress`` is told about each step (one per file, then the checks), so a caller can
    show a progress bar on big inputs.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = discover([Path(p) for p in paths])
    total = len(files) + 2
    tell = progress or (lambda _label, _done, _total: None)
    report = V.ValidationReport(files=[str(f) for f in files])
    frames = []
    for i, path in enumerate(files):
        tell(f"Reading {path.name}", i, total)
        for table in read_table(path):
            report.extend(table.problems)
            frame = _canonical(table, report)
            if frame is not None:
                frames.append(frame)
    frame = pd.concat(frames, ignore_index=True) if frames else _empty_frame()
    report.rows_read = len(frame)
    tell(f"Checking {len(frame):,} rows", len(files), total)
    frame, bad, copy = _check_rows(frame, report)
    if not report.ok and not skip_invalid and raise_on_error:
        raise InvalidInputError(_refusal(report), report)
    if bad.any():
        report.dropped_rows = [
            (f, int(r)) for f, r in zip(frame[V.FILE][bad], frame[V.ROW][bad], strict=True)
        ]
    frame = frame.loc[~(bad | copy)].reset_index(drop=True)
    tell("Building the network", len(files) + 1, total)
    network = _to_geodataframe(frame)
    tell("Loaded", total, total)
    return LoadResult(network, report)


def _refusal(report: V.ValidationReport) -> str:
    return (
        f"The dealer data has errors ({report.summary()}). Fix them, or pass --skip-invalid "
        "to drop the bad rows."
    )


# --- per file -----------------------------------------------------------------------------


def _canonical(table: RawTable, report: V.ValidationReport) -> pd.DataFrame | None:
    """Rename a table's headers to canonical columns; file-level problems end it here."""
    if any(p.severity == V.ERROR for p in table.problems):
        return None
    where = table.where
    if table.frame.shape[1] == 0:
        report.extend([_file_problem(where, "has no header row", "Add a header row.")])
        return None
    if len(table.frame) == 0:
        report.extend([_file_problem(where, "has a header but no data rows",
                                     "Export the dealer list again with its rows.")])  # fmt: skip
        return None
    headers: dict[str, str] = {}
    for header in table.frame.columns:
        column = S.canonical_column(header)
        if column is not None and column not in headers:
            headers[column] = str(header)
    frame = pd.DataFrame({c: table.frame[h].to_numpy() for c, h in headers.items()})
    problems = _missing_columns(table, frame, headers)
    if problems:
        report.extend(problems)
        return None
    for column in S.TEXT_COLUMNS + S.NUMERIC_COLUMNS + (S.LATITUDE, S.LONGITUDE):
        if column not in frame:
            frame[column] = ""
    frame = frame.astype(object).fillna("")
    frame[V.FILE] = where
    frame[V.ROW] = table.rows
    frame[V.LABEL] = table.row_label
    frame[V.HEADERS] = [headers] * len(frame)
    return frame


def _missing_columns(
    table: RawTable, frame: pd.DataFrame, headers: dict[str, str]
) -> list[V.Problem]:
    problems = []
    if S.BRAND not in frame:
        brand = S.brand_in_filename(table.path.stem)
        if brand is not None:
            frame[S.BRAND] = brand
            headers[S.BRAND] = f"(from the file name: {brand})"
    for column in S.REQUIRED_COLUMNS:
        if column not in frame:
            fix = f"Add a {column!r} column; accepted headers: {S.accepted_spellings(column)}"
            if column == S.BRAND:
                fix += ", or name the file after the brand (e.g. infiniti.csv)"
            problems.append(_file_problem(table.where, f"missing required column {column!r}", fix))
    has_coords = S.LATITUDE in frame and S.LONGITUDE in frame
    if not has_coords and S.ZIP not in frame and S.ADDRESS not in frame:
        problems.append(
            _file_problem(
                table.where,
                "no location columns: needs latitude and longitude, or a ZIP code",
                f"Add latitude ({S.accepted_spellings(S.LATITUDE)}) and longitude "
                f"({S.accepted_spellings(S.LONGITUDE)}) columns, or a ZIP column "
                f"({S.accepted_spellings(S.ZIP)})",
            )
        )
    elif (
        S.LATITUDE in frame
        and S.LONGITUDE not in frame
        or (S.LONGITUDE in frame and S.LATITUDE not in frame)
    ):
        have, need = (S.LATITUDE, S.LONGITUDE) if S.LATITUDE in frame else (S.LONGITUDE, S.LATITUDE)
        problems.append(
            _file_problem(
                table.where,
                f"has a {have} column but no {need} column",
                f"Add a {need!r} column; accepted headers: {S.accepted_spellings(need)}",
            )
        )
    return problems


def _file_problem(where: str, message: str, fix: str) -> V.Problem:
    return V.Problem(V.ERROR, where, None, None, None, message, fix)


def _empty_frame() -> pd.DataFrame:
    cols = [*S.TEXT_COLUMNS, S.LATITUDE, S.LONGITUDE, *S.NUMERIC_COLUMNS]
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    for c in (V.FILE, V.ROW, V.LABEL, V.HEADERS):
        frame[c] = pd.Series(dtype=object)
    return frame


# --- rows ---------------------------------------------------------------------------------


def _check_rows(
    frame: pd.DataFrame, report: V.ValidationReport
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Run every row check: the parsed frame, rows with errors, and exact copies to drop."""
    frame = frame.copy()
    for column in S.TEXT_COLUMNS:
        frame[column] = frame[column].astype(str).str.strip()
    bad = np.zeros(len(frame), dtype=bool)
    checks = (
        V.text_length_problems, V.required_text_problems, V.brand_problems, V.coordinate_problems
    )  # fmt: skip
    for check in checks:
        problems, mask = check(frame)
        report.extend(problems)
        bad |= mask
    for column in S.NUMERIC_COLUMNS:
        problems, mask = V.number_column_problems(frame, column)
        report.extend(problems)
        bad |= mask
    problems, copy, dup = V.duplicate_problems(frame)
    report.extend(problems)
    bad |= dup
    bad |= _place_by_zip(frame, bad | copy, report)
    _fill_states(frame, bad | copy, report)
    return frame, bad & ~copy, copy


def _place_by_zip(frame: pd.DataFrame, bad: np.ndarray, report: V.ValidationReport) -> np.ndarray:
    """Put rows without coordinates at their ZIP centroid; returns rows that cannot be placed."""
    zips = V.map_unique(frame[S.ZIP], normalise_zip)
    from_address = (zips == "") & (frame[S.ADDRESS] != "")
    zips[from_address] = frame.loc[from_address, S.ADDRESS].map(zip_from_address)
    frame[S.ZIP] = np.where(zips != "", zips, frame[S.ZIP])
    no_coords = (frame[S.LATITUDE].isna() & frame[S.LONGITUDE].isna()).to_numpy() & ~bad
    frame[S.LOCATION_QUALITY] = S.EXACT
    if not no_coords.any():
        return np.zeros(len(frame), dtype=bool)
    lat, lon, _state = zip_centroids(zips[no_coords])
    found = np.zeros(len(frame), dtype=bool)
    found[np.flatnonzero(no_coords)[~np.isnan(lat)]] = True
    unplaced = no_coords & ~found
    frame.loc[found, S.LATITUDE] = lat[~np.isnan(lat)]
    frame.loc[found, S.LONGITUDE] = lon[~np.isnan(lon)]
    frame.loc[found, S.LOCATION_QUALITY] = S.ZIP_CENTROID
    report.extend(V.problems_at(
        frame, found, S.ZIP, "no coordinates; placed at the ZIP code's centroid (approximate)",
        "Add latitude and longitude for an exact position", severity=V.WARNING, values=zips,
    ))  # fmt: skip
    report.extend(V.problems_at(
        frame, unplaced, S.ZIP, "no coordinates and no usable ZIP code",
        "Add latitude and longitude, or a valid 5-digit US ZIP code", values=frame[S.ZIP],
    ))  # fmt: skip
    return unplaced


def _fill_states(frame: pd.DataFrame, bad: np.ndarray, report: V.ValidationReport) -> None:
    """Normalise state codes, fill missing ones from the coordinates, flag sites abroad."""
    from dealernet.boundaries import in_us, state_at

    given = V.map_unique(frame[S.STATE], lambda v: S.normalise_state(v) or "")
    placed = ~bad & frame[S.LATITUDE].notna().to_numpy()
    lat = frame[S.LATITUDE].to_numpy(dtype="float64")
    lon = frame[S.LONGITUDE].to_numpy(dtype="float64")
    fill = placed & (given == "").to_numpy()
    found = given.to_numpy(dtype=object).copy()
    if fill.any():
        found[fill] = state_at(lat[fill], lon[fill])
    frame[S.STATE] = found
    abroad = placed.copy()
    abroad[placed] = ~in_us(lat[placed], lon[placed])
    if not abroad.any():
        return
    values = pd.Series("", index=frame.index, dtype=object)
    values[abroad] = [f"{a:.5f}, {o:.5f}" for a, o in zip(lat[abroad], lon[abroad], strict=True)]
    west = abroad & (lon > 0)
    report.extend(V.problems_at(
        frame, abroad & ~west, S.LATITUDE, "the site is outside the 50 states and DC",
        "Check the coordinates; sites abroad or in territories are kept but flagged",
        severity=V.WARNING, values=values,
    ))  # fmt: skip
    report.extend(V.problems_at(
        frame, west, S.LONGITUDE,
        "the site is outside the 50 states and DC (longitude is positive, east of Greenwich)",
        "US longitudes are negative: write -96.8, not 96.8", severity=V.WARNING, values=values,
    ))  # fmt: skip


def _to_geodataframe(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    import geopandas as gpd

    frame = frame.rename(columns={V.FILE: S.SOURCE_FILE, V.ROW: S.SOURCE_ROW})
    frame = frame.drop(columns=[V.LABEL, V.HEADERS])
    for column in S.TEXT_COLUMNS:
        frame[column] = frame[column].astype(object).where(frame[column] != "", None)
    frame[S.LATITUDE] = frame[S.LATITUDE].astype("float64")
    frame[S.LONGITUDE] = frame[S.LONGITUDE].astype("float64")
    frame[S.SOURCE_ROW] = frame[S.SOURCE_ROW].astype("int64")
    geometry = gpd.points_from_xy(frame[S.LONGITUDE], frame[S.LATITUDE], crs="EPSG:4326")
    gdf = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    return gdf[S.ordered(gdf.columns)]
