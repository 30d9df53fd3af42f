"""Competing luxury stores for the market model: the shipped 2015 rosters, or your files.

The Huff market model (:mod:`dealernet.analysis.market`) asks where an Infiniti store's
customers buy once it moves or closes: at another Infiniti store, or at a competing luxury
brand. :func:`load_competitors` gives it those competitors. Without a path it reads the
eight rosters shipped in ``_data/networks/competitors-2015`` (Acura, Audi, BMW, Cadillac,
Lexus, Lincoln, Mercedes-Benz, Volvo, as the makers' dealer locators published them in
2015); with one, your CSV, XLSX or JSON file, or a folder of them.

Your files go through the dealer loader's own readers and checks (:mod:`dealernet.io.loader`),
so every format and header spelling ``--dealers`` accepts is accepted here, and every
problem is reported the same way, in ``frame.attrs["validation"]``. The brand of a row is
its brand column, or, for a file without one (a dealer-locator JSON roster, say), the one
brand the file name names (``audi.json``, ``mercedes-benz.csv``); a file with neither is
refused. Three rules differ from ``--dealers``, because competitors are only points of
sale with a brand:

- the scenario's own brands (the caller passes its source and host brands as
  ``exclude_brands``) are not competitors: their rows are left out, with a warning;
- a dealer id a brand uses twice keeps its first row and warns about the others, instead
  of refusing the file;
- at least one store must have a location (coordinates, or a ZIP code that places it).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from dealernet._errors import InputFileError, InvalidInputError
from dealernet.io.bundled import COMPETITORS_2015
from dealernet.io.loader import _canonical, _check_rows, _count_brands, _to_geodataframe
from dealernet.io.readers import discover, read_table
from dealernet.io.validate import (
    FILE,
    HEADERS,
    LABEL,
    ROW,
    WARNING,
    Problem,
    ValidationReport,
)
from dealernet.schema import BRAND, DEALER_ID, LATITUDE, LONGITUDE, normalise_brand
from dealernet.settings import NETWORKS_DIR, shown_path

__all__ = ["COMPETITORS_DIR", "COMPETITORS_LABEL", "competitor_brands", "load_competitors"]

#: The shipped 2015 competitor rosters (one CSV per brand, with their licence).
COMPETITORS_DIR = NETWORKS_DIR / COMPETITORS_2015
#: How outputs name the shipped rosters; every one says they are from 2015.
COMPETITORS_LABEL = "real 2015 competitor rosters"
#: Errors quoted in a refusal before "and N more".
_ERRORS_SHOWN = 3


def load_competitors(
    path: str | Path | None = None,
    *,
    exclude_brands: Iterable[str] = (),
    skip_invalid: bool = False,
) -> pd.DataFrame:
    """The competing stores: one row per store, in EPSG:4326.

    Parameters
    ----------
    path
        ``None`` (or ``"competitors-2015"``) for the shipped 2015 rosters; else a CSV, XLSX
        or JSON file, or a folder of them.
    exclude_brands
        Brands that are not competitors: the scenario's source and host brands. Their rows
        are left out with a warning.
    skip_invalid
        Drop rows with errors instead of refusing the files, as ``--skip-invalid`` does.

    Returns
    -------
    GeoDataFrame
        The loaded network's columns (``dealer_id``, ``name``, ``brand``, ``state``,
        ``latitude``, ``longitude``, ``dealer_code``...). ``attrs["source"]`` says where
        the stores come from (``"real 2015 competitor rosters (8 brands, 3,628 stores)"``,
        ``"your files: PATH (...)"``); ``attrs["validation"]`` is the report of every
        problem found.

    Raises
    ------
    InputFileError
        When the path does not exist or holds no dealer files.
    InvalidInputError
        When a file has no brand, a row has an error (unless ``skip_invalid``), no store
        has a location, or every store is of an excluded brand.
    """
    target, shipped = _target(path)
    where = shown_path(target)
    excluded = _brand_keys(exclude_brands)
    report = ValidationReport()
    frame = _read(target, report)
    frame = _without_brands(frame, excluded, report, where)
    frame = _first_of_each_id(frame, report)
    frame, bad, copy = _check_rows(frame, report)
    _count_brands(frame, bad | copy, report)
    _refuse_placeless(frame, copy, report, where)
    if not report.ok and not skip_invalid:
        raise InvalidInputError(_refusal(report, where), report)
    if bad.any():
        report.dropped_rows = [
            (f, int(r)) for f, r in zip(frame[FILE][bad], frame[ROW][bad], strict=True)
        ]
    frame = frame.loc[~(bad | copy)].reset_index(drop=True)
    if frame.empty:
        msg = (
            f"no competitor store is left in {where}: every row has errors, so --skip-invalid "
            "dropped them all. Fix the errors (dealernet validate lists them)."
        )
        raise InvalidInputError(msg, report)
    stores = _to_geodataframe(frame)
    stores.attrs["source"] = _source(stores, where, shipped)
    stores.attrs["validation"] = report
    return stores


def competitor_brands(frame: pd.DataFrame) -> list[str]:
    """The brands of a competitor frame, sorted (``["Acura", "Audi", "BMW", ...]``)."""
    return sorted({str(b) for b in frame[BRAND].dropna()})


# --- where from -----------------------------------------------------------------------------


def _target(path: str | Path | None) -> tuple[Path, bool]:
    """The file or folder to read, and whether it is the shipped rosters."""
    if path is None:
        return COMPETITORS_DIR, True
    given = Path(path)
    if not given.exists() and str(path).strip().lower() == COMPETITORS_2015:
        return COMPETITORS_DIR, True
    if not given.exists():
        msg = (
            f"{given}: no such competitor file or folder. Fix: pass a CSV, XLSX or JSON "
            "roster of the competing stores, or a folder of them, or leave the option out "
            "to use the shipped 2015 rosters."
        )
        raise InputFileError(msg)
    try:
        shipped = given.resolve() == COMPETITORS_DIR.resolve()
    except OSError:
        shipped = False
    return given, shipped


def _source(stores: pd.DataFrame, where: str, shipped: bool) -> str:
    """``real 2015 competitor rosters (8 brands, 3,628 stores)`` or ``your files: ...``."""
    n, m = len(competitor_brands(stores)), len(stores)
    counts = f"{n} brand{'s' if n != 1 else ''}, {m:,} store{'s' if m != 1 else ''}"
    return f"{COMPETITORS_LABEL} ({counts})" if shipped else f"your files: {where} ({counts})"


# --- reading --------------------------------------------------------------------------------


def _read(target: Path, report: ValidationReport) -> pd.DataFrame:
    """Every file's rows under canonical headers, before the row checks (the loader's own
    per-file reading, so formats, header spellings and file-level problems are the same)."""
    skipped: list[str] = []
    files = discover([target], skipped=skipped)
    report.files = [str(f) for f in files]
    report.notes.extend(skipped)
    frames = []
    for path in files:
        for table in read_table(path):
            report.extend(table.problems)
            frame = _canonical(table, report)
            if frame is not None:
                frames.append(frame)
    report.rows_read = sum(c.rows for c in report.columns)
    _refuse_files_without_brand(report)
    if not frames:
        raise InvalidInputError(_refusal(report, shown_path(target)), report)
    return pd.concat(frames, ignore_index=True)


def _refuse_files_without_brand(report: ValidationReport) -> None:
    """A file whose stores have no brand cannot be a competitor roster: say so first."""
    files = [
        p.file
        for p in report.errors
        if p.row is None and p.message == f"missing required column {BRAND!r}"
    ]
    if files:
        msg = (
            f"{'; '.join(files)}: no brand column, and the file name names no brand, so its "
            "stores have no brand for the market model to weigh. Fix: add a 'brand' "
            "column, or name the file after its brand (audi.csv, mercedes-benz.json)."
        )
        raise InvalidInputError(msg, report)


def _brand_keys(brands: Iterable[str]) -> dict[str, str]:
    """Excluded brands: matching key -> spelling (``"INFINITI"`` -> ``"Infiniti"``)."""
    if isinstance(brands, str):  # one brand passed bare, not as a list
        brands = [brands]
    out = {}
    for brand in brands:
        text = normalise_brand(brand) or str(brand).strip()
        if text:
            out[text.casefold()] = text
    return out


def _brand_key(raw: object) -> str:
    text = str(raw).strip()
    return (normalise_brand(text) or text).casefold()


def _without_brands(
    frame: pd.DataFrame, excluded: dict[str, str], report: ValidationReport, where: str
) -> pd.DataFrame:
    """Leave out the excluded brands' rows, with one warning per file and brand."""
    if not excluded:
        return frame
    keys = frame[BRAND].map(_brand_key)
    out = keys.isin(set(excluded)).to_numpy()
    if not out.any():
        return frame
    for (file, key), n in (
        pd.DataFrame({FILE: frame[FILE][out], BRAND: keys[out]}).value_counts(sort=False).items()
    ):
        report.extend(
            [
                Problem(
                    WARNING,
                    str(file),
                    None,
                    None,
                    None,
                    f"{n:,} {excluded[key]} row{'s' if n != 1 else ''} left out: "
                    f"{excluded[key]} is one of the scenario's own brands "
                    f"({', '.join(excluded.values())}), not a competitor",
                    "Keep the scenario's brands in the dealer files and only competing "
                    "brands in the competitor files",
                )
            ]
        )
    if out.all():
        msg = (
            f"no competitor store in {where}: {_all_rows(len(frame))} of the scenario's own "
            f"brands ({', '.join(excluded.values())}). Fix: pass a roster of the competing "
            "brands (Acura, Audi, BMW...), or leave the option out for the shipped 2015 rosters."
        )
        raise InvalidInputError(msg, report)
    return frame.loc[~out].reset_index(drop=True)


