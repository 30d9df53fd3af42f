"""The Huff market model with Dask, for more customer points than one machine's memory holds.

:func:`dealernet.analysis.market.solve` holds every (point, store) pair within the cut-off
at once: about 160 per customer point nationally, so 10 M points would be some 2 billion
pairs. This engine reads a partitioned (Geo)Parquet population
(:mod:`dealernet.io.population`) one piece (a row group) per task on a Dask cluster. The
store slots (:class:`~dealernet.analysis.market.Slots`) go to every worker once; each task
solves its points in one compiled pass (:func:`dealernet.analysis.market_kernel.kernel_sums`:
the sums of :func:`~dealernet.analysis.market.store_sums` without holding the pairs, about
four times faster) and returns only per-store sums, which add up over disjoint sets of
points; the client turns their total into the same per-store
:class:`~dealernet.analysis.market.Outcome` as ``solve`` on all the points at once (equal
to rounding: the sums are added in another order). Per-point shares are not collected;
when the population has a ``county`` column, their population-weighted mean per county is.

Points farther than the cut-off from every slot of the brand are skipped: they pair with
none of its stores, so they add nothing to any store's figures (and their share is 0).
The cluster is a local one by default or any scheduler by address, as for customer access
(:func:`dealernet.analysis.access_dask.connect`). Dask is optional:
``pip install "dealernet[dask]"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dealernet._errors import InvalidInputError
from dealernet.analysis.access_dask import CONNECT_TIMEOUT, _require_dask, connect
from dealernet.analysis.market import Outcome, Parameters, Slots, StoreSums
from dealernet.geo.customers import COUNTY
from dealernet.io.population import POPULATION, Piece, PopulationDataset, open_population
from dealernet.schema import LATITUDE, LONGITUDE

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

__all__ = ["PopulationMarket", "solve_dask", "solve_dask_sets"]

#: Columns of :attr:`PopulationMarket.counties`.
COUNTY_COLUMNS = (COUNTY, POPULATION, "share_before", "share_after")


@dataclass(frozen=True)
class PopulationMarket:
    """The market solved over a population dataset, for one parameter set.

    Attributes
    ----------
    outcome
        Per store, as :func:`~dealernet.analysis.market.solve` gives it;
        ``share_before`` / ``share_after`` are ``None`` (per-point shares are not collected).
    counties
        With a ``county`` column in the population: ``county``, ``population`` and the
        brand's population-weighted share of luxury purchases there before and after
        (:data:`COUNTY_COLUMNS`), sorted by county; else ``None``.
    points
        Customer points read.
    in_reach
        Points within the cut-off (geodesic) of a slot of the brand: the ones that count.
    pairs
        (point, slot) pairs within the cut-off, over all points.
    """

    outcome: Outcome
    counties: pd.DataFrame | None
    points: int
    in_reach: int
    pairs: int


@dataclass(frozen=True)
class _Part:
    """What tasks return and the reduction adds: sums and county sums per parameter set."""

    sums: list[StoreSums]
    counties: list[pd.DataFrame] | None
    points: int
    in_reach: int
    pairs: int


def solve_dask(
    population_path: str | Path,
    slots: Slots,
    params: Parameters,
    *,
    scheduler: str | Client | None = None,
    n_workers: int | None = None,
    timeout: float = CONNECT_TIMEOUT,
) -> PopulationMarket:
    """Solve the market for every point of a population dataset on Dask.

    Parameters
    ----------
    population_path
        A (Geo)Parquet file or a folder of them (:mod:`dealernet.io.population`).
    slots
        The market's store slots (:class:`~dealernet.analysis.market.Slots`).
    params
        The parameter set to solve for.
    scheduler
        ``None`` for a local cluster, a scheduler address, or a ``distributed.Client``.
    n_workers
        Worker processes of a local cluster.
    timeout
        Seconds to wait for a scheduler given by address.

    Raises
    ------
    InputFileError
        The dataset is missing, unreadable, or lacks population or coordinates.
    InvalidInputError
        Points with invalid coordinates or population.
    SchedulerError
        The scheduler cannot be reached.
    MissingDependencyError
        Dask is not installed.
    """
    return solve_dask_sets(
        population_path,
        slots,
        [params],
        scheduler=scheduler,
        n_workers=n_workers,
        timeout=timeout,
    )[0]


def solve_dask_sets(
    population_path: str | Path,
    slots: Slots,
    sets: Sequence[Parameters],
    *,
    scheduler: str | Client | None = None,
    n_workers: int | None = None,
    timeout: float = CONNECT_TIMEOUT,
) -> list[PopulationMarket]:
    """:func:`solve_dask` for several parameter sets in one pass over the data.

    Each point's pairs are found once, within the slots' cut-off (which also says which
    points are in reach, as in memory), and solved for every set at its own cut-off:
    finding pairs costs about 1.5 times a solve, so ``n`` sets cost far less than ``n``
    passes.
    """
    _require_dask()
    if not sets:
        msg = "solve_dask_sets needs at least one parameter set"
        raise InvalidInputError(msg)
    sets = list(sets)
    dataset = open_population(population_path)
    pieces = dataset.pieces()
    if not pieces:
        empty = _empty_part(slots, sets, county=COUNTY in dataset.carried)
        return [_result(empty, i, slots) for i in range(len(sets))]
    with connect(scheduler, n_workers=n_workers, timeout=timeout) as client:
        # Unhashed: equal data scattered by an earlier call must not share (and lose) its key.
        shared = client.scatter([dataset, slots, sets], broadcast=True, hash=False)
        parts = client.map(
            _solve_piece,
            pieces,
            dataset=shared[0],
            slots=shared[1],
            sets=shared[2],
            pure=False,
        )
        while len(parts) > 1:  # a fixed pairwise tree: same order, same sums, every run
            pairs = zip(parts[::2], parts[1::2], strict=False)
            parts = [client.submit(_combine, a, b, pure=False) for a, b in pairs] + (
                parts[-1:] if len(parts) % 2 else []
            )
        total: _Part = parts[0].result()
    return [_result(total, i, slots) for i in range(len(sets))]


def _solve_piece(
    piece: Piece,
    *,
    dataset: PopulationDataset,
    slots: Slots,
    sets: list[Parameters],
) -> _Part:
    """One piece of the population: its per-store sums (and county sums) for every set."""
    from dealernet.analysis.market_kernel import kernel_sums

    frame = dataset.read_piece(piece)
    lat, lon, pop = _checked(frame, piece)
    near = np.flatnonzero(_near(slots, lat, lon))
    solved = kernel_sums(slots, sets, pop[near], lat[near], lon[near], threads=1)
    reach = near[solved[0].in_reach] if solved else near[:0]
    counties = None
    if COUNTY in frame.columns:  # the points in reach, as the in-memory run maps them
        from dealernet.analysis.market_maps import county_codes

        codes = pd.Series(county_codes(frame.iloc[reach]), dtype=object)
        counties = []
        for one in solved:
            kept = one.in_reach
            counties.append(
                _county_sums(
                    codes,
                    pop[reach],
                    one.share_before[kept],
                    one.share_after[kept],
                )
            )
    pairs = solved[0].pairs if solved else 0
    return _Part([one.sums for one in solved], counties, int(pop.size), int(reach.size), pairs)


def _checked(frame: pd.DataFrame, piece: Piece) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates and population of a piece, refused with its file if any is invalid."""
    lat = pd.to_numeric(frame[LATITUDE], errors="coerce").to_numpy(dtype="float64")
    lon = pd.to_numeric(frame[LONGITUDE], errors="coerce").to_numpy(dtype="float64")
    pop = pd.to_numeric(frame[POPULATION], errors="coerce").to_numpy(dtype="float64")
    bad = ~(np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180))
    bad |= ~(np.isfinite(pop) & (pop >= 0))
    if bad.any():
        path, group = piece
        msg = (
            f"{path} (row group {group}): {int(bad.sum())} of {bad.size} points lack valid "
            "coordinates (degrees) or a population >= 0; fix or drop those rows"
        )
        raise InvalidInputError(msg)
    return lat, lon, pop


