"""Scenario files: which brand folds into which, and the ordered rules that decide each store.

A scenario is TOML (see the bundled ``_data/scenarios/default.toml``)::

    [scenario]
    name = "Infiniti into Nissan, 2025 plan"
    source_brand = "Infiniti"
    host_brand = "Nissan"
    colocation_radius_miles = 0.25

    [distance]
    metric = "geodesic"            # or "road": geodesic x circuity_factor
    circuity_factor = 1.25

    [[rules]]
    id = "nearest"
    action = "absorb"              # keep | absorb | close
    when = "state != \\"AK\\""       # optional condition over site fields
    max_distance_miles = 30
    capacity = 1

Everything is checked when the file is read, and every problem is reported at once, each
with the file, the rule and the key, so a planner fixes a file in one pass.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dealernet import settings
from dealernet._errors import ConditionError, ScenarioError
from dealernet._overrides import format_items
from dealernet._toml import Checker, describe, did_you_mean, problem_list, read_toml
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
from dealernet.settings import bundled_scenarios, scenario_path

__all__ = [
    "HOST_FIELDS",
    "SITE_FIELDS",
    "DistanceSettings",
    "Rule",
    "Scenario",
    "load_scenario",
    "parse_scenario",
]

# --- vocabulary ---------------------------------------------------------------------------

KEEP, ABSORB, CLOSE = "keep", "absorb", "close"
ACTIONS: tuple[str, ...] = (KEEP, ABSORB, CLOSE)
GEODESIC, ROAD = "geodesic", "road"
METRICS: tuple[str, ...] = (GEODESIC, ROAD)
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

_TOP_KEYS = ("scenario", "distance", "rules")
_SCENARIO_KEYS = ("name", "description", "source_brand", "host_brand", "colocation_radius_miles")
_DISTANCE_KEYS = ("metric", "circuity_factor")
_ABSORB_KEYS = ("max_distance_miles", "same_owner", "capacity", "exclude_hosts", "assignment")
_RULE_KEYS = ("id", "action", "when", "reason", *_ABSORB_KEYS)
#: A rule id, matched whole (``fullmatch``: ``$`` alone would pass ``"keep\n"``), of at most
#: 64 characters: it names the rule in every report row, map popup and ``--set`` key.
_RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


# --- the objects --------------------------------------------------------------------------


@dataclass(frozen=True)
class DistanceSettings:
    """How distances are measured against rule limits.

    Attributes
    ----------
    metric
        ``"geodesic"`` compares ``max_distance_miles`` with WGS84 geodesic miles;
        ``"road"`` with the road estimate, geodesic miles times ``circuity_factor``.
    circuity_factor
        Road miles per geodesic mile (see :data:`dealernet.settings.CIRCUITY_FACTOR`).
    """

    metric: str = GEODESIC
    circuity_factor: float = settings.CIRCUITY_FACTOR


@dataclass(frozen=True)
class Rule:
    """One step of a scenario: for the stores its condition picks, keep, absorb or close.

    ``max_distance_miles``, ``same_owner``, ``capacity``, ``exclude_hosts`` and
    ``assignment`` only apply to ``absorb``. ``None`` means no limit.
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
            if self.exclude_hosts is not None:
                parts.append(f"hosts excluded when {self.exclude_hosts.text}")
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
            if self.exclude_hosts is not None:
                out["exclude_hosts"] = self.exclude_hosts.text
            out["assignment"] = self.assignment
        return out


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: brands, distance settings and ordered rules.

    Build one with :func:`load_scenario` or :func:`parse_scenario`; it is immutable, and
    :meth:`with_overrides` returns a changed, re-validated copy.
    """

    name: str
    description: str
    source_brand: str
    host_brand: str
    colocation_radius_miles: float
    distance: DistanceSettings
    rules: tuple[Rule, ...]
    source: str = field(default="<scenario>", compare=False)

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        msg = f"{self.source}: no rule {rule_id!r}; rules are {', '.join(self.rule_ids)}"
        raise ScenarioError(msg)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Rule ids in order."""
        return tuple(r.id for r in self.rules)

    def to_dict(self) -> dict[str, object]:
        """The scenario as the TOML structure it was read from (defaults filled in)."""
        return {
            "scenario": {
                "name": self.name,
                "description": self.description,
                "source_brand": self.source_brand,
                "host_brand": self.host_brand,
                "colocation_radius_miles": self.colocation_radius_miles,
            },
            "distance": {
                "metric": self.distance.metric,
                "circuity_factor": self.distance.circuity_factor,
            },
            "rules": [r.to_dict() for r in self.rules],
        }

    def with_overrides(self, overrides: Mapping[str, object]) -> Scenario:
        """A copy with some settings changed, validated like a file.

        Parameters
        ----------
        overrides
            ``{"rules.nearest.max_distance_miles": 25, "scenario.colocation_radius_miles":
            0.5}``. Paths are ``scenario.<key>``, ``distance.<key>`` or
            ``rules.<rule id>.<key>``; ``rules.*.<key>`` sets the key on every rule that
            takes it (``max_distance_miles`` on every absorb rule). ``None`` removes the
            key, restoring its default (no limit, for distances and capacities).

        The copy's ``source`` records the changes (``default.toml with
        rules.nearest.capacity=2``) in the ``--set`` form, so a saved run can redo them.
        """
        data = self.to_dict()
        problems: list[str] = []
        for path, value in overrides.items():
            problem = _apply_override(data, str(path), value, self.rule_ids)
            if problem:
                problems.append(f"{self.source}, override {path!r}: {problem}")
        if problems:
            raise ScenarioError(problem_list(f"scenario {self.source}", problems))
        shown = format_items(overrides)
        joiner = ", " if " with " in self.source else " with "  # one list when changed twice
        return parse_scenario(data, f"{self.source}{joiner}{shown}" if shown else self.source)


