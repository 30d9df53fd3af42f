"""Offline place data: ZIP code centroids (from ``zipcodes``) and, later, named places."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

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
    import zipcodes

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
