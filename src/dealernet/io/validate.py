"""Problems found in dealer data, and the checks that find them.

Every check looks at whole columns at once (so a million-row file validates in seconds)
and turns each bad cell into a :class:`Problem` that says where it is (file, line, column,
value), what is wrong and how to fix it. The loader collects them into a
:class:`ValidationReport` so that a user sees every problem in one pass.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dealernet.schema import (
    ANNUAL_NEW_UNITS,
    ANNUAL_REVENUE,
    ANNUAL_USED_UNITS,
    BRAND,
    BRANDS,
    DEALER_ID,
    EMPLOYEES,
    HOST_CAPACITY,
    LATITUDE,
    LONGITUDE,
    NAME,
    OFFICE_EMPLOYEES,
    SALES_EMPLOYEES,
    SERVICE_EMPLOYEES,
    TEXT_COLUMNS,
    normalise_brand,
)

ERROR = "error"
WARNING = "warning"

#: Internal columns the loader keeps beside the canonical ones, to point at a row.
FILE = "_file"
ROW = "_row"
LABEL = "_label"
HEADERS = "_headers"
#: Rows the reader already refused (cells shifted by an unquoted comma, say).
READ_BAD = "_read_bad"

_MAX_VALUE_CHARS = 60


@dataclass(frozen=True)
class Problem:
    """One problem: where it is, what is wrong, how to fix it."""

    severity: str
    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str
    fix: str
    row_label: str = "line"

    def location(self) -> str:
        """``data/x.csv, line 12, column 'Lat'``."""
        parts = [self.file]
        if self.row is not None:
            parts.append(f"{self.row_label} {self.row:,}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def describe(self) -> str:
        """The whole problem as one line of plain text."""
        value = ""
        if self.value is not None:
            shown = self.value
            if len(shown) > _MAX_VALUE_CHARS:
                shown = shown[: _MAX_VALUE_CHARS - 3] + "..."
            value = f" value {shown!r}:"
        return f"{self.severity}: {self.location()}:{value} {self.message}. Fix: {self.fix}"


@dataclass
class FileColumns:
    """What one file (or sheet) supplied, so a user can see how it was read.

    Attributes
    ----------
    where
        The file (and sheet) as shown in messages.
    rows
        Data rows (records, features) it holds.
    used
        File header -> the site field it supplied, in the file's order.
    ignored
        Headers (and JSON fields) that supply no field.
    brand_from_name
        The brand taken from the file name, when the file has no brand column.
    brands
        Sites per brand kept after the checks (a file may hold several).
    """

    where: str
    rows: int
    used: dict[str, str]
    ignored: list[str]
    brand_from_name: str | None = None
    brands: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """``x.json: 207 rows; brand Infiniti, from the file name``, then used and ignored."""
        head = f"{self.where}: {self.rows:,} row{'s' if self.rows != 1 else ''}"
        if self.brand_from_name is not None:
            head += f"; brand {self.brand_from_name}, from the file name"
        elif len(self.brands) > 1:
            per = ", ".join(f"{b} ({n:,})" for b, n in sorted(self.brands.items()))
            head += f"; {len(self.brands)} brands: {per}"
        elif self.brands:
            head += f"; brand {next(iter(self.brands))}"
        used = ", ".join(f"{h} -> {c}" for h, c in self.used.items()) or "none"
        out = [head, f"  columns used: {used}"]
        if self.ignored:
            shown = ", ".join(self.ignored[:_IGNORED_SHOWN])
            if len(self.ignored) > _IGNORED_SHOWN:
                shown += f" and {len(self.ignored) - _IGNORED_SHOWN:,} more"
            out.append(f"  ignored: {shown}")
        return out


#: Ignored headers listed before "and N more".
_IGNORED_SHOWN = 30


@dataclass
class ValidationReport:
    """Every problem found in a set of dealer files, plus what was read."""

    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    problems: list[Problem] = field(default_factory=list)
    dropped_rows: list[tuple[str, int]] = field(default_factory=list)
    #: How each file's headers were read, one entry per file or sheet.
    columns: list[FileColumns] = field(default_factory=list)
    #: Facts about the whole input that are not problems (codes shared across brands).
    notes: list[str] = field(default_factory=list)

    def __deepcopy__(self, memo: dict[int, object]) -> ValidationReport:
        """The report itself: it describes files already read, and pandas deep-copies a
        frame's ``attrs`` on every operation (half a millisecond each for a real roster's
        report, a tenth of an explorer's re-decide), so the frames made from a loaded
        network share its one report."""
        return self

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not any(p.severity == ERROR for p in self.problems)

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def summary(self) -> str:
        """``2 files, 1,268 rows: 0 errors, 3 warnings``."""
        n_err, n_warn = len(self.errors), len(self.warnings)
        files = f"{len(self.files)} file{'s' if len(self.files) != 1 else ''}"
        return (
            f"{files}, {self.rows_read:,} row{'s' if self.rows_read != 1 else ''}: "
            f"{n_err:,} error{'s' if n_err != 1 else ''}, "
            f"{n_warn:,} warning{'s' if n_warn != 1 else ''}"
        )

    def lines(self, limit: int | None = None) -> Iterator[str]:
        """Problems as text lines, errors first, each file's in row order."""
        ordered = sorted(
            self.problems,
            key=lambda p: (p.severity != ERROR, p.file, p.row or 0, p.column or ""),
        )
        for i, problem in enumerate(ordered):
            if limit is not None and i >= limit:
                yield f"... and {len(ordered) - limit:,} more (write them all with --problems FILE)"
                return
            yield problem.describe()

    def column_lines(self) -> Iterator[str]:
        """How every file was read (columns used and ignored, brands), then the notes."""
        for table in self.columns:
            yield from table.lines()
        for note in self.notes:
            yield f"note: {note}"

    def to_frame(self) -> pd.DataFrame:
        """Problems as a table, for ``--problems FILE``."""
        cols = ["severity", "file", "row_label", "row", "column", "value", "message", "fix"]
        return pd.DataFrame([{c: getattr(p, c) for c in cols} for p in self.problems], columns=cols)


