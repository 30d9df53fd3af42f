"""The dealer network: split by brand, and classify source sites as co-located or stand-alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dealernet import settings
from dealernet._names import name_key
from dealernet.geo.addresses import StreetAddress, parse_street_address, same_block
from dealernet.geo.distance import SiteIndex
from dealernet.schema import (
    ADDRESS,
    BRAND,
    DEALER_ID,
    EXACT,
    LATITUDE,
    LOCATION_QUALITY,
    LONGITUDE,
    OWNER_GROUP,
    STATE,
    ZIP_CENTROID,
    Brands,
    as_brands,
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
#: Which test found a co-located site's rooftop: :data:`BY_RADIUS` or :data:`BY_ADDRESS`
#: (missing for a stand-alone site).
COLOCATION_TEST = "colocation_test"
BY_RADIUS = "radius"
BY_ADDRESS = "address"
#: The host site a co-located site shares its rooftop with (missing for a stand-alone site).
COLOCATED_HOST_ID = "colocated_host_dealer_id"


def brand_sites(network: gpd.GeoDataFrame, brands: Brands) -> gpd.GeoDataFrame:
    """The sites of one brand, or of any of several (an alliance's host brands), in input
    order, with a fresh 0..n-1 index."""
    return network[network[BRAND].isin(as_brands(brands)).to_numpy()].reset_index(drop=True)


def same_owner(a: object, b: object) -> bool:
    """Whether two owner-group values name the same owner (case and spacing ignored)."""
    if not isinstance(a, str) or not isinstance(b, str):
        return False
    return name_key(a) == name_key(b) != ""


def _known(owner: object) -> bool:
    """Whether an owner-group value names an owner (not missing, not blank)."""
    return isinstance(owner, str) and bool(owner.strip())


def classify(
    network: gpd.GeoDataFrame,
    source_brand: str,
    host_brands: Brands,
    radius_miles: float,
    guard_miles: float = settings.COLOCATION_GUARD_MILES,
) -> gpd.GeoDataFrame:
    """Source-brand sites with their nearest host and co-location status.

    ``host_brands`` is one brand or several (an alliance): the nearest host and both
    rooftop tests look at the sites of every host brand alike.

    A source site shares a host-brand site's rooftop (``colocated``) when it is closer than
    ``radius_miles`` (geodesic) to it (the ``radius`` test), or, failing that, when a host
    within ``guard_miles`` has the same block of the same street as its address
    (:func:`dealernet.geo.addresses.same_block`; the ``address`` test): locator geocodes of
    one rooftop can be a few tenths of a mile apart, and the guard keeps two "100 Main St" in
    two towns apart. Every other source site is ``standalone`` and a candidate for the rules.
    A radius of 0 turns co-location off (both tests).

    Adds :data:`STATUS`, :data:`COLOCATION_TEST`, :data:`COLOCATED_HOST_ID`,
    :data:`NEAREST_HOST_ID`, :data:`DISTANCE_TO_NEAREST_HOST` (miles, ``inf`` when there is
    no host) and :data:`NEAREST_HOST_SAME_OWNER`.
    """
    sources = brand_sites(network, source_brand)
    hosts = brand_sites(network, host_brands)
    out = sources.copy()
    if len(hosts) and len(sources):
        index = SiteIndex.build(hosts[LATITUDE].to_numpy(), hosts[LONGITUDE].to_numpy())
        near, miles = index.nearest(sources[LATITUDE].to_numpy(), sources[LONGITUDE].to_numpy())
        out[NEAREST_HOST_ID] = hosts[DEALER_ID].to_numpy()[near]
        out[DISTANCE_TO_NEAREST_HOST] = miles
        host_owner = hosts[OWNER_GROUP].to_numpy()[near]
        # not known (missing) unless both owners are known: never "another owner's store"
        out[NEAREST_HOST_SAME_OWNER] = pd.Series(
            [
                same_owner(a, b) if _known(a) and _known(b) else None
                for a, b in zip(out[OWNER_GROUP], host_owner, strict=True)
            ],
            index=out.index,
            dtype=object,
        )
    else:
        out[NEAREST_HOST_ID] = None
        out[DISTANCE_TO_NEAREST_HOST] = np.inf
        out[NEAREST_HOST_SAME_OWNER] = None
    near_miles = out[DISTANCE_TO_NEAREST_HOST].to_numpy(dtype="float64")
    by_radius = near_miles < radius_miles
    test = np.full(len(out), None, dtype=object)
    test[by_radius] = BY_RADIUS
    shared = np.full(len(out), None, dtype=object)
    shared[by_radius] = out[NEAREST_HOST_ID].to_numpy(dtype=object)[by_radius]
    if radius_miles > 0 and len(hosts) and len(sources):
        todo = np.flatnonzero(~by_radius & (near_miles <= guard_miles))
        for i, j in _same_block_hosts(sources, hosts, index, todo, guard_miles).items():
            test[i] = BY_ADDRESS
            shared[i] = hosts[DEALER_ID].iat[j]
    out[STATUS] = np.where(pd.notna(test), COLOCATED, STANDALONE)
    out[COLOCATION_TEST] = test
    out[COLOCATED_HOST_ID] = shared
    return out


def shared_rooftops(sources: pd.DataFrame, hosts: pd.DataFrame) -> np.ndarray:
    """For :func:`classify`'s ``sources``: the row in ``hosts`` whose rooftop each shares (-1)."""
    row: dict[object, int] = {}
    for k, dealer in enumerate(hosts[DEALER_ID]):
        row.setdefault(dealer, k)
    shared = [-1 if pd.isna(d) else row.get(d, -1) for d in sources[COLOCATED_HOST_ID]]
    return np.array(shared, dtype="int64")


def rooftop_reason(
    test: object, addresses: tuple[object, object], host_name: str, miles: str
) -> str:
    """Why a co-located store is left alone, naming the test that found its rooftop.

    ``test`` is the store's :data:`COLOCATION_TEST`; ``addresses`` the store's and the host's
    street addresses (read only when the addresses matched).
    """
    if test == BY_ADDRESS:
        return (
            f"Already shares a rooftop with {host_name}: the street addresses match "
            f"({addresses[0]}; {addresses[1]}), though the coordinates are {miles} miles "
            "apart; not affected"
        )
    away = f"{miles} straight-line miles away"
    return f"Already shares a rooftop with {host_name} ({away}); not affected"


def _same_block_hosts(
    sources: pd.DataFrame,
    hosts: pd.DataFrame,
    index: SiteIndex,
    rows: np.ndarray,
    guard_miles: float,
) -> dict[int, int]:
    """Source ``rows`` -> the nearest host within ``guard_miles`` on the same block."""
    if ADDRESS not in sources.columns or ADDRESS not in hosts.columns:
        return {}
    lat = sources[LATITUDE].to_numpy(dtype="float64")
    lon = sources[LONGITUDE].to_numpy(dtype="float64")
    host_text = hosts[ADDRESS].to_numpy(dtype=object)
    source_text = sources[ADDRESS].to_numpy(dtype=object)
    host_address: dict[int, StreetAddress | None] = {}
    found: dict[int, int] = {}
    for i in rows:
        mine = parse_street_address(source_text[i])
        if mine is None:
            continue
        near, _ = index.within(lat[i], lon[i], guard_miles)
        for j in near:
            if j not in host_address:
                host_address[j] = parse_street_address(host_text[j])
            theirs = host_address[j]
            if theirs is not None and same_block(mine, theirs):
                found[int(i)] = int(j)
                break
    return found


def sites_by_state(network: gpd.GeoDataFrame) -> pd.DataFrame:
    """Site counts with one row per state and one column per brand, plus a total row."""

    table = pd.crosstab(network[STATE].fillna("?"), network[BRAND])
    table = table.sort_values(list(table.columns), ascending=False)
    table.loc["Total"] = table.sum()
    return table


def placement_counts(network: gpd.GeoDataFrame) -> pd.Series:
    """How many sites sit at exact coordinates and how many at a ZIP centroid."""
    return network[LOCATION_QUALITY].value_counts().reindex([EXACT, ZIP_CENTROID], fill_value=0)
