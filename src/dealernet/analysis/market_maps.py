"""The market model's customer shares rolled up by county, for maps and tables.

:class:`~dealernet.analysis.market_run.MarketResult` keeps the folded-in brand's share of
luxury buyers at every customer point, before and after the scenario. A county figure is
the population-weighted mean of its points, so a county of one big town and a few hamlets
reads as the town. Counties are those of the shipped county layer
(:func:`dealernet.geo.boundaries.counties`), so the table and the map's choropleth agree
code for code: a point whose county code the layer lacks (Alaska's 2019 split of
Valdez-Cordova, a user's own codes), or a user's population file without a ``county``
column, is placed by its coordinates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dealernet._errors import InvalidInputError
from dealernet.geo.boundaries import counties, county_at
from dealernet.geo.customers import COUNTY, POPULATION
from dealernet.schema import LATITUDE, LONGITUDE, NAME, STATE

SHARE_BEFORE = "share_before"
SHARE_AFTER = "share_after"
#: The change of the brand's share, after minus before, in percentage points.
CHANGE_POINTS = "change_points"
#: Columns of :func:`county_share_change`, in order.
COUNTY_SHARE_COLUMNS = (COUNTY, NAME, STATE, POPULATION, SHARE_BEFORE, SHARE_AFTER, CHANGE_POINTS)


def county_share_change(points: pd.DataFrame) -> pd.DataFrame:
    """Per county: people, the brand's population-weighted share before and after, and the
    change in percentage points.

    Parameters
    ----------
    points
        Customer points with ``population``, ``share_before`` and ``share_after`` (0..1),
        and ``county`` (5-digit FIPS) or ``latitude`` / ``longitude``. Points with no
        people (outside the brand's reach) or without a share are left out, so a county
        with none of the brand's buyers within reach has no row.

    Returns
    -------
    pandas.DataFrame
        One row per county, by FIPS code, with the columns of :data:`COUNTY_SHARE_COLUMNS`.

    Raises
    ------
    InvalidInputError
        When a column the roll-up needs is missing.
    """
    _check_columns(points)
    people = pd.to_numeric(points[POPULATION], errors="coerce").to_numpy(dtype="float64")
    before = pd.to_numeric(points[SHARE_BEFORE], errors="coerce").to_numpy(dtype="float64")
    after = pd.to_numeric(points[SHARE_AFTER], errors="coerce").to_numpy(dtype="float64")
    keep = np.isfinite(people) & (people > 0) & np.isfinite(before) & np.isfinite(after)
    codes = county_codes(points.loc[keep])
    placed = codes != ""
    frame = pd.DataFrame(
        {
            COUNTY: codes[placed],
            POPULATION: people[keep][placed],
            "_before": (people * before)[keep][placed],
            "_after": (people * after)[keep][placed],
        }
    )
    sums = frame.groupby(COUNTY, sort=True).sum()
    layer = counties().drop_duplicates("geoid").set_index("geoid")
    out = pd.DataFrame(
        {
            COUNTY: sums.index.astype(str),
            NAME: county_names().reindex(sums.index).fillna("").to_numpy(dtype=object),
            STATE: layer[STATE].reindex(sums.index).fillna("").to_numpy(dtype=object),
            POPULATION: sums[POPULATION].to_numpy(),
            SHARE_BEFORE: (sums["_before"] / sums[POPULATION]).to_numpy(),
            SHARE_AFTER: (sums["_after"] / sums[POPULATION]).to_numpy(),
        }
    )
    out[CHANGE_POINTS] = (out[SHARE_AFTER] - out[SHARE_BEFORE]) * 100.0
    return out.reset_index(drop=True)[list(COUNTY_SHARE_COLUMNS)]


def county_names() -> pd.Series:
    """The shipped layer's county names by FIPS code, told apart where a state has two of
    one name: an independent city (county code 500 and up, as Baltimore city, MD and
    St. Louis city, MO) and the county beside it, as the Census names them."""
    layer = counties().drop_duplicates("geoid")
    names = layer[NAME].fillna("").astype(str)
    twice = layer.duplicated([NAME, STATE], keep=False).to_numpy() & (names != "").to_numpy()
    city = layer["geoid"].str[2:].str.isdigit() & (layer["geoid"].str[2:] >= "500")
    names = names.where(~twice, names + np.where(city, " city", " County"))
    return pd.Series(names.to_numpy(), index=layer["geoid"].to_numpy())


def _check_columns(points: pd.DataFrame) -> None:
    needed = [POPULATION, SHARE_BEFORE, SHARE_AFTER]
    if COUNTY not in points:
        needed += [LATITUDE, LONGITUDE]
    missing = [c for c in needed if c not in points]
    if missing:
        msg = (
            f"customer points lack {', '.join(missing)}: the county shares need each point's "
            "population and the brand's share before and after, and its county code or "
            "coordinates. Fix: pass MarketResult.points of a finished run."
        )
        raise InvalidInputError(msg)


def county_codes(points: pd.DataFrame) -> np.ndarray:
    """Each point's county in the shipped layer: its own code when the layer has it, else
    the county its coordinates fall in (``""`` for a point in none)."""
    known = set(counties()["geoid"])
    if COUNTY in points:
        codes = points[COUNTY].astype("string").str.strip().str.zfill(5).fillna("")
        codes = codes.to_numpy(dtype=object)
    else:
        codes = np.full(len(points), "", dtype=object)
    lost = np.flatnonzero([c not in known for c in codes])
    if lost.size and LATITUDE in points and LONGITUDE in points:
        lat = pd.to_numeric(points[LATITUDE].iloc[lost], errors="coerce").to_numpy(float)
        lon = pd.to_numeric(points[LONGITUDE].iloc[lost], errors="coerce").to_numpy(float)
        found, _ = county_at(lat, lon)
        codes[lost] = found
    return codes


__all__ = [
    "CHANGE_POINTS",
    "COUNTY_SHARE_COLUMNS",
    "county_codes",
    "county_names",
    "county_share_change",
]
