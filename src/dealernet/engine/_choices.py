"""Each store's list of candidate hosts under an absorb rule, and the host it goes to.

A list starts with the store's few nearest usable hosts and grows only where a longer one
could change the result, so the work follows the stores, not the stores times the hosts
within reach (at 20 times the network, the hosts within 30 miles of a store are 20 times
as many; the lists stay the same length). Both solvers then give exactly what complete
lists would: see :func:`choose`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dealernet.engine._assign import assign_nearest, assign_optimal, may_hide_better
from dealernet.engine._candidates import Pairs, Reach, merge_pairs, nearest_pairs, owner_pairs
from dealernet.engine.scenario import IGNORE, PREFER, REQUIRE
from dealernet.geo.distance import SiteIndex

__all__ = ["FIRST_CHOICES", "Sites", "Usable", "choose"]

#: Nearest hosts a store's list starts with; it grows x8 where needed (see :func:`choose`).
FIRST_CHOICES = 8


@dataclass(frozen=True)
class Sites:
    """Sites on plain arrays: coordinates and owner keys (``None``: owner not known)."""

    lat: np.ndarray
    lon: np.ndarray
    owner: np.ndarray


@dataclass(frozen=True)
class Usable:
    """The hosts an absorb rule may use: their indices (ascending), a search index over
    them, a mask over all hosts, each host's room (``0`` where not usable) and the reach."""

    ok: np.ndarray
    sub: SiteIndex
    mask: np.ndarray
    room: np.ndarray
    reach: Reach


def _no_pairs() -> Pairs:
    return np.empty(0, dtype="int64"), np.empty(0, dtype="int64"), np.empty(0)


def choose(
    stores: Sites,
    hosts: Sites,
    hosts_of: dict[str, np.ndarray],
    usable: Usable,
    *,
    same_owner: str,
    optimal: bool,
    k_max: int,
    rank: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidate pairs ``(store position, host, miles)`` and each store's host (``-1``).

    A store's list holds its :data:`FIRST_CHOICES` nearest usable hosts within reach (none
    under ``same_owner = "require"``), plus, for ``prefer`` and ``require``, every usable
    host of its own owner group within reach (``hosts_of``). It grows (x8, up to ``k_max``,
    which always suffices: :func:`dealernet.engine._assign.enough_choices`) only for
    stores whose list was cut short and might change their lot. Under ``nearest``
    (greedy) that is a store left without a host: greedy takes the first free host in
    order, so a longer list changes nothing for a store that found one. Under ``optimal``
    it is a store none of whose listed hosts has room left:
    :func:`dealernet.engine._assign.may_hide_better` proves the others cannot gain.
    """
    n = stores.lat.size
    k = np.full(n, min(k_max, FIRST_CHOICES), dtype="int64")
    grow = np.ones(n, dtype=bool)
    near, cut = _no_pairs(), np.zeros(n, dtype=bool)
    own = _own_pairs(stores, hosts, hosts_of, usable, same_owner)
    while True:
        if same_owner != REQUIRE and usable.ok.size and n:
            near, cut = _regrow(stores, usable, k, grow, near, cut)
        prow, phost, pmiles = merge_pairs([near, own], hosts.lat.size)
        preferred = np.zeros(prow.size, dtype=bool)
        if same_owner != IGNORE:
            owner = stores.owner[prow]
            preferred = (owner == hosts.owner[phost]) & (owner != None)  # noqa: E711
        if optimal:
            chosen = assign_optimal(n, prow, phost, pmiles, preferred, usable.room)
            grow = may_hide_better(n, prow, phost, chosen, usable.room, cut)
        else:
            chosen = assign_nearest(n, prow, phost, pmiles, preferred, usable.room, rank)
            grow = cut & (chosen < 0)
        grow &= k < k_max
        if not grow.any():
            return prow, phost, pmiles, chosen
        k[grow] = np.minimum(k_max, k[grow] * 8)


def _regrow(
    stores: Sites,
    usable: Usable,
    k: np.ndarray,
    grow: np.ndarray,
    near: Pairs,
    cut: np.ndarray,
) -> tuple[Pairs, np.ndarray]:
    """The nearest-host pairs, with the lists of the ``grow`` stores remade at their ``k``."""
    keep = ~grow[near[0]]
    parts = [(near[0][keep], near[1][keep], near[2][keep])]
    cut = cut.copy()
    for size in np.unique(k[grow]):
        at = np.flatnonzero(grow & (k == size))
        prow, phost, pmiles, short = nearest_pairs(
            stores.lat[at], stores.lon[at], usable.sub, usable.ok, int(size), usable.reach
        )
        parts.append((at[prow], phost, pmiles))
        cut[at] = short
    prow, phost, pmiles = (np.concatenate([p[j] for p in parts]) for j in range(3))
    return (prow, phost, pmiles), cut


def _own_pairs(
    stores: Sites,
    hosts: Sites,
    hosts_of: dict[str, np.ndarray],
    usable: Usable,
    same_owner: str,
) -> Pairs:
    """For ``prefer`` and ``require``: every usable host of each store's own owner group
    within reach (complete, so never cut short)."""
    if same_owner not in (REQUIRE, PREFER):
        return _no_pairs()
    return owner_pairs(
        stores.lat,
        stores.lon,
        stores.owner,
        hosts_of,
        usable.mask,
        hosts.lat,
        hosts.lon,
        usable.reach,
    )