def _near(slots: Slots, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points whose straight-line (ECEF chord) distance to a slot of the brand is within the
    cut-off: every point in reach (a chord is never longer than the geodesic), a few more.
    A quick first cut: the kernel then tells which are in reach."""
    from scipy.spatial import cKDTree  # heavy or optional: imported on first use

    from dealernet.geo.distance import to_ecef
    from dealernet.settings import METRES_PER_MILE

    mine = np.asarray(slots.brand) == 0
    if not lat.size or not mine.any():
        return np.zeros(lat.size, dtype=bool)
    tree = cKDTree(to_ecef(np.asarray(slots.slot_lat)[mine], np.asarray(slots.slot_lon)[mine]))
    reach = slots.cutoff_miles * METRES_PER_MILE + 1.0
    dist, _ = tree.query(to_ecef(lat, lon), k=1, distance_upper_bound=reach)
    return np.isfinite(dist)


def _county_sums(
    county: pd.Series, pop: np.ndarray, before: np.ndarray, after: np.ndarray
) -> pd.DataFrame:
    """Per county of a piece: people, and people times the brand's share before and after."""
    codes, names = pd.factorize(county, use_na_sentinel=False)
    size = len(names)
    return pd.DataFrame(
        {
            COUNTY: names,
            POPULATION: np.bincount(codes, weights=pop, minlength=size),
            "_before": np.bincount(codes, weights=pop * before, minlength=size),
            "_after": np.bincount(codes, weights=pop * after, minlength=size),
        }
    )


def _combine(a: _Part, b: _Part) -> _Part:
    """Two parts' sums added (the reduction's step, run on a worker)."""
    counties = None
    if a.counties is not None and b.counties is not None:
        counties = [
            pd.concat([x, y], ignore_index=True)
            .groupby(COUNTY, sort=True, dropna=False, as_index=False)
            .sum()
            for x, y in zip(a.counties, b.counties, strict=True)
        ]
    return _Part(
        [x + y for x, y in zip(a.sums, b.sums, strict=True)],
        counties,
        a.points + b.points,
        a.in_reach + b.in_reach,
        a.pairs + b.pairs,
    )


def _zero_sums(slots: Slots) -> StoreSums:
    stores, columns = slots.stores, len(slots.brands) + 2
    return StoreSums(
        people=np.zeros(stores),
        sales=np.zeros((stores, columns)),
        service_people=np.zeros(stores),
        service=np.zeros((stores, 3)),
    )


def _empty_part(slots: Slots, sets: list[Parameters], *, county: bool) -> _Part:
    """The sums of a dataset without rows."""
    empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in (COUNTY, POPULATION)})
    empty["_before"] = empty["_after"] = pd.Series(dtype="float64")
    counties = [empty for _ in sets] if county else None
    return _Part([_zero_sums(slots) for _ in sets], counties, 0, 0, 0)


def _result(total: _Part, k: int, slots: Slots) -> PopulationMarket:
    """Set ``k``'s outcome and county shares from the summed parts."""
    counties = None
    if total.counties is not None:
        table = total.counties[k].sort_values(COUNTY, ignore_index=True)
        people = table[POPULATION].to_numpy(dtype="float64")
        with np.errstate(invalid="ignore", divide="ignore"):
            for world in ("before", "after"):
                share = table.pop(f"_{world}").to_numpy(dtype="float64") / people
                table[f"share_{world}"] = np.where(people > 0, share, np.nan)
        counties = table[list(COUNTY_COLUMNS)]
    return PopulationMarket(
        outcome=total.sums[k].outcome(slots.brands, None, None),
        counties=counties,
        points=total.points,
        in_reach=total.in_reach,
        pairs=total.pairs,
    )
