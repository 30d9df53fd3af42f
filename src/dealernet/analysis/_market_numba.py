"""The compiled loop of :mod:`dealernet.analysis.market_kernel` (numba).

Imported only when that module solves a market, so numba stays optional. Every step mirrors
:func:`dealernet.analysis.market.store_sums` (its docstrings say why each step is what it
is); the names here are the same, one point at a time.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def point_sums(
    population,
    point_xyz,
    point_sin,
    point_cos,
    slot_xyz,
    slot_sin,
    slot_cos,
    brand,
    slot_store,
    store_after,
    service_before,
    service_after,
    weights_before,
    weights_after,
    settings,
    groups,
    cutoff_miles,
    reach_m,
    radius_scale,
    e2,
    metres_per_mile,
    near_miles,
    origin,
    cell,
    dims,
    start,
    order,
    people,
    sales,
    service_people,
    service,
    share_before,
    share_after,
    in_reach,
):
    """Add every point's contribution to the per-store sums; return the pairs found.
    ``in_reach`` is set for points with a slot of the brand within the cut-off."""
    n_slots = brand.size
    sets = weights_before.shape[0]
    cand = np.empty(n_slots, dtype=np.int64)
    miles = np.empty(n_slots)
    log_miles = np.empty(n_slots)
    pos = np.full(n_slots, -1, dtype=np.int64)
    p0 = np.empty(n_slots)
    p1 = np.empty(n_slots)
    g0 = np.empty(groups)
    g1 = np.empty(groups)
    gains = np.empty(groups + 1)
    brand_share = np.empty(2)  # service: the brand's total share before, after
    reach2 = reach_m * reach_m
    found = 0
    lo = np.empty(3, dtype=np.int64)
    hi = np.empty(3, dtype=np.int64)
    for i in range(population.size):
        empty = False
        for a in range(3):
            lo[a] = max(int(math.floor((point_xyz[i, a] - reach_m - origin[a]) / cell)), 0)
            hi[a] = min(
                int(math.floor((point_xyz[i, a] + reach_m - origin[a]) / cell)), dims[a] - 1
            )
            if lo[a] > hi[a]:
                empty = True
        if empty:
            continue
        m = 0
        for ix in range(lo[0], hi[0] + 1):
            for iy in range(lo[1], hi[1] + 1):
                base = (ix * dims[1] + iy) * dims[2]
                for iz in range(lo[2], hi[2] + 1):
                    for t in range(start[base + iz], start[base + iz + 1]):
                        j = order[t]
                        dx = point_xyz[i, 0] - slot_xyz[j, 0]
                        dy = point_xyz[i, 1] - slot_xyz[j, 1]
                        dz = point_xyz[i, 2] - slot_xyz[j, 2]
                        d2 = dx * dx + dy * dy + dz * dz
                        if d2 > reach2:
                            continue
                        # chord_to_geodesic_miles: the Gaussian radius at the mean latitude
                        sin2 = 0.5 * (1.0 - point_cos[i] * slot_cos[j] + point_sin[i] * slot_sin[j])
                        radius = radius_scale / (1.0 - e2 * sin2)
                        ratio = min(math.sqrt(d2) / (2.0 * radius), 1.0)
                        mi = 2.0 * radius * math.asin(ratio) / metres_per_mile
                        if mi <= cutoff_miles:
                            cand[m] = j
                            miles[m] = mi
                            log_miles[m] = math.log(max(mi, near_miles))
                            pos[j] = m
                            m += 1
                            if brand[j] == 0:
                                in_reach[i] = True
        found += m
        if m == 0:
            continue
        for k in range(sets):
            _sales(
                i,
                k,
                m,
                population,
                cand,
                miles,
                log_miles,
                pos,
                p0,
                p1,
                g0,
                g1,
                gains,
                brand,
                slot_store,
                store_after,
                weights_before,
                weights_after,
                settings,
                groups,
                people,
                sales,
                share_before,
                share_after,
            )
            _service(
                i,
                k,
                m,
                population,
                cand,
                miles,
                log_miles,
                pos,
                p0,
                p1,
                brand_share,
                gains,
                brand,
                slot_store,
                store_after,
                service_before,
                service_after,
                settings,
                service_people,
                service,
            )
        for q in range(m):
            pos[cand[q]] = -1
    return found


@njit(cache=True, nogil=True)
def _sales(
    i,
    k,
    m,
    population,
    cand,
    miles,
    log_miles,
    pos,
    p0,
    p1,
    g0,
    g1,
    gains,
    brand,
    slot_store,
    store_after,
    weights_before,
    weights_after,
    settings,
    groups,
    people,
    sales,
    share_before,
    share_after,
):
    """One point's sales shares and its stores' split, for parameter set ``k``."""
    decay, cutoff = settings[k, 0], settings[k, 2]
    _shares(
        m,
        cand,
        miles,
        log_miles,
        decay,
        cutoff,
        weights_before[k],
        weights_after[k],
        brand,
        False,
        0.0,
        p0,
        p1,
    )
    g0[:] = 0.0
    g1[:] = 0.0
    for q in range(m):
        g0[brand[cand[q]]] += p0[q]
        g1[brand[cand[q]]] += p1[q]
    share_before[k, i] = g0[0]
    share_after[k, i] = g1[0]
    for q in range(m):
        s = slot_store[cand[q]]
        if s < 0:
            continue
        before = p0[q]
        own = _own(s, store_after, pos, p1)
        _leaver_gains(g0, g1, groups, own, before, gains)
        _add(people, sales, k, s, population[i] * before, own, before, gains)


@njit(cache=True, nogil=True)
def _service(
    i,
    k,
    m,
    population,
    cand,
    miles,
    log_miles,
    pos,
    p0,
    p1,
    brand_share,
    gains,
    brand,
    slot_store,
    store_after,
    service_before,
    service_after,
    settings,
    service_people,
    service,
):
    """One point's service shares among the brand's slots and the outside option."""
    decay, cutoff, outside = settings[k, 1], settings[k, 2], settings[k, 3]
    _shares(
        m,
        cand,
        miles,
        log_miles,
        decay,
        cutoff,
        service_before,
        service_after,
        brand,
        True,
        outside,
        p0,
        p1,
    )
    g0 = brand_share[0:1]  # the brand's total share before and after: one group
    g1 = brand_share[1:2]
    g0[0] = 0.0
    g1[0] = 0.0
    for q in range(m):  # in order, as the array model adds them (not pairwise)
        g0[0] += p0[q]
        g1[0] += p1[q]
    part = gains[:2]
    for q in range(m):
        s = slot_store[cand[q]]
        if s < 0 or brand[cand[q]] != 0:
            continue
        before = p0[q]
        own = _own(s, store_after, pos, p1)
        _leaver_gains(g0, g1, 1, own, before, part)
        _add(service_people, service, k, s, population[i] * before, own, before, part)


@njit(cache=True, nogil=True)
def _shares(m, cand, miles, log_miles, decay, cutoff, w0, w1, brand, only_brand, outside, p0, p1):
    """Each candidate's Huff share before (``p0``) and after (``p1``), in place: its weight
    times the distance decay (nothing beyond ``cutoff``) over the sum, with ``outside`` the
    pull of an outside option; with ``only_brand`` other brands' candidates get nothing."""
    total0 = outside
    total1 = outside
    for q in range(m):
        if only_brand and brand[cand[q]] != 0:
            p0[q] = 0.0
            p1[q] = 0.0
            continue
        decayed = math.exp(-decay * log_miles[q]) if miles[q] <= cutoff else 0.0
        p0[q] = w0[cand[q]] * decayed
        p1[q] = w1[cand[q]] * decayed
        total0 += p0[q]
        total1 += p1[q]
    for q in range(m):
        p0[q] = p0[q] / total0 if total0 > 0 else 0.0
        p1[q] = p1[q] / total1 if total1 > 0 else 0.0


