"""The raw table every reader returns, and the helpers the readers share.

Kept apart from :mod:`dealernet.io.readers` so that the CSV and workbook readers
(:mod:`dealernet.io.text_files`, :mod:`dealernet.io.workbooks`) can build tables without
importing the module that dispatches to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dealernet.io.validate import ERROR, Problem

#: Header cells a dealer table may have: real exports have a few dozen, so a wider header
#: is a broken file (or one built to exhaust memory), refused before its rows are read.
MAX_COLUMNS = 1_000

FIX_FORMAT = (
    "Check that the file is complete and really is the format its extension says "
    "(open it in a spreadsheet or GIS program and save it again)."
)


@dataclass
class RawTable:
    """One file's rows as text, before any checks.

    Attributes
    ----------
    path
        The file read.
    frame
        One column per header as found in the file, all cells text ("" for empty). A
        header the file repeats is renamed ``name (2)``; ``frame.attrs["header_copies"]``
        maps each such name back to the header as the file wrote it.
    rows
        The row number a user would look up for each record (CSV line, sheet row, feature).
    row_label
        What ``rows`` counts: ``"line"``, ``"row"`` or ``"feature"``.
    sheet
        The spreadsheet sheet or GeoPackage layer, when the format has several.
    problems
        Problems found while reading: file-level ones (``row`` is ``None``; an error ends
        the file) and row-level ones (an error marks that row bad, the rest load).
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


class FileProblem(Exception):
    """Raised inside a reader for a problem that makes the whole file unusable."""

    def __init__(
        self, message: str, fix: str = FIX_FORMAT, notes: list[Problem] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        #: Problems found before the refusal (a GeoPackage's layer note), kept beside it.
        self.notes = notes or []


def short(exc: BaseException) -> str:
    """An exception's text on one line, at most 200 characters."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def failed(path: Path, message: str, fix: str, notes: list[Problem] | None = None) -> RawTable:
    """A table with no rows and one file-level error."""
    problem = Problem(ERROR, str(path), None, None, None, message, fix)
    return RawTable(
        path, pd.DataFrame(), np.empty(0, dtype="int64"), problems=[*(notes or []), problem]
    )


def frame_of(header: list[str], records: list[list[str]]) -> pd.DataFrame:
    """Records as a text frame, each cut or padded to the header's width."""
    width = len(header)
    fixed = [r[:width] + [""] * (width - len(r)) for r in records]
    names, copies = unique_headers(header)
    frame = pd.DataFrame(fixed, columns=names, dtype=object)
    frame.attrs["header_copies"] = copies
    return frame


def unique_headers(header: list[str]) -> tuple[list[str], dict[str, str]]:
    """Headers made unique (``name``, ``name (2)``), and each renamed one's original."""
    seen: dict[str, int] = {}
    out = []
    copies: dict[str, str] = {}
    for i, name in enumerate(header):
        name = name or f"column {i + 1}"
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == 1:
            out.append(name)
        else:
            out.append(f"{name} ({seen[name]})")
            copies[out[-1]] = name
    return out, copies


def cell_text(value: object) -> str:
    """A spreadsheet cell as text; whole floats lose their ``.0`` (ZIP 2108.0 -> "2108")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()


def cell_text_any(value: object) -> str:
    """A GIS or Parquet attribute as text (missing values and NaN as ``""``)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    try:
        if pd.isna(value):  # pandas' NA and NaT
            return ""
    except (TypeError, ValueError):  # lists and arrays: not a missing scalar
        pass
    return cell_text(value)
