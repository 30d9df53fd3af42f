"""Reading dealer files of every supported format into raw tables of text.

Nothing here judges the data: a reader returns the cells as text with the row numbers a
user sees in their own tool (the line in a CSV, the row in a spreadsheet, the feature in a
GeoJSON, the record in a JSON roster), and file-level problems as
:class:`~dealernet.io.validate.Problem` objects, so that validation can report every
problem in every file at once.
"""

from __future__ import annotations

import csv
import io as _io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dealernet._errors import InputFileError
from dealernet.io.json_rosters import RosterError, parse_roster
from dealernet.io.validate import Problem
from dealernet.schema import LATITUDE, LONGITUDE, canonical_column
from dealernet.settings import SUPPORTED_SUFFIXES

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")
PARQUET_SUFFIXES = (".parquet", ".geoparquet")
_DELIMITERS = ",;\t|"
#: Rows searched for the header line of a spreadsheet with a title above its table.
_HEADER_SEARCH_ROWS = 20


@dataclass
class RawTable:
    """One file's rows as text, before any checks.

    Attributes
    ----------
    path
        The file read.
    frame
        One column per header as found in the file, all cells text ("" for empty).
    rows
        The row number a user would look up for each record (CSV line, sheet row, feature).
    row_label
        What ``rows`` counts: ``"line"``, ``"row"`` or ``"feature"``.
    sheet
        The spreadsheet sheet or GeoPackage layer, when the format has several.
    problems
        File-level problems found while reading.
    ignored
        Fields the file holds that the reader could not put in a cell (a JSON list of
        objects), so that ``validate`` can name them beside the ignored columns.
    """

    path: Path
    frame: pd.DataFrame
    rows: np.ndarray
    row_label: str = "line"
    sheet: str | None = None
    problems: list[Problem] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        """The file (and sheet) as shown in messages."""
        return f"{self.path} [{self.sheet}]" if self.sheet else str(self.path)


#: Files a data folder holds beside its data (a licence, a read-me): skipped in a folder,
#: read only when named on their own.
NOTICE_STEMS = ("license", "licence", "readme", "sources", "notice", "copying", "changelog")


def _is_notice(path: Path) -> bool:
    return path.stem.casefold() in NOTICE_STEMS


def discover(paths: list[Path] | tuple[Path, ...]) -> list[Path]:
    """Expand folders into the supported files they hold; check every path exists."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(
                p
                for p in path.iterdir()
                if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not _is_notice(p)
            )
            if not files:
                msg = (
                    f"{path}: no dealer files in this folder. Supported: "
                    f"{', '.join(SUPPORTED_SUFFIXES)}."
                )
                raise InputFileError(msg)
            found.extend(files)
        elif path.is_file():
            found.append(path)
        else:
            msg = (
                f"{path}: no such file or folder. Pass the dealer files or the folder holding them."
            )
            raise InputFileError(msg)
    return found


def read_table(path: Path) -> list[RawTable]:
    """Read one file into raw tables (several for a workbook with several dealer sheets)."""
    suffix = path.suffix.lower()
    try:
        if suffix in CSV_SUFFIXES:
            return [_read_csv(path)]
        if suffix == ".xlsx":
            return _read_xlsx(path)
        if suffix == ".json" and (roster := _read_json_roster(path)) is not None:
            return [roster]
        if suffix in VECTOR_SUFFIXES or suffix in PARQUET_SUFFIXES:
            return [_read_vector(path)]
    except _FileProblem as exc:
        return [_failed(path, exc.message, exc.fix)]
    except (OSError, ValueError, UnicodeError, csv.Error, KeyError, IndexError) as exc:
        return [_failed(path, f"cannot be read ({_short(exc)})", _FIX_FORMAT)]
    return [
        _failed(
            path,
            f"unsupported file type {suffix!r}",
            f"Save it as one of: {', '.join(SUPPORTED_SUFFIXES)}.",
        )
    ]


_FIX_FORMAT = (
    "Check that the file is complete and really is the format its extension says "
    "(open it in a spreadsheet or GIS program and save it again)."
)


class _FileProblem(Exception):
    """Raised inside a reader for a problem that makes the whole file unusable."""

    def __init__(self, message: str, fix: str = _FIX_FORMAT) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _failed(path: Path, message: str, fix: str) -> RawTable:
    problem = Problem("error", str(path), None, None, None, message, fix)
    return RawTable(path, pd.DataFrame(), np.empty(0, dtype="int64"), problems=[problem])


# --- CSV ----------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: a BOM wins, then UTF-8, then Windows-1252 / Latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if len(data) >= 4 and data[1:4:2] == b"\x00\x00" and data[0:3:2] != b"\x00\x00":
        return data.decode("utf-16-le"), "utf-16-le"  # UTF-16 without a BOM
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV text: the one of , ; tab | that splits the header most evenly."""
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample.splitlines() else ""
        counts = {d: header.count(d) for d in _DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _read_csv(path: Path) -> RawTable:
    data = path.read_bytes()
    if not data.strip():
        raise _FileProblem("the file is empty", "Export the dealer list again; it has no rows.")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # NULs outside UTF-16 mean binary content (a spreadsheet saved as .csv, say).
        text, _ = decode(data)
        if "\x00" in text:
            raise _FileProblem("the file is binary, not text", _FIX_FORMAT)
    text, _ = decode(data)
    delimiter = sniff_delimiter(text)
    fast = _read_csv_fast(path, text, delimiter)
    if fast is not None:
        return fast
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=delimiter)
    csv.field_size_limit(2**31 - 1)
    header: list[str] | None = None
    records: list[list[str]] = []
    lines: list[int] = []
    start = 1
    for record in reader:
        first_line, start = start, reader.line_num + 1  # a record may span several lines
        if header is None:
            if any(cell.strip() for cell in record):
                header = [cell.strip() for cell in record]
            continue
        if not any(cell.strip() for cell in record):
            continue
        lines.append(first_line)
        records.append(record)
    if header is None:
        raise _FileProblem("the file is empty", "Export the dealer list again; it has no rows.")
    return RawTable(path, _frame(header, records), np.asarray(lines, dtype="int64"), "line")


