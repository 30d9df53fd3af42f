"""Assigning stores to host sites with limited room, on plain arrays.

Both solvers take the same input: candidate pairs ``(row, host, miles, preferred)`` (a row is
a store, a host a site that may take it) and each host's ``remaining`` room (``inf`` for no
limit). They return, for each row, the host it goes to or ``-1``. They know nothing of
geometry or DataFrames, so they are tested on hand-made arrays.

Order of choice within a row, in both: preferred hosts (same owner group, under
``same_owner = "prefer"``) first, then fewer miles, then lower host index.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["assign_nearest", "assign_optimal", "enough_choices", "may_hide_better"]


def _choice_order(
    row: np.ndarray, host: np.ndarray, miles: np.ndarray, preferred: np.ndarray
) -> np.ndarray:
    """Pair order: by row, then preferred first, then miles, then host index."""
    return np.lexsort((host, miles, ~preferred, row))


def _is_sorted(row: np.ndarray, host: np.ndarray, miles: np.ndarray) -> bool:
    """Whether pairs are already in (row, miles, host) order (saves a large sort)."""
    if row.size < 2:
        return True
    dr, dm, dh = np.diff(row), np.diff(miles), np.diff(host)
    return bool(np.all((dr > 0) | ((dr == 0) & ((dm > 0) | ((dm == 0) & (dh > 0))))))


def enough_choices(room: np.ndarray, n_rows: int) -> int:
    """Choices per row that always suffice: ``ceil(n_rows / least room)`` hosts (1 if no
    host's room is limited), so a row's list always holds a host with room left whatever
    the other rows take, and a longer list changes no result of either solver."""
    finite = room[np.isfinite(room)]
    if finite.size == 0:
        return 1
    return max(1, math.ceil(n_rows / max(float(finite.min()), 1.0)))


def may_hide_better(
    n_rows: int,
    row: np.ndarray,
    host: np.ndarray,
    chosen: np.ndarray,
    remaining: np.ndarray,
    cut: np.ndarray,
) -> np.ndarray:
    """Rows whose shortened list of choices might hide a better optimal assignment.

    Each row's pairs must be the *head* of its full list in the order of choice (preferred,
    then miles, then host); ``cut`` marks rows whose list was shortened, and ``chosen`` is
    an optimal assignment (:func:`assign_optimal`) over the shortened lists. A row is safe
    when its list was not cut, or when some host on its list still has room after
    ``chosen``. When every row is safe, ``chosen`` is optimal over the full lists too: the
    same number of rows placed, of preferred placements, and the same total miles (where
    several assignments tie, it may be another of them).

    Proof. :func:`assign_optimal` solves a min-cost assignment with a "no host" column per
    row and a cost ``C(r, h)`` that grows in the order of choice. It scales costs per
    connected group, but every cost that ranks placements over preference over miles has
    the same optima, so fix one such ``C`` for the full problem. Give each host
    ``remaining`` slots (never more than the rows): that allows nothing the solver's
    ``min(room, demand)`` slots forbid. The problem is a linear program with an integral
    optimum; take optimal duals ``u`` (rows) and ``v <= 0`` (slots) of the shortened one:
    ``u_r + v_s <= C(r, s)`` on every listed pair, and ``v_s = 0`` on every slot left empty
    (complementary slackness). A pruned pair ``(r, h)`` keeps them feasible if
    ``u_r <= C(r, h)``, as ``v_s <= 0`` on each slot of ``h``. A row whose list was not
    cut has no pruned pair. A cut row with a listed host ``f`` that has room left has an
    empty slot ``s`` of ``f``, so ``u_r <= C(r, f) - v_s = C(r, f) <= C(r, h)``: ``f``
    comes before every pruned host ``h`` in its order. The duals are then feasible for the
    full problem with the same objective, and by weak duality ``chosen`` is optimal there.

    The classic bound (:func:`enough_choices`) follows: a list of ``ceil(n_rows / least
    room)`` hosts holds at least ``n_rows`` slots, the other rows fill at most
    ``n_rows - 1``, so one listed host has room and the row is safe. This test is tighter:
    it asks only for room that is actually left, so most lists stay a few hosts long.
    """
    taken = np.bincount(chosen[chosen >= 0], minlength=remaining.size)
    free = remaining[host] - taken[host] > 0
    safe = ~np.asarray(cut, dtype=bool)
    safe[row[free]] = True
    return ~safe


def assign_nearest(
    n_rows: int,
    row: np.ndarray,
    host: np.ndarray,
    miles: np.ndarray,
    preferred: np.ndarray,
    remaining: np.ndarray,
    tiebreak: np.ndarray,
) -> np.ndarray:
    """Greedy: each row in turn takes its best host that still has room.

    Rows go in order of the miles to their first choice (nearest first, so a store right
    next to a host is not pushed out by one farther away), then ``tiebreak`` (the rank of
    the dealer id), then row number. A row whose choices are all full gets ``-1``.
    """
    out = np.full(n_rows, -1, dtype="int64")
    if row.size == 0:
        return out
    if preferred.any() or not _is_sorted(row, host, miles):
        order = _choice_order(row, host, miles, preferred)
        row, host, miles = row[order], host[order], miles[order]
    starts = np.searchsorted(row, np.arange(n_rows), side="left")
    ends = np.searchsorted(row, np.arange(n_rows), side="right")
    has = ends > starts
    first = np.full(n_rows, np.inf)
    first[has] = miles[starts[has]]
    room = np.array(remaining, dtype="float64", copy=True)
    for r in np.lexsort((np.arange(n_rows), tiebreak, first)):
        if not has[r]:
            continue
        hosts = host[starts[r] : ends[r]]
        free = np.flatnonzero(room[hosts] > 0)
        if free.size:
            h = hosts[free[0]]
            out[r] = h
            room[h] -= 1
    return out


def assign_optimal(
    n_rows: int,
    row: np.ndarray,
    host: np.ndarray,
    miles: np.ndarray,
    preferred: np.ndarray,
    remaining: np.ndarray,
) -> np.ndarray:
    """Most rows placed, then most preferred placements, then fewest total miles.

    Hosts are expanded into slots (one column per unit of room a host could use) and each
    row gets a private "no host" column whose cost outweighs any other change, so a minimum
    cost full matching places as many rows as possible. Connected groups of rows and hosts
    are solved separately, with costs scaled to each group, which keeps the problems small
    and the arithmetic exact enough to compare miles.
    """
    from scipy.sparse import coo_matrix  # heavy or optional: imported on first use
    from scipy.sparse.csgraph import connected_components

    out = np.full(n_rows, -1, dtype="int64")
    if row.size == 0:
        return out
    hosts_used, host_local = np.unique(host, return_inverse=True)
    n_hosts = hosts_used.size
    graph = coo_matrix(
        (np.ones(row.size), (row, n_rows + host_local)), shape=(n_rows + n_hosts,) * 2
    )
    _, label = connected_components(graph, directed=False)
    pair_group = label[row]
    order = np.argsort(pair_group, kind="stable")
    bounds = np.flatnonzero(np.diff(pair_group[order])) + 1
    for pairs in np.split(order, bounds):
        chosen_rows, chosen_hosts = _solve_group(
            row[pairs], host[pairs], miles[pairs], preferred[pairs], remaining
        )
        out[chosen_rows] = chosen_hosts
    return out


def _solve_group(
    row: np.ndarray,
    host: np.ndarray,
    miles: np.ndarray,
    preferred: np.ndarray,
    remaining: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Solve one connected group; returns the placed rows and their hosts."""
    rows, row_local = np.unique(row, return_inverse=True)
    hosts, host_local = np.unique(host, return_inverse=True)
    demand = np.bincount(host_local, minlength=hosts.size)
    slots = np.minimum(remaining[hosts], demand).astype("int64")
    if np.all(slots >= demand):  # room never binds: every row takes its first choice
        order = _choice_order(row_local, host, miles, preferred)
        first = order[np.r_[True, np.diff(row_local[order]) != 0]]
        return row[first], host[first]
    return _match(rows, row_local, host_local, hosts, slots, miles, preferred)


