"""Totals per owner group, state, county and the nation.

Counts and baselines are plain sums of the site rows. A group's low / base / high losses are
the percentiles of the group's summed Monte Carlo draws, because every site shares the same
drawn assumptions: the sum of the sites' 10th percentiles would claim a best case in which
every assumption is at its best for every store at once, which no single draw has.

Every measure is summed by the source store's key, except in the owner roll-up the host
owner's gain (:data:`~dealernet.analysis.impact.HOST_MEASURES`), which belongs to the owner
of the host store a transfer goes into: :func:`owners` sums it over the host stores each
group owns, and :func:`host_owners` lists every host owner, also those that hold no
source-brand store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from dealernet.analysis._draws import percentiles, select_draws, summed_draws
from dealernet.analysis.impact import HOST_MEASURES, MEASURES, PERCENTILES, Impacts
from dealernet.analysis.owner_groups import group_names, owner_keys, with_key_columns
from dealernet.analysis.pnl import TRANSFER, franchise_changes
from dealernet.geo.boundaries import county_at
from dealernet.schema import (
    DEALER_ID,
    DECISION,
    DECISIONS,
    HOST_DEALER_ID,
    LATITUDE,
    LONGITUDE,
    NAME,
    OWNER_GROUP,
    STATE,
    state_name,
)

if TYPE_CHECKING:  # pragma: no cover
    pass

BASELINES = ("baseline_revenue_total", "baseline_employees_total")
#: Decisions column naming each host's owner group (written by the rule engine).
HOST_OWNER = "host_owner_group"


def rollup(keys: pd.Series | np.ndarray, decisions: pd.DataFrame, impacts: Impacts) -> pd.DataFrame:
    """Totals for each distinct key (one key per site row, aligned with ``decisions``).

    Returns one row per key with ``stores``, ``stores_<decision>``, ``stores_affected``,
    ``absorbed_into_same_owner``, baseline sums and every loss measure as low/base/high.
    """
    keys = pd.Series(np.asarray(keys, dtype=object)).fillna("(none)").astype(str)
    codes, labels = pd.factorize(keys, sort=True)
    n = len(labels)

    def count(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(codes, weights=weights, minlength=n)

    decision = decisions[DECISION].to_numpy()
    same = decisions["same_owner_host"].astype("boolean").fillna(False).to_numpy(dtype=bool) & (
        decision == "absorb"
    )
    # Columns are gathered in a dict and framed once: one DataFrame per call, which matters
    # when a map or report sums a small group many times in a run.
    out: dict[str, Any] = {"key": labels, "stores": count()}
    for d in DECISIONS:
        out[f"stores_{d}"] = count(decision == d).astype(int)
    out["stores_affected"] = out["stores_absorb"] + out["stores_close"]
    out["absorbed_into_same_owner"] = count(same).astype(int)
    for column in BASELINES:
        out[column] = count(impacts.table[column].to_numpy())
    out.update(_summed(codes, n, impacts, MEASURES))
    return pd.DataFrame(out)


def _summed(
    codes: np.ndarray, groups: int, impacts: Impacts, measures: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """``<measure>_<level>`` per group: percentiles of the group's summed draws.

    ``codes`` gives each site's group (0 to ``groups`` - 1, or -1 for none).
    """
    # Sparse: one 1 per site. A dense sites x groups matrix made this O(sites x groups):
    # 15 s for 5,000 sites in 3,185 owner groups, against 0.3 s now.
    rows = np.flatnonzero(codes >= 0)
    member = csr_matrix((np.ones(len(rows)), (rows, codes[rows])), shape=(len(codes), groups))
    out: dict[str, np.ndarray] = {}
    for measure in measures:
        sums = summed_draws(impacts.draws, measure, member)  # draws x groups
        values = percentiles(sums, list(PERCENTILES.values()))
        for label, row in zip(PERCENTILES, values, strict=True):
            out[f"{measure}_{label}"] = row
    return out


def subset_totals(mask: np.ndarray, decisions: pd.DataFrame, impacts: Impacts) -> pd.Series:
    """Totals of the rows where ``mask`` holds, exactly as :func:`rollup` sums one group.

    Slices the draws first, so a map or report of a few stores does not multiply the
    draws of every store in the run.
    """
    mask = np.asarray(mask, dtype=bool)
    sub = Impacts(
        table=impacts.table.loc[mask],
        draws=select_draws(impacts.draws, mask),
        assumptions=impacts.assumptions,
    )
    keys = np.full(int(mask.sum()), "selected", dtype=object)
    table = rollup(keys, decisions.loc[mask], sub)
    if table.empty:
        return pd.Series(0.0, index=table.columns.drop("key"))
    return table.iloc[0].drop("key")


def owners(
    decisions: pd.DataFrame,
    impacts: Impacts,
    sources: np.ndarray | None = None,
    network: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per owner group: stores by decision, whether they own the hosts, losses and the
    group's profit and loss.

    The source owner's profit and loss (:data:`~dealernet.analysis.impact.PNL`) is summed
    over the group's stores; the host owner's gain and ``stores_taken_in`` over the host
    stores the group owns that take in another owner's store (:func:`host_owners`; an owner
    with no source-brand store has no row here).

    A store whose owner is not known is a row of its own, keyed by the store
    (:func:`dealernet.analysis.owner_groups.owner_keys`), with ``owner_source`` ``unknown``,
    its ``dealer_id``, and no figure that needs the owner (``absorbed_into_same_owner`` and
    ``owns_a_host`` are missing). A group's ``owns_a_host`` is missing too when none of its
    stores went into its own host but one went into a host whose owner is not known.
    ``sources`` is each row's ``owner_source``
    (:func:`~dealernet.analysis.owner_groups.owner_sources`); without it, owners are
    ``file`` or ``unknown``.
    """
    keys = owner_keys(decisions)
    table = rollup(keys, decisions, impacts).rename(columns={"key": OWNER_GROUP})
    owns = (table["absorbed_into_same_owner"] > 0).astype("boolean")
    # none into its own host, but a host's owner is not known: whether it owns one is not known
    blind = (decisions[DECISION] == "absorb") & decisions["same_owner_host"].isna()
    table["owns_a_host"] = owns.mask(~owns & table[OWNER_GROUP].isin(set(keys[blind])))
    hosts = host_owners(decisions, impacts, network).set_index(OWNER_GROUP)
    table["stores_taken_in"] = table[OWNER_GROUP].map(hosts["stores_taken_in"]).fillna(0)
    table["stores_taken_in"] = table["stores_taken_in"].astype(int)
    for column in (f"{m}_{x}" for m in HOST_MEASURES for x in PERCENTILES):
        table[column] = table[OWNER_GROUP].map(hosts[column]).fillna(0.0).to_numpy()
    table = with_key_columns(table, decisions, sources)
    return table.sort_values(["jobs_lost_base", OWNER_GROUP], ascending=[False, True])


