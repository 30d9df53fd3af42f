"""Scenario files: which brand folds into which, and the ordered rules that decide each store.

A scenario is TOML (see the bundled ``_data/scenarios/consolidation.toml``)::

    [scenario]
    name = "Consolidation: most stand-alone Infiniti stores into Nissan sites"
    source_brand = "Infiniti"
    host_brand = "Nissan"          # or an alliance: ["Nissan", "Honda"]
    colocation_radius_miles = 0.25

    [distance]
    metric = "geodesic"            # or "road": geodesic x circuity_factor
    circuity_factor = 1.25

    [[rules]]
    id = "nearest"
    action = "absorb"              # keep | absorb | close
    when = "state != \\"AK\\""       # optional condition over site fields
    max_distance_miles = 30
    capacity = 1                   # or per host brand: {Nissan = 2, Honda = 1}

Everything is checked when the file is read, and every problem is reported at once, each
with the file, the rule and the key, so a planner fixes a file in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dealernet import settings
from dealernet._errors import ScenarioError
from dealernet._overrides import format_items
from dealernet._toml import Checker, describe, did_you_mean, problem_list, read_toml
from dealernet._toml import shown as _shown
from dealernet.engine._rule import (
    ABSORB,
    ABSORB_KEYS,
    ACTIONS,
    ASSIGNMENTS,
    BY_BRAND_KEYS,
    CLOSE,
    DERIVED_HOST_FIELDS,
    DERIVED_SITE_FIELDS,
    DISTANCE_TO_NEAREST_SAME_OWNER_HOST,
    FIELD_CHOICES,
    HAS_SOURCE_SHOWROOM,
    HOST_FIELDS,
    IGNORE,
    KEEP,
    NEAREST,
    OPTIMAL,
    OWNER_HOST_COUNT,
    OWNER_STORE_COUNT,
    PREFER,
    REQUIRE,
    ROAD_MILES_TO_NEAREST_HOST,
    SAME_OWNER_MODES,
    SITE_FIELDS,
    Rule,
    parse_rules,
)
from dealernet.schema import BRANDS, brand_label, normalise_brand
from dealernet.settings import bundled_scenarios, scenario_path

#: The rule vocabulary lives in :mod:`dealernet.engine._rule`; it is imported from here.
__all__ = [
    "ABSORB",
    "ACTIONS",
    "ASSIGNMENTS",
    "CLOSE",
    "DERIVED_HOST_FIELDS",
    "DERIVED_SITE_FIELDS",
    "DISTANCE_TO_NEAREST_SAME_OWNER_HOST",
    "FIELD_CHOICES",
    "GEODESIC",
    "HAS_SOURCE_SHOWROOM",
    "HOST_FIELDS",
    "IGNORE",
    "KEEP",
    "METRICS",
    "NEAREST",
    "OPTIMAL",
    "OWNER_HOST_COUNT",
    "OWNER_STORE_COUNT",
    "PREFER",
    "REQUIRE",
    "ROAD",
    "ROAD_MILES_TO_NEAREST_HOST",
    "SAME_OWNER_MODES",
    "SITE_FIELDS",
    "DistanceSettings",
    "Rule",
    "Scenario",
    "load_scenario",
    "parse_scenario",
]

# --- vocabulary ---------------------------------------------------------------------------

GEODESIC, ROAD = "geodesic", "road"
METRICS: tuple[str, ...] = (GEODESIC, ROAD)

_TOP_KEYS = ("scenario", "distance", "rules")
_SCENARIO_KEYS = ("name", "description", "source_brand", "host_brand", "colocation_radius_miles")
_DISTANCE_KEYS = ("metric", "circuity_factor")
#: What joins several brands written as one text: ``"Nissan, Toyota"``, ``"Nissan or Honda"``
#: (as pages print an alliance), ``"Nissan/Honda"``; the file needs a TOML list instead.
_SEVERAL_BRANDS = re.compile(r"\s*(?:[,;/&+]|\s(?:or|and)\s)\s*", re.IGNORECASE)

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
class Scenario:
    """A validated scenario: brands, distance settings and ordered rules.

    Build one with :func:`load_scenario` or :func:`parse_scenario`; it is immutable, and
    :meth:`with_overrides` returns a changed, re-validated copy.

    Attributes
    ----------
    host_brand
        The host brands as pages and messages name them: ``"Nissan"``, or for an alliance
        ``"Nissan or Honda"`` (:func:`dealernet.schema.brand_label`). A label, not a brand:
        code that selects host-brand sites uses ``host_brands``.
    host_brands
        Every brand whose sites may take a store, in the file's order (one for a single
        brand). Given alone, ``host_brand`` is set from it; left out, it is
        ``(host_brand,)``.
    """

    name: str
    description: str
    source_brand: str
    host_brand: str
    colocation_radius_miles: float
    distance: DistanceSettings
    rules: tuple[Rule, ...]
    source: str = field(default="<scenario>", compare=False)
    host_brands: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.host_brands:
            object.__setattr__(self, "host_brands", tuple(self.host_brands))
            object.__setattr__(self, "host_brand", brand_label(self.host_brands))
        else:
            object.__setattr__(self, "host_brands", (self.host_brand,))

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
                "host_brand": (
                    list(self.host_brands) if len(self.host_brands) > 1 else self.host_brands[0]
                ),
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
            ``rules.<rule id>.capacity.<host brand>`` and ``...exclude_hosts.<host brand>``
            set one host brand's entry of an alliance's per-brand table.

        The copy's ``source`` records the changes (``consolidation.toml with
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
    by_brand = len(parts) == 4 and parts[2] in BY_BRAND_KEYS
    if parts[0] == "rules" and (len(parts) == 3 or by_brand):
        rule_id, key = parts[1], parts[2]
        rules = data["rules"]
        if rule_id == "*":
            targets = [r for r in rules if key not in ABSORB_KEYS or r["action"] == ABSORB]
            if not targets:
                return f"no rule takes {key!r}"
        else:
            targets = [r for r in rules if r["id"] == rule_id]
            if not targets:
                return f"no rule {rule_id!r}{did_you_mean(rule_id, rule_ids)}; rules are " + (
                    ", ".join(rule_ids)
                )
        for r in targets:
            if by_brand:
                _put_for_brand(r, key, parts[3], value, data.get("scenario", {}).get("host_brand"))
            else:
                put(r, key)
        return ""
    guess = did_you_mean(parts[0], _TOP_KEYS) if len(parts) > 1 else ""
    return (
        f"not a setting path{guess}; use scenario.<key>, distance.<key>, "
        "rules.<rule id>.<key> or rules.<rule id>.capacity.<host brand>"
    )


def _put_for_brand(rule: dict, key: str, brand: str, value: object, hosts: object) -> None:
    """Set ``rules.<id>.<key>.<brand>``: one host brand's capacity or exclusion.

    A value the rule gives every host brand is first spread over the scenario's host brands
    (``capacity = 2`` then ``capacity.Honda = 1`` gives ``{Nissan = 2, Honda = 1}``), and
    ``None`` removes the brand's entry (no limit, or no exclusion, for it).
    """
    current = rule.get(key)
    if isinstance(current, dict):
        table = {normalise_brand(b) or b: v for b, v in current.items()}
    elif current is None:
        table = {}
    else:
        names = hosts if isinstance(hosts, list) else [hosts]
        table = {normalise_brand(b) or str(b): current for b in names if isinstance(b, str)}
    brand = normalise_brand(brand) or brand
    if value is None:
        table.pop(brand, None)
    else:
        table[brand] = value
    if table:
        rule[key] = table
    else:
        rule.pop(key, None)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file, or a bundled one by name (``"conservative"``).

    Old names of bundled scenarios (``"default"``, ``"absorb-all"``) still work
    (:data:`dealernet.settings.SCENARIO_ALIASES`).

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


def _brand(check: Checker, table: dict, key: str, where: str) -> str | None:
    value = check.text(table, key, where, required=True)
    if value is None:
        return None
    return _known_brand(check, value, f"{where}, key {key!r}")


def _known_brand(check: Checker, value: str, at: str) -> str | None:
    """``value`` as a brand's canonical spelling, or a problem reported ``at``."""
    brand = normalise_brand(value)
    if brand is None:
        guess = did_you_mean(value.title(), BRANDS)
        check.add(at, f"unknown brand {value!r}{guess}")
    return brand


