"""One rule of a scenario: its vocabulary, the fields its conditions read, the
:class:`Rule` object, and how a ``[[rules]]`` table is checked.

:mod:`dealernet.engine.scenario` reads whole scenario files and re-exports all of this;
import from there. A rule's ``capacity`` and ``exclude_hosts`` apply to every host brand,
or, for an alliance, per host brand (``capacity = {Nissan = 2, Honda = 1}``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from dealernet import settings
from dealernet._errors import ConditionError
from dealernet._toml import Checker, describe, did_you_mean
from dealernet._toml import shown as _shown
from dealernet.engine.colocation import (
    DISTANCE_TO_NEAREST_HOST,
    NEAREST_HOST_ID,
    NEAREST_HOST_SAME_OWNER,
)
from dealernet.engine.conditions import BOOL, NUMBER, TEXT, Condition, parse_condition
from dealernet.schema import (
    BRAND,
    BRANDS,
    EXACT,
    LATITUDE,
    LOCATION_QUALITY,
    LONGITUDE,
    NUMERIC_COLUMNS,
    SOURCE_FILE,
    SOURCE_ROW,
    STATE,
    STATES_50_DC,
    TERRITORIES,
    TEXT_COLUMNS,
    ZIP_CENTROID,
    normalise_brand,
)

# --- vocabulary ---------------------------------------------------------------------------

KEEP, ABSORB, CLOSE = "keep", "absorb", "close"
ACTIONS: tuple[str, ...] = (KEEP, ABSORB, CLOSE)
REQUIRE, PREFER, IGNORE = "require", "prefer", "ignore"
SAME_OWNER_MODES: tuple[str, ...] = (REQUIRE, PREFER, IGNORE)
NEAREST, OPTIMAL = "nearest", "optimal"
ASSIGNMENTS: tuple[str, ...] = (NEAREST, OPTIMAL)

#: Fields derived for each stand-alone source site, on top of its own columns.
ROAD_MILES_TO_NEAREST_HOST = "road_miles_to_nearest_host"
OWNER_STORE_COUNT = "owner_store_count"
OWNER_HOST_COUNT = "owner_host_count"
DISTANCE_TO_NEAREST_SAME_OWNER_HOST = "distance_to_nearest_same_owner_host"
#: Field derived for each host site.
HAS_SOURCE_SHOWROOM = "has_source_showroom"

_SCHEMA_KINDS: dict[str, str] = {
    **dict.fromkeys(TEXT_COLUMNS, TEXT),
    LATITUDE: NUMBER,
    LONGITUDE: NUMBER,
    **dict.fromkeys(NUMERIC_COLUMNS, NUMBER),
    LOCATION_QUALITY: TEXT,
    SOURCE_FILE: TEXT,
    SOURCE_ROW: NUMBER,
}

#: Derived site fields a ``when`` condition may use, with what each means.
DERIVED_SITE_FIELDS: dict[str, tuple[str, str]] = {
    DISTANCE_TO_NEAREST_HOST: (NUMBER, "geodesic miles to the nearest host-brand site"),
    ROAD_MILES_TO_NEAREST_HOST: (NUMBER, "that distance times the circuity factor"),
    NEAREST_HOST_ID: (TEXT, "dealer_id of the nearest host-brand site"),
    NEAREST_HOST_SAME_OWNER: (BOOL, "the nearest host-brand site has the same owner group"),
    OWNER_STORE_COUNT: (NUMBER, "source-brand stores the owner group holds"),
    OWNER_HOST_COUNT: (NUMBER, "host-brand stores the owner group holds"),
    DISTANCE_TO_NEAREST_SAME_OWNER_HOST: (
        NUMBER,
        "geodesic miles to the owner group's nearest host-brand site (inf if it has none)",
    ),
}
#: Derived host fields an ``exclude_hosts`` condition may use.
DERIVED_HOST_FIELDS: dict[str, tuple[str, str]] = {
    HAS_SOURCE_SHOWROOM: (BOOL, "already shares its rooftop with a source-brand showroom"),
    OWNER_STORE_COUNT: (NUMBER, "host-brand stores its owner group holds"),
}
#: Every field a ``when`` condition may use, with its kind.
SITE_FIELDS: dict[str, str] = _SCHEMA_KINDS | {k: v[0] for k, v in DERIVED_SITE_FIELDS.items()}
#: Every field an ``exclude_hosts`` condition may use, with its kind.
HOST_FIELDS: dict[str, str] = _SCHEMA_KINDS | {k: v[0] for k, v in DERIVED_HOST_FIELDS.items()}
#: Text fields with a closed set of values, checked in conditions.
FIELD_CHOICES: dict[str, frozenset[str]] = {
    STATE: STATES_50_DC | TERRITORIES,
    BRAND: frozenset(BRANDS),
    LOCATION_QUALITY: frozenset({EXACT, ZIP_CENTROID}),
}

ABSORB_KEYS = ("max_distance_miles", "same_owner", "capacity", "exclude_hosts", "assignment")
_RULE_KEYS = ("id", "action", "when", "reason", *ABSORB_KEYS)
#: Absorb keys a rule may give per host brand, as a table (``capacity = {Honda = 1}``).
BY_BRAND_KEYS = ("capacity", "exclude_hosts")
#: A rule id, matched whole (``fullmatch``: ``$`` alone would pass ``"keep\n"``), of at most
#: 64 characters: it names the rule in every report row, map popup and ``--set`` key.
_RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


# --- the rule -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One step of a scenario: for the stores its condition picks, keep, absorb or close.

    ``max_distance_miles``, ``same_owner``, ``capacity``, ``exclude_hosts`` and
    ``assignment`` only apply to ``absorb``. ``None`` means no limit.

    ``capacity`` and ``exclude_hosts`` apply to every host brand; an alliance scenario may
    give them per host brand instead (``capacity = {Nissan = 2, Honda = 1}``), kept in
    ``capacity_by_brand`` and ``exclude_by_brand`` (a brand left out of the table has no
    limit, or no exclusion). Read them through :meth:`capacity_for` and
    :meth:`exclusion_for`, which answer for either form.
    """

    id: str
    action: str
    when: Condition | None = None
    reason: str | None = None
    max_distance_miles: float | None = None
    same_owner: str = IGNORE
    capacity: int | None = None
    exclude_hosts: Condition | None = None
    assignment: str = NEAREST
    capacity_by_brand: tuple[tuple[str, int], ...] = ()
    exclude_by_brand: tuple[tuple[str, Condition], ...] = ()

    def capacity_for(self, brand: str) -> int | None:
        """Stores one host of ``brand`` may take under this rule (``None``: no limit)."""
        return dict(self.capacity_by_brand).get(brand, self.capacity)

    def exclusion_for(self, brand: str) -> Condition | None:
        """The condition that excludes hosts of ``brand`` under this rule, if any."""
        return dict(self.exclude_by_brand).get(brand, self.exclude_hosts)

    @property
    def excludes_hosts(self) -> bool:
        """Whether the rule excludes any host, of any brand."""
        return self.exclude_hosts is not None or bool(self.exclude_by_brand)

    def summary(self) -> str:
        """A one-line description, e.g. ``absorb within 30 miles, 1 per host, optimal``."""
        parts = [self.action]
        if self.action == ABSORB:
            limit = self.max_distance_miles
            parts.append("at any distance" if limit is None else f"within {limit:g} miles")
            if self.same_owner != IGNORE:
                mode = "required" if self.same_owner == REQUIRE else "preferred"
                parts.append(f"same owner group {mode}")
            if self.capacity is not None:
                parts.append(f"{self.capacity} per host")
            if self.capacity_by_brand:
                each = ", ".join(f"{b} {n}" for b, n in self.capacity_by_brand)
                parts.append(f"per host: {each}")
            if self.exclude_hosts is not None:
                parts.append(f"hosts excluded when {self.exclude_hosts.text}")
            for brand, condition in self.exclude_by_brand:
                parts.append(f"{brand} hosts excluded when {condition.text}")
            parts.append(f"{self.assignment} assignment")
        if self.when is not None:
            parts.append(f"when {self.when.text}")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, object]:
        """The rule as a TOML table (unset keys left out)."""
        out: dict[str, object] = {"id": self.id, "action": self.action}
        if self.when is not None:
            out["when"] = self.when.text
        if self.reason is not None:
            out["reason"] = self.reason
        if self.action == ABSORB:
            if self.max_distance_miles is not None:
                out["max_distance_miles"] = self.max_distance_miles
            out["same_owner"] = self.same_owner
            if self.capacity is not None:
                out["capacity"] = self.capacity
            elif self.capacity_by_brand:
                out["capacity"] = dict(self.capacity_by_brand)
            if self.exclude_hosts is not None:
                out["exclude_hosts"] = self.exclude_hosts.text
            elif self.exclude_by_brand:
                out["exclude_hosts"] = {b: c.text for b, c in self.exclude_by_brand}
            out["assignment"] = self.assignment
        return out


