"""CSV text for people and spreadsheets: numbers rounded by what they measure, formulas defused.

Every table dealernet writes as CSV goes through :func:`csv_text`, from the decisions file of
the rule engine to a query answer, so the engine and the writers share one set of rules and
two runs on the same inputs give byte-identical files. The rules make a file Excel opens
cleanly: a byte-order mark on files (:func:`csv_file_text`; Windows Excel reads a file
without one as ANSI and garbles "Müller & Söhne"), text quoted (so a ZIP or FIPS code such as
``01097`` is marked as text for LibreOffice, Power Query and DuckDB), one boolean spelling
(``true`` / ``false``), dollars as whole numbers, and formula-like text defused
(:func:`spreadsheet_safe`, undone on the way back in by
:func:`dealernet.planning.saved_run.read_table`).
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd

from dealernet.formatting import JOB_PREFIXES, MONEY_WORDS, format_of
from dealernet.schema import LATITUDE, LONGITUDE

_JOBS = 1  # decimals
_MONEY = 0
_MILES = 3


#: A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula, prefixed with ``'``.

    A dealer named ``=HYPERLINK(...)`` in a CSV that an owner opens in Excel would otherwise
    run (OWASP "CSV injection"). Numbers are untouched; only text columns are checked.
    """
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_bool_dtype(out[column]):
            continue
        values = out[column].astype(object)  # a categorical cannot take the new text
        risky = values.map(_formula_like).astype(bool)
        if risky.any():
            out[column] = values.where(~risky, "'" + values.astype(str))
    # The header row is cells too: a column named after a header of the input, or an
    # alias in ``sql``, would run just the same.
    if any(_formula_like(c) for c in out.columns):
        out.columns = ["'" + c if _formula_like(c) else c for c in out.columns]
    return out


def _formula_like(value: object) -> bool:
    """Text a spreadsheet would evaluate: starts with = + - @ tab or CR and is not a plain
    number (``-12.5`` stays a number)."""
    return (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _PLAIN_NUMBER.match(value)
    )


#: The UTF-8 byte-order mark every CSV file starts with (not text sent to standard output).
BOM = "\ufeff"
#: How booleans are spelled in every CSV.
TRUE, FALSE = "true", "false"


def csv_text(frame: pd.DataFrame) -> str:
    """A table as CSV text for people: numbers rounded as in ``OUT/data/``, dollars whole,
    booleans ``true`` / ``false``, text quoted, formulas defused."""
    return prepared_csv(prepared(frame))


def csv_file_text(frame: pd.DataFrame) -> str:
    """:func:`csv_text` with the byte-order mark a file needs for Excel."""
    return prepared_csv(prepared(frame), bom=True)


def prepared(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every cell as :func:`csv_text` writes it; slices of it are written
    with :func:`prepared_csv` (the owner reports slice one prepared table per owner)."""
    return spreadsheet_safe(_spelled(rounded(frame)))


def prepared_csv(frame: pd.DataFrame, *, bom: bool = False) -> str:
    """A :func:`prepared` table (or a slice of one) as CSV text."""
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow([str(c) for c in frame.columns])
    body = frame.to_csv(
        index=False, header=False, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC
    )
    return (BOM if bom else "") + header.getvalue() + body


def _spelled(frame: pd.DataFrame) -> pd.DataFrame:
    """Booleans as ``true`` / ``false`` text and dollar figures as whole numbers."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if _is_flags(values):
            flags = values.astype(object)
            spelled = flags.map(lambda v: TRUE if v else FALSE, na_action="ignore")
            out[column] = spelled.where(flags.notna(), None)
        elif pd.api.types.is_float_dtype(values) and format_of(str(column)) == "money":
            finite = values.where(np.isfinite(values))
            out[column] = finite.round(0).astype("Int64")
    return out


def _is_flags(values: pd.Series) -> bool:
    """Whether a column holds booleans (a bool dtype, or True / False / missing objects)."""
    if pd.api.types.is_bool_dtype(values):
        return True
    if values.dtype != object:
        return False
    present = values.dropna()
    return len(present) > 0 and all(isinstance(v, (bool, np.bool_)) for v in present)


def rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """Round numeric columns by what they measure (jobs, dollars, miles, coordinates)."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_float_dtype(out[column]):
            continue
        out[column] = out[column].round(_decimals(column))
    return out


def _decimals(column: str) -> int:
    if column in (LATITUDE, LONGITUDE):
        return 6
    if "miles" in column:
        return _MILES
    if column.startswith(JOB_PREFIXES):
        return _JOBS
    if any(word in column for word in MONEY_WORDS):
        return _MONEY
    return 6
