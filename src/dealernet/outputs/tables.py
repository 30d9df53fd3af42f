"""Writing a run's tables to ``OUT/data/``, atomically, with stable formatting.

Every file is written to a temporary file and renamed (:mod:`dealernet._atomic`); numbers
are rounded to what they can honestly claim (jobs to a tenth, dollars to the dollar, miles to
about five feet), so two runs on the same inputs give byte-identical files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dealernet._atomic import write_text
from dealernet.schema import LATITUDE, LONGITUDE, SOURCE_FILE

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.analysis.pipeline import Result

DATA_DIR = "data"
#: Files of ``OUT/data/`` and what each holds (listed in the index page and the README).
TABLES: dict[str, str] = {
    "decisions.csv": "one row per Infiniti site: keep / absorb / close / unaffected, host, reason",
    "impacts.csv": "one row per Infiniti site: baseline, jobs and revenue lost (low / base / high)",
    "owners.csv": "one row per owner group: stores affected, jobs lost, revenue at risk",
    "regions.csv": "one row per state and per county: the same totals",
    "access.csv": "one row per US place: miles to the nearest point of sale before and after",
    "summary.json": "the scenario, the assumptions file, national totals and access figures",
}

_JOBS = 1  # decimals
_MONEY = 0
_MILES = 3


def write_tables(result: Result, out: Path) -> list[Path]:
    """Write every table of ``result`` into ``out/data/``; returns the paths written."""
    folder = Path(out) / DATA_DIR
    written = [result.decisions.to_csv(folder / "decisions.csv")]
    for name, table in (
        ("impacts.csv", result.impacts.table),
        ("owners.csv", result.owners),
        ("regions.csv", result.regions),
        ("access.csv", result.access.places),
    ):
        written.append(write_text(folder / name, csv_text(table)))
    written.append(write_text(folder / "summary.json", summary_json(result)))
    return written


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
        values = out[column]
        risky = values.map(_formula_like)
        if risky.any():
            out[column] = values.where(~risky, "'" + values.astype(str))
    return out


def _formula_like(value: object) -> bool:
    """Text a spreadsheet would evaluate: starts with = + - @ and is not a plain number."""
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
    if column.startswith(("jobs_", "baseline_employees", "employees")):
        return _JOBS
    if any(word in column for word in ("revenue", "payroll", "profit")):
        return _MONEY
    return 6


def summary_json(result: Result) -> str:
    """National totals, access and provenance, as stable, readable JSON."""
    data: dict[str, Any] = {
        "scenario": {
            "name": result.scenario.name,
            "source": str(result.scenario.source),
            "source_brand": result.source_brand,
            "host_brand": result.host_brand,
        },
        "assumptions": {
            "source": result.assumptions.source,
            "draws": result.assumptions.draws,
            "seed": result.assumptions.seed,
        },
        "decisions": {k: int(v) for k, v in result.decisions.counts().items()},
        "national": {
            k: _plain(v) for k, v in rounded(result.national.to_frame().T).iloc[0].items()
        },
        "access": {k: _plain(v) for k, v in result.access.summary.items()},
        "dealer_files": sorted(set(result.network[SOURCE_FILE].astype(str))),
    }
    return json.dumps(data, indent=2, sort_keys=False, allow_nan=False, default=str) + "\n"


def _plain(value: Any) -> Any:
    """JSON-safe scalars: numpy numbers to Python, inf and NaN to None."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not np.isfinite(value) else round(float(value), 3)
    return value
