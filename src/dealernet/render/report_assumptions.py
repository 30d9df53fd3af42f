"""The assumptions an owner report lists: those that apply to its stores, each once.

A report for Infiniti stores lists Infiniti's own entries (or the generic ``default`` one,
saying it stands in), the general ones, and the market's for every brand in the market;
entries of other brands move no figure on the page and are left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dealernet.analysis.impact import impact_keys
from dealernet.analysis.market_run import market_keys

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.analysis.result import Result


def applied_parameters(result: Result) -> list[dict[str, Any]]:
    """The assumptions that apply to this run's stores, each once: the general ones, the
    source brand's own (or the generic ``default`` entry, saying so), and the market's for
    every brand in it. Entries for other brands are left out: they move no figure here."""
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
                "key": p.key,
                "base": p.base,
                "low": p.low,
                "high": p.high,
                "unit": p.unit,
                "source": p.source,
                "note": note,
            }
        )
    return rows


def _default_users(result: Result) -> list[str]:
    """The market's brands without their own ``attractiveness`` entry."""
    brands = result.market.brands if result.market is not None else ()
    own = result.assumptions.parameters
    return [b for b in brands if f"attractiveness.{b}" not in own]


__all__ = ["applied_parameters"]
