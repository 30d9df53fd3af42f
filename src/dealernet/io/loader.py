"""Load dealer files into one validated network GeoDataFrame (the public entry points).

:func:`read_network` does the work and returns the network with its validation report;
:func:`load_network` is the everyday call that refuses invalid input, and
:func:`validate_network` only reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dealernet._errors import InvalidInputError
from dealernet.geo.places import normalise_zip, zip_centroids, zip_from_address
from dealernet.io.checks import control_problems, duplicate_column_problems, state_problems
from dealernet.io.keys import other_make_problems, site_key_problems
from dealernet.io.owner_names import owner_spelling_problems
from dealernet.io.readers import RawTable, discover, read_table
from dealernet.io.validate import (
    ERROR,
    FILE,
    HEADERS,
    LABEL,
    READ_BAD,
    ROW,
    WARNING,
    FileColumns,
    Problem,
    ValidationReport,
    brand_problems,
    coordinate_problems,
    map_unique,
    number_column_problems,
    problems_at,
    required_text_problems,
    text_length_problems,
)
from dealernet.schema import (
    ADDRESS,
    BRAND,
    CONTACT_COLUMNS,
    DEALER_CODE,
    EXACT,
    LATITUDE,
    LOCATION_QUALITY,
    LONGITUDE,
    NUMERIC_COLUMNS,
    REQUIRED_COLUMNS,
    SOURCE_FILE,
    SOURCE_ROW,
    TEXT_COLUMNS,
    ZIP,
    ZIP_CENTROID,
    accepted_spellings,
    brand_in_filename,
    match_headers,
    ordered,
)
from dealernet.settings import dealer_paths

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

PathLike = str | Path
#: Called as ``progress(description, done, total)`` while loading, for progress bars.
Progress = Callable[[str, int, int], None]


@dataclass
class LoadResult:
    """A loaded network and the report of everything found while loading it."""

    network: gpd.GeoDataFrame
    report: ValidationReport


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
        GeoPackage, Shapefile, GeoParquet or a dealer-locator JSON array (nested
        schema.org ``AutoDealer`` records), one brand or many.
    skip_invalid
        Drop rows with errors instead of refusing the input. The report, with the dropped
        rows, is in ``network.attrs["validation"]``.

    Raises
    ------
    InvalidInputError
        When any error is found (and ``skip_invalid`` is false), or when ``skip_invalid``
        leaves no row; ``exc.report`` lists every problem.
    """
    result = read_network(paths, skip_invalid=skip_invalid, progress=progress)
    if skip_invalid and result.network.empty:
        dropped = len(result.report.dropped_rows)
        msg = (
            f"no valid row is left: all {dropped:,} rows have errors, so --skip-invalid "
            "dropped every one. Fix the errors listed above (dealernet validate lists them)."
        )
        raise InvalidInputError(msg, result.report)
    result.network.attrs["validation"] = result.report
    return result.network


def validate_network(
    paths: PathLike | Iterable[PathLike], *, progress: Progress | None = None
) -> ValidationReport:
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
    skipped: list[str] = []
    # "sample", "real-2015": bundled networks
    files = discover(dealer_paths(list(paths)), skipped=skipped)
    total = len(files) + 2
    tell = progress or (lambda _label, _done, _total: None)
    report = ValidationReport(files=[str(f) for f in files], notes=skipped)
    frames = []
    for i, path in enumerate(files):
        tell(f"Reading {path.name}", i, total)
        for table in read_table(path):
            report.extend(table.problems)
            frame = _canonical(table, report)
            if frame is not None:
                frames.append(frame)
    frame = pd.concat(frames, ignore_index=True) if frames else _empty_frame()
    report.rows_read = sum(c.rows for c in report.columns)  # refused files' rows too
    tell(f"Checking {len(frame):,} rows", len(files), total)
    frame, bad, copy = _check_rows(frame, report)
    _count_brands(frame, bad | copy, report)
    if not report.ok and not skip_invalid and raise_on_error:
        raise InvalidInputError(_refusal(report), report)
    if bad.any():
        report.dropped_rows = [
            (f, int(r)) for f, r in zip(frame[FILE][bad], frame[ROW][bad], strict=True)
        ]
    frame = frame.loc[~(bad | copy)].reset_index(drop=True)
    tell("Building the network", len(files) + 1, total)
    network = _to_geodataframe(frame)
    tell("Loaded", total, total)
    return LoadResult(network, report)


def _refusal(report: ValidationReport) -> str:
    return (
        f"The dealer data has errors ({report.summary()}). Fix them, or pass --skip-invalid "
        "to drop the bad rows."
    )


# --- per file -----------------------------------------------------------------------------