# --- row checks ---------------------------------------------------------------------------


def map_unique(values: pd.Series, func: Callable[[str], object]) -> pd.Series:
    """``values.map(func)``, calling ``func`` once per distinct value (fast on big files)."""
    uniques = pd.unique(values.to_numpy(dtype=object))
    table = {u: func(u) for u in uniques}
    return pd.Series(
        [table[v] for v in values.to_numpy(dtype=object)], index=values.index, dtype=object
    )


def problems_at(
    frame: pd.DataFrame,
    mask: np.ndarray | pd.Series,
    column: str,
    message: str,
    fix: str,
    severity: str = ERROR,
    values: pd.Series | None = None,
) -> list[Problem]:
    """One problem for each row of ``frame`` where ``mask`` holds."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return []
    picked = frame.loc[mask]
    vals = (values if values is not None else frame[column]).loc[mask]
    out = []
    for file, row, label, headers, value in zip(
        picked[FILE], picked[ROW], picked[LABEL], picked[HEADERS], vals, strict=True
    ):
        out.append(
            Problem(
                severity,
                file,
                int(row),
                headers.get(column, column),
                str(value),
                message,
                fix,
                label,
            )
        )
    return out


_NON_FINITE = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
_HEMISPHERE = re.compile(r"^\s*[NSEW]\s*[-+]?\d|\d\s*[NSEW]\s*$", re.IGNORECASE)


def parse_numbers(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Numbers from text cells: ``(values, empty, bad)``.

    ``bad`` marks cells that hold something other than a finite number (``"abc"``,
    ``"32,78"``, ``"N 32.78"``, ``"nan"``, ``"inf"``); ``values`` is NaN there.
    """
    stripped = text.fillna("").astype(str).str.strip()
    empty = stripped == ""
    values = pd.to_numeric(stripped.where(~empty, None), errors="coerce").astype("float64")
    finite = np.isfinite(values.to_numpy())
    bad = ~empty & ~finite
    values = values.where(finite)
    return values, empty, bad


def number_hint(value: str) -> str:
    """How to fix a cell that should hold a decimal number."""
    text = value.strip()
    if text.casefold() in _NON_FINITE:
        return "Replace it with a real number, or leave the cell empty"
    if _HEMISPHERE.search(text):
        return "Write signed decimal degrees: 'N 32.78' is 32.78, 'W 96.80' is -96.80"
    if "°" in text or "'" in text:
        return "Convert degrees, minutes and seconds to decimal degrees (32°46'48\" is 32.78)"
    if "," in text:
        return "Use a decimal point, not a comma: 32.78, not 32,78"
    return "Write a plain decimal number such as 32.7767"


