"""Customer points whose population matches the 2020 Census, county by county.

GeoNames places (:func:`dealernet.geo.places.load_places`) say where people live but not
how many: they overlap (New York City beside its boroughs, Los Angeles beside Hollywood)
and leave out everyone outside a place of 500 or more, so they sum to 278.8 M against the
Census's 331.4 M. The customer points here keep the places, trimmed so that no county
holds more people than the Census counted in it, and put each county's remaining people at
its Census centre of population. Every county total, and so every state total, is the
Census count. How the points are made: :mod:`dealernet.geo.customers_build`.
"""

from __future__ import annotations

import csv
import io
import math
from functools import lru_cache
from pathlib import Path

import pandas as pd

from dealernet._errors import InputFileError
from dealernet.schema import LATITUDE, LONGITUDE, NAME, STATE, STATES_50_DC
from dealernet.settings import PACKAGE_DATA

__all__ = [
    "CENSUS_COLUMNS",
    "CENSUS_FILE",
    "COUNTY",
    "CUSTOMERS_EXTRACT",
    "CUSTOMER_COLUMNS",
    "KIND",
    "KIND_PLACE",
    "KIND_REMAINDER",
    "POINT_ID",
    "POPULATION",
    "census_counties",
    "load_customers",
    "read_census",
]

#: The customer points shipped with the package (rebuilt by ``customers_build``).
CUSTOMERS_EXTRACT = PACKAGE_DATA / "us_customers.csv.gz"
#: The Census Bureau's 2020 centres of population by county, as published (see SOURCES.md).
CENSUS_FILE = PACKAGE_DATA / "population" / "CenPop2020_Mean_CO.txt"

POINT_ID = "point_id"
COUNTY = "county"
KIND = "kind"
POPULATION = "population"
#: A GeoNames place, its population trimmed to what its county can hold.
KIND_PLACE = "place"
#: A county's people outside its places, at the county's Census centre of population.
KIND_REMAINDER = "county remainder"

_CUSTOMER_DTYPES = {
    POINT_ID: "str",
    NAME: "str",
    STATE: "str",
    COUNTY: "str",
    KIND: "str",
    LATITUDE: "float64",
    LONGITUDE: "float64",
    POPULATION: "int64",
}
#: Columns of :func:`load_customers`, in order.
CUSTOMER_COLUMNS: tuple[str, ...] = tuple(_CUSTOMER_DTYPES)
#: Columns of :func:`census_counties`, in order.
CENSUS_COLUMNS: tuple[str, ...] = (COUNTY, STATE, NAME, POPULATION, LATITUDE, LONGITUDE)

#: The header of the Census file, exactly as the Bureau writes it.
_CENSUS_HEADER = ["STATEFP", "COUNTYFP", "COUNAME", "STNAME", "POPULATION", "LATITUDE", "LONGITUDE"]


@lru_cache(maxsize=1)
def _customers() -> pd.DataFrame:
    """The whole extract, read once per process."""
    # No NA parsing: "Nan" or "NA" is a name here, never a missing value.
    return pd.read_csv(
        CUSTOMERS_EXTRACT, dtype=_CUSTOMER_DTYPES, keep_default_na=False, na_values=[]
    )


def load_customers(*, territories: bool = False) -> pd.DataFrame:
    """Customer points whose populations add up to the 2020 Census in every county.

    A drop-in for :func:`dealernet.geo.places.load_places` wherever people are counted
    (customer access): same ``name``, ``state``, ``latitude``, ``longitude`` and
    ``population`` columns, but the total is the Census's 331,449,281 for the 50 states
    and DC instead of an overlapping 278.8 M. Read once and cached; each call returns a
    fresh copy the caller may change.

    Parameters
    ----------
    territories
        Also return Puerto Rico (``state`` = ``PR``, 3,285,874 people). The other
        territories have no county counts in the Census file and no points here.

    Returns
    -------
    pandas.DataFrame
        Columns ``point_id`` (``p<geonameid>`` for a place, ``c<FIPS>`` for a county
        remainder), ``name``, ``state``, ``county`` (5-digit Census FIPS), ``kind``
        (``place`` or ``county remainder``), ``latitude``, ``longitude``, ``population``,
        sorted by county then ``point_id``.
    """
    frame = _customers()
    if territories:
        return frame.copy()
    keep = frame[STATE].isin(sorted(STATES_50_DC)).to_numpy()
    return frame.loc[keep].reset_index(drop=True)


