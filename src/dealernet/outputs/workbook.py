"""A run's tables as one Excel workbook, typed and formatted, for readers who live in Excel.

The CSV files of ``OUT/data/`` open in Excel, but every column arrives as General: dollars
with cents, shares as ``0.5833``, booleans as text, and a FIPS code ``01097`` read as the
number 1097 unless the reader imports it by hand. ``dealernet.xlsx`` holds the same tables
already typed (the GIS bundle's rules, :func:`dealernet.outputs.gis_bundle._typed_column`:
codes text, dollars whole, booleans real booleans, missing values empty cells), formatted by
what each column measures (:func:`dealernet.formatting.format_of`), each sheet with a frozen
bold header and a filter, and an ``About`` sheet first that says where the figures come from.

Text is stored as text: a dealer named ``=1+1 Group`` stays that name and is never run as a
formula (openpyxl would otherwise write any text starting with ``=`` as one). The workbook is
streamed (openpyxl's write-only mode) into a temporary file beside the target and renamed at
the end (:func:`dealernet._atomic.atomic_path`), so a failed write leaves an earlier
workbook as it was and never half a file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dealernet._atomic import atomic_path
from dealernet._csv import rounded
from dealernet.analysis.parameter_labels import parameter_row
from dealernet.formatting import JOB_PREFIXES, format_of, is_code
from dealernet.outputs.gis_bundle import _typed_column  # the one rule for typed tables
from dealernet.outputs.tables import TABLES
from dealernet.schema import BRAND, LATITUDE, LONGITUDE, SOURCE_FILE
from dealernet.settings import BUNDLED_NETWORKS, NETWORK_LABELS, bundled_network, shown_path

if TYPE_CHECKING:  # pragma: no cover
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.workbook import Workbook
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    from dealernet.analysis.result import Result

#: The workbook's name in the output folder.
WORKBOOK = "dealernet.xlsx"
#: What low / base / high mean in the result tables, and in the assumptions sheet.
RANGES = "the 10th / 50th / 90th percentiles of the simulations (base is the median)"
ASSUMPTION_RANGES = "the triangular distribution's smallest / most likely / largest value"

#: Sheet -> what it holds, in sheet order; the run's tables say what their CSV files say.
SHEETS: dict[str, str] = {
    "About": "this sheet: where the figures come from, and what each sheet holds",
    "decisions": TABLES["decisions.csv"],
    "impacts": TABLES["impacts.csv"],
    "owners": TABLES["owners.csv"],
    "hosts": TABLES["hosts.csv"],
    "regions": TABLES["regions.csv"],
    "assumptions": "one row per assumption of the run: its key, its label in plain words, "
    f"base / low / high ({ASSUMPTION_RANGES}), unit and source",
    "sources": "one row per dealer file and brand: the sites it gave the run, and the "
    "licence of the bundled 2015 rosters",
}

#: Excel number formats by :func:`dealernet.formatting.format_of`, and of the other kinds.
NUMBER_FORMATS: dict[str, str] = {
    "money": '"$"#,##0',
    "percent": "0%",
    "miles": "0.0",
    "jobs": "0.0",
    "count": "#,##0",
    "coordinate": "0.000000",
}
#: How each number format reads, to size the columns.
_SHOWN = {
    '"$"#,##0': "${:,.0f}",
    "0%": "{:.0%}",
    "0.0": "{:.1f}",
    "#,##0": "{:,.0f}",
    "0.000000": "{:.6f}",
}
#: Excel's format for text: a code cell typed into stays text.
TEXT = "@"
#: Column widths, in characters: the widest cell or header plus a margin, within these.
MIN_WIDTH, MAX_WIDTH = 6, 60
_MARGIN = 2
#: The ``About`` sheet's text column, wrapped.
_ABOUT_WIDTH = 100
#: The most characters an Excel cell holds.
MAX_CELL_TEXT = 32_767
#: Characters XML 1.0 cannot hold (openpyxl refuses them); shown escaped like
#: :func:`dealernet.formatting.printable` does, so the reader sees what the file holds.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def write_workbook(result: Result, path: Path) -> Path:
    """Write ``result`` as an Excel workbook at ``path`` (``OUT/dealernet.xlsx`` in a run:
    :data:`WORKBOOK`), atomically; returns the path.

    Raises
    ------
    dealernet._atomic.WriteError
        When the disk is full, read-only or the folder not writable; an earlier file at
        ``path`` is then as it was.
    """
    from openpyxl import Workbook  # heavy or optional: imported on first use

    book = Workbook(write_only=True)
    try:  # write-only sheets stream their rows to files from the first row on
        book.properties.creator = f"dealernet {_version()}"
        _write_about(book, result)
        for name, frame in result_tables(result).items():
            _write_table(book, name, frame)
        _write_table(book, "assumptions", assumptions_table(result), formatted=False)
        sheet = _write_table(book, "sources", sources_table(result.network))
        _write_notices(sheet, result.network)
        with atomic_path(Path(path)) as tmp:
            book.save(tmp)
    except BaseException:
        _drop_writers(book)
        raise
    return Path(path)


def _drop_writers(book: Any) -> None:
    """Finish the sheets' row streams of a write that was stopped (Ctrl-C, SIGTERM), quietly.

    Left alone, each write-only sheet's row generator (``_rows``) is closed when it is
    garbage-collected, after its stream's file is closed, and prints a ``ValueError``
    traceback per sheet.
    """
    for sheet in book.worksheets:
        for part in ("_rows", "_writer"):
            stream = getattr(sheet, part, None)
            if stream is not None:
                with contextlib.suppress(Exception):  # the output is abandoned anyway
                    stream.close()
                setattr(sheet, part, None)


def _version() -> str:
    from dealernet import __version__  # the package's one version, with its fallback

    return __version__


# --- what the sheets hold ------------------------------------------------------------------


def result_tables(result: Result) -> dict[str, pd.DataFrame]:
    """The run's tables by sheet name, as the CSV files of ``OUT/data/`` hold them."""
    return {
        "decisions": result.decisions.table,
        "impacts": result.impacts.table,
        "owners": result.owners,
        "hosts": result.hosts,
        "regions": result.regions,
    }