# --- validation ---------------------------------------------------------------------------


def _condition(
    check: Checker, table: dict, key: str, where: str, fields: dict[str, str]
) -> Condition | None:
    if key not in table:
        return None
    return _condition_value(check, table[key], f"{where}, key {key!r}", fields)


def _condition_value(
    check: Checker, value: object, at: str, fields: dict[str, str]
) -> Condition | None:
    """``value`` parsed as a condition over ``fields``; problems reported ``at``."""
    if not isinstance(value, str):
        check.add(at, f"must be a condition in quotes, not {describe(value)}")
        return None
    try:
        return parse_condition(value, fields, where=f"{check.source}, {at}", choices=FIELD_CHOICES)
    except ConditionError as exc:
        check.problems.append(str(exc))
        return None


def parse_rules(check: Checker, value: object, host_brands: tuple[str, ...] | None) -> list[Rule]:
    """The ``[[rules]]`` of a scenario, every problem recorded in ``check``.

    ``host_brands`` are the scenario's (``None`` when they could not be read): the keys a
    per-brand ``capacity`` or ``exclude_hosts`` table may use.
    """
    if value is None:
        check.add("", "missing [[rules]]; a scenario needs at least one rule")
        return []
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        check.add("rules", "must be a list of [[rules]] tables")
        return []
    if not value:
        check.add("rules", "is empty; a scenario needs at least one rule")
    most = settings.SCENARIO_MAX_RULES
    if len(value) > most:  # each rule is a pass over every store: 10,000 take a minute
        check.add(
            "rules",
            f"has {len(value):,} rules; the limit is {most:,}. Fix: merge rules that do "
            'the same with one condition (when = "... or ...")',
        )
        return []
    rules: list[Rule] = []
    seen: set[str] = set()
    final: str | None = None
    for number, table in enumerate(value, start=1):
        rule_id = table.get("id")
        named = isinstance(rule_id, str) and _RULE_ID.fullmatch(rule_id)
        label = f"rule {rule_id!r}" if named else f"rule #{number}"
        if isinstance(rule_id, str) and rule_id in seen:
            check.add(
                f"rule #{number}", f"duplicate rule id {_shown(rule_id)}; each rule needs its own"
            )
        seen.add(str(rule_id))
        rule = _parse_rule(check, table, label, host_brands)
        if rule is None:
            continue
        if final is not None:
            check.add(label, f"can never apply: rule {final!r} above it decides every store left")
        elif rule.action != ABSORB and rule.when is None:
            final = rule.id
        rules.append(rule)
    return rules


