"""CSV text for people and spreadsheets: numbers rounded by what they measure, formulas defused.

Every table dealernet writes as CSV goes through :func:`csv_text`, from the decisions file of
the rule engine to a query answer, so the engine and the writers share one set of rules and
two runs on the same inputs give byte-identical files.
"""

from __future__ import annotations

import re

import pandas as pd

from dealernet.formatting import JOB_PREFIXES, MONEY_WORDS
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


def csv_text(frame: pd.DataFrame) -> str:
    """A table as CSV text for people: numbers rounded as in ``OUT/data/``, formulas defused."""
    return spreadsheet_safe(rounded(frame)).to_csv(index=False, lineterminator="\n")


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
