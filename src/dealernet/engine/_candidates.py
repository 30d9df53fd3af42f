"""Candidate (store, host) pairs for an absorb rule: who could take whom, and how far.

Listing every store-host pair would be 20 million at 2,000 x 10,000; only a few per store
can matter. These functions list each store's nearest usable hosts within the rule's reach
(and its own owner group's hosts, for ``same_owner``), on plain arrays, with distances in
WGS84 geodesic miles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dealernet.geo.distance import WGS84_A, WGS84_E2, SiteIndex, geodesic_miles, to_ecef
from dealernet.settings import METRES_PER_MILE

#: The least radius of curvature of any plane section of the WGS84 ellipsoid through its
#: centre (metres): such a section is an ellipse with semi-axes ``a`` and ``b' >= b``,
#: whose curvature never exceeds ``a / b**2``.
_LEAST_RADIUS = WGS84_A * (1 - WGS84_E2)
#: Up to this limit (geodesic miles) :func:`sure_chord` is used; beyond it every pair is
#: measured (no rule needs it, and the bound's proof wants short arcs).
_SURE_CHORD_MILES = 1000.0

#: (row position, host index, geodesic miles), sorted by row, miles, host.
Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Reach:
    """A rule's distance limit, in geodesic miles or in road miles (geodesic x circuity).

    With ``circuity = 1`` the limit is on geodesic miles; with the scenario's circuity
    factor it is on the road estimate. ``limit = inf`` means no limit.
    """

    limit: float
    circuity: float = 1.0

    def ok(self, miles: np.ndarray) -> np.ndarray:
        """Whether geodesic ``miles`` are within reach (compared exactly as reported)."""
        return np.asarray(miles) * self.circuity <= self.limit

    @property
    def geodesic_limit(self) -> float:
        """The limit in geodesic miles (for searching)."""
        return self.limit / self.circuity


def ball_radius(geodesic_miles_limit: float) -> float:
    """The chord (metres) a ball query needs to find every site within a geodesic limit.

    A chord is never longer than the geodesic, so nothing within the limit lies outside.
    """
    return geodesic_miles_limit * (1 + 1e-9) * METRES_PER_MILE + 1.0


def sure_chord(geodesic_miles_limit: float) -> float:
    """A chord (metres) below which two points are surely within a geodesic limit.

    Proof: the plane through the two points and the Earth's centre cuts the ellipsoid in an
    ellipse whose curvature is at most ``1 / R`` with ``R = a (1 - e^2)``
    (:data:`_LEAST_RADIUS`); the shorter arc of it between the points is a path on the
    surface, so the geodesic ``s`` is at most its length ``L``. By Schur's comparison
    theorem a plane arc of length ``L <= pi R`` whose curvature never exceeds ``1 / R`` has
    a chord ``c >= 2 R sin(L / 2R)``: so ``s <= L <= 2 R asin(c / 2R)``. Under 1,000 miles
    the arcs are far shorter than ``pi R`` (about 12,400 miles). A margin of 1e-9 and one
    millimetre covers the rounding of coordinates and of ``Geod``. Pairs between this chord
    and :func:`ball_radius` are measured exactly.
    """
    if not geodesic_miles_limit < _SURE_CHORD_MILES:
        return -1.0
    arc = geodesic_miles_limit * METRES_PER_MILE * (1 - 1e-9)
    return 2 * _LEAST_RADIUS * math.sin(arc / (2 * _LEAST_RADIUS)) - 1e-3


def count_within(
    lat: np.ndarray,
    lon: np.ndarray,
    index: SiteIndex,
    reach: Reach,
    groups: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """For each point, how many sites of each group (a mask over ``index``) are within reach.

    Exact, as if every site were measured with ``Geod``: a KD-tree per group counts the
    sites surely inside (:func:`sure_chord`) and those that may be (:func:`ball_radius`);
    only where the two differ are that point's sites measured. The work is a tree search
    per point, not a distance per (point, site) pair, so dense networks cost no more.
    """
    from scipy.spatial import cKDTree  # heavy or optional: imported on first use

    n = lat.size
    if not math.isfinite(reach.geodesic_limit):
        return {name: np.full(n, int(mask.sum())) for name, mask in groups.items()}
    if n == 0:
        return {name: np.zeros(0, dtype="int64") for name in groups}
    pts = to_ecef(lat, lon)
    outer, inner = ball_radius(reach.geodesic_limit), sure_chord(reach.geodesic_limit)
    counts: dict[str, np.ndarray] = {}
    unsure = np.zeros(n, dtype=bool)
    for name, mask in groups.items():
        if not mask.any():
            counts[name] = np.zeros(n, dtype="int64")
            continue
        tree = cKDTree(index.tree.data[mask])
        sure = np.zeros(n, dtype="int64")
        if inner > 0:
            sure = np.asarray(tree.query_ball_point(pts, inner, return_length=True))
        may = np.asarray(tree.query_ball_point(pts, outer, return_length=True))
        counts[name] = sure.astype("int64")
        unsure |= may > sure
    for pos in np.flatnonzero(unsure):  # a site near the limit: measure them all
        cand = np.asarray(index.tree.query_ball_point(pts[pos], outer), dtype="int64")
        miles = geodesic_miles(lat[pos], lon[pos], index.lat[cand], index.lon[cand])
        cand = cand[reach.ok(miles)]
        for name, mask in groups.items():
            counts[name][pos] = int(mask[cand].sum())
    return counts


def _empty() -> Pairs:
    return np.empty(0, dtype="int64"), np.empty(0, dtype="int64"), np.empty(0)


def nearest_pairs(
    lat: np.ndarray,
    lon: np.ndarray,
    sub: SiteIndex,
    ok: np.ndarray,
    k: int,
    reach: Reach,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each store's ``k`` nearest hosts within reach: pairs, and which stores were cut short.

    ``sub`` indexes the usable hosts ``ok`` (host indices, ascending). A store is *cut short*
    when it has more than ``k`` hosts within reach, so a longer list could change its lot.
    """
    n = lat.size
    geo_limit = reach.geodesic_limit
    if math.isfinite(geo_limit):
        # A chord is never longer than the geodesic: the ball finds every candidate.
        pts = to_ecef(lat, lon)
        radius = geo_limit * METRES_PER_MILE * (1 + 1e-9) + 1.0
        counts = sub.tree.query_ball_point(pts, radius, return_length=True)
        if counts.sum() <= n * k:
            found = sub.tree.query_ball_point(pts, radius)
            prow = np.repeat(np.arange(n), counts)
            parts = [np.asarray(f, dtype="int64") for f in found]
            local = np.concatenate(parts) if parts else np.empty(0, dtype="int64")
            local = local.astype("int64")
            miles = geodesic_miles(lat[prow], lon[prow], sub.lat[local], sub.lon[local])
            inside = reach.ok(miles)
            prow, local, miles = prow[inside], local[inside], miles[inside]
            order = np.lexsort((local, miles, prow))
            prow, local, miles = prow[order], local[order], miles[order]
            rank = np.arange(prow.size) - np.searchsorted(prow, prow, side="left")
            cut = np.bincount(prow, minlength=n) > k
            keep = rank < k
            return prow[keep], ok[local[keep]], miles[keep], cut
    idx, miles = sub.k_nearest(lat, lon, k)
    prow = np.repeat(np.arange(n), k)
    idx, miles = idx.ravel(), miles.ravel()
    keep = (idx >= 0) & reach.ok(miles)
    cut = (np.bincount(prow[keep], minlength=n) == k) & (k < ok.size)
    return prow[keep], ok[idx[keep]], miles[keep], cut