def coordinate_problems(frame: pd.DataFrame) -> tuple[list[Problem], np.ndarray]:
    """Check latitude and longitude text; returns problems and a bad-row mask.

    Also parses the columns in place into floats (NaN where missing or bad). A 0, 0 pair
    is how some locators write "not known" (no dealer stands in the Gulf of Guinea): it is
    read as missing, with a warning, so the ZIP code places the site.
    """
    lat, lat_empty, lat_bad = parse_numbers(frame[LATITUDE])
    lon, lon_empty, lon_bad = parse_numbers(frame[LONGITUDE])
    out: list[Problem] = []
    placeholder = (lat == 0) & (lon == 0)
    if placeholder.any():
        pair = frame[LATITUDE].astype(str) + ", " + frame[LONGITUDE].astype(str)
        out += problems_at(
            frame,
            placeholder,
            LATITUDE,
            "coordinates 0, 0 are a placeholder, not a place; read as missing",
            "Add the real coordinates; until then the ZIP code places the site",
            severity=WARNING,
            values=pair,
        )
        lat, lon = lat.mask(placeholder), lon.mask(placeholder)
        lat_empty, lon_empty = lat_empty | placeholder, lon_empty | placeholder
    for col, bad in ((LATITUDE, lat_bad), (LONGITUDE, lon_bad)):
        for p in problems_at(frame, bad, col, "not a number", ""):
            out.append(_with_fix(p, number_hint(p.value or "")))
    one_missing = lat_empty ^ lon_empty
    out += problems_at(
        frame,
        one_missing & lat_empty,
        LATITUDE,
        "latitude is missing but longitude is given",
        "Fill in both coordinates, or neither (the ZIP centroid is then used)",
    )
    out += problems_at(
        frame,
        one_missing & lon_empty,
        LONGITUDE,
        "longitude is missing but latitude is given",
        "Fill in both coordinates, or neither (the ZIP centroid is then used)",
    )
    swapped_range = (lat.abs() > 90) & (lat.abs() <= 180) & (lon.abs() <= 90)
    # US dealers swapped: latitude -180..-60 read as latitude, 17..72 as longitude.
    swapped_us = lat.between(-90, -60) & lon.between(17, 72)
    swapped = (swapped_range | swapped_us).to_numpy()
    pair = frame[LATITUDE].astype(str) + ", " + frame[LONGITUDE].astype(str)
    out += problems_at(
        frame,
        swapped,
        LATITUDE,
        "latitude and longitude look swapped",
        "Exchange the latitude and longitude columns (US latitudes are 18 to 72, longitudes "
        "-180 to -64)",
        values=pair,
    )
    lat_range = (lat.abs() > 90).to_numpy() & ~swapped
    lon_range = (lon.abs() > 180).to_numpy() & ~swapped
    out += problems_at(
        frame,
        lat_range,
        LATITUDE,
        "latitude out of range (-90 to 90)",
        "Check the value; latitudes are degrees north, between -90 and 90",
    )
    out += problems_at(
        frame,
        lon_range,
        LONGITUDE,
        "longitude out of range (-180 to 180)",
        "Check the value; longitudes are degrees east, between -180 and 180",
    )
    frame[LATITUDE] = lat
    frame[LONGITUDE] = lon
    bad = (lat_bad | lon_bad | one_missing).to_numpy() | swapped | lat_range | lon_range
    return out, bad


def _with_fix(problem: Problem, fix: str) -> Problem:
    return Problem(
        problem.severity,
        problem.file,
        problem.row,
        problem.column,
        problem.value,
        problem.message,
        fix,
        problem.row_label,
    )


def number_column_problems(frame: pd.DataFrame, column: str) -> tuple[list[Problem], np.ndarray]:
    """Check an optional economics column: a number, not negative (capacity: a whole number)."""
    if not frame[column].astype(bool).any():  # the column is absent or empty: nothing to check
        frame[column] = np.nan
        return [], np.zeros(len(frame), dtype=bool)
    values, _empty, bad = parse_numbers(frame[column])
    out = [
        _with_fix(p, number_hint(p.value or ""))
        for p in problems_at(frame, bad, column, "not a number", "")
    ]
    negative = (values < 0).to_numpy()
    out += problems_at(
        frame,
        negative,
        column,
        "must not be negative",
        "Correct the figure or leave the cell empty",
    )
    bad_mask = bad.to_numpy() | negative
    problems, too_big = _range_problems(frame, column, values)
    out += problems
    bad_mask |= too_big
    if column == HOST_CAPACITY:
        fractional = (values.notna() & (values % 1 != 0)).to_numpy()
        out += problems_at(
            frame,
            fractional,
            column,
            "must be a whole number of stores",
            "Write how many stores this site can take, e.g. 2",
        )
        bad_mask |= fractional
    frame[column] = values
    return out, bad_mask