def host_keys(decisions: pd.DataFrame, network: pd.DataFrame | None = None) -> np.ndarray:
    """Per store: the owner group of the host it is transferred into, else ``None``.

    The host's owner is the network's ``owner_group`` of ``host_dealer_id`` when ``network``
    is given, else the decisions' ``host_owner_group`` (the rule engine copies it from the
    network). ``None`` for co-locations (the host is the store's own owner's), closures,
    kept stores and hosts whose owner is not known.
    """
    if network is not None and OWNER_GROUP in network:
        sites = pd.DataFrame(network[[DEALER_ID, OWNER_GROUP]]).drop_duplicates(DEALER_ID)
        owner_of = sites.set_index(sites[DEALER_ID].astype(str))[OWNER_GROUP]
        hosts = decisions[HOST_DEALER_ID].astype("string").map(owner_of)
    elif HOST_OWNER in decisions:
        hosts = decisions[HOST_OWNER]
    else:
        hosts = pd.Series(None, index=decisions.index, dtype=object)
    names = group_names(hosts.to_numpy(dtype=object))
    names[franchise_changes(decisions) != TRANSFER] = None
    return names


def host_owners(
    decisions: pd.DataFrame,
    impacts: Impacts,
    network: pd.DataFrame | None = None,
    measures: tuple[str, ...] = HOST_MEASURES,
) -> pd.DataFrame:
    """Per owner group of a host store that takes in a transfer: how many stores it takes
    in (``stores_taken_in``) and ``measures`` (by default the host owner's gain,
    :data:`HOST_MEASURES`), summed over the transfers into the host stores it owns, whether
    or not it holds a source-brand store (:func:`host_keys`).
    """
    keys = pd.Series(host_keys(decisions, network), dtype=object)
    known = keys.notna().to_numpy()
    codes, labels = pd.factorize(keys.where(known), sort=True)
    out: dict[str, Any] = {OWNER_GROUP: np.asarray(labels, dtype=object)}
    out["stores_taken_in"] = np.bincount(codes[known], minlength=len(labels)).astype(int)
    out.update(_summed(np.asarray(codes), len(labels), impacts, measures))
    return pd.DataFrame(out)


