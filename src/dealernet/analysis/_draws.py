"""The Monte Carlo's per-store draws held compactly, and their percentiles.

A run keeps every measure's draws (draws x stores) so that a group's range can be the
percentiles of its summed draws (:mod:`dealernet.analysis.rollups`). Held dense in float64
that is 24 arrays of draws x stores: 768 MB at 2,000 draws x 2,000 stores. Much of it is
known without holding it: a store the scenario leaves alone loses 0 in every draw, and a
volume the dealer file gives is the same in every draw. So :class:`StoreDraws` keeps, per
measure, only the stores whose draws vary, and one value for each store whose draws are all
the same. The varying draws are float32 when float64 ones would pass
:data:`FLOAT64_BYTES` (sums then agree with float64 ones to about 7 significant digits,
where at most 3 are printed); smaller runs keep float64, so every figure is bit for bit
what dense float64 draws give.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from scipy.sparse import csr_matrix

#: Past this many bytes of dense float64 draws (every measure, draws x stores), the varying
#: draws are held as float32: 2,000 draws of about 350 stores with 24 measures.
FLOAT64_BYTES = 128 * 1024**2

#: How a store's draws of one measure look (:func:`summarise`).
ZERO, CONSTANT, VARYING = 0, 1, 2


def held_dtype(draws: int, stores: int, measures: int) -> np.dtype[np.floating]:
    """float64 while every measure's dense draws fit :data:`FLOAT64_BYTES`, else float32."""
    dense = max(int(draws), 1) * max(int(stores), 1) * max(int(measures), 1) * 8
    return np.dtype(np.float64) if dense <= FLOAT64_BYTES else np.dtype(np.float32)


