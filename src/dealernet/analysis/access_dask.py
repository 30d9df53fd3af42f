"""Customer access with Dask, for population data too big to read on one machine.

The in-memory engine (:func:`dealernet.analysis.access.compute_access`) holds every population point
at once. This engine reads a partitioned (Geo)Parquet dataset
(:mod:`dealernet.io.population`) piece by piece (one Parquet row group per task) on a Dask
cluster: each worker finds its points' nearest point of sale before and after, exactly as
the in-memory engine does (the same code, :func:`dealernet.analysis.access.nearest_before_after`),
and the client assembles the same :class:`~dealernet.analysis.access.Access` with
:func:`dealernet.analysis.access.assemble_access`. Results are identical, bit for bit, to
``compute_access(load_population(path), ...)``.

The cluster is a :class:`distributed.LocalCluster` by default (one worker process per core,
one thread each), or any running scheduler given by its address
(``tcp://10.0.0.5:8786``); workers there need dealernet installed. Dask is an optional
dependency: ``pip install "dealernet[dask]"``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dealernet._errors import MissingDependencyError, SchedulerError
from dealernet.analysis.access import (
    THRESHOLDS_MILES,
    Access,
    _check_places,
    _points,
    assemble_access,
    compute_access,
    nearest_before_after,
    sale_point_arrays,
)
from dealernet.io.population import PopulationDataset, open_population
from dealernet.schema import LATITUDE, LONGITUDE, Brands
from dealernet.settings import HOST_BRAND, SOURCE_BRAND

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

__all__ = ["access_for_decisions_dask", "compute_access_dask"]

#: Seconds to wait for a scheduler given by address before giving up.
CONNECT_TIMEOUT = 10.0
INSTALL_HINT = 'pip install "dealernet[dask]"  (or: pip install "dask[distributed]")'

# Columns the workers add for the client; never seen by users.
_FOUND = ("_before_index", "_before_miles", "_after_index", "_after_miles")


def _require_dask() -> None:
    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        msg = f"the dask engine needs Dask and distributed: {INSTALL_HINT}"
        raise MissingDependencyError(msg) from exc


@contextmanager
def connect(
    scheduler: str | Client | None = None,
    *,
    n_workers: int | None = None,
    timeout: float = CONNECT_TIMEOUT,
) -> Iterator[Client]:
    """A Dask client: on a new local cluster, a scheduler's address, or one given.

    Parameters
    ----------
    scheduler
        ``None`` starts a :class:`~distributed.LocalCluster` (closed on exit); an address
        such as ``"tcp://10.0.0.5:8786"`` connects to a running scheduler; a
        :class:`~distributed.Client` is used as it is (and left open).
    n_workers
        Worker processes of a local cluster (default: one per core, at most 4).
    timeout
        Seconds to wait for a scheduler given by address.

    Raises
    ------
    SchedulerError
        The scheduler cannot be reached in ``timeout`` seconds.
    """
    _require_dask()
    from distributed import Client, LocalCluster  # heavy or optional: imported on first use

    if isinstance(scheduler, Client):
        yield scheduler
        return
    if scheduler is None:
        workers = n_workers or max(1, min(os.cpu_count() or 1, 4))
        # Dashboard on a free port: the usual 8787 may belong to another cluster.
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(str(scheduler), timeout=f"{timeout}s")
    except (OSError, TimeoutError, ValueError) as exc:
        msg = (
            f"cannot reach the Dask scheduler at {scheduler!r} ({exc}). Start one with "
            "`dask scheduler` and workers with `dask worker ADDRESS`, or leave out the "
            "scheduler to run on a local cluster"
        )
        raise SchedulerError(msg) from exc
    with client:
        yield client


def _partition_access(
    frame: pd.DataFrame,
    before: tuple[np.ndarray, np.ndarray],
    after: tuple[np.ndarray, np.ndarray],
) -> pd.DataFrame:
    """One partition's places, checked, with each one's nearest point of sale on each side."""
    out = _check_places(frame)
    found = nearest_before_after(
        out[LATITUDE].to_numpy(dtype="float64"),
        out[LONGITUDE].to_numpy(dtype="float64"),
        before,
        after,
    )
    for name, values in zip(_FOUND, found, strict=True):
        out[name] = values
    return out


def _meta(dataset: PopulationDataset) -> pd.DataFrame:
    meta = dataset.empty()
    for name in _FOUND:
        meta[name] = pd.Series(dtype="int64" if name.endswith("index") else "float64")
    return meta


def compute_access_dask(
    population_path: str | Path,
    before_lat: Sequence[float] | np.ndarray,
    before_lon: Sequence[float] | np.ndarray,
    before_ids: Sequence[object] | np.ndarray,
    after_lat: Sequence[float] | np.ndarray,
    after_lon: Sequence[float] | np.ndarray,
    after_ids: Sequence[object] | np.ndarray,
    *,
    scheduler: str | Client | None = None,
    n_workers: int | None = None,
    thresholds: Sequence[float] = THRESHOLDS_MILES,
    timeout: float = CONNECT_TIMEOUT,
) -> Access:
    """Nearest point of sale before and after for every population point, with Dask.

    The same result as ``compute_access(load_population(population_path), ...)``.

    Parameters
    ----------
    population_path
        A (Geo)Parquet file or a folder of them (:mod:`dealernet.io.population`).
    before_lat, before_lon, before_ids, after_lat, after_lon, after_ids
        Points of sale before and after, as for :func:`dealernet.analysis.access.compute_access`.
    scheduler
        ``None`` for a local cluster, a scheduler address, or a ``distributed.Client``.
    n_workers
        Worker processes of a local cluster.
    thresholds
        Distances for the "population beyond X miles" figures.
    timeout
        Seconds to wait for a scheduler given by address.

    Raises
    ------
    InputFileError
        The dataset is missing, unreadable, or lacks population or coordinates.
    InvalidInputError
        Points of sale or places with invalid coordinates or population.
    SchedulerError
        The scheduler cannot be reached.
    MissingDependencyError
        Dask is not installed.
    """
    _require_dask()
    import dask  # heavy or optional: imported on first use
    import dask.dataframe as dd  # heavy or optional: imported on first use

    b_lat, b_lon, b_ids = _points(before_lat, before_lon, before_ids, "before")
    a_lat, a_lon, a_ids = _points(after_lat, after_lon, after_ids, "after")
    dataset = open_population(population_path)
    pieces = dataset.pieces()
    if not pieces:
        return compute_access(
            dataset.empty(), b_lat, b_lon, b_ids, a_lat, a_lon, a_ids, thresholds=thresholds
        )
    # Keep the columns' own types: Dask would turn text into its pyarrow string type.
    with (
        dask.config.set({"dataframe.convert-string": False}),
        connect(scheduler, n_workers=n_workers, timeout=timeout) as client,
    ):
        places = dd.from_map(
            dataset.read_piece, pieces, meta=dataset.empty(), enforce_metadata=False
        )
        found = places.map_partitions(
            _partition_access,
            (b_lat, b_lon),
            (a_lat, a_lon),
            meta=_meta(dataset),
            enforce_metadata=False,
        )
        frame = client.compute(found, sync=True)
    frame = frame.reset_index(drop=True)
    arrays = [frame.pop(name).to_numpy() for name in _FOUND]
    return assemble_access(frame, b_ids, a_ids, *arrays, thresholds=thresholds)


def access_for_decisions_dask(
    population_path: str | Path,
    network: pd.DataFrame,
    decisions: pd.DataFrame,
    source_brand: str = SOURCE_BRAND,
    host_brand: Brands = HOST_BRAND,
    *,
    scheduler: str | Client | None = None,
    n_workers: int | None = None,
    thresholds: Sequence[float] = THRESHOLDS_MILES,
    timeout: float = CONNECT_TIMEOUT,
) -> Access:
    """Customer access before and after a scenario's decisions, with Dask.

    The Dask twin of :func:`dealernet.analysis.access.access_for_decisions`: the points of sale come
    from the network and the decisions (``host_brand``: one brand or an alliance's several),
    the population from ``population_path``.
    """
    return compute_access_dask(
        population_path,
        *sale_point_arrays(network, decisions, source_brand, host_brand),
        scheduler=scheduler,
        n_workers=n_workers,
        thresholds=thresholds,
        timeout=timeout,
    )