#: What ``hosts.csv`` sums per host owner: the yearly gross-profit gain and the jobs the
#: host stores add for the customers who follow.
HOST_TABLE_MEASURES = (*HOST_MEASURES, "jobs_gained_host")


def hosts(decisions: pd.DataFrame, impacts: Impacts, network: pd.DataFrame) -> pd.DataFrame:
    """Every owner group whose host stores take in another owner's store (``hosts.csv``).

    One row per host owner, also those that hold no source-brand store and so have no row
    in the owner table (a Nissan-only group gains the customers who follow), and one row per
    host store whose owner is not known (``owner_group`` empty, ``owner_known`` false): the
    stores it takes in, the host stores that take them (``host_dealer_ids``, ``host_names``),
    whether it also holds a source-brand store (``holds_source_store``, not known when the
    owner is not), and :data:`HOST_TABLE_MEASURES`.
    """
    transfer = franchise_changes(decisions) == TRANSFER
    owner = pd.Series(host_keys(decisions, network), index=decisions.index, dtype=object)
    host_id = decisions[HOST_DEALER_ID].astype("string")
    keys = owner.where(owner.notna(), "\0" + host_id).where(transfer)
    codes, labels = pd.factorize(keys, sort=True)
    names = pd.Series(network[NAME].to_numpy(), index=network[DEALER_ID].astype(str))
    names = names[~names.index.duplicated()]
    taken = pd.DataFrame({"key": keys, "id": host_id}).dropna()
    ids = taken.groupby("key")["id"].agg(lambda s: sorted(set(s)))
    known = ~pd.Series(labels, dtype=object).str.startswith("\0")
    table = pd.DataFrame(
        {
            OWNER_GROUP: pd.Series(labels, dtype=object).where(known, None),
            "owner_known": known.to_numpy(),
            "stores_taken_in": np.bincount(codes[codes >= 0], minlength=len(labels)),
            "host_dealer_ids": ["; ".join(ids[k]) for k in labels],
            "host_names": ["; ".join(str(names.get(i, "")) for i in ids[k]) for k in labels],
        }
    )
    holds = table[OWNER_GROUP].isin(set(decisions[OWNER_GROUP].dropna().astype(str)))
    table.insert(2, "holds_source_store", holds.astype("boolean").where(known))
    for column, values in _summed(codes, len(labels), impacts, HOST_TABLE_MEASURES).items():
        table[column] = values
    order = ["stores_taken_in", "host_gross_profit_gained_base"]
    return table.sort_values(order, ascending=False, kind="stable").reset_index(drop=True)


def states(decisions: pd.DataFrame, impacts: Impacts) -> pd.DataFrame:
    """Per state (two-letter code)."""
    table = rollup(decisions[STATE], decisions, impacts).rename(columns={"key": "region"})
    table.insert(0, "level", "state")
    table.insert(2, "region_name", table["region"].map(lambda code: state_name(code) or ""))
    return table


def counties(decisions: pd.DataFrame, impacts: Impacts) -> pd.DataFrame:
    """Per county (5-digit FIPS), by point-in-polygon with the shipped county layer."""

    geoid, name = county_at(decisions[LATITUDE].to_numpy(), decisions[LONGITUDE].to_numpy())
    table = rollup(geoid, decisions, impacts).rename(columns={"key": "region"})
    names = dict(zip(geoid, name, strict=True))
    table.insert(0, "level", "county")
    table.insert(2, "region_name", table["region"].map(names).fillna(""))
    return table


def regions(decisions: pd.DataFrame, impacts: Impacts) -> pd.DataFrame:
    """States then counties, one table (``regions.csv``)."""
    return pd.concat([states(decisions, impacts), counties(decisions, impacts)], ignore_index=True)


def national(decisions: pd.DataFrame, impacts: Impacts) -> pd.Series:
    """National totals as one row."""
    keys = np.full(len(decisions), "United States", dtype=object)
    table = rollup(keys, decisions, impacts)
    if table.empty:  # no source-brand store at all: zero everywhere, not an IndexError
        return pd.Series(0.0, index=table.columns.drop("key"))
    return table.iloc[0].drop("key")
