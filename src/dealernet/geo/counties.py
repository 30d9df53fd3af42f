"""County names and FIPS codes: what a user types after ``--county``, and each site's county.

Counties are how planners and state dealer associations slice a state, but their names
repeat from state to state (Washington County, Jefferson County) and a few states have
independent cities that share a county's name (Richmond city and Richmond County,
Virginia). So a name is matched with its state, independent cities are labelled as such,
and anything still ambiguous is answered with the candidates and their FIPS codes, never a
guess. Polygons come from the shipped Census layer (:mod:`dealernet.geo.boundaries`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from dealernet._errors import QueryError
from dealernet.schema import LATITUDE, LONGITUDE, normalise_state

_COUNTY_SUFFIX = re.compile(
    r"\s+(county|parish|borough|census area|city and borough|municipality|municipio)$"
)
_ABBREVIATIONS = {"saint": "st", "sainte": "ste"}
#: States with independent cities, whose county codes start at 510 (Census FIPS).
_CITY_STATES = ("VA", "MD", "MO", "NV")
_CITY_CODES = 510


def counties_at(sites: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """FIPS code and name (``"Dallas County"``, ``"Richmond city"``) of each site's county."""
    from dealernet.geo.boundaries import counties, county_at

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


def match_counties(texts: Sequence[str]) -> tuple[set[str], list[str]]:
    """FIPS codes and labels of the counties named (codes, or names with or without state).

    ``"Richmond, VA"`` is both a county and an independent city; ``"Richmond County, VA"``
    and ``"Richmond city, VA"`` tell them apart, as do the FIPS codes.

    Raises
    ------
    QueryError
        For an unknown code or name, or a name several counties share; the message lists
        them with their states and FIPS codes.
    """
    from dealernet.geo.boundaries import counties

    layer = counties().reset_index(drop=True)
    labels_all = county_labels(layer)
    by_fips = dict(zip(layer["geoid"].astype(str), labels_all, strict=True))
    keys = layer["name"].map(_county_key)
    long_keys = labels_all.str.rpartition(",")[0].map(_county_key)
    found: set[str] = set()
    labels: list[str] = []
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
        state = normalise_state(state_text.strip()) if state_text.strip() else None
        if state_text.strip() and state is None:
            msg = f"unknown state {state_text.strip()!r} in county {raw!r}"
            raise QueryError(msg)
        in_state = (layer["state"] == state) if state else pd.Series(True, index=layer.index)
        key = _county_key(name)
        hit = in_state & (long_keys == key)  # "Richmond city", "Dallas County" as labelled
        if not hit.any():
            hit = in_state & (keys == _COUNTY_SUFFIX.sub("", key))
        rows = layer.loc[hit.to_numpy()]
        if len(rows) != 1:
            raise _county_problem(raw, rows, labels_all, keys, key)
        found.add(str(rows["geoid"].iloc[0]))
        labels.append(str(labels_all[rows.index[0]]))
    return found, labels


def _county_problem(
    raw: str, rows: pd.DataFrame, labels: pd.Series, keys: pd.Series, key: str
) -> QueryError:
    if len(rows) > 1:
        listed = "; ".join(f"{labels[i]} (FIPS {rows.at[i, 'geoid']!s})" for i in rows.index)
        msg = f"county {raw!r} could be any of: {listed}. Name one as listed, or its FIPS code."
        return QueryError(msg)
    close = difflib.get_close_matches(_COUNTY_SUFFIX.sub("", key), sorted(set(keys)), 4, 0.75)
    hint = "; ".join(labels[keys.isin(close).to_numpy()].head(6))
    return QueryError(f"no county called {raw!r}" + (f". Did you mean: {hint}?" if hint else ""))