def _list_hint(names: list[str]) -> str:
    """``host_brand = ["Nissan", "Toyota"]``: how a file lists several host brands."""
    quoted = ", ".join(f'"{normalise_brand(n) or n}"' for n in names)
    return f"host_brand = [{quoted}]"


def _host_brands(check: Checker, meta: dict, source_brand: str | None) -> tuple[str, ...] | None:
    """The host brands: one brand in quotes, or a list of them (an alliance).

    Each is checked and spelt as a single brand is; a list must not be empty, name a brand
    twice or name the source brand. Several brands in one text (``"Nissan, Toyota"``) are
    refused with the list to write instead, not read as a misspelt brand.
    """
    where, at = "[scenario]", "[scenario], key 'host_brand'"
    if "host_brand" not in meta:
        check.add(where, "missing key 'host_brand'")
        return None
    value = meta["host_brand"]
    if isinstance(value, str):
        parts = [p for p in _SEVERAL_BRANDS.split(value.strip()) if p]
        if normalise_brand(value) is None and len(parts) > 1:
            check.add(
                at,
                f"{_shown(value)} names several brands in one text; a scenario with more than "
                f"one host brand lists them: {_list_hint(parts)}",
            )
            return None
        brand = _brand(check, meta, "host_brand", where)
        if brand is not None and brand == source_brand:
            check.add(where, f"source_brand and host_brand are both {source_brand!r}")
            return None
        return None if brand is None else (brand,)
    if not isinstance(value, list):
        check.add(
            at,
            f"must be a brand in quotes or a list of brands ({_list_hint(['Nissan', 'Honda'])}), "
            f"not {describe(value)}",
        )
        return None
    if not value:
        check.add(at, f"is an empty list; name at least one brand, e.g. {_list_hint(['Nissan'])}")
        return None
    before = len(check.problems)
    brands: list[str] = []
    for number, item in enumerate(value, start=1):
        item_at = f"{at}, item {number}"
        if not isinstance(item, str) or not item.strip():
            check.add(item_at, f"must be a brand in quotes, not {describe(item)}")
            continue
        brand = _known_brand(check, item, item_at)
        if brand is None:
            continue
        if brand in brands:
            check.add(item_at, f"names {brand!r} again; list each host brand once")
        elif brand == source_brand:
            check.add(
                item_at,
                f"is the source brand {brand!r}: its stores cannot fold into its own sites; "
                "remove it from host_brand",
            )
        else:
            brands.append(brand)
    return tuple(brands) if len(check.problems) == before else None


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
    host_brands = _host_brands(check, meta, source_brand)
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
    rules = parse_rules(check, top.get("rules"), host_brands)
    if check.problems or host_brands is None:
        raise ScenarioError(problem_list(f"scenario {source}", check.problems))
    return Scenario(
        name=str(name),
        description=description,
        source_brand=str(source_brand),
        host_brand=brand_label(host_brands),
        host_brands=host_brands,
        colocation_radius_miles=settings.COLOCATION_RADIUS_MILES if radius is None else radius,
        distance=DistanceSettings(
            metric=metric,
            circuity_factor=settings.CIRCUITY_FACTOR if circuity is None else circuity,
        ),
        rules=tuple(rules),
        source=source,
    )
