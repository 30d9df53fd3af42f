"""Totals per owner group, state, county and the nation.

Counts and baselines are plain sums of the site rows. A group's low / base / high losses are
the percentiles of the group's summed Monte Carlo draws, because every site shares the same
drawn assumptions: the sum of the sites' 10th percentiles would claim a best case in which
every assumption is at its best for every store at once, which no single draw has.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix

from dealernet.analysis.impact import MEASURES, PERCENTILES, Impacts
from dealernet.analysis.owner_groups import owner_keys, with_key_columns
from dealernet.geo.boundaries import county_at
from dealernet.schema import (
    DECISION,
    DECISIONS,
    LATITUDE,
    LONGITUDE,
    OWNER_GROUP,
    STATE,
    state_name,
)

if TYPE_CHECKING:  # pragma: no cover
    pass

BASELINES = ("baseline_revenue_total", "baseline_employees_total")


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
    # Sparse: one 1 per site. A dense sites x groups matrix made this O(sites x groups):
    # 15 s for 5,000 sites in 3,185 owner groups, against 0.3 s now.
    member = csr_matrix((np.ones(len(keys)), (np.arange(len(keys)), codes)), shape=(len(keys), n))
    for measure in MEASURES:
        sums = np.asarray(impacts.draws[measure] @ member)  # draws x groups
        values = np.percentile(sums, list(PERCENTILES.values()), axis=0)
        for label, row in zip(PERCENTILES, values, strict=True):
            out[f"{measure}_{label}"] = row
    return pd.DataFrame(out)


def subset_totals(mask: np.ndarray, decisions: pd.DataFrame, impacts: Impacts) -> pd.Series:
    """Totals of the rows where ``mask`` holds, exactly as :func:`rollup` sums one group.

    Slices the draws first, so a map or report of a few stores does not multiply the
    draws of every store in the run.
    """
    mask = np.asarray(mask, dtype=bool)
    sub = Impacts(
        table=impacts.table.loc[mask],
        draws={k: v[:, mask] for k, v in impacts.draws.items()},
        assumptions=impacts.assumptions,
    )
    keys = np.full(int(mask.sum()), "selected", dtype=object)
    table = rollup(keys, decisions.loc[mask], sub)
    if table.empty:
        return pd.Series(0.0, index=table.columns.drop("key"))
    return table.iloc[0].drop("key")


def owners(
    decisions: pd.DataFrame, impacts: Impacts, sources: np.ndarray | None = None
) -> pd.DataFrame:
    """Per owner group: stores by decision, whether they own the hosts, and losses.

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
    table = with_key_columns(table, decisions, sources)
    return table.sort_values(["jobs_lost_base", OWNER_GROUP], ascending=[False, True])


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