def _read_csv_fast(path: Path, text: str, delimiter: str) -> RawTable | None:
    """Parse with pandas' C reader when every record sits on its own line.

    Then a record's line number is its position plus one, and a million rows read in a
    second or two. Files with quoted line breaks, ragged rows or odd line endings return
    ``None`` and go through the slower :mod:`csv` reader, which tracks lines exactly.
    """
    if not text or text[0] in "\r\n":
        return None
    physical = text.count("\n") + (0 if text.endswith("\n") else 1)
    try:
        raw = pd.read_csv(
            _io.StringIO(text),
            sep=delimiter,
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            engine="c",
            quoting=csv.QUOTE_MINIMAL,
        )
    except (pd.errors.ParserError, ValueError):
        return None
    if len(raw) != physical or len(raw) == 0:
        return None
    header = [str(c).strip() for c in raw.iloc[0]]
    body = raw.iloc[1:]
    filled = (body.apply(lambda col: col.str.strip()) != "").any(axis=1).to_numpy()
    body = body.loc[filled]
    lines = np.flatnonzero(filled).astype("int64") + 2
    frame = pd.DataFrame(body.to_numpy(dtype=object), columns=_unique_headers(header))
    return RawTable(path, frame, lines, "line")


def _frame(header: list[str], records: list[list[str]]) -> pd.DataFrame:
    """Records as a text frame; short rows padded, long rows' extra cells kept apart."""
    width = len(header)
    fixed = [r[:width] + [""] * (width - len(r)) for r in records]
    names = _unique_headers(header)
    frame = pd.DataFrame(fixed, columns=names, dtype=object)
    frame.attrs["extra_cells"] = [i for i, r in enumerate(records) if len(r) > width]
    return frame


