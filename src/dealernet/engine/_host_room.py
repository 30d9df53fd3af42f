"""Which host sites an absorb rule may use: each host's room, and the hosts it excludes.

An alliance's hosts are of several brands, and a rule may give its ``capacity`` and
``exclude_hosts`` per host brand (:meth:`dealernet.engine.scenario.Rule.capacity_for`), so
both are worked out brand by brand, on plain arrays in the engine's host order.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from dealernet.engine._rule import Rule


def host_room(
    rule: Rule, host_brands: tuple[str, ...], brand: np.ndarray, own: np.ndarray
) -> np.ndarray:
    """Stores each host may take under ``rule`` in all (``inf``: no limit).

    ``brand`` is each host's brand; ``own`` its ``host_capacity`` from the dealer file
    (``nan`` where not given), which wins over the rule's capacity for that site.
    """
    room = np.full(brand.size, math.inf)
    for name in host_brands:
        stores = rule.capacity_for(name)
        if stores is not None:
            room[brand == name] = float(stores)
    has_own = ~np.isnan(own)
    room[has_own] = np.floor(np.maximum(own[has_own], 0))
    return room


def excluded_hosts(
    rule: Rule, host_brands: tuple[str, ...], brand: np.ndarray, hosts: pd.DataFrame
) -> tuple[np.ndarray, list[str]]:
    """Hosts ``rule`` excludes (each brand by its own condition, or the rule's one), and a
    note for each condition that excluded no site (a misspelt value, most likely)."""
    excluded = np.zeros(brand.size, dtype=bool)
    if not rule.excludes_hosts:
        return excluded, []
    for name in host_brands:
        condition = rule.exclusion_for(name)
        mine = brand == name
        if condition is not None and mine.any():
            excluded[mine] = condition.evaluate(hosts.loc[mine])
    notes = []
    if rule.exclude_hosts is not None and not excluded.any():
        notes.append(
            f"rule {rule.id}: exclude_hosts `{rule.exclude_hosts.text}` excluded no host "
            "site; check the field names and values"
        )
    for name, condition in rule.exclude_by_brand:
        if not excluded[brand == name].any():
            notes.append(
                f"rule {rule.id}: exclude_hosts for {name} `{condition.text}` excluded no "
                f"{name} site; check the field names and values"
            )
    return excluded, notes


def exclusion_text(rule: Rule) -> str:
    """The rule's exclusions as a reason quotes them."""
    if rule.exclude_hosts is not None:
        return rule.exclude_hosts.text
    return "; ".join(f"{name}: {c.text}" for name, c in rule.exclude_by_brand)