def _apply_override(data: dict, path: str, value: object, rule_ids: tuple[str, ...]) -> str:
    """Set one override in ``data``; returns a problem, or ``""``."""
    parts = path.split(".")

    def put(table: dict, key: str) -> None:
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value

    if parts[0] in ("scenario", "distance") and len(parts) == 2:
        put(data.setdefault(parts[0], {}), parts[1])
        return ""
    if parts[0] == "rules" and len(parts) == 3:
        rule_id, key = parts[1], parts[2]
        rules = data["rules"]
        if rule_id == "*":
            targets = [r for r in rules if key not in _ABSORB_KEYS or r["action"] == ABSORB]
            if not targets:
                return f"no rule takes {key!r}"
        else:
            targets = [r for r in rules if r["id"] == rule_id]
            if not targets:
                return f"no rule {rule_id!r}{did_you_mean(rule_id, rule_ids)}; rules are " + (
                    ", ".join(rule_ids)
                )
        for r in targets:
            put(r, key)
        return ""
    guess = did_you_mean(parts[0], _TOP_KEYS) if len(parts) > 1 else ""
    return f"not a setting path{guess}; use scenario.<key>, distance.<key> or rules.<rule id>.<key>"


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file, or a bundled one by name (``"conservative"``).

    Raises
    ------
    ScenarioError
        When the file cannot be read, is not TOML (with line and column), or breaks any
        rule of the format (every problem listed).
    """
    path = scenario_path(path)
    hint = f"; bundled scenarios: {', '.join(bundled_scenarios())}"
    data = read_toml(path, "scenario file", error=ScenarioError, hint=hint)
    return parse_scenario(data, str(Path(path)))


# --- validation ---------------------------------------------------------------------------


def _condition(
    check: Checker, table: dict, key: str, where: str, fields: dict[str, str]
) -> Condition | None:
    if key not in table:
        return None
    value = table[key]
    at = f"{check.source}, {where}, key {key!r}"
    if not isinstance(value, str):
        check.add(f"{where}, key {key!r}", f"must be a condition in quotes, not {describe(value)}")
        return None
    try:
        return parse_condition(value, fields, where=at, choices=FIELD_CHOICES)
    except ConditionError as exc:
        check.problems.append(str(exc))
        return None


def _brand(check: Checker, table: dict, key: str, where: str) -> str | None:
    value = check.text(table, key, where, required=True)
    if value is None:
        return None
    brand = normalise_brand(value)
    if brand is None:
        guess = did_you_mean(value.title(), BRANDS)
        check.add(f"{where}, key {key!r}", f"unknown brand {value!r}{guess}")
    return brand


def parse_scenario(data: Mapping[str, object], source: str = "<scenario>") -> Scenario:
    """Validate a scenario already read from TOML (a dict) and build it.

    Parameters
    ----------
    data
        The parsed TOML document.
    source
        The file name (or other label) every problem is reported against.

    Raises
    ------
    ScenarioError
        Listing every problem found, each with the file, the rule id and the key.
    """
    check = Checker(source)
    top = check.table(dict(data) if isinstance(data, Mapping) else data, "", _TOP_KEYS)
    if "scenario" not in top:
        check.add("", "missing the [scenario] table (name, source_brand, host_brand)")
    meta = check.table(top.get("scenario", {}), "[scenario]", _SCENARIO_KEYS)
    if "scenario" not in top:  # one problem is enough: no defaults for the brands
        meta = {
            "name": "-",
            "source_brand": settings.SOURCE_BRAND,
            "host_brand": settings.HOST_BRAND,
        }
    name = check.text(meta, "name", "[scenario]", required=True)
    description = check.text(meta, "description", "[scenario]") or ""
    source_brand = _brand(check, meta, "source_brand", "[scenario]")
    host_brand = _brand(check, meta, "host_brand", "[scenario]")
    if source_brand and source_brand == host_brand:
        check.add("[scenario]", f"source_brand and host_brand are both {source_brand!r}")
    radius = check.number(
        meta,
        "colocation_radius_miles",
        "[scenario]",
        maximum=settings.SCENARIO_MAX_COLOCATION_MILES,
        why="miles: stores farther apart do not share a rooftop; the default is "
        f"{settings.COLOCATION_RADIUS_MILES:g}",
    )
    dist = check.table(top.get("distance", {}), "[distance]", _DISTANCE_KEYS)
    metric = check.choice(dist, "metric", "[distance]", METRICS, GEODESIC)
    circuity = check.number(
        dist,
        "circuity_factor",
        "[distance]",
        minimum=1.0,
        maximum=settings.SCENARIO_MAX_CIRCUITY,
        why=f"road miles per straight mile; US roads are 1.2-1.4, the default "
        f"{settings.CIRCUITY_FACTOR:g}",
    )
    rules = _parse_rules(check, top.get("rules"))
    if check.problems:
        raise ScenarioError(problem_list(f"scenario {source}", check.problems))
    return Scenario(
        name=str(name),
        description=description,
        source_brand=str(source_brand),
        host_brand=str(host_brand),
        colocation_radius_miles=settings.COLOCATION_RADIUS_MILES if radius is None else radius,
        distance=DistanceSettings(
            metric=metric,
            circuity_factor=settings.CIRCUITY_FACTOR if circuity is None else circuity,
        ),
        rules=tuple(rules),
        source=source,
    )


def _parse_rules(check: Checker, value: object) -> list[Rule]:
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
        rule = _parse_rule(check, table, label)
        if rule is None:
            continue
        if final is not None:
            check.add(label, f"can never apply: rule {final!r} above it decides every store left")
        elif rule.action != ABSORB and rule.when is None:
            final = rule.id
        rules.append(rule)
    return rules


def _parse_rule(check: Checker, table: dict, label: str) -> Rule | None:
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
        for key in _ABSORB_KEYS:
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
    capacity = check.number(
        table,
        "capacity",
        label,
        maximum=settings.SCENARIO_MAX_CAPACITY,
        why="stores per host; leave capacity out for no limit",
    )
    if capacity is not None and not capacity.is_integer():
        check.add(f"{label}, key 'capacity'", f"must be a whole number of stores, not {capacity:g}")
    if isinstance(table.get("same_owner"), bool):
        check.add(
            f"{label}, key 'same_owner'",
            'must be "require", "prefer" or "ignore", not true/false',
        )
        same_owner = IGNORE
    else:
        same_owner = check.choice(table, "same_owner", label, SAME_OWNER_MODES, IGNORE)
    exclude = _condition(check, table, "exclude_hosts", label, HOST_FIELDS)
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
        capacity=None if capacity is None else int(capacity),
        exclude_hosts=exclude,
        assignment=assignment,
    )
