"""Checks of a scenario against a network, made before any work starts.

A scenario whose source brand has no site in the dealer files (``source_brand = "Lexus"``,
or a folder holding only ``nissan.csv``) would otherwise crash deep in the roll-ups, and one
whose host brand has none would "close" every store and report tens of thousands of jobs
lost. Both are mistakes in the inputs, so they are refused with the brands the files do hold
and the scenario line that names the missing one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from dealernet._errors import InvalidInputError
from dealernet.schema import BRAND

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.engine.scenario import Scenario


def check_brands(network: pd.DataFrame, scenario: Scenario) -> None:
    """Refuse a network without a site of the scenario's source brand or of any one of its
    host brands (an alliance names several: a brand with no site is as much a mistake in the
    inputs, a dealer file left out, as a single host brand with none).

    Raises
    ------
    InvalidInputError
        Naming the missing brand, the scenario line that asks for it, and the brands the
        dealer files hold with their site counts.
    """
    counts = network[BRAND].dropna().astype(str).value_counts()
    several = len(scenario.host_brands) > 1
    wanted = [("source_brand", scenario.source_brand, "stores to fold")]
    wanted += [("host_brand", b, "sites to fold them into") for b in scenario.host_brands]
    for key, brand, role in wanted:
        if int(counts.get(brand, 0)) > 0:
            continue
        found = ", ".join(f"{b} ({n:,})" for b, n in counts.items()) or "no sites at all"
        what = f"{brand} sites to fold them into" if several else role
        fix = (
            f"or remove {brand} from the scenario's host_brand list"
            if several and key == "host_brand"
            else f"or a scenario whose {key} is one of the brands found"
        )
        msg = (
            f"the dealer files hold no {brand} site, so there are no {what} "
            f"({_scenario_line(scenario, key, brand)}). The files hold: {found}. Give dealer "
            f"files with {brand} sites (--dealers), {fix}."
        )
        raise InvalidInputError(msg)


def _scenario_line(scenario: Scenario, key: str, brand: str) -> str:
    """``consolidation.toml line 24: source_brand = "Lexus"``: where the scenario sets ``key``."""
    source = str(scenario.source).split(" with ", 1)[0]
    path = Path(source)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError:
        return f"scenario {scenario.name!r}: {key} = {brand!r}"
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for number, line in enumerate(lines, start=1):
        if pattern.match(line):
            return f"{path.name} line {number}: {line.strip()}"
    return f"scenario {path.name}: {key} = {brand!r}"