def assumptions_table(result: Result) -> pd.DataFrame:
    """One row per parameter of the run's assumptions, as the file gives it."""
    rows = [parameter_row(p) for p in result.assumptions.parameters.values()]
    columns = ["key", "label", "base", "low", "high", "unit", "source"]
    return pd.DataFrame(rows, columns=columns)


def sources_table(network: pd.DataFrame) -> pd.DataFrame:
    """Sites per dealer file and brand, with what each bundled file is and its licence."""
    files = network[SOURCE_FILE].astype("string")
    counts = (
        pd.DataFrame({SOURCE_FILE: files, BRAND: network[BRAND].astype("string")})
        .groupby([SOURCE_FILE, BRAND], dropna=False, sort=True)
        .size()
        .reset_index(name="sites")
    )
    bundled = [None if pd.isna(f) else bundled_network(f) for f in counts[SOURCE_FILE]]
    counts["data"] = [NETWORK_LABELS.get(b, "your file") if b else "your file" for b in bundled]
    counts["licence"] = [_licence_title(b) if b else None for b in bundled]
    counts[SOURCE_FILE] = [None if pd.isna(f) else shown_path(f) for f in counts[SOURCE_FILE]]
    return counts


def _licence_text(network_name: str) -> str | None:
    """The ``LICENSE`` beside a bundled network's files, if it has one (not the sample)."""
    path = BUNDLED_NETWORKS[network_name] / "LICENSE"
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _licence_title(network_name: str) -> str | None:
    """The licence's first line (``The MIT License (MIT)``), pointing at its notice."""
    text = _licence_text(network_name)
    if text is None:
        return None
    return f"{text.strip().splitlines()[0]}: the notice is below the table"


