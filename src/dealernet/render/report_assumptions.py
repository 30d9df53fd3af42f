"""The assumptions an owner report lists: those that apply to its stores, each once.

A report for Infiniti stores lists Infiniti's own entries (or the generic ``default`` one,
saying it stands in), the general ones, and the market's for every brand in the market;
entries of other brands move no figure on the page and are left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from dealernet.analysis.impact import impact_keys
from dealernet.analysis.market_run import market_keys
from dealernet.analysis.parameter_labels import BRAND_FAMILIES, label, parameter_row

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.analysis.result import Result


def applied_parameters(result: Result) -> list[dict[str, Any]]:
    """The assumptions that apply to this run's stores, each once: the general ones, the
    source brand's own (or the generic ``default`` entry, saying so), and the market's for
    every brand in it. Entries for other brands are left out: they move no figure here.
    Each row has the plain-English ``label`` for the reader and the ``key`` for ``--set``."""
    a, brand = result.assumptions, result.source_brand
    keys = impact_keys(a, brand)
    if result.market is not None:
        for key in market_keys(result.market.brands):
            prefix, _, of = key.partition(".")
            keys.append(a.for_brand(prefix, of).key if prefix == "attractiveness" else key)
    rows = []
    for key in dict.fromkeys(keys):
        p = a[key]
        note = ""
        if key.endswith(".default"):
            users = [brand] if not key.startswith("attractiveness.") else _default_users(result)
            note = f"used for {', '.join(users)}: no own entry"
        rows.append(
            {
                **parameter_row(p),
                "source": named_keys(p.source, [*a.parameters, *BRAND_FAMILIES]),
                "note": note,
            }
        )
    return rows


def named_keys(text: str, keys: Iterable[str]) -> str:
    """``text`` with each assumption key it mentions named in words first.

    A source note that says "with staff.per_100_new_units this gives..." reads "with staff
    per 100 new units (staff.per_100_new_units) this gives...": a reader who does not know
    the keys still knows which assumption is meant. A key in a command (``--set k=1``) is
    left as it is.
    """
    known = sorted(keys, key=len, reverse=True)  # the longest first: a.b.c before a.b
    if not known:
        return text
    pattern = re.compile(r"(?<![\w.=-])(" + "|".join(map(re.escape, known)) + r")(?![\w=]|\.\w)")

    def words(match: re.Match[str]) -> str:
        name = label(match[1])
        if name[:2].istitle():  # "Staff per ..." mid-sentence, but "US new-unit sales"
            name = name[0].lower() + name[1:]
        return f"{name} ({match[1]})"

    return pattern.sub(words, text)


def _default_users(result: Result) -> list[str]:
    """The market's brands without their own ``attractiveness`` entry."""
    brands = result.market.brands if result.market is not None else ()
    own = result.assumptions.parameters
    return [b for b in brands if f"attractiveness.{b}" not in own]


__all__ = ["applied_parameters", "named_keys"]
