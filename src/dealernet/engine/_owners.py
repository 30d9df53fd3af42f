"""Owner groups in the rule engine: how owners compare, the owner fields conditions read,
and what a reason says when an owner is not known.

A store or host whose file names no owner (``owner_group`` missing or blank) has no owner
key. Nothing about its owner is then asserted: it is neither "the same owner" as a host nor
"another owner's", ``same_owner`` rules pass over it and say so, and the owner fields of
conditions (``owner_store_count``, ...) have no value for it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dealernet._names import name_key
from dealernet.engine.scenario import (
    DISTANCE_TO_NEAREST_SAME_OWNER_HOST,
    IGNORE,
    OWNER_HOST_COUNT,
    OWNER_STORE_COUNT,
    REQUIRE,
)
from dealernet.geo.distance import geodesic_miles
from dealernet.schema import OWNER_GROUP

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.engine.scenario import Rule

#: What the engine says where an owner is not known.
OWNER_NOT_KNOWN = "owner not known"
#: Why a same-owner rule passed over a store whose owner is not known.
SAME_OWNER_SKIPPED = f"{OWNER_NOT_KNOWN}, so the same-owner rule did not apply"


def possessive(name: str) -> str:
    """``Maple Group's``, ``Hawk Falls Motors'``: an owner's name as the owner of something."""
    return f"{name}'" if name.endswith(("s", "S")) else f"{name}'s"


def owner_key(value: object) -> str | None:
    """Owner group as compared by :func:`dealernet.engine.colocation.same_owner`."""
    if not isinstance(value, str):
        return None
    return name_key(value) or None


def _keys(frame: pd.DataFrame) -> np.ndarray:
    values = frame[OWNER_GROUP] if OWNER_GROUP in frame.columns else [None] * len(frame)
    return np.array([owner_key(v) for v in values], dtype=object)


def _counts(keys: np.ndarray, of: np.ndarray) -> list[float]:
    """How many of ``keys`` equal each of ``of`` (``nan`` where ``of`` is not known)."""
    counts = Counter(k for k in keys if k is not None)
    return [float(counts.get(k, 0)) if k is not None else np.nan for k in of]


def _rows_of(keys: np.ndarray) -> dict[str, np.ndarray]:
    """The rows of each known key, ascending: one pass, not one scan of ``keys`` per key."""
    rows: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if key is not None:
            rows.setdefault(key, []).append(i)
    return {key: np.array(at, dtype="int64") for key, at in rows.items()}