def owner_pairs(
    lat: np.ndarray,
    lon: np.ndarray,
    owners: np.ndarray,
    owner_hosts: dict[str, np.ndarray],
    usable: np.ndarray,
    host_lat: np.ndarray,
    host_lon: np.ndarray,
    reach: Reach,
) -> Pairs:
    """Every usable host of each store's own owner group within reach."""
    prow_parts, host_parts = [], []
    for pos, key in enumerate(owners):
        hs = owner_hosts.get(key) if key is not None else None
        if hs is not None:
            hs = hs[usable[hs]]
            prow_parts.append(np.full(hs.size, pos, dtype="int64"))
            host_parts.append(hs)
    if not prow_parts:
        return _empty()
    prow = np.concatenate(prow_parts)
    host = np.concatenate(host_parts).astype("int64")
    miles = geodesic_miles(lat[prow], lon[prow], host_lat[host], host_lon[host])
    keep = reach.ok(miles)
    return merge_pairs([(prow[keep], host[keep], miles[keep])], len(usable))


def merge_pairs(parts: list[Pairs], n_hosts: int) -> Pairs:
    """Pairs from several lists, each once, sorted by row, miles, host."""
    if not parts:
        return _empty()
    prow = np.concatenate([p[0] for p in parts])
    host = np.concatenate([p[1] for p in parts])
    miles = np.concatenate([p[2] for p in parts])
    if len(parts) > 1:
        _, first = np.unique(prow * max(n_hosts, 1) + host, return_index=True)
        prow, host, miles = prow[first], host[first], miles[first]
    order = np.lexsort((host, miles, prow))
    return prow[order], host[order], miles[order]