def census_counties(*, territories: bool = False) -> pd.DataFrame:
    """The shipped Census county file as a table: the counts the customer points match.

    Parameters
    ----------
    territories
        Also return Puerto Rico's 78 municipios (the only territory in the file).

    Returns
    -------
    pandas.DataFrame
        Columns ``county`` (5-digit FIPS), ``state`` (postal code), ``name`` (as the
        Census writes it: ``"Doña Ana"``, without ``County``), ``population`` (2020
        Census), ``latitude``, ``longitude`` (the population-weighted centre), sorted by
        ``county``.
    """
    frame = _shipped_census()
    if territories:
        return frame.copy()
    keep = frame[STATE].isin(sorted(STATES_50_DC)).to_numpy()
    return frame.loc[keep].reset_index(drop=True)


@lru_cache(maxsize=1)
def _shipped_census() -> pd.DataFrame:
    """The shipped Census file, read once per process."""
    return read_census(CENSUS_FILE)


def read_census(path: Path) -> pd.DataFrame:
    """Read and check a Census centres-of-population file (``CenPop2020_Mean_CO.txt``).

    Returns the columns of :func:`census_counties`, with Puerto Rico, sorted by county.

    Raises
    ------
    InputFileError
        The file is missing or unreadable, its header is not the Bureau's, or a row has a
        bad FIPS code, population or coordinates, or repeats a county.
    """
    from dealernet._names import state_spellings  # imports `us`: only when needed

    codes = state_spellings()
    rows = []
    reader = csv.reader(io.StringIO(_decode(path)))
    header = next(reader, [])
    if [h.strip() for h in header] != _CENSUS_HEADER:
        msg = f"{path}: expected the header {','.join(_CENSUS_HEADER)}, found {','.join(header)}"
        raise InputFileError(msg)
    for line, row in enumerate(reader, start=2):
        if row:
            rows.append(_census_row(path, line, row, codes))
    if not rows:
        msg = f"{path}: no counties below the header"
        raise InputFileError(msg)
    frame = pd.DataFrame(rows, columns=list(CENSUS_COLUMNS))
    duplicated = frame[COUNTY][frame[COUNTY].duplicated()].tolist()
    if duplicated:
        msg = f"{path}: county FIPS codes listed twice: {', '.join(duplicated[:8])}"
        raise InputFileError(msg)
    frame[POPULATION] = frame[POPULATION].astype("int64")
    return frame.sort_values(COUNTY, ignore_index=True)


def _decode(path: Path) -> str:
    """The file's text: UTF-8 (as shipped), or Latin-1 as the Bureau publishes some files.

    Text with non-ASCII names that is not Latin-1 essentially never decodes as UTF-8, so
    trying UTF-8 first cannot misread a Latin-1 file ("Doña Ana" stays "Doña Ana").
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        msg = f"cannot read the Census county file {path}: {exc.strerror or exc}"
        raise InputFileError(msg) from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _census_row(
    path: Path, line: int, row: list[str], codes: dict[str, str]
) -> tuple[str, str, str, int, float, float]:
    """One checked row: FIPS, postal code, name, population, latitude, longitude."""
    where = f"{path}, line {line}"
    if len(row) != len(_CENSUS_HEADER):
        msg = f"{where}: {len(row)} fields, expected {len(_CENSUS_HEADER)}"
        raise InputFileError(msg)
    statefp, countyfp, name, _, pop, lat, lon = (v.strip() for v in row)
    if not (len(statefp) == 2 and len(countyfp) == 3 and (statefp + countyfp).isdigit()):
        msg = f"{where}: FIPS {statefp!r} + {countyfp!r} is not 2 + 3 digits"
        raise InputFileError(msg)
    if statefp not in codes:
        msg = f"{where}: unknown state FIPS code {statefp!r}"
        raise InputFileError(msg)
    try:
        population, latitude, longitude = int(pop), float(lat), float(lon)
    except ValueError as exc:
        msg = f"{where}: population {pop!r} or coordinates {lat!r}, {lon!r} are not numbers"
        raise InputFileError(msg) from exc
    if population < 0:
        msg = f"{where}: population {pop!r} is negative"
        raise InputFileError(msg)
    if not (math.isfinite(latitude) and math.isfinite(longitude)) or not (
        abs(latitude) <= 90 and abs(longitude) <= 180
    ):
        msg = f"{where}: coordinates {lat!r}, {lon!r} are outside -90..90, -180..180"
        raise InputFileError(msg)
    return statefp + countyfp, codes[statefp], name, population, latitude, longitude
