"""Why an absorb rule found no host for a store: the sentence, from counts of nearby hosts.

For every store a rule could not place, :func:`hosts_around` counts the host sites within
the rule's reach by what kept each from taking it (excluded, another owner's, full, filled
under this rule), all stores at once and without measuring every pair
(:func:`dealernet.engine._candidates.count_within`); :func:`no_host_reason` words one
store's counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dealernet.engine._candidates import Reach, count_within
from dealernet.geo.distance import geodesic_miles

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.engine._choices import Sites
    from dealernet.geo.distance import SiteIndex

__all__ = ["Around", "hosts_around", "no_host_reason"]


@dataclass(frozen=True)
class Around:
    """Host sites within a rule's reach of one store it could not place.

    ``full`` and ``free`` count the hosts left once excluded ones (and, under
    ``same_owner = "require"``, other owners' and unknown owners') are set aside: with no
    room before the rule, or with room the rule's other stores took.
    """

    within: int
    excluded: int
    full: int
    free: int
    other_owner: int = 0
    blind: int = 0


def no_host_reason(
    around: Around,
    *,
    host_word: str,
    span: str,
    exclusion: str,
    nearest: str,
    require: bool,
) -> tuple[str, str]:
    """A short and a detailed sentence for a store no host took.

    ``span`` is `` within 30 miles`` (empty with no limit), ``exclusion`` the rule's
    ``exclude_hosts`` as quoted, ``nearest`` the miles to the nearest host as printed.
    """
    if around.within == 0:
        short = f"no {host_word}{span}"
        return short, f"{short} (the nearest is {nearest} straight-line miles away)"
    parts = []
    if around.excluded:
        parts.append(f"{around.excluded} excluded by this rule ({exclusion})")
    if require:
        if around.other_owner:
            parts.append(f"{around.other_owner} of other owner groups")
        if around.blind:
            parts.append(f"{around.blind} whose owner is not known")
        if around.full + around.free == 0 and not around.excluded:
            short = f"no {host_word} of the same owner group{span}"
            return short, f"{short} ({'; '.join(parts)})"
    if around.full:
        parts.append(f"{around.full} already full")
    if around.free:
        parts.append(f"{around.free} filled by other stores under this rule")
    short = f"no {host_word}{span} had room for it"
    return short, f"{short} ({'; '.join(parts)})"


def hosts_around(
    stores: Sites,
    hosts: Sites,
    index: SiteIndex,
    hosts_of: dict[str, np.ndarray],
    reach: Reach,
    excluded: np.ndarray,
    full: np.ndarray,
    *,
    require: bool,
) -> list[Around]:
    """What each of ``stores`` (whose owners are known under ``require``) has around it.

    ``index`` searches all ``hosts``; ``excluded`` marks the hosts the rule excludes, ``full``
    those with no room before it.
    """
    blind = np.array([o is None for o in hosts.owner], dtype=bool)
    groups = {"within": np.ones(hosts.lat.size, dtype=bool), "excluded": excluded}
    groups["rest"] = ~excluded & (blind if require else full)
    counts = count_within(stores.lat, stores.lon, index, reach, groups)
    within, excl, rest = (counts[g] for g in ("within", "excluded", "rest"))
    if not require:
        return [
            Around(int(w), int(e), int(r), int(w - e - r))
            for w, e, r in zip(within, excl, rest, strict=True)
        ]
    mine, mine_full = _own_within(stores, hosts, hosts_of, reach, ~excluded, full)
    return [
        Around(int(w), int(e), int(f), int(m - f), int(w - e - m - r), int(r))
        for w, e, r, m, f in zip(within, excl, rest, mine, mine_full, strict=True)
    ]


def _own_within(
    stores: Sites,
    hosts: Sites,
    hosts_of: dict[str, np.ndarray],
    reach: Reach,
    allowed: np.ndarray,
    full: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each store's own owner's ``allowed`` hosts within reach, and how many are ``full``."""
    n = stores.lat.size
    store, host = [], []
    for pos, key in enumerate(stores.owner):
        hs = hosts_of.get(key) if key is not None else None
        if hs is not None:
            hs = hs[allowed[hs]]
            store.append(np.full(hs.size, pos, dtype="int64"))
            host.append(hs)
    if not store:
        return np.zeros(n, dtype="int64"), np.zeros(n, dtype="int64")
    at, h = np.concatenate(store), np.concatenate(host).astype("int64")
    if math.isfinite(reach.limit):
        miles = geodesic_miles(stores.lat[at], stores.lon[at], hosts.lat[h], hosts.lon[h])
        inside = reach.ok(miles)
        at, h = at[inside], h[inside]
    return np.bincount(at, minlength=n), np.bincount(at[full[h]], minlength=n)