@njit(cache=True, nogil=True)
def _leaver_gains(g0, g1, groups, own, before, gains):
    """Where a store's leavers go, in place (``market._split_sums`` step for step): the
    brand's other stores (group 0, less the store's own new site), each other group, and
    ``gains[groups]`` nowhere (the share lost); by the shares after if rounding leaves no
    gain (``market._fallback``), and all to nowhere if that is empty too."""
    gains[0] = max((g1[0] - own) - (g0[0] - before), 0.0)
    for g in range(1, groups):
        gains[g] = max(g1[g] - g0[g], 0.0)
    gains[groups] = max(g0[:groups].sum() - g1[:groups].sum(), 0.0)
    if gains[: groups + 1].sum() > 0:
        return
    gains[0] = g1[0] - own
    for g in range(1, groups):
        gains[g] = g1[g]
    gains[groups] = max(1.0 - g1[:groups].sum(), 0.0)
    if gains[: groups + 1].sum() <= 0:
        gains[: groups + 1] = 0.0
        gains[groups] = 1.0


@njit(cache=True, nogil=True)
def _own(s, store_after, pos, p1):
    """The point's chance after at the store's new site (0 if closed or out of reach)."""
    after = store_after[s]
    if after < 0 or pos[after] < 0:
        return 0.0
    return p1[pos[after]]


@njit(cache=True, nogil=True)
def _add(people, split, k, s, buyers, own, before, gains):
    """A point's buyers of store ``s``: those who stay, the rest by the destinations' gains."""
    stay = min(own, before) / before if before > 0 else 0.0
    total = gains.sum()
    people[k, s] += buyers
    split[k, s, 0] += buyers * stay
    for c in range(gains.size):
        split[k, s, 1 + c] += buyers * ((1.0 - stay) * (gains[c] / total))