def _all_rows(n: int) -> str:
    return "its only row is" if n == 1 else f"all {n:,} rows are"


def _first_of_each_id(frame: pd.DataFrame, report: ValidationReport) -> pd.DataFrame:
    """Keep the first row of each (brand, dealer id); a warning for each later one."""
    ids = frame[DEALER_ID].fillna("").astype(str).str.strip()
    keys = frame[BRAND].map(_brand_key) + "\x1f" + ids
    later = (keys.duplicated(keep="first") & (ids != "")).to_numpy()
    if not later.any():
        return frame
    first = {
        k: f"{f} {lab} {int(r):,}"
        for k, f, lab, r in zip(
            keys[~later], frame[FILE][~later], frame[LABEL][~later], frame[ROW][~later], strict=True
        )
    }
    for i in np.flatnonzero(later):
        row = frame.iloc[i]
        brand = normalise_brand(row[BRAND]) or row[BRAND]
        report.extend(
            [
                Problem(
                    WARNING,
                    str(row[FILE]),
                    int(row[ROW]),
                    row[HEADERS].get(DEALER_ID, DEALER_ID),
                    ids.iloc[i],
                    f"the {brand} dealer id repeats {first[keys.iloc[i]]}; the first "
                    "row is kept and this one left out",
                    f"If they are two stores, give this one its own id (e.g. {ids.iloc[i]}-2); "
                    "if one store, delete the repeated row",
                    str(row[LABEL]),
                )
            ]
        )
    return frame.loc[~later].reset_index(drop=True)