def _parse_rule(
    check: Checker, table: dict, label: str, host_brands: tuple[str, ...] | None
) -> Rule | None:
    before = len(check.problems)
    check.table(table, label, _RULE_KEYS)
    rule_id = check.text(table, "id", label, required=True)
    if rule_id is not None and not _RULE_ID.fullmatch(rule_id):
        check.add(
            f"{label}, key 'id'",
            "may use only letters, digits, - and _, at most 64 of them, starting with a letter "
            "or digit (it names the rule in reports and in overrides such as "
            f"rules.<id>.max_distance_miles), not {_shown(rule_id)}",
        )
    action = table.get("action")
    if "action" not in table:
        check.add(label, f"missing key 'action' (one of {', '.join(ACTIONS)})")
    elif action not in ACTIONS:
        guess = did_you_mean(str(action), ACTIONS) if isinstance(action, str) else ""
        check.add(
            f"{label}, key 'action'",
            f"{describe(action)} is not one of {', '.join(ACTIONS)}{guess}",
        )
    when = _condition(check, table, "when", label, SITE_FIELDS)
    reason = check.text(table, "reason", label)
    if action in (KEEP, CLOSE):
        for key in ABSORB_KEYS:
            if key in table:
                check.add(
                    f"{label}, key {key!r}", f'only applies to action = "absorb", not {action!r}'
                )
    limit = check.number(
        table,
        "max_distance_miles",
        label,
        maximum=settings.SCENARIO_MAX_DISTANCE_MILES,
        allow_inf=True,
        why="miles, farther than any two stores are apart; for no limit write inf",
    )
    capacity, capacity_by_brand = _capacities(check, table, label, host_brands)
    if isinstance(table.get("same_owner"), bool):
        check.add(
            f"{label}, key 'same_owner'",
            'must be "require", "prefer" or "ignore", not true/false',
        )
        same_owner = IGNORE
    else:
        same_owner = check.choice(table, "same_owner", label, SAME_OWNER_MODES, IGNORE)
    exclude, exclude_by_brand = _exclusions(check, table, label, host_brands)
    assignment = check.choice(table, "assignment", label, ASSIGNMENTS, NEAREST)
    if len(check.problems) > before:
        return None
    return Rule(
        id=str(rule_id),
        action=str(action),
        when=when,
        reason=reason,
        max_distance_miles=None if limit is None or math.isinf(limit) else limit,
        same_owner=same_owner,
        capacity=capacity,
        exclude_hosts=exclude,
        assignment=assignment,
        capacity_by_brand=tuple(capacity_by_brand.items()),
        exclude_by_brand=tuple(exclude_by_brand.items()),
    )