def _match(
    rows: np.ndarray,
    row_local: np.ndarray,
    host_local: np.ndarray,
    hosts: np.ndarray,
    slots: np.ndarray,
    miles: np.ndarray,
    preferred: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-cost full matching of rows to host slots plus one "no host" column each."""
    from scipy.sparse import csr_matrix  # heavy or optional: imported on first use
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    n = rows.size
    span = float(miles.max()) + 1.0 if miles.size else 1.0
    # Costs are lexicographic: a placement beats any saving in miles or preference, and a
    # preferred host beats any saving in miles. All edge weights are >= 1 (no zeros).
    penalty = (n + 1) * span if (~preferred).any() and preferred.any() else 0.0
    no_host = (n + 1) * (span + penalty) + 1.0
    cost = 1.0 + miles + penalty * ~preferred
    start = np.concatenate(([0], np.cumsum(slots)[:-1]))
    per_pair = slots[host_local]
    keep = per_pair > 0
    reps = per_pair[keep]
    edge_row = np.repeat(row_local[keep], reps)
    offset = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
    edge_col = np.repeat(start[host_local[keep]], reps) + offset
    edge_cost = np.repeat(cost[keep], reps)
    n_slots = int(slots.sum())
    data = np.concatenate((edge_cost, np.full(n, no_host)))
    r = np.concatenate((edge_row, np.arange(n)))
    c = np.concatenate((edge_col, n_slots + np.arange(n)))
    matrix = csr_matrix((data, (r, c)), shape=(n, n_slots + n))
    matched_row, matched_col = min_weight_full_bipartite_matching(matrix)
    placed = matched_col < n_slots
    slot_host = np.repeat(np.arange(hosts.size), slots)
    return rows[matched_row[placed]], hosts[slot_host[matched_col[placed]]]