def _canonical(table: RawTable, report: ValidationReport) -> pd.DataFrame | None:
    """Rename a table's headers to canonical columns; file-level problems end it here.

    Row-level errors the reader found (a row with cells shifted by an unquoted comma, a
    formula with no saved value) mark their rows bad, so the rest of the file is checked.
    """
    if any(p.severity == ERROR and p.row is None for p in table.problems):
        return None
    where = table.where
    if table.frame.shape[1] == 0:
        report.extend([_file_problem(where, "has no header row", "Add a header row.")])
        return None
    if len(table.frame) == 0:
        report.extend(
            [
                _file_problem(
                    where,
                    "has a header but no data rows",
                    "Export the dealer list again with its rows.",
                )
            ]
        )
        return None
    doubles = duplicate_column_problems(table)
    report.extend(doubles)
    if any(p.severity == ERROR for p in doubles):
        return None
    headers = match_headers(table.frame.columns)
    frame = pd.DataFrame({c: table.frame[h].to_numpy() for c, h in headers.items()})
    used = {h: c for c, h in headers.items()}
    columns = FileColumns(
        where,
        len(table.frame),
        {str(h): used[str(h)] for h in table.frame.columns if str(h) in used},
        [str(h) for h in table.frame.columns if str(h) not in used] + table.ignored,
    )
    report.columns.append(columns)
    problems = _missing_columns(table, frame, headers)
    if BRAND in frame and BRAND not in used.values():
        columns.brand_from_name = str(frame[BRAND].iloc[0])
    if problems:
        report.extend(problems)
        return None
    for column in TEXT_COLUMNS + CONTACT_COLUMNS + NUMERIC_COLUMNS + (LATITUDE, LONGITUDE):
        if column not in frame:
            frame[column] = ""
    frame = frame.astype(object).fillna("")
    frame[FILE] = where
    frame[ROW] = table.rows
    frame[LABEL] = table.row_label
    frame[HEADERS] = [headers] * len(frame)
    refused = {p.row for p in table.problems if p.severity == ERROR and p.row is not None}
    frame[READ_BAD] = np.isin(table.rows, list(refused))
    return frame


def _missing_columns(
    table: RawTable, frame: pd.DataFrame, headers: dict[str, str]
) -> list[Problem]:
    problems = []
    if BRAND not in frame:
        brand = brand_in_filename(table.path.stem)
        if brand is not None:
            frame[BRAND] = brand
            headers[BRAND] = f"(from the file name: {brand})"
    for column in REQUIRED_COLUMNS:
        if column not in frame:
            fix = f"Add a {column!r} column; accepted headers: {accepted_spellings(column)}"
            if column == BRAND:
                fix += ", or name the file after the brand (e.g. infiniti.csv)"
            problems.append(_file_problem(table.where, f"missing required column {column!r}", fix))
    has_coords = LATITUDE in frame and LONGITUDE in frame
    if not has_coords and ZIP not in frame and ADDRESS not in frame:
        found = [str(h) for h in table.frame.columns]
        shown = ", ".join(repr(h) for h in found[:_HEADERS_SHOWN])
        if len(found) > _HEADERS_SHOWN:
            shown += f" and {len(found) - _HEADERS_SHOWN:,} more"
        problems.append(
            _file_problem(
                table.where,
                "no location columns: needs latitude and longitude, or a ZIP code "
                f"(headers found: {shown})",
                f"Add latitude ({accepted_spellings(LATITUDE)}) and longitude "
                f"({accepted_spellings(LONGITUDE)}) columns, or a ZIP column "
                f"({accepted_spellings(ZIP)})",
            )
        )
    elif (
        LATITUDE in frame
        and LONGITUDE not in frame
        or (LONGITUDE in frame and LATITUDE not in frame)
    ):
        have, need = (LATITUDE, LONGITUDE) if LATITUDE in frame else (LONGITUDE, LATITUDE)
        problems.append(
            _file_problem(
                table.where,
                f"has a {have} column but no {need} column",
                f"Add a {need!r} column; accepted headers: {accepted_spellings(need)}",
            )
        )
    return problems


#: Headers named in a "no location columns" error before "and N more".
_HEADERS_SHOWN = 30


def _file_problem(where: str, message: str, fix: str) -> Problem:
    return Problem(ERROR, where, None, None, None, message, fix)


def _empty_frame() -> pd.DataFrame:
    cols = [*TEXT_COLUMNS, *CONTACT_COLUMNS, LATITUDE, LONGITUDE, *NUMERIC_COLUMNS]
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    for c in (FILE, ROW, LABEL, HEADERS, READ_BAD):
        frame[c] = pd.Series(dtype=object)
    return frame


# --- rows ---------------------------------------------------------------------------------