def _capacities(
    check: Checker, table: dict, label: str, host_brands: tuple[str, ...] | None
) -> tuple[int | None, dict[str, int]]:
    """``capacity``: one number for every host brand, or a table of them per host brand."""
    if "capacity" not in table:
        return None, {}
    if not isinstance(table["capacity"], dict):
        return _capacity(check, table["capacity"], f"{label}, key 'capacity'"), {}
    out: dict[str, int] = {}
    for brand, value in _brand_table(check, table, "capacity", label, host_brands).items():
        stores = _capacity(check, value, f"{label}, key 'capacity', brand {brand!r}")
        if stores is not None:
            out[brand] = stores
    return None, out


def _exclusions(
    check: Checker, table: dict, label: str, host_brands: tuple[str, ...] | None
) -> tuple[Condition | None, dict[str, Condition]]:
    """``exclude_hosts``: one condition for every host brand, or a table of them per brand."""
    if not isinstance(table.get("exclude_hosts"), dict):
        return _condition(check, table, "exclude_hosts", label, HOST_FIELDS), {}
    out: dict[str, Condition] = {}
    for brand, value in _brand_table(check, table, "exclude_hosts", label, host_brands).items():
        where = f"{label}, key 'exclude_hosts', brand {brand!r}"
        found = _condition_value(check, value, where, HOST_FIELDS)
        if found is not None:
            out[brand] = found
    return None, out


def _capacity(check: Checker, value: object, at: str) -> int | None:
    """A host's room in stores: a whole number, at most the scenario limit."""
    stores = check.as_number(
        value,
        at,
        maximum=settings.SCENARIO_MAX_CAPACITY,
        why="stores per host; leave capacity out for no limit",
    )
    if stores is not None and not stores.is_integer():
        check.add(at, f"must be a whole number of stores, not {stores:g}")
        return None
    return None if stores is None else int(stores)


def _brand_table(
    check: Checker, table: dict, key: str, label: str, host_brands: tuple[str, ...] | None
) -> dict[str, object]:
    """A per-host-brand table (``capacity = {Nissan = 2, Honda = 1}``) keyed by canonical brand.

    Every key must be one of the scenario's host brands (unchecked when those could not be
    read: that problem is already reported); each brand once, however it is spelt.
    """
    at = f"{label}, key {key!r}"
    value = table[key]
    if not value:
        check.add(at, "is an empty table; give a value per host brand, or leave the key out")
        return {}
    hosts = host_brands or ()
    out: dict[str, object] = {}
    for name, item in value.items():
        brand = normalise_brand(name)
        if host_brands is not None and brand not in hosts:
            guess = did_you_mean(str(name).title(), list(hosts))
            left_out = "no limit" if key == "capacity" else "no exclusion"
            check.add(
                at,
                f"{_shown(str(name))} is not a host brand of this scenario{guess}: host_brand "
                f"names {', '.join(hosts)}. Fix: key the table by those brands (a brand left "
                f"out has {left_out}), or add the brand to host_brand",
            )
            continue
        if brand in out:
            check.add(at, f"gives {brand!r} twice ({_shown(str(name))}); give each brand once")
            continue
        out[str(brand or name)] = item
    return out