def _unique_headers(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(header):
        name = name or f"column {i + 1}"
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


# --- JSON rosters -------------------------------------------------------------------------


def _read_json_roster(path: Path) -> RawTable | None:
    """A dealer-locator JSON array as a table; ``None`` for GeoJSON (the GIS reader's)."""
    data = path.read_bytes()
    if not data.strip():
        raise _FileProblem("the file is empty", "Export the dealer list again; it has no rows.")
    text, _ = decode(data)
    try:
        roster = parse_roster(text)
    except RosterError as exc:
        raise _FileProblem(exc.message, exc.fix) from exc
    if roster is None:
        return None
    rows = np.arange(1, len(roster.frame) + 1, dtype="int64")
    return RawTable(path, roster.frame, rows, "record", ignored=roster.ignored)


# --- Excel --------------------------------------------------------------------------------


def _read_xlsx(path: Path) -> list[RawTable]:
    """Every sheet that holds a dealer table; the header may sit below a title block."""

    from openpyxl import load_workbook  # heavy or optional: imported on first use

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _FileProblem(f"is not a readable .xlsx workbook ({_short(exc)})") from exc
    tables = []
    try:
        for sheet in book.worksheets:
            table = _sheet_table(path, sheet.title, list(sheet.iter_rows(values_only=True)))
            if table is not None:
                tables.append(table)
    finally:
        book.close()
    if not tables:
        raise _FileProblem(
            "no sheet has a dealer table (a header row naming columns such as "
            "dealer_id, name, brand, latitude, longitude)",
            "Put the dealer list on a sheet with one header row above the data.",
        )
    return tables


def _sheet_table(path: Path, title: str, rows: list[tuple[object, ...]]) -> RawTable | None:
    at = _header_row(rows)
    if at is None:
        return None
    header = [_cell_text(c) for c in rows[at]]
    records, numbers = [], []
    for i, row in enumerate(rows[at + 1 :], start=at + 2):
        cells = [_cell_text(c) for c in row]
        if any(cells):
            records.append(cells)
            numbers.append(i)
    return RawTable(path, _frame(header, records), np.asarray(numbers, dtype="int64"), "row", title)


def _header_row(rows: list[tuple[object, ...]]) -> int | None:
    """The first of the top rows that names at least two known columns."""
    for at, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        known = {canonical_column(c) for c in row if c is not None} - {None}
        if len(known) >= 2:
            return at
    return None


def _cell_text(value: object) -> str:
    """A spreadsheet cell as text; whole floats lose their ``.0`` (ZIP 2108.0 -> "2108")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()


# --- GIS formats --------------------------------------------------------------------------


def _read_vector(path: Path) -> RawTable:
    """GeoJSON, GeoPackage, Shapefile or GeoParquet, reprojected to EPSG:4326."""
    import geopandas as gpd  # heavy or optional: imported on first use

    if path.stat().st_size == 0:
        raise _FileProblem(
            "the file is empty", "Export the dealer layer again; it has no features."
        )
    problems: list[Problem] = []
    layer = None
    try:
        if path.suffix.lower() in PARQUET_SUFFIXES:
            gdf = gpd.read_parquet(path)
        else:
            layer, problems = _pick_layer(path)
            gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # GDAL and Arrow raise many types for bad files
        raise _FileProblem(f"cannot be read as a GIS layer ({_short(exc)})") from exc
    frame = pd.DataFrame(
        {c: gdf[c].map(_cell_text_any) for c in gdf.columns if c != gdf.geometry.name},
        dtype=object,
    )
    frame.index = range(len(frame))
    geom = gdf.geometry
    if len(gdf) and geom.notna().any():
        if gdf.crs is None:
            problems.append(
                Problem(
                    "warning",
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
            raise _FileProblem(
                f"has {', '.join(sorted(kinds))} geometries; dealer sites must be points",
                "Save one point per dealership.",
            )
        is_point = geom.notna() & ~geom.is_empty
        frame[LONGITUDE] = np.where(is_point, geom.x.astype(str), frame.get(LONGITUDE, ""))
        frame[LATITUDE] = np.where(is_point, geom.y.astype(str), frame.get(LATITUDE, ""))
        frame = _drop_alias_duplicates(frame)
    rows = np.arange(1, len(frame) + 1, dtype="int64")
    return RawTable(path, frame, rows, "feature", layer, problems)


def _pick_layer(path: Path) -> tuple[str | None, list[Problem]]:
    """The first layer of a multi-layer file, with a note naming it."""
    import pyogrio  # heavy or optional: imported on first use

    layers = pyogrio.list_layers(path)
    if len(layers) <= 1:
        return None, []
    name = str(layers[0][0])
    note = Problem(
        "warning",
        str(path),
        None,
        None,
        None,
        f"has {len(layers)} layers; read the first, {name!r}",
        "Keep one dealer layer per file, or split the layers into files.",
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


def _cell_text_any(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return _cell_text(value)
