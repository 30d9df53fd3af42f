"""The dealer network: split by brand, and classify source sites as co-located or stand-alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dealernet.geo.distance import SiteIndex
from dealernet.schema import (
    BRAND,
    DEALER_ID,
    EXACT,
    LATITUDE,
    LOCATION_QUALITY,
    LONGITUDE,
    OWNER_GROUP,
    STATE,
    ZIP_CENTROID,
)

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import pandas as pd

#: Columns :func:`classify` adds to each source-brand site.
STATUS = "status"
STANDALONE = "standalone"
COLOCATED = "colocated"
NEAREST_HOST_ID = "nearest_host_dealer_id"
DISTANCE_TO_NEAREST_HOST = "distance_to_nearest_host"
NEAREST_HOST_SAME_OWNER = "nearest_host_same_owner"


def brand_sites(network: gpd.GeoDataFrame, brand: str) -> gpd.GeoDataFrame:
    """The sites of one brand, in input order, with a fresh 0..n-1 index."""
    return network[network[BRAND] == brand].reset_index(drop=True)


def same_owner(a: object, b: object) -> bool:
    """Whether two owner-group values name the same owner (case and spacing ignored)."""
    if not isinstance(a, str) or not isinstance(b, str):
        return False
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split()) != ""


def classify(
    network: gpd.GeoDataFrame,
    source_brand: str,
    host_brand: str,
    radius_miles: float,
) -> gpd.GeoDataFrame:
    """Source-brand sites with their nearest host and co-location status.

    A source site closer than ``radius_miles`` (geodesic) to a host-brand site shares that
    rooftop (``colocated``); every other source site is ``standalone`` and a candidate for
    the rules. Adds :data:`STATUS`, :data:`NEAREST_HOST_ID`,
    :data:`DISTANCE_TO_NEAREST_HOST` (miles, ``inf`` when there is no host) and
    :data:`NEAREST_HOST_SAME_OWNER`.
    """
    sources = brand_sites(network, source_brand)
    hosts = brand_sites(network, host_brand)
    out = sources.copy()
    if len(hosts) and len(sources):
        index = SiteIndex.build(hosts[LATITUDE].to_numpy(), hosts[LONGITUDE].to_numpy())
        near, miles = index.nearest(sources[LATITUDE].to_numpy(), sources[LONGITUDE].to_numpy())
        out[NEAREST_HOST_ID] = hosts[DEALER_ID].to_numpy()[near]
        out[DISTANCE_TO_NEAREST_HOST] = miles
        host_owner = hosts[OWNER_GROUP].to_numpy()[near]
        out[NEAREST_HOST_SAME_OWNER] = [
            same_owner(a, b) for a, b in zip(out[OWNER_GROUP], host_owner, strict=True)
        ]
    else:
        out[NEAREST_HOST_ID] = None
        out[DISTANCE_TO_NEAREST_HOST] = np.inf
        out[NEAREST_HOST_SAME_OWNER] = False
    out[STATUS] = np.where(out[DISTANCE_TO_NEAREST_HOST] < radius_miles, COLOCATED, STANDALONE)
    return out


def sites_by_state(network: gpd.GeoDataFrame) -> pd.DataFrame:
    """Site counts with one row per state and one column per brand, plus a total row."""

    table = pd.crosstab(network[STATE].fillna("?"), network[BRAND])
    table = table.sort_values(list(table.columns), ascending=False)
    table.loc["Total"] = table.sum()
    return table


def placement_counts(network: gpd.GeoDataFrame) -> pd.Series:
    """How many sites sit at exact coordinates and how many at a ZIP centroid."""
    return network[LOCATION_QUALITY].value_counts().reindex([EXACT, ZIP_CENTROID], fill_value=0)