def licence_notices(network: pd.DataFrame) -> list[str]:
    """The licence notices of the bundled files in ``network``, one paragraph a line: the
    MIT notice of the 2015 rosters must stay with any copy of their rows."""
    files = network[SOURCE_FILE].dropna().astype(str).unique()
    names = sorted({name for f in files if (name := bundled_network(f)) is not None})
    lines: list[str] = []
    for name in names:
        text = _licence_text(name)
        if text is None:
            continue
        lines.append(
            f"The files of {shown_path(BUNDLED_NETWORKS[name])} ({NETWORK_LABELS[name]}) are "
            "under this licence; keep this notice with any copy of their rows:"
        )
        lines.extend(" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()))
    return lines


def about_rows(result: Result) -> list[tuple[str, str]]:
    """The ``About`` sheet: provenance, what low / base / high mean, what each sheet holds."""
    assumptions = result.assumptions
    written = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    rows = [
        ("Scenario", result.scenario.name),
        ("Scenario file", shown_path(result.scenario.source)),
        ("Data", result.data_origin),
        ("Written (UTC)", written),
        ("dealernet version", _version()),
        ("Assumptions file", shown_path(assumptions.source)),
        ("Simulations", f"{assumptions.draws:,} draws, seed {assumptions.seed}"),
        ("low / base / high", f"in the tables: {RANGES}"),
        ("low / base / high (assumptions)", f"in the assumptions sheet: {ASSUMPTION_RANGES}"),
        ("Rounding", "as in the CSV files: dollars to the dollar, jobs to a tenth"),
        ("", ""),
        ("Sheet", "What it holds"),
    ]
    return rows + list(SHEETS.items())


# --- writing -------------------------------------------------------------------------------


def _write_about(book: Workbook, result: Result) -> None:
    from openpyxl.styles import Alignment, Font

    sheet = book.create_sheet("About")
    rows = about_rows(result)
    sheet.column_dimensions["A"].width = _width(r[0] for r in rows)
    sheet.column_dimensions["B"].width = _ABOUT_WIDTH
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for key, value in rows:
        first, second = _cell(sheet, key), _cell(sheet, value)
        first.font, first.alignment, second.alignment = bold, wrap, wrap
        if key == "Sheet":
            second.font = bold
        sheet.append([first, second])


def _write_table(
    book: Workbook, name: str, frame: pd.DataFrame, *, formatted: bool = True
) -> WriteOnlyWorksheet:
    """One sheet: a frozen bold header with a filter over the table, then the rows.

    ``formatted=False`` leaves numbers General (assumptions, shown as written in the file).
    """
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(name)
    columns = [str(c) for c in frame.columns]
    values = [_column_values(c, frame[c]) for c in frame.columns]
    formats = [_number_format(c, frame[c]) if formatted else None for c in columns]
    for i, (column, cells, fmt) in enumerate(zip(columns, values, formats, strict=True), start=1):
        shown = (_shown(v, fmt) for v in cells)
        sheet.column_dimensions[get_column_letter(i)].width = _width([column], shown)
    if columns:
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(frame) + 1}"
    bold = Font(bold=True)
    header = [_cell(sheet, c) for c in columns]
    for cell in header:
        cell.font = bold
    sheet.append(header)
    for row in zip(*values, strict=True):
        sheet.append([_cell(sheet, v, f) for v, f in zip(row, formats, strict=True)])
    return sheet


def _write_notices(sheet: WriteOnlyWorksheet, network: pd.DataFrame) -> None:
    """The licence notices under the sources table, after an empty row, wrapped."""
    from openpyxl.styles import Alignment

    notices = licence_notices(network)
    if notices:
        sheet.append([])
    wrap = Alignment(wrap_text=True, vertical="top")
    for line in notices:
        cell = _cell(sheet, line)
        cell.alignment = wrap
        sheet.append([cell])


def _column_values(column: object, values: pd.Series) -> list[Any]:
    """A column as plain Python values: rounded and typed as in the GIS bundle, missing
    values (NaN, NA, infinities) as ``None``."""
    typed = _typed_column(str(column), rounded(values.to_frame())[column])
    return [_plain(v) for v in typed.astype(object).tolist()]


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _number_format(column: str, values: pd.Series) -> str | None:
    """The Excel format of a column: text for codes, by what it measures for numbers."""
    if is_code(column):
        return TEXT
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return None
    if column in (LATITUDE, LONGITUDE):
        return NUMBER_FORMATS["coordinate"]
    kind = format_of(column)
    if kind == "count" and column.startswith(JOB_PREFIXES):
        kind = "jobs"
    return NUMBER_FORMATS[kind]


def _cell(sheet: WriteOnlyWorksheet, value: Any, number_format: str | None = None) -> Any:
    """A cell of ``value``: text always stored as text (never a formula), numbers in
    ``number_format``, booleans as Excel booleans; ``None`` (an empty cell) as it is."""
    from openpyxl.cell import WriteOnlyCell

    if value is None:
        return None
    if isinstance(value, str):
        cell: WriteOnlyCell = WriteOnlyCell(sheet, value=_text(value))
        cell.data_type = "s"  # openpyxl takes text starting with "=" for a formula
        if number_format == TEXT:
            cell.number_format = TEXT
        return cell
    if isinstance(value, bool) or number_format is None:
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def _text(value: str) -> str:
    """Text an Excel cell can hold: XML-illegal characters escaped, at most
    :data:`MAX_CELL_TEXT` characters."""
    if _NOT_XML.search(value):
        value = _NOT_XML.sub(_escaped, value)
    return value[:MAX_CELL_TEXT]


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x20 else f"\\u{code:04x}"


def _shown(value: Any, number_format: str | None) -> str:
    """About how a value reads in its cell, to size its column."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "FALSE"
    pattern = _SHOWN.get(number_format or "")
    if pattern is not None and isinstance(value, (int, float)):
        return pattern.format(value)
    return str(value)


def _width(*texts: Iterable[str] | Sequence[str]) -> float:
    """A column's width: its longest line of text plus a margin, within the limits."""
    longest = max(
        (len(line) for group in texts for t in group for line in t.split("\n")), default=0
    )
    return float(min(MAX_WIDTH, max(MIN_WIDTH, longest + _MARGIN)))
