"""Plain-English names for assumption keys, for readers who are dealer owners.

Pages name an assumption by its label ("Revenue per new unit sold (Infiniti)") and keep
the key (``revenue_per_new_unit.Infiniti``) beside it, small, because the key is what
``--set`` and an assumptions file take. This module is the one home of those labels.
Labels are kept short enough for a tornado chart's label column (about 200 px at the
charts' 11.5 px type), which is why the market's are not marked "(market model)".
"""

from __future__ import annotations

from dealernet.analysis.assumptions import DEFAULT_BRAND, Parameter

#: Families keyed by brand (``<family>.<brand>``): the label takes the brand in brackets.
BRAND_FAMILIES: dict[str, str] = {
    "revenue_per_new_unit": "Revenue per new unit",
    "new_units_per_store": "New units per store",
    "return_on_sales": "Return on sales",
    "blue_sky_multiple": "Blue-sky multiple",
    "attractiveness": "Pull of one store",
    "national_units": "US new-unit sales",
}
#: What the generic ``<family>.default`` entry stands for.
ANY_OTHER_BRAND = "any other brand"
#: Every other parameter the model knows, by its full key.
LABELS: dict[str, str] = {
    "revenue_share.new": "Revenue share: new vehicles",
    "revenue_share.used": "Revenue share: used vehicles",
    "revenue_share.service": "Revenue share: service and parts",
    "revenue_share.fi": "Revenue share: F&I",
    "staff.fixed": "Minimum staff per store",
    "staff.per_100_new_units": "Staff per 100 new units",
    "staff_share.sales": "Staff share: sales",
    "staff_share.service": "Staff share: service and parts",
    "staff_share.office": "Staff share: office and F&I",
    "earnings.annual": "Yearly earnings per employee",
    "gross_margin.new": "Gross margin: new vehicles",
    "gross_margin.used": "Gross margin: used vehicles",
    "gross_margin.service": "Gross margin: service and parts",
    "gross_margin.fi": "Gross margin: F&I",
    "occupancy.saved_per_store": "Showroom costs saved per store",
    "retention.staffing": "Staff who move with the work",
    "back_office.kept_share": "Office and F&I roles kept",
    "spin_off.jobs_per_job": "Spin-off jobs per dealership job",
    "market.decay_sales": "Sales customers' distance decay",
    "market.decay_service": "Service customers' distance decay",
    "market.cutoff_miles": "Farthest store customers consider",
    "market.dualled_attractiveness": "Pull of a dualled store",
    "market.service_outside_miles": "Service reach against other garages",
}


def label(key: str) -> str:
    """The plain-English label of an assumption key.

    A brand-keyed family takes the brand in brackets, and its ``default`` entry
    "(any other brand)". A key this module does not know (a user's own file) gets a
    readable form of itself rather than an error, so a page never fails on a label.
    """
    if key in LABELS:
        return LABELS[key]
    family, dot, brand = key.partition(".")
    if family in BRAND_FAMILIES and not dot:
        return BRAND_FAMILIES[family]
    if family in BRAND_FAMILIES and brand:
        shown = ANY_OTHER_BRAND if brand == DEFAULT_BRAND else brand
        return f"{BRAND_FAMILIES[family]} ({shown})"
    return readable(key)


def readable(key: str) -> str:
    """A key as words: underscores to spaces, dots to " / ", the first letter capital."""
    text = " / ".join(part.replace("_", " ").strip() for part in key.split("."))
    return text[:1].upper() + text[1:]


#: Scenario settings a ``--set`` or a sweep may change, by the key's last word(s); a rule's
#: key is ``rules.<rule id>.<key>`` (``*``: every rule that takes it).
SCENARIO_LABELS: dict[str, str] = {
    "scenario.colocation_radius_miles": "Co-location radius (miles)",
    "distance.circuity_factor": "Road miles per straight-line mile",
    "distance.metric": "How distance is measured",
    "max_distance_miles": "Farthest move to a host (miles)",
    "same_owner": "Same owner's host first",
    "capacity": "Stores a host can take",
    "exclude_hosts": "Hosts left out",
    "assignment": "How hosts are chosen",
    "when": "Condition",
    "action": "Action",
}
#: An assumption's ends as ``--set`` names them (``market.decay_sales.base``).
_LEVELS = {"low": "low end", "base": "base value", "high": "high end"}


def setting_label(key: str) -> str:
    """The plain-English name of a ``--set`` key, for a sweep page's title and axes.

    ``rules.nearest.max_distance_miles`` reads "Farthest move to a host (miles), rule
    nearest"; ``market.decay_sales.base`` reads "Sales customers' distance decay, base
    value". A key not known here reads as :func:`readable` makes it, never an error.
    """
    parts = key.split(".")
    if key in SCENARIO_LABELS:
        return SCENARIO_LABELS[key]
    if parts[0] == "rules" and len(parts) >= 3:
        what = SCENARIO_LABELS.get(parts[2], readable(parts[2]))
        brand = f" for {parts[3]} hosts" if len(parts) == 4 else ""
        rule = "every rule" if parts[1] == "*" else f"rule {parts[1]}"
        return f"{what}{brand}, {rule}"
    if len(parts) >= 2 and parts[-1] in _LEVELS:
        return f"{label('.'.join(parts[:-1]))}, {_LEVELS[parts[-1]]}"
    return label(key)


__all__ = [
    "ANY_OTHER_BRAND",
    "BRAND_FAMILIES",
    "LABELS",
    "SCENARIO_LABELS",
    "label",
    "readable",
    "setting_label",
]


def parameter_row(parameter: Parameter) -> dict[str, object]:
    """One assumption as a table row (workbook sheet, report appendix): key, its label in
    plain words, base / low / high, unit and source."""
    p = parameter
    return {
        "key": p.key,
        "label": label(p.key),
        "base": p.base,
        "low": p.low,
        "high": p.high,
        "unit": p.unit,
        "source": p.source,
    }