#: Per store: (a warning above, an error above). The largest US stores sell about 10,000 new
#: cars a year with a few hundred staff; the error bound is a figure no store reaches (a
#: unit slip, a total typed in a store's row, or 1e308), which would swamp every total.
PLAUSIBLE: dict[str, tuple[float, float, str]] = {
    ANNUAL_NEW_UNITS: (25_000, 100_000, "units a year"),
    ANNUAL_USED_UNITS: (25_000, 100_000, "units a year"),
    EMPLOYEES: (2_000, 100_000, "employees"),
    SALES_EMPLOYEES: (2_000, 100_000, "employees"),
    SERVICE_EMPLOYEES: (2_000, 100_000, "employees"),
    OFFICE_EMPLOYEES: (2_000, 100_000, "employees"),
    ANNUAL_REVENUE: (5e9, 1e11, "dollars a year"),
    HOST_CAPACITY: (10, 100, "stores"),
}


def _range_problems(
    frame: pd.DataFrame, column: str, values: pd.Series
) -> tuple[list[Problem], np.ndarray]:
    """Figures no single store has: an error above the hard bound, a warning above the soft."""
    if column not in PLAUSIBLE:
        return [], np.zeros(len(frame), dtype=bool)
    soft, hard, unit = PLAUSIBLE[column]
    over_hard = (values > hard).to_numpy()
    over_soft = (values > soft).to_numpy() & ~over_hard
    out = problems_at(
        frame,
        over_hard,
        column,
        f"more than {hard:,.0f} {unit} for one store: not a plausible figure",
        "Check the value and its unit (a whole group's or a year's total typed in one "
        "store's row, thousands typed as units); correct it or leave the cell empty",
    )
    out += problems_at(
        frame,
        over_soft,
        column,
        f"more than {soft:,.0f} {unit} for one store, far above a typical store",
        "Check the figure; if it is right, ignore this warning",
        severity=WARNING,
    )
    return out, over_hard


def brand_problems(frame: pd.DataFrame) -> tuple[list[Problem], np.ndarray]:
    """Normalise brands in place; unknown or missing brands are errors."""
    raw = frame[BRAND].fillna("").astype(str)
    normal = map_unique(raw, normalise_brand)
    missing = (raw.str.strip() == "").to_numpy()
    unknown = normal.isna().to_numpy() & ~missing
    known = ", ".join(BRANDS)
    out = problems_at(
        frame, missing, BRAND, "brand is missing", f"Fill in the brand (one of: {known})"
    )
    for p in problems_at(frame, unknown, BRAND, "unknown brand", ""):
        close = difflib.get_close_matches(str(p.value).strip().title(), BRANDS, n=1)
        hint = f"Did you mean {close[0]!r}? " if close else ""
        out.append(_with_fix(p, f"{hint}Use one of: {known}"))
    frame[BRAND] = normal
    return out, missing | unknown


#: Longest text a cell may hold; anything longer is a broken export, not a dealer's name.
MAX_TEXT_CHARS = 1_000


def text_length_problems(frame: pd.DataFrame) -> tuple[list[Problem], np.ndarray]:
    """Text cells far longer than any name or address (an unclosed quote swallows rows)."""
    bad = np.zeros(len(frame), dtype=bool)
    out: list[Problem] = []
    for column in TEXT_COLUMNS:
        lengths = frame[column].fillna("").astype(str).str.len().to_numpy()
        long = lengths > MAX_TEXT_CHARS
        if long.any():
            shown = pd.Series("", index=frame.index, dtype=object)
            shown[long] = [f"{n:,} characters" for n in lengths[long]]
            out += problems_at(
                frame,
                long,
                column,
                f"cell longer than {MAX_TEXT_CHARS:,} characters",
                "Check the export: an unclosed quote often swallows the rows after it",
                values=shown,
            )
            bad |= long
    return out, bad


def required_text_problems(frame: pd.DataFrame) -> tuple[list[Problem], np.ndarray]:
    """A site needs an id and a name."""
    bad = np.zeros(len(frame), dtype=bool)
    out: list[Problem] = []
    for column, what in ((DEALER_ID, "dealer id"), (NAME, "name")):
        empty = (frame[column].fillna("").astype(str).str.strip() == "").to_numpy()
        out += problems_at(frame, empty, column, f"{what} is missing", f"Every site needs a {what}")
        bad |= empty
    return out, bad