# --- refusals -------------------------------------------------------------------------------


def _refuse_placeless(
    frame: pd.DataFrame, copy: np.ndarray, report: ValidationReport, where: str
) -> None:
    """No store with a location (coordinates, or a ZIP code that places it): nothing for
    customers to choose between, whatever else is wrong."""
    rows = ~copy
    placed = (frame[LATITUDE].notna() & frame[LONGITUDE].notna()).to_numpy() & rows
    if rows.any() and not placed.any():
        msg = (
            f"no competitor store in {where} has a location: none of its {int(rows.sum()):,} "
            "rows has coordinates or a ZIP code that places it. Fix: add latitude and "
            "longitude columns (or a ZIP code column)."
        )
        raise InvalidInputError(msg, report)


def _refusal(report: ValidationReport, where: str) -> str:
    errors = report.errors
    shown = "; ".join(p.describe() for p in errors[:_ERRORS_SHOWN])
    more = f" (and {len(errors) - _ERRORS_SHOWN:,} more)" if len(errors) > _ERRORS_SHOWN else ""
    head = f"the competitor files in {where} have errors ({report.summary()})"
    if not errors:
        return f"{head}. Fix: pass a roster of the competing stores."
    return f"{head}: {shown}{more}. Correct them, or pass --skip-invalid to leave the bad rows out."
