"""Sales by customer ZIP: a store's own record of where its buyers live.

The market model's distance decay is an assumption (no published value for US car retail);
a store's sales by the buyer's home ZIP, which every dealer management system and the
maker's sales reports give, say how far its buyers really come, and
:mod:`dealernet.analysis.market_fit` fits the decay to them. The file is a CSV or XLSX
table, one row per store and ZIP, read with the readers of the dealer files (encodings,
BOMs, workbook limits), with columns:

* ``dealer_id`` (any spelling the dealer files accept: ``dealer code``, ``store id``...),
* ``zip`` (``zip_code``, ``postal_code``, ``zip5``...; ``75201-1234`` and ``2108`` read
  as ``75201`` and ``02108``),
* ``units`` (``sales``, ``new_units``, ``units sold``, ``deliveries``...): a count of
  sales, not negative; ``1,234`` is read as 1234.

Several stores may share a file (one fit each). Every bad row is reported at once with its
line; a ZIP that is well formed but not in the ZIP table is left out with a warning (a
retired ZIP, a PO box), unless none of the file's ZIPs is known.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from dealernet._errors import InputFileError, InvalidInputError
from dealernet.geo.places import normalise_zip, zip_centroids
from dealernet.io.readers import RawTable, _kind, read_table
from dealernet.schema import (
    ANNUAL_NEW_UNITS,
    DEALER_ID,
    LATITUDE,
    LONGITUDE,
    ZIP,
    accepted_spellings,
    header_key,
    match_headers,
)

__all__ = ["UNITS", "UNITS_SPELLINGS", "ZIP_SALES_COLUMNS", "read_zip_sales"]

#: The sales column of the frame returned.
UNITS = "units"
#: Columns of :func:`read_zip_sales`, in order.
ZIP_SALES_COLUMNS = (DEALER_ID, ZIP, UNITS, LATITUDE, LONGITUDE)
#: Accepted headers of the units column (compared as the dealer files' headers are: case,
#: spaces, underscores, hyphens and dots ignored); ``new units`` and the dealer files' other
#: spellings of ``annual_new_units`` are accepted too.
UNITS_SPELLINGS = (
    "units",
    "sales",
    "new_units",
    "unit sales",
    "units sold",
    "new units sold",
    "sold",
    "deliveries",
    "registrations",
    "vehicles",
    "count",
    "quantity",
    "qty",
)
ZIP_SALES_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
_FIX = (
    "A sales-by-ZIP file is a CSV or XLSX table with a header row and one row per store and "
    "customer ZIP: dealer_id, zip, units (the store's sales to buyers living in that ZIP)."
)
#: Problems listed in one error message; the rest are counted.
_SHOWN = 20
#: Unknown ZIPs named in a warning or an error.
_UNKNOWN_SHOWN = 10
#: ``1,234`` or ``12,345.5``: a thousands separator, not a decimal comma.
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def read_zip_sales(path: str | Path) -> pd.DataFrame:
    """Read a store's (or several stores') sales by customer ZIP, located at ZIP centroids.

    Rows repeating a store and ZIP (two months, two models) are added up.

    Returns
    -------
    pandas.DataFrame
        ``dealer_id``, ``zip`` (five digits), ``units``, ``latitude``, ``longitude``: one
        row per store and known ZIP, in file order; ``attrs["source"]`` is the file.

    Raises
    ------
    InputFileError
        The file is missing, not a regular file, of another kind, or unreadable.
    InvalidInputError
        A column is missing, rows lack a dealer id, a ZIP or a count of units (or give a
        count that is not a number, or negative), or no ZIP of the file is known; the
        message names each line and the fix.
    """
    path = Path(path)
    _check_path(path)
    table, columns = _table(path)
    dealer, zips, units = _rows(table, *columns)
    lat, lon, _state = zip_centroids(pd.Series(zips))
    known = np.isfinite(lat)
    _report_unknown(table, dealer, zips, known)
    frame = pd.DataFrame(
        {DEALER_ID: dealer, ZIP: zips, UNITS: units, LATITUDE: lat, LONGITUDE: lon}
    )[known]
    out = (
        frame.groupby([DEALER_ID, ZIP], sort=False, as_index=False)
        .agg({UNITS: "sum", LATITUDE: "first", LONGITUDE: "first"})
        .reset_index(drop=True)
    )
    out.attrs["source"] = table.where
    return out[list(ZIP_SALES_COLUMNS)]


def _check_path(path: Path) -> None:
    if not path.is_file() and path.exists():  # a FIFO would block the read
        msg = (
            f"{path}: is not a regular file ({_kind(path)}); dealernet reads sales by ZIP only "
            f"from files. Fix: save the sales to a .csv or .xlsx file and give its path. {_FIX}"
        )
        raise InputFileError(msg)
    if not path.is_file():
        msg = f"{path}: no such sales-by-ZIP file. {_FIX}"
        raise InputFileError(msg)
    if path.suffix.lower() not in ZIP_SALES_SUFFIXES:
        msg = f"{path}: a sales-by-ZIP file must be {', '.join(ZIP_SALES_SUFFIXES)}. {_FIX}"
        raise InputFileError(msg)


def _table(path: Path) -> tuple[RawTable, tuple[str, str, str]]:
    """The file's table (the first sheet with all three columns) and its three headers."""
    tables = read_table(path)
    errors = [p for t in tables for p in t.problems if p.severity == "error"]
    if errors:
        shown = "\n  ".join(f"{p.location()}: {p.message}" for p in errors[:_SHOWN])
        more = f"\n  ... and {len(errors) - _SHOWN} more" if len(errors) > _SHOWN else ""
        msg = f"{path}: cannot be read as a sales-by-ZIP table:\n  {shown}{more}\n{_FIX}"
        raise InputFileError(msg)
    for table in tables:
        found = _columns(table.frame)
        if None not in found:
            return table, found  # type: ignore[return-value]
    table = tables[0]
    found = _columns(table.frame)
    wanted = (DEALER_ID, ZIP, UNITS)
    missing = [c for c, h in zip(wanted, found, strict=True) if h is None]
    headers = ", ".join(repr(str(h)) for h in table.frame.columns) or "none"
    hints = "; ".join(f"{c}: {_spellings(c)}" for c in missing)
    msg = (
        f"{table.where}: the sales-by-ZIP file has no {' and no '.join(missing)} column "
        f"(headers found: {headers}). Name the columns as one of: {hints}. {_FIX}"
    )
    raise InvalidInputError(msg)


