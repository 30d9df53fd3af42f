"""The Huff market's per-store sums as one compiled pass over the customer points.

:func:`dealernet.analysis.market.store_sums` is the reference: array code over every
(point, slot) pair, which it must hold at once (about 200 a point nationally) and walk a
dozen times, some 175 ns a pair. At 10 M customer points (2 billion pairs) that is
minutes even on a cluster. This module computes the same sums point by point, compiled
with numba: each point's slots within the cut-off are found in a 3-D grid over the slots'
Earth-centred coordinates (a chord is never longer than the geodesic, so no slot is
missed), their geodesic distance comes from the chord as in
:func:`~dealernet.geo.distance.chord_to_geodesic_miles`, and the shares, the split of
each store's customers and the service model follow ``store_sums`` step for step, for
every parameter set, with nothing kept but the point's own few hundred pairs.

The results equal ``store_sums`` to rounding (the sums are added in another order); a test
and the benchmark suite check it on the national market. A run solves its 17 parameter sets
with it (:func:`dealernet.analysis.market_run.run_market`), and the Dask engine every piece
of a population (:mod:`dealernet.analysis.market_dask`). numba compiles the loop on first
use and caches it beside the module (``__pycache__``), so later runs start at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from dealernet._threads import in_threads
from dealernet.analysis.market import NEAR_MILES, Parameters, Slots, StoreSums, slot_weights
from dealernet.geo.distance import WGS84_A, WGS84_E2, to_ecef
from dealernet.settings import METRES_PER_MILE

__all__ = ["KernelSums", "kernel_sums"]

#: Most grid cells along an axis: bounds the grid's memory when the cut-off is short.
MAX_CELLS_PER_AXIS = 128
#: Customer points solved as one piece (pieces run on threads, the compiled loop holds no
#: lock); more per piece when that would make more than :data:`MAX_PIECES`. The pieces'
#: sums are added in piece order, so a result never depends on the number of threads.
PIECE_POINTS = 2048
MAX_PIECES = 64


@dataclass(frozen=True)
class KernelSums:
    """:func:`kernel_sums`'s answer for one parameter set.

    ``sums`` are the per-store sums; ``share_before`` / ``share_after`` each point's
    brand share of luxury purchases (0 with no store in reach); ``in_reach`` whether a
    point has a slot of the brand within the slots' cut-off (geodesic); ``pairs`` the
    (point, slot) pairs within that cut-off.
    """

    sums: StoreSums
    share_before: np.ndarray
    share_after: np.ndarray
    in_reach: np.ndarray
    pairs: int


@dataclass(frozen=True)
class _Grid:
    """Slots sorted by the cell of a 3-D grid over their ECEF coordinates."""

    origin: np.ndarray
    cell: float
    dims: np.ndarray
    start: np.ndarray
    order: np.ndarray


def _grid(xyz: np.ndarray, reach_m: float) -> _Grid:
    """A grid of cells half the reach wide (fewer along an axis than the cap)."""
    origin = xyz.min(axis=0) - 1.0
    extent = float(np.max(xyz.max(axis=0) - origin)) + 1.0
    cell = max(reach_m / 2.0, extent / MAX_CELLS_PER_AXIS)
    index = np.floor((xyz - origin) / cell).astype("int64")
    dims = index.max(axis=0) + 1
    flat = (index[:, 0] * dims[1] + index[:, 1]) * dims[2] + index[:, 2]
    order = np.argsort(flat, kind="stable")
    start = np.searchsorted(flat[order], np.arange(int(np.prod(dims)) + 1))
    return _Grid(origin, float(cell), dims, start.astype("int64"), order.astype("int64"))


@dataclass(frozen=True)
class _Points:
    """The customer points as the compiled loop takes them."""

    population: np.ndarray
    xyz: np.ndarray
    sin: np.ndarray
    cos: np.ndarray


@dataclass(frozen=True)
class _Part:
    """One piece of points' sums (per set and store) and its points' shares."""

    people: np.ndarray
    sales: np.ndarray
    service_people: np.ndarray
    service: np.ndarray
    before: np.ndarray
    after: np.ndarray
    reach: np.ndarray
    pairs: int


def _pieces(n: int) -> list[slice]:
    """The points' pieces: a function of the number of points alone."""
    size = max(PIECE_POINTS, -(-n // MAX_PIECES))
    return [slice(a, min(a + size, n)) for a in range(0, n, size)] or [slice(0, 0)]


def _piece_sums(
    points: _Points, piece: slice, shared: tuple[object, ...], shape: tuple[int, int, int]
) -> _Part:
    """The compiled loop over one piece of the points, into its own arrays."""
    from dealernet.analysis._market_numba import point_sums

    loop: Callable[..., int] = point_sums  # numba's dispatcher takes the arguments as given
    k, stores, groups = shape
    n = piece.stop - piece.start
    part = _Part(
        people=np.zeros((k, stores)),
        sales=np.zeros((k, stores, groups + 2)),
        service_people=np.zeros((k, stores)),
        service=np.zeros((k, stores, 3)),
        before=np.zeros((k, n)),
        after=np.zeros((k, n)),
        reach=np.zeros(n, dtype=np.bool_),
        pairs=0,
    )
    pairs = loop(
        points.population[piece],
        np.ascontiguousarray(points.xyz[piece]),
        points.sin[piece],
        points.cos[piece],
        *shared,
        part.people,
        part.sales,
        part.service_people,
        part.service,
        part.before,
        part.after,
        part.reach,
    )
    return replace(part, pairs=int(pairs))


class _Totals:
    """The pieces' per-store sums, added in piece order, and every point's shares."""

    def __init__(self, shape: tuple[int, int, int], points: int) -> None:
        k, stores, groups = shape
        self.people = np.zeros((k, stores))
        self.sales = np.zeros((k, stores, groups + 2))
        self.service_people = np.zeros((k, stores))
        self.service = np.zeros((k, stores, 3))
        self.before = np.zeros((k, points))
        self.after = np.zeros((k, points))
        self.in_reach = np.zeros(points, dtype=np.bool_)
        self.pairs = 0

    def add(self, piece: slice, part: _Part) -> None:
        """Add one piece (pieces come in order, so the sums never depend on threads)."""
        self.people += part.people
        self.sales += part.sales
        self.service_people += part.service_people
        self.service += part.service
        self.before[:, piece], self.after[:, piece] = part.before, part.after
        self.in_reach[piece] = part.reach
        self.pairs += part.pairs


def _slot_arguments(slots: Slots, sets: list[Parameters]) -> tuple[object, ...]:
    """The compiled loop's arguments that describe the slots and the parameter sets."""
    brand = np.asarray(slots.brand, dtype="int64")
    store_slot = np.asarray(slots.store_slot, dtype="int64")
    weights_before = np.array([slot_weights(slots, p, "before") for p in sets], dtype="float64")
    weights_after = np.array([slot_weights(slots, p, "after") for p in sets], dtype="float64")
    settings = np.array(
        [
            [
                p.decay_sales,
                p.decay_service,
                min(p.cutoff_miles, slots.cutoff_miles),
                float(np.exp(-p.decay_service * np.log(p.service_outside_miles))),
            ]
            for p in sets
        ],
        dtype="float64",
    )
    slot_store = np.full(brand.size, -1, dtype="int64")
    slot_store[store_slot] = np.arange(store_slot.size)
    slot_lat = np.asarray(slots.slot_lat, dtype="float64")
    slot_phi = np.radians(slot_lat)
    xyz = to_ecef(slot_lat, np.asarray(slots.slot_lon, dtype="float64"))
    reach_m = float(slots.cutoff_miles) * METRES_PER_MILE + 1.0
    grid = _grid(xyz, reach_m)
    return (
        xyz,
        np.sin(slot_phi),
        np.cos(slot_phi),
        brand,
        slot_store,
        np.asarray(slots.store_after, dtype="int64"),
        np.asarray(slots.before, dtype="float64"),
        np.asarray(slots.after, dtype="float64"),
        weights_before,
        weights_after,
        settings,
        len(slots.brands),
        float(slots.cutoff_miles),
        reach_m,
        WGS84_A * np.sqrt(1 - WGS84_E2),
        WGS84_E2,
        METRES_PER_MILE,
        NEAR_MILES,
        grid.origin,
        grid.cell,
        grid.dims,
        grid.start,
        grid.order,
    )


def kernel_sums(
    slots: Slots,
    sets: Sequence[Parameters],
    population: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    *,
    threads: int | None = None,
) -> list[KernelSums]:
    """What :func:`~dealernet.analysis.market.store_sums` gives for the market of ``slots``
    and these customer points, for each parameter set, without building the pairs.

    The points are solved in pieces on ``threads`` threads (default: the usable cores);
    the figures are the same for any number of threads."""
    sets = list(sets)
    lat = np.ascontiguousarray(lat, dtype="float64")
    point_phi = np.radians(lat)
    points = _Points(
        np.ascontiguousarray(population, dtype="float64"),
        to_ecef(lat, np.asarray(lon, dtype="float64")),
        np.sin(point_phi),
        np.cos(point_phi),
    )
    shared = _slot_arguments(slots, sets)
    shape = (len(sets), len(slots.store_slot), len(slots.brands))
    pieces = _pieces(lat.size)
    totals = _Totals(shape, lat.size)
    parts = in_threads(lambda piece: _piece_sums(points, piece, shared, shape), pieces, threads)
    for piece, part in zip(pieces, parts, strict=True):
        totals.add(piece, part)
    return [
        KernelSums(
            sums=StoreSums(
                people=totals.people[i],
                sales=totals.sales[i],
                service_people=totals.service_people[i],
                service=totals.service[i],
            ),
            share_before=totals.before[i],
            share_after=totals.after[i],
            in_reach=totals.in_reach,
            pairs=totals.pairs,
        )
        for i in range(len(sets))
    ]
