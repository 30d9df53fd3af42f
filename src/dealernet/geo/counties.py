"""County names and FIPS codes: what a user types after ``--county``, and each site's county.

Counties are how planners and state dealer associations slice a state, but their names
repeat from state to state (Washington County, Jefferson County) and a few states have
independent cities that share a county's name (Richmond city and Richmond County,
Virginia). So a name is matched with its state, independent cities are labelled as such,
and anything still ambiguous is answered with the candidates and their FIPS codes, never a
guess. Polygons come from the shipped Census layer (:mod:`dealernet.geo.boundaries`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from dealernet._errors import QueryError
from dealernet._names import COUNTY, Match, Names, state_names
from dealernet.geo.boundaries import counties, county_at
from dealernet.schema import LATITUDE, LONGITUDE

_COUNTY_SUFFIX = re.compile(
    r"\s+(county|parish|borough|census area|city and borough|municipality|municipio)$"
)
_ABBREVIATIONS = {"saint": "st", "sainte": "ste"}
#: States with independent cities, whose county codes start at 510 (Census FIPS).
_CITY_STATES = ("VA", "MD", "MO", "NV")
_CITY_CODES = 510


def counties_at(sites: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """FIPS code and name (``"Dallas County"``, ``"Richmond city"``) of each site's county."""

    if not len(sites):
        return np.array([], dtype=object), np.array([], dtype=object)
    lat = pd.to_numeric(sites[LATITUDE], errors="coerce").to_numpy(dtype="float64")
    lon = pd.to_numeric(sites[LONGITUDE], errors="coerce").to_numpy(dtype="float64")
    fips, _ = county_at(lat, lon)
    layer = counties()
    names = dict(zip(layer["geoid"], county_labels(layer).str.rpartition(",")[0], strict=True))
    return fips, np.array([names.get(f, "") for f in fips], dtype=object)


def _county_key(text: str) -> str:
    words = re.sub(r"[^\w]+", " ", text.casefold()).split()
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)


def county_labels(layer: pd.DataFrame) -> pd.Series:
    """How to name each county: ``Dallas County, TX``, ``Orleans Parish, LA``,
    ``Richmond city, VA`` (an independent city: county code 510 and up in VA, MD, MO, NV).
    """
    codes = layer["geoid"].astype(str)
    city = (
        layer["state"].isin(_CITY_STATES) & (codes.str[2:].astype(int) >= _CITY_CODES)
    ).to_numpy()
    named_city = layer["name"].str.casefold().str.endswith(" city").to_numpy()  # Carson City
    state = layer["state"].to_numpy()
    suffix = np.select(
        [city & named_city, city, state == "LA", state == "AK"],
        ["", " city", " Parish", ""],
        " County",
    )
    return layer["name"] + suffix + ", " + layer["state"]


def match_counties(texts: Sequence[str]) -> tuple[set[str], list[str], list[Match]]:
    """FIPS codes and labels of the counties named (codes, or names with or without state).

    ``"Richmond, VA"`` is both a county and an independent city; ``"Richmond County, VA"``
    and ``"Richmond city, VA"`` tell them apart, as do the FIPS codes. A misspelt name or
    state is read as the one it is clearly close to (:class:`dealernet._names.Names`).

    Returns
    -------
    fips, labels, corrections
        The codes, a label per text (``"Dallas County, TX"``), and a
        :class:`~dealernet._names.Match` for each text read with a correction.

    Raises
    ------
    QueryError
        For an unknown code or name, or a name several counties share; the message lists
        them with their states and FIPS codes.
    """

    layer = counties().reset_index(drop=True)
    labels_all = county_labels(layer)
    by_fips = dict(zip(layer["geoid"].astype(str), labels_all, strict=True))
    keys = layer["name"].map(_county_key)
    long_keys = labels_all.str.rpartition(",")[0].map(_county_key)
    found: set[str] = set()
    labels: list[str] = []
    read: list[Match] = []
    for text in texts:
        raw = text.strip()
        if raw.isdigit() and len(raw) in (4, 5):
            code = raw.zfill(5)
            if code not in by_fips:
                msg = f"no county with FIPS code {raw!r}; codes are 5 digits, e.g. 48113"
                raise QueryError(msg)
            found.add(code)
            labels.append(by_fips[code])
            continue
        name, _, state_text = raw.rpartition(",") if "," in raw else (raw, "", "")
        state, corrected = None, False
        if state_text.strip():
            given = state_names().match(state_text.strip(), source=f" in county {raw!r}")
            state, corrected = given.value, not given.exact
        in_state = (layer["state"] == state) if state else pd.Series(True, index=layer.index)
        key = _county_key(name)
        hit = in_state & (long_keys == key)  # "Richmond city", "Dallas County" as labelled
        if not hit.any():
            hit = in_state & (keys == _COUNTY_SUFFIX.sub("", key))
        if not hit.any():  # a misspelt name: the one county name it is clearly close to
            names = _county_names(keys[in_state], long_keys[in_state], labels_all[in_state])
            key = names.match(name, typed=raw).value
            hit, corrected = in_state & ((long_keys == key) | (keys == key)), True
        rows = layer.loc[hit.to_numpy()]
        if len(rows) > 1:
            said = repr(raw)
            if corrected:
                said += f" (read as {str(rows['name'].iloc[0])!r})"
            listed = "; ".join(
                f"{labels_all[i]} (FIPS {rows.at[i, 'geoid']!s})" for i in rows.index
            )
            msg = f"county {said} could be any of: {listed}. Name one as listed, or its FIPS code."
            raise QueryError(msg)
        label = str(labels_all[rows.index[0]])
        found.add(str(rows["geoid"].iloc[0]))
        labels.append(label)
        if corrected:
            read.append(Match(raw, label, False, COUNTY, label))
    return found, labels, read


def _county_names(keys: pd.Series, long_keys: pd.Series, labels: pd.Series) -> Names:
    """County names to read a misspelt one as, by name (``"dallas"``) or as labelled
    (``"dallas county"``, ``"richmond city"``); a value is the key it was matched by.

    A value is shown as its county (``"Dallas County, TX"``), or, when counties in several
    states share it, as the name and their states (``"Dallas County (AL, AR, TX)"``).
    """
    by_key: dict[str, list[str]] = {}
    for short, long, label in zip(keys, long_keys, labels, strict=True):
        for k in dict.fromkeys((long, short)):
            by_key.setdefault(k, []).append(str(label))

    def show(key: str) -> str:
        found = by_key[key]
        if len(found) == 1:
            return found[0]
        states = sorted({f.rpartition(", ")[2] for f in found})
        return f"{found[0].rpartition(',')[0]} ({', '.join(states)})"

    return Names(
        {k: k for k in by_key},
        kind=COUNTY,
        key=_county_key,
        fix='Name it as in "Dallas County, TX", or give its 5-digit FIPS code.',
        show=show,
    )