def _check_rows(
    frame: pd.DataFrame, report: ValidationReport
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Run every row check: the parsed frame, rows with errors, and exact copies to drop."""
    frame = frame.copy()
    for column in TEXT_COLUMNS + CONTACT_COLUMNS:
        frame[column] = frame[column].astype(str).str.strip()
    report.extend(owner_spelling_problems(frame))  # one spelling per owner from here on
    bad = frame[READ_BAD].to_numpy(dtype=bool).copy()
    checks = (
        text_length_problems,
        control_problems,
        required_text_problems,
        brand_problems,
        coordinate_problems,
    )
    for check in checks:
        problems, mask = check(frame)
        report.extend(problems)
        bad |= mask
    report.extend(other_make_problems(frame))
    for column in NUMERIC_COLUMNS:
        problems, mask = number_column_problems(frame, column)
        report.extend(problems)
        bad |= mask
    problems, notes, copy, dup = site_key_problems(frame)
    report.extend(problems)
    report.notes.extend(notes)
    bad |= dup
    bad |= _place_by_zip(frame, bad | copy, report)
    problems, mask = state_problems(frame, bad | copy)
    report.extend(problems)
    bad |= mask
    return frame, bad & ~copy, copy


def _count_brands(frame: pd.DataFrame, dropped: np.ndarray, report: ValidationReport) -> None:
    """Sites per brand in each file, so ``validate`` can say which brands a file holds."""
    kept = frame.loc[~dropped & frame[BRAND].notna().to_numpy(), [FILE, BRAND]]
    counts = kept.groupby([FILE, BRAND], sort=True).size()
    for table in report.columns:
        if table.where in counts.index.get_level_values(0):
            table.brands = {str(b): int(n) for b, n in counts.loc[table.where].items()}


def _place_by_zip(frame: pd.DataFrame, bad: np.ndarray, report: ValidationReport) -> np.ndarray:
    """Put rows without coordinates at their ZIP centroid; returns rows that cannot be placed."""
    zips = map_unique(frame[ZIP], normalise_zip)
    raw = frame[ZIP].fillna("").astype(str).str.strip().str.removesuffix(".0")
    short = (raw.str.fullmatch(r"\d{3,4}") & (zips != "")).to_numpy() & ~bad
    report.extend(
        problems_at(
            frame,
            short,
            ZIP,
            "the ZIP code has fewer than 5 digits (a spreadsheet dropped its leading zeros); "
            "read with zeros in front",
            "Store ZIP codes as text so they keep their leading zeros (02108, not 2108)",
            severity=WARNING,
            values=raw + " -> " + zips.astype(str),
        )
    )
    from_address = (zips == "") & (frame[ADDRESS] != "")
    zips[from_address] = frame.loc[from_address, ADDRESS].map(zip_from_address)
    frame[ZIP] = np.where(zips != "", zips, frame[ZIP])
    no_coords = (frame[LATITUDE].isna() & frame[LONGITUDE].isna()).to_numpy() & ~bad
    frame[LOCATION_QUALITY] = EXACT
    if not no_coords.any():
        return np.zeros(len(frame), dtype=bool)
    lat, lon, _state = zip_centroids(zips[no_coords])
    found = np.zeros(len(frame), dtype=bool)
    found[np.flatnonzero(no_coords)[~np.isnan(lat)]] = True
    unplaced = no_coords & ~found
    frame.loc[found, LATITUDE] = lat[~np.isnan(lat)]
    frame.loc[found, LONGITUDE] = lon[~np.isnan(lon)]
    frame.loc[found, LOCATION_QUALITY] = ZIP_CENTROID
    report.extend(
        problems_at(
            frame,
            found,
            ZIP,
            "no coordinates; placed at the ZIP code's centroid (approximate)",
            "Add latitude and longitude for an exact position",
            severity=WARNING,
            values=zips,
        )
    )
    report.extend(
        problems_at(
            frame,
            unplaced,
            ZIP,
            "no coordinates and no usable ZIP code",
            "Add latitude and longitude, or a valid 5-digit US ZIP code",
            values=frame[ZIP],
        )
    )
    return unplaced


def _to_geodataframe(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    import geopandas as gpd  # heavy or optional: imported on first use

    frame = frame.rename(columns={FILE: SOURCE_FILE, ROW: SOURCE_ROW})
    frame = frame.drop(columns=[LABEL, HEADERS, READ_BAD])
    for column in (*TEXT_COLUMNS, *CONTACT_COLUMNS, DEALER_CODE):
        frame[column] = frame[column].astype(object).where(frame[column] != "", None)
    frame[LATITUDE] = frame[LATITUDE].astype("float64")
    frame[LONGITUDE] = frame[LONGITUDE].astype("float64")
    frame[SOURCE_ROW] = frame[SOURCE_ROW].astype("int64")
    geometry = gpd.points_from_xy(frame[LONGITUDE], frame[LATITUDE], crs="EPSG:4326")
    gdf = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    return gdf[ordered(gdf.columns)]