def percentiles(values: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """``np.percentile(values, q, axis=0)`` (values is draws x columns), bit for bit, without
    partitioning the columns that are 0 in every draw."""
    values = np.asarray(values)
    out = np.zeros((len(q), values.shape[1]))
    busy = (values != 0).any(axis=0) | np.isnan(values).any(axis=0)
    if busy.any():
        out[:, busy] = sorted_percentiles(values[:, busy], q)
    return out


def sorted_percentiles(values: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """``np.percentile(values, q, axis=0)`` (its default linear method), bit for bit, about
    twice as fast: numpy's vectorised sort orders the columns, then each percentile is
    interpolated between its two neighbours step for step as numpy's ``_quantile`` does
    (the same indexes, weights, rounding and NaN rule: a column with a NaN gives NaN).
    tests/test_draws.py checks it against ``np.percentile`` on random columns."""
    ordered = np.sort(values, axis=0)
    n = ordered.shape[0]
    virtual = (n - 1) * np.true_divide(np.asarray(q), 100)
    previous = np.floor(virtual)
    following = previous + 1
    above, below = virtual >= n - 1, virtual < 0
    previous[above] = following[above] = -1
    previous[below] = following[below] = 0
    lower, upper = ordered[previous.astype(np.intp)], ordered[following.astype(np.intp)]
    gamma = np.asarray(virtual - previous.astype(np.intp), dtype=virtual.dtype).reshape(-1, 1)
    with np.errstate(invalid="ignore"):  # inf - inf, as numpy's own interpolation meets it
        diff = upper - lower
        out = np.asarray(np.add(lower, diff * gamma))
        np.subtract(upper, diff * (1 - gamma), out=out, where=gamma >= 0.5, casting="unsafe")
    nans = np.isnan(ordered[-1])
    if nans.any():
        np.copyto(out, ordered[-1], where=nans)
    return out


def medians(values: np.ndarray) -> np.ndarray:
    """``np.median(values, axis=0)`` in float64."""
    return np.asarray(np.median(values, axis=0), dtype=np.float64)


def summarise(values: np.ndarray, q: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Each column's percentiles ``q`` (as :func:`percentiles`) and its kind: :data:`ZERO`,
    :data:`CONSTANT` (the same value in every draw) or :data:`VARYING`."""
    first = values[0]
    same = (values == first).all(axis=0)
    kinds = np.where(same & (first == 0), ZERO, np.where(same, CONSTANT, VARYING))
    out = np.zeros((len(q), values.shape[1]))
    constant = kinds == CONSTANT
    out[:, constant] = first[constant].astype(np.float64)
    varying = kinds == VARYING
    if varying.any():
        out[:, varying] = sorted_percentiles(values[:, varying], q)
    return out, kinds.astype(np.int8)


@dataclass(frozen=True)
class _Held:
    """One measure: the varying stores' positions and draws, every store's fixed value."""

    positions: np.ndarray  # stores whose draws vary
    varying: np.ndarray  # draws x len(positions)
    fixed: np.ndarray  # one value per store (0 where it varies)

    def dense(self) -> np.ndarray:
        out = np.repeat(self.fixed[np.newaxis, :], len(self.varying), axis=0)
        out[:, self.positions] = self.varying
        return out

    def select(self, mask: np.ndarray) -> _Held:
        renumbered = np.cumsum(mask) - 1
        keep = mask[self.positions]
        return _Held(renumbered[self.positions[keep]], self.varying[:, keep], self.fixed[mask])


class StoreDraws(Mapping[str, np.ndarray]):
    """measure -> draws x stores, held compactly; ``draws[measure]`` makes the dense float64
    array (for tests and small callers); roll-ups use :func:`summed_draws`."""

    def __init__(self, draws: int, stores: int, held: dict[str, _Held]) -> None:
        self.draws, self.stores, self._held = draws, stores, held

    def __getitem__(self, measure: str) -> np.ndarray:
        return self._held[measure].dense()

    def __iter__(self) -> Iterator[str]:
        return iter(self._held)

    def __len__(self) -> int:
        return len(self._held)

    def held(self, measure: str) -> _Held:
        return self._held[measure]

    def nbytes(self) -> int:
        """Bytes held (the varying draws and the fixed values)."""
        return sum(
            h.varying.nbytes + h.fixed.nbytes + h.positions.nbytes for h in self._held.values()
        )

    def select(self, mask: np.ndarray) -> StoreDraws:
        held = {k: h.select(mask) for k, h in self._held.items()}
        return StoreDraws(self.draws, int(mask.sum()), held)


class DrawsBuilder:
    """Collects each block of stores' draws into a :class:`StoreDraws`."""

    def __init__(self, draws: int, stores: int, dtype: np.dtype[np.floating]) -> None:
        self.draws, self.stores, self.dtype = draws, stores, dtype
        self._parts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        self._fixed: dict[str, np.ndarray] = {}

    def add(self, measure: str, block: np.ndarray, values: np.ndarray, kinds: np.ndarray) -> None:
        """Keep ``values`` (draws x len(block)) of the stores at positions ``block``."""
        fixed = self._fixed.setdefault(measure, np.zeros(self.stores))
        constant = kinds == CONSTANT
        fixed[block[constant]] = values[0, constant]
        varying = kinds == VARYING
        if varying.any():
            part = values[:, varying].astype(self.dtype, copy=False)
            self._parts.setdefault(measure, []).append((block[varying], part))

    def build(self, measures: Sequence[str]) -> StoreDraws:
        held = {}
        for measure in measures:
            parts = self._parts.pop(measure, [])
            fixed = self._fixed.pop(measure, np.zeros(self.stores))
            if parts:
                positions = np.concatenate([p for p, _ in parts])
                varying = np.concatenate([v for _, v in parts], axis=1)
            else:
                positions = np.zeros(0, dtype=np.intp)
                varying = np.zeros((self.draws, 0), dtype=self.dtype)
            held[measure] = _Held(positions, varying, fixed)
        return StoreDraws(self.draws, self.stores, held)


def select_draws(draws: Mapping[str, np.ndarray], mask: np.ndarray) -> Mapping[str, np.ndarray]:
    """The draws of the stores where ``mask`` holds, in order, without making dense arrays."""
    mask = np.asarray(mask, dtype=bool)
    if isinstance(draws, StoreDraws):
        return draws.select(mask)
    return {k: v[:, mask] for k, v in draws.items()}


def summed_draws(draws: Mapping[str, np.ndarray], measure: str, member: csr_matrix) -> np.ndarray:
    """draws x groups: each group's summed draws of ``measure`` (``member`` is stores x
    groups, one 1 per store), the measure gathered once in float64 as dense draws would be."""
    dense = draws[measure].astype(np.float64, copy=False)
    return np.asarray(dense @ member)
