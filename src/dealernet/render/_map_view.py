"""Where a map looks: the view it opens on, and the national map's view buttons.

The national map opens on the lower 48, where nearly every store is; Alaska and Hawaii are
one click away (buttons "Alaska", "Hawaii", "All stores"), so a store in Honolulu is never
lost off the first view's edge and never shrinks the country to a strip. A selection opens
on its own sites. ``_map.js`` fits these bounds clear of the map's panels.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.planning.selection import Selection

#: Lower-48 box: a national view fits to the sites here; the view buttons reach the rest.
LOWER_48 = (24.0, -125.0, 49.5, -66.0)
#: Boxes (south, west, north, east) of the national map's view buttons beside "Lower 48",
#: each shown when a site lies in it.
VIEW_BOXES: tuple[tuple[str, tuple[float, float, float, float]], ...] = (
    ("Alaska", (51.0, -180.0, 72.0, -129.0)),
    ("Hawaii", (18.0, -161.0, 23.0, -154.0)),
)
#: Smallest view, in degrees (about 17 miles): one store is shown with its town, not a roof.
MIN_SPAN_DEG = 0.25


def _inside(lat: np.ndarray, lon: np.ndarray, box: tuple[float, ...]) -> np.ndarray:
    s, w, n, e = box
    return np.asarray((lat >= s) & (lat <= n) & (lon >= w) & (lon <= e))


def map_bounds(lat: np.ndarray, lon: np.ndarray, selection: Selection) -> list[list[float]]:
    """South-west and north-east corners of the data (and of the radius circle)."""
    lat, lon = np.asarray(lat, dtype="float64"), np.asarray(lon, dtype="float64")
    if selection.is_everything:
        inside = _inside(lat, lon, LOWER_48)
        if inside.any():
            lat, lon = lat[inside], lon[inside]
    if selection.centre is not None and selection.radius_miles is not None:
        c, r = selection.centre, selection.radius_miles
        dlat = r / 69.0
        dlon = r / (69.0 * max(math.cos(math.radians(c.latitude)), 0.05))
        lat = np.append(lat, [c.latitude - dlat, c.latitude + dlat])
        lon = np.append(lon, [c.longitude - dlon, c.longitude + dlon])
    return _extent(lat, lon)


def views(lat: np.ndarray, lon: np.ndarray, selection: Selection) -> list[dict[str, Any]]:
    """The national map's view buttons, when a site lies outside the lower 48 (which the
    map opens on): "Lower 48", then Alaska and Hawaii where sites are, then "All stores".

    One click shows Infiniti of Honolulu; no view at all for a selection, which is fitted
    to its own sites.
    """
    lat, lon = np.asarray(lat, dtype="float64"), np.asarray(lon, dtype="float64")
    lower = _inside(lat, lon, LOWER_48)
    if not selection.is_everything or lower.all() or not lower.any():
        return []
    shown = [{"label": "Lower 48", "bounds": _extent(lat[lower], lon[lower])}]
    for label, box in VIEW_BOXES:
        inside = _inside(lat, lon, box)
        if inside.any():
            shown.append({"label": label, "bounds": _extent(lat[inside], lon[inside])})
    shown.append({"label": "All stores", "bounds": _extent(lat, lon)})
    return shown


def _extent(lat: np.ndarray, lon: np.ndarray) -> list[list[float]]:
    """Corners of the points, grown to :data:`MIN_SPAN_DEG` when they are closer."""
    south, west, north, east = lat.min(), lon.min(), lat.max(), lon.max()
    grow_lat = max(0.0, MIN_SPAN_DEG - (north - south)) / 2
    grow_lon = max(0.0, MIN_SPAN_DEG - (east - west)) / 2
    return [
        [float(south - grow_lat), float(west - grow_lon)],
        [float(north + grow_lat), float(east + grow_lon)],
    ]