@dataclass(frozen=True)
class Owners:
    """Owner keys of the source-brand stores and the host-brand sites (``None``: unknown).

    Attributes
    ----------
    source, host
        One key per store, one per host, in the engine's row order.
    hosts_of
        Host rows of each known owner.
    """

    source: np.ndarray
    host: np.ndarray
    hosts_of: dict[str, np.ndarray]

    @classmethod
    def of(cls, sources: pd.DataFrame, hosts: pd.DataFrame) -> Owners:
        """The owners of ``sources`` and ``hosts`` as the engine compares them."""
        s, h = _keys(sources), _keys(hosts)
        return cls(s, h, _rows_of(h))

    def same(self, i: int, h: int) -> bool | None:
        """Whether store ``i`` and host ``h`` have one owner; ``None`` if either is unknown."""
        if self.source[i] is None or self.host[h] is None:
            return None
        return bool(self.source[i] == self.host[h])

    def site_fields(
        self, lat: np.ndarray, lon: np.ndarray, hlat: np.ndarray, hlon: np.ndarray
    ) -> dict[str, Any]:
        """Owner fields of each store for conditions: stores and hosts of its owner, miles."""
        return {
            OWNER_STORE_COUNT: _counts(self.source, self.source),
            OWNER_HOST_COUNT: _counts(self.host, self.source),
            DISTANCE_TO_NEAREST_SAME_OWNER_HOST: self._nearest_own_host(lat, lon, hlat, hlon),
        }

    def _nearest_own_host(
        self, lat: np.ndarray, lon: np.ndarray, hlat: np.ndarray, hlon: np.ndarray
    ) -> np.ndarray:
        """Miles from each store to its owner's nearest host (``inf``: none; ``nan``: owner
        not known), every (store, own host) pair measured in one call."""
        nearest = np.full(self.source.size, np.nan)
        stores, hosts = [], []
        for i, key in enumerate(self.source):
            if key is None:
                continue
            hs = self.hosts_of.get(key)
            if hs is None:
                nearest[i] = np.inf
            else:
                stores.append(np.full(hs.size, i, dtype="int64"))
                hosts.append(hs)
        if stores:
            store, host = np.concatenate(stores), np.concatenate(hosts)
            miles = geodesic_miles(lat[store], lon[store], hlat[host], hlon[host])
            starts = np.flatnonzero(np.r_[True, store[1:] != store[:-1]])
            nearest[store[starts]] = np.minimum.reduceat(miles, starts)
        return nearest

    def host_store_counts(self) -> list[float]:
        """Host-brand stores each host's owner holds (``nan`` where it is not known)."""
        return _counts(self.host, self.host)

    def transfer(self, i: int, h: int) -> bool:
        """Whether absorbing store ``i`` into host ``h`` is a franchise transfer.

        Only a host known to be the store owner's own is a co-location (the owner keeps the
        franchise); another owner's host, or one where either owner is not known, counts as
        a transfer, as the impact model counts an unknown ``same_owner_host``.
        """
        return self.same(i, h) is not True

    def who(self, i: int, h: int) -> str:
        """How an absorption reason names the host's owner: same group, or not known."""
        if self.same(i, h):
            return " (same owner group)"
        unknown = self.host[h] is None and self.source[i] is not None
        return f" (its {OWNER_NOT_KNOWN})" if unknown else ""

    def move(self, i: int, h: int, to_owner: object, host_brand: str) -> str:
        """What absorbing store ``i`` into host ``h`` is, as a reason says it.

        ``to_owner`` is the host's owner group as the file has it, ``host_brand`` the host
        site's own brand (an alliance's hosts differ: "its own group's Honda store").
        """
        if self.same(i, h):
            return f"co-location with its own group's {host_brand} store"
        if self.host[h] is not None and self.source[i] is not None:
            return f"franchise transfer to {possessive(str(to_owner))} store"
        whose = "this store's" if self.source[i] is None else f"the {host_brand} store's"
        return f"counted as a franchise transfer, {whose} {OWNER_NOT_KNOWN}"

    def known(self, values: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """``values`` (owner groups as the file has them) with ``None`` where not known."""
        return np.array(
            [v if k is not None else None for v, k in zip(values, keys, strict=True)],
            dtype=object,
        )

    def skip_note(self, rule: Rule, rows: np.ndarray) -> str | None:
        """The run's note when a same-owner rule saw stores whose owner is not known."""
        blind = int(sum(o is None for o in self.source[rows]))
        if rule.same_owner == IGNORE or not blind:
            return None
        what = "it did not apply to them" if rule.same_owner == REQUIRE else "it went by miles"
        return (
            f"rule {rule.id}: {OWNER_NOT_KNOWN} for {blind:,} of the {rows.size:,} stores "
            f"it saw, so {what}"
        )


def with_skips(reasons: np.ndarray, skipped: dict[int, list[str]]) -> None:
    """End each reason of a store a same-owner rule passed over with why (in place)."""
    for i, ids in skipped.items():
        text = str(reasons[i])
        if SAME_OWNER_SKIPPED in text:
            continue
        note = f"{SAME_OWNER_SKIPPED} (rule {', '.join(ids)})"
        reasons[i] = (
            f"{text} {note[0].upper()}{note[1:]}." if text.endswith(".") else f"{text}; {note}"
        )
