"""Who a store answers to in roll-ups and reports: its owner group, or itself alone.

A store whose dealer file names no owner (``owner_group`` missing or blank) has an owner
nobody knows. Summing such stores into one made-up group would invent owner-level figures
("$4.6 B at risk to the group" for 197 stores of 197 different owners), so each stands
alone instead: its own row of ``owners.csv`` and of ``query --group-by owner``, its own
report, keyed by :func:`unknown_owner_key` (``"Bert Ogden Infiniti, dealer 1234 (owner not
known)"``), with ``owner_source = "unknown"``. The key holds the dealer id, so two stores of
the same name never share a row, and a store's key never depends on the rest of the run.

Owners are told apart as the files spell them (the roll-ups' key is the text as written);
``owner_source`` says where a known owner came from: the file, or dealernet's inference
(:data:`dealernet.schema.OWNER_INFERRED`), which pages label "(inferred)".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dealernet.schema import (
    BRAND,
    DEALER_ID,
    NAME,
    OWNER_FROM_FILE,
    OWNER_GROUP,
    OWNER_INFERRED,
    OWNER_SOURCE,
    OWNER_UNKNOWN,
    Brands,
    as_brands,
)

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Iterable

#: What pages and tables say in place of an owner nobody knows.
NOT_KNOWN = "owner not known"


def is_known(value: object) -> bool:
    """Whether an ``owner_group`` value names an owner (a string that is not blank)."""
    return isinstance(value, str) and bool(value.strip())


def known_mask(values: Iterable[object]) -> np.ndarray:
    """:func:`is_known` of each value, as a boolean array."""
    return np.array([is_known(v) for v in values], dtype=bool)


def unknown_owner_key(name: object, dealer_id: object) -> str:
    """The roll-up key of a store whose owner is not known: named after the store."""
    store = str(name).strip() if isinstance(name, str) and name.strip() else "Store"
    return f"{store}, dealer {dealer_id} ({NOT_KNOWN})"


def owner_keys(table: pd.DataFrame) -> pd.Series:
    """Each store's roll-up key: its owner group as written, or its own key when unknown.

    ``table`` holds source-brand stores (``owner_group``, ``name``, ``dealer_id``), e.g. the
    decisions table; the result is aligned with its index.
    """
    owners = _column(table, OWNER_GROUP)
    names, ids = _column(table, NAME), _column(table, DEALER_ID)
    keys = [
        str(o) if is_known(o) else unknown_owner_key(n, i)
        for o, n, i in zip(owners, names, ids, strict=True)
    ]
    return pd.Series(keys, index=table.index, dtype=object)


def group_names(values: Iterable[object]) -> np.ndarray:
    """Owner groups as written, ``None`` where unknown: for hosts, which are never keyed alone."""
    return np.array([str(v) if is_known(v) else None for v in values], dtype=object)


def owner_sources(table: pd.DataFrame, network: pd.DataFrame, brand: Brands) -> np.ndarray:
    """``owner_source`` of each row of ``table`` (sites of ``brand``, by dealer id; several
    brands for an alliance's hosts).

    ``unknown`` wherever ``owner_group`` is missing or blank, whatever the network says;
    else ``inferred`` where the network's ``owner_source`` says so; else ``file``.
    """
    known = known_mask(_column(table, OWNER_GROUP))
    inferred = np.zeros(len(table), dtype=bool)
    if OWNER_SOURCE in network.columns and len(table):
        wanted = {b.casefold() for b in as_brands(brand)}
        same_brand = network[BRAND].astype(str).str.casefold().isin(wanted)
        sites = pd.DataFrame(network.loc[same_brand.to_numpy(), [DEALER_ID, OWNER_SOURCE]])
        source = sites.drop_duplicates(DEALER_ID).set_index(DEALER_ID)[OWNER_SOURCE]
        ids = pd.Series(_column(table, DEALER_ID), dtype=object)
        inferred = (ids.map(source) == OWNER_INFERRED).to_numpy(dtype=bool)
    out = np.where(inferred, OWNER_INFERRED, OWNER_FROM_FILE).astype(object)
    out[~known] = OWNER_UNKNOWN
    return out


def _key_columns(
    table: pd.DataFrame, keys: pd.Series, sources: np.ndarray | None = None
) -> pd.DataFrame:
    """Per roll-up key: its ``owner_source`` and, for a store alone, its ``dealer_id``.

    A group is ``inferred`` if any of its stores' owner was inferred, so the weakest
    evidence shows. ``sources`` defaults to ``file`` / ``unknown`` from ``owner_group``.
    """
    known = known_mask(_column(table, OWNER_GROUP))
    if sources is None:
        sources = np.where(known, OWNER_FROM_FILE, OWNER_UNKNOWN).astype(object)
    frame = pd.DataFrame(
        {
            "key": keys.to_numpy(dtype=object),
            OWNER_SOURCE: np.asarray(sources, dtype=object),
            DEALER_ID: [
                None if k else d for k, d in zip(known, _column(table, DEALER_ID), strict=True)
            ],
        }
    )
    rank = {OWNER_FROM_FILE: 0, OWNER_INFERRED: 1, OWNER_UNKNOWN: 2}
    frame["_rank"] = frame[OWNER_SOURCE].map(rank).fillna(0)
    frame = frame.sort_values("_rank", ascending=False, kind="stable")
    return frame.drop_duplicates("key").drop(columns="_rank").set_index("key")


def with_key_columns(
    groups: pd.DataFrame, table: pd.DataFrame, sources: np.ndarray | None = None
) -> pd.DataFrame:
    """Owner roll-ups with ``owner_source`` and ``dealer_id`` after the ``owner_group`` key.

    ``groups`` holds one row per :func:`owner_keys` key of ``table`` (in its
    ``owner_group`` column), as :func:`dealernet.analysis.rollups.rollup` sums them. For a
    store alone, the figures that need its owner (``absorbed_into_same_owner``,
    ``owns_a_host``) are missing, not 0 or false.
    """
    out = groups.copy()
    about = _key_columns(table, owner_keys(table), sources)
    out.insert(1, OWNER_SOURCE, out[OWNER_GROUP].map(about[OWNER_SOURCE]).to_numpy())
    out.insert(2, DEALER_ID, out[OWNER_GROUP].map(about[DEALER_ID]).to_numpy())
    alone = (out[OWNER_SOURCE] == OWNER_UNKNOWN).to_numpy()
    for column in ("absorbed_into_same_owner", "owns_a_host"):
        if column in out.columns:
            dtype = "boolean" if column == "owns_a_host" else "Int64"
            out[column] = out[column].astype(dtype).mask(alone)
    return out


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name in frame.columns:
        return frame[name].to_numpy(dtype=object)
    return np.full(len(frame), None, dtype=object)