def _spellings(column: str) -> str:
    if column == UNITS:
        return ", ".join(repr(s) for s in UNITS_SPELLINGS)
    return accepted_spellings(column)


def _columns(frame: pd.DataFrame) -> tuple[str | None, str | None, str | None]:
    """The headers giving the dealer id, the ZIP and the units (``None`` when absent)."""
    headers = [str(h) for h in frame.columns]
    known = match_headers(headers)
    keys = {header_key(h): h for h in reversed(headers)}  # the first of equal headers wins
    spelt = (keys[k] for s in UNITS_SPELLINGS if (k := header_key(s)) in keys)
    units = next(spelt, known.get(ANNUAL_NEW_UNITS))
    return known.get(DEALER_ID), known.get(ZIP), units


def _rows(
    table: RawTable, id_col: str, zip_col: str, units_col: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dealer ids, five-digit ZIPs and units of the non-blank rows; one error for all bad."""
    frame = table.frame
    dealer = frame[id_col].astype(str).str.strip()
    raw_zip = frame[zip_col].astype(str).str.strip()
    raw_units = frame[units_col].astype(str).str.strip()
    blank = (dealer == "") & (raw_zip == "") & (raw_units == "")
    zips = raw_zip.map(normalise_zip)
    units = _numbers(raw_units)
    problems = _problems(table, dealer, raw_zip, zips, raw_units, units, ~blank, units_col)
    if problems:
        shown = "\n  ".join(problems[:_SHOWN])
        more = f"\n  ... and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else ""
        msg = (
            f"{table.where}: {len(problems)} problem(s) in the sales-by-ZIP file:\n  {shown}{more}"
        )
        raise InvalidInputError(msg)
    keep = ~blank.to_numpy()
    if not keep.any():
        msg = f"{table.where}: the sales-by-ZIP file has no rows. {_FIX}"
        raise InvalidInputError(msg)
    return (
        dealer.to_numpy(dtype=object)[keep],
        zips.to_numpy(dtype=object)[keep],
        units.to_numpy(dtype="float64")[keep],
    )


def _numbers(text: pd.Series) -> pd.Series:
    """Counts as numbers (NaN where not a number); ``1,234`` loses its separator."""
    plain = text.where(~text.str.fullmatch(_THOUSANDS), text.str.replace(",", "", regex=False))
    return pd.to_numeric(plain, errors="coerce").astype("float64")


def _problems(
    table: RawTable,
    dealer: pd.Series,
    raw_zip: pd.Series,
    zips: pd.Series,
    raw_units: pd.Series,
    units: pd.Series,
    used: pd.Series,
    units_col: str,
) -> list[str]:
    """Every bad row, in file order, as ``line N: what is wrong; what to do``."""
    checks = (
        (dealer == "", lambda i: "no dealer id; give the store's dealer id"),
        (
            (raw_zip == ""),
            lambda i: "no ZIP; give the buyers' five-digit ZIP code, or delete the line",
        ),
        (
            (raw_zip != "") & (zips == ""),
            lambda i: f"{raw_zip.iloc[i]!r} is not a ZIP code; write five digits (75201)",
        ),
        (
            raw_units == "",
            lambda i: (
                f"no {units_col!r}; give the number of sales (0 if none), or delete "
                "the line (a formula Excel never saved reads as empty)"
            ),
        ),
        (
            (raw_units != "") & ~np.isfinite(units),
            lambda i: (
                f"{units_col!r} is {raw_units.iloc[i]!r}, not a number; write the count of "
                "sales as a plain number"
            ),
        ),
        (
            units < 0,
            lambda i: (
                f"{units_col!r} is {raw_units.iloc[i]}, a negative count; give the number "
                "of sales (returns and cancellations are left out, not subtracted)"
            ),
        ),
    )
    found: list[tuple[int, int, str]] = []
    for order, (bad, say) in enumerate(checks):
        for i in np.flatnonzero((bad & used).to_numpy()):
            found.append((int(i), order, f"{table.row_label} {table.rows[i]}: {say(i)}"))
    return [text for _, _, text in sorted(found)]


def _report_unknown(
    table: RawTable, dealer: np.ndarray, zips: np.ndarray, known: np.ndarray
) -> None:
    """Warn about well-formed ZIPs the ZIP table lacks; refuse a file with no known ZIP."""
    if known.all():
        return
    unknown = list(dict.fromkeys(zips[~known]))
    shown = ", ".join(unknown[:_UNKNOWN_SHOWN])
    more = f" and {len(unknown) - _UNKNOWN_SHOWN:,} more" if len(unknown) > _UNKNOWN_SHOWN else ""
    if not known.any():
        msg = (
            f"{table.where}: none of its {len(unknown):,} ZIP codes is in the ZIP table "
            f"({shown}{more}), so no sale can be placed. Check that the column holds the "
            f"buyers' US ZIP codes. {_FIX}"
        )
        raise InvalidInputError(msg)
    lost = sorted(set(dealer[~known]) - set(dealer[known]))
    gone = (
        f"; stores left with no known ZIP (no fit for them): {', '.join(lost[:_UNKNOWN_SHOWN])}"
        if lost
        else ""
    )
    warnings.warn(
        f"{table.where}: {int((~known).sum()):,} row(s) with {len(unknown):,} ZIP code(s) "
        f"not in the ZIP table were left out: {shown}{more}{gone}. A retired ZIP or a PO box "
        "has no centroid; correct it to the buyer's home ZIP to count the sale.",
        UserWarning,
        stacklevel=3,
    )
