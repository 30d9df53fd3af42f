"""US state and county boundaries shipped with the package, and point-in-state lookup.

The layers are the US Census Bureau's 1:10,000,000 cartographic boundaries (see
``_data/boundaries/SOURCES.md``). At that scale a coastline is up to a few hundred metres
off, so a site on a harbour front may fall just outside its state polygon; lookups accept a
site within :data:`COAST_TOLERANCE_DEG` of a state.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from dealernet.schema import STATES_50_DC
from dealernet.settings import COUNTIES_GEOJSON, STATES_GEOJSON

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

#: About 2 km: how far outside a (generalised) state polygon a site may be and still count.
COAST_TOLERANCE_DEG = 0.02


@lru_cache(maxsize=1)
def states() -> gpd.GeoDataFrame:
    """States, DC and territories with ``state`` (postal code), ``statefp`` and ``name``."""
    import geopandas as gpd  # heavy or optional: imported on first use
    import us  # heavy or optional: imported on first use

    gdf = gpd.read_file(STATES_GEOJSON, engine="pyogrio")
    found = [us.states.lookup(fp) for fp in gdf["statefp"]]
    gdf["state"] = [state.abbr if state is not None else "" for state in found]
    return gdf[["state", "statefp", "name", "geometry"]]


@lru_cache(maxsize=1)
def counties() -> gpd.GeoDataFrame:
    """Counties with ``geoid`` (5-digit FIPS), ``name`` and ``state`` (postal code)."""
    import geopandas as gpd  # heavy or optional: imported on first use

    gdf = gpd.read_file(COUNTIES_GEOJSON, engine="pyogrio")
    codes = dict(zip(states()["statefp"], states()["state"], strict=True))
    gdf["state"] = [codes.get(g[:2], "") for g in gdf["geoid"]]
    return gdf[["geoid", "name", "state", "geometry"]]


def state_at(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """The postal code of the state (or territory) holding each point, ``""`` if none."""
    layer = states()
    return _pick(layer["state"], polygon_index(layer.geometry.to_numpy(), lat, lon))


def county_at(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The county FIPS code and name holding each point (``""`` where none does)."""
    layer = counties()
    found = polygon_index(layer.geometry.to_numpy(), lat, lon)
    return _pick(layer["geoid"], found), _pick(layer["name"], found)


def polygon_index(polygons: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Index of the polygon holding each point, else of one within the coast tolerance, else -1.

    A point on a shared border takes the polygon with the lowest index, so the answer does
    not depend on the search tree's internal order.
    """
    import shapely  # heavy or optional: imported on first use

    points = shapely.points(np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64"))
    found = np.full(points.size, -1, dtype="int64")
    tree = shapely.STRtree(polygons)
    pt_i, poly_i = tree.query(points, predicate="intersects")
    _assign_lowest(found, pt_i, poly_i)
    missing = np.flatnonzero(found < 0)
    if missing.size:
        pt_j, poly_j = tree.query(
            points[missing], predicate="dwithin", distance=COAST_TOLERANCE_DEG
        )
        sub = np.full(missing.size, -1, dtype="int64")
        _assign_lowest(sub, pt_j, poly_j)
        found[missing] = sub
    return found


def _assign_lowest(found: np.ndarray, points: np.ndarray, polygons: np.ndarray) -> None:
    order = np.lexsort((-polygons, points))  # last write wins: write the lowest index last
    found[points[order]] = polygons[order]


def _pick(values: object, index: np.ndarray) -> np.ndarray:
    arr = np.asarray(values, dtype=object)
    out = np.full(index.size, "", dtype=object)
    hit = index >= 0
    out[hit] = arr[index[hit]]
    return out


@lru_cache(maxsize=1)
def _us_outline() -> object:
    """The 50 states and DC as one prepared geometry, for fast point-in-country tests."""
    import shapely  # heavy or optional: imported on first use

    layer = states()
    outline = shapely.union_all(layer[layer["state"].isin(list(STATES_50_DC))].geometry.to_numpy())
    shapely.prepare(outline)
    return outline


def in_us(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Whether each point lies in the 50 states or DC (within the coast tolerance)."""
    import shapely  # heavy or optional: imported on first use

    lat = np.asarray(lat, dtype="float64")
    lon = np.asarray(lon, dtype="float64")
    outline = _us_outline()
    inside = shapely.contains_xy(outline, lon, lat)
    out = np.flatnonzero(~inside)
    if out.size:
        near = shapely.dwithin(outline, shapely.points(lon[out], lat[out]), COAST_TOLERANCE_DEG)
        inside[out[near]] = True
    return inside


def in_50_states_dc(codes: np.ndarray) -> np.ndarray:
    """Whether each state code is one of the 50 states or DC."""
    return np.isin(codes.astype(str), list(STATES_50_DC))


@lru_cache(maxsize=1)
def _prepared_states() -> dict[str, object]:
    """Each state's (or territory's) polygon, prepared for fast point tests."""
    import shapely  # heavy or optional: imported on first use

    layer = states()
    out: dict[str, object] = {}
    for code, geometry in zip(layer["state"], layer.geometry, strict=True):
        if code:
            shapely.prepare(geometry)
            out[str(code)] = geometry
    return out


def in_states(lat: np.ndarray, lon: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Whether each point lies in the state its code names (within the coast tolerance).

    Faster than :func:`state_at` for points whose state is already claimed: one prepared
    polygon per state, tested only against the points that claim it. An unknown code
    gives ``False``.
    """
    import shapely  # heavy or optional: imported on first use

    lat = np.asarray(lat, dtype="float64")
    lon = np.asarray(lon, dtype="float64")
    codes = np.asarray(codes, dtype=object)
    inside = np.zeros(lat.size, dtype=bool)
    polygons = _prepared_states()
    for code in _distinct(codes):
        polygon = polygons.get(str(code))
        if polygon is None:
            continue
        rows = np.flatnonzero(codes == code)
        hit = shapely.contains_xy(polygon, lon[rows], lat[rows])
        out = rows[~hit]
        if out.size:
            near = shapely.dwithin(polygon, shapely.points(lon[out], lat[out]), COAST_TOLERANCE_DEG)
            hit[~hit] = near
        inside[rows] = hit
    return inside


def _distinct(values: np.ndarray) -> list[object]:
    """The distinct values of an object array, in first-seen order."""
    return list(dict.fromkeys(values.tolist()))
