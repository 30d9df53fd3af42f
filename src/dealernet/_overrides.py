"""``--set KEY=VALUE``: the one reader of a setting changed on the command line.

Every place a setting is changed by text goes through here, so ``25``, ``optimal`` or
``"a, b"`` mean the same to the scenario, the assumptions, a sweep and a saved run:

- a value is read as one TOML value (``25`` a number, ``true`` a boolean, ``"x y"`` text,
  ``inf`` no limit), and anything that is not TOML is taken as text, so
  ``rules.nearest.assignment=optimal`` needs no quotes;
- a sweep's ``KEY=V1,V2,...`` splits at commas outside quotes and brackets;
- a key goes to the scenario when its first word is one of
  :data:`dealernet.settings.SCENARIO_SECTIONS` (``rules.nearest.capacity``), else to the
  assumptions (``market.decay_sales.base``).

A malformed item raises the error of the settings it was meant for
(:class:`~dealernet.ScenarioError` or :class:`~dealernet.AssumptionsError`), naming the item
and showing the right form.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Literal

from dealernet._errors import AssumptionsError, DealernetError, ScenarioError
from dealernet._toml import toml_value
from dealernet.settings import SCENARIO_SECTIONS

__all__ = [
    "ASSUMPTIONS",
    "SCENARIO",
    "format_items",
    "format_value",
    "is_list",
    "parse_item",
    "parse_items",
    "parse_recorded",
    "parse_value",
    "parse_values",
    "route",
    "split_values",
    "target",
]

SCENARIO: Literal["scenario"] = "scenario"
ASSUMPTIONS: Literal["assumptions"] = "assumptions"
#: A right example for each target, shown when an item is malformed.
_EXAMPLES = {
    SCENARIO: ("rules.nearest.max_distance_miles=25", "rules.nearest.max_distance_miles=10,20,30"),
    ASSUMPTIONS: ("market.decay_sales.base=2.5", "market.decay_sales.base=1.5,2,2.5,3"),
}
#: Values one ``--set`` may list (a sweep runs once per value): also
#: :data:`dealernet.planning.sweep.MAX_VALUES`.
MAX_VALUES = 50
#: Characters one ``--set`` value may have: as long as a rule's condition may be.
MAX_VALUE_CHARS = 2_000
#: What separates key and value when someone forgets the ``=`` (``capacity 2``, ``capacity:2``).
_NEAR_MISS = re.compile(r"^\s*([^\s:=]+)\s*[\s:]\s*(\S.*)$")


# --- keys and routing ---------------------------------------------------------------------


def target(key: str) -> Literal["scenario", "assumptions"]:
    """Which settings a key changes: ``"scenario"`` for ``scenario.*``, ``distance.*`` and
    ``rules.*``, else ``"assumptions"``."""
    return SCENARIO if key.split(".", 1)[0].strip() in SCENARIO_SECTIONS else ASSUMPTIONS


def _error(key: str) -> type[DealernetError]:
    return ScenarioError if target(key) == SCENARIO else AssumptionsError


def _split(item: str, *, several: bool = False) -> tuple[str, str]:
    """``KEY=VALUE`` split at the first ``=``, with the key checked; the value unparsed."""
    key, sep, value = item.partition("=")
    key = ".".join(part.strip() for part in key.split("."))
    example = _EXAMPLES[target(key)][several]
    form = "KEY=V1,V2,..." if several else "KEY=VALUE"
    if not sep:
        near = _NEAR_MISS.match(item)
        fix = f"write {near[1]}={near[2]}" if near else f"e.g. {example}"
        msg = f"--set {item!r}: expected {form}; {fix}"
        raise _error(key)(msg)
    if not key:
        msg = f"--set {item!r}: the setting before '=' is missing, e.g. {example}"
        raise _error(key)(msg)
    if "" in key.split("."):
        msg = (
            f"--set {item!r}: {key!r} has an empty part (two dots together, or a dot at an "
            f"end); a setting is words joined by single dots, e.g. {example}"
        )
        raise _error(key)(msg)
    if several and len(value) > MAX_VALUE_CHARS * MAX_VALUES:
        msg = (
            f"--set {key}=...: the values are {len(value):,} characters long; a sweep takes at "
            f"most {MAX_VALUES} values (one run each) of at most {MAX_VALUE_CHARS:,} characters. "
            f"Fix: give at most {MAX_VALUES} values, e.g. {key}=10,20,30"
        )
        raise _error(key)(msg)
    if not several and len(value) > MAX_VALUE_CHARS:
        msg = (
            f"--set {key}=...: the value is {len(value):,} characters long; the limit is "
            f"{MAX_VALUE_CHARS:,} a value. Fix: give a shorter value (a long condition or "
            "reason belongs in the scenario file, split into rules)"
        )
        raise _error(key)(msg)
    return key, value.strip()


def route(items: Iterable[str]) -> tuple[dict[str, object], dict[str, object]]:
    """``--set`` items parsed and sorted into scenario and assumptions changes.

    Returns
    -------
    tuple
        ``(scenario changes, assumptions changes)``, each ``{key: value}`` in the order
        given (a key given twice keeps its last value).
    """
    out: dict[str, dict[str, object]] = {SCENARIO: {}, ASSUMPTIONS: {}}
    for key, value in parse_items(items).items():
        out[target(key)][key] = value
    return out[SCENARIO], out[ASSUMPTIONS]


# --- values -------------------------------------------------------------------------------


def parse_value(text: str) -> object:
    """One ``--set`` value: a TOML value if it is one, else the text itself (stripped)."""
    text = text.strip()
    try:
        return toml_value(text)
    except ValueError:
        return text


def parse_item(item: str) -> tuple[str, object]:
    """``"rules.nearest.max_distance_miles=25"`` -> ``("rules.nearest.max_distance_miles",
    25)``.

    Raises
    ------
    ScenarioError, AssumptionsError
        When the item has no ``=`` or no proper key (by where the key would go).
    """
    key, value = _split(item)
    return key, parse_value(value)


def parse_items(items: Iterable[str]) -> dict[str, object]:
    """Several ``--set`` items as ``{key: value}`` (a key given twice keeps its last value)."""
    return dict(parse_item(item) for item in items)


def _is_one_value(text: str) -> bool:
    try:
        toml_value(text.strip())
    except ValueError:
        return False
    return True


def _split_outside_values(text: str, sep: str, value: Callable[[str], str]) -> list[str]:
    """``text`` split at ``sep``, except where ``sep`` falls inside one TOML value.

    A run of pieces stays together when it starts a quoted string, array or inline table
    and the run reads as one TOML value; every other piece stands alone (taken as text).
    """
    if _is_one_value(value(text)):
        return [text.strip()]
    pieces = text.split(sep)
    out: list[str] = []
    start = 0
    while start < len(pieces):
        end = start + 1
        if value(pieces[start]).lstrip()[:1] in ('"', "'", "[", "{"):
            end = next(
                (
                    stop
                    for stop in range(start + 1, len(pieces) + 1)
                    if _is_one_value(value(sep.join(pieces[start:stop])))
                ),
                end,
            )
        out.append(sep.join(pieces[start:end]).strip())
        start = end
    return out


def split_values(text: str) -> list[str]:
    """A sweep's value text split at commas, except inside one TOML value.

    ``10,20,30`` gives three values, ``nearest,optimal`` two; ``"a, b"`` and ``[1, 2]`` are
    one value each, and ``"a, b",c`` two.
    """
    return _split_outside_values(text, ",", lambda piece: piece)


def is_list(item: str) -> bool:
    """Whether a ``KEY=VALUE`` item gives several values (``10,20,30``, not ``"a, b"``)."""
    return len(split_values(item.partition("=")[2])) > 1


def parse_values(item: str) -> tuple[str, list[object]]:
    """A sweep's ``"rules.nearest.max_distance_miles=10,20,30"`` -> the key and its values,
    each read like a single ``--set`` value.

    Raises
    ------
    ScenarioError, AssumptionsError
        When the item is malformed or a value between commas is empty.
    """
    key, raw = _split(item, several=True)
    texts = split_values(raw)
    if not any(texts):
        example = _EXAMPLES[target(key)][1]
        msg = f"--set {item!r}: no values after '='; expected KEY=V1,V2,..., e.g. {example}"
        raise _error(key)(msg)
    if not all(texts):
        msg = f"--set {item!r} has an empty value between commas"
        raise _error(key)(msg)
    if len(texts) > MAX_VALUES:  # before reading each one: a million values take seconds
        msg = (
            f"--set {key}= lists {len(texts):,} values; a sweep takes at most {MAX_VALUES} "
            f"(one run each). Fix: give at most {MAX_VALUES} values, e.g. {key}=10,20,30"
        )
        raise _error(key)(msg)
    return key, [parse_value(t) for t in texts]


# --- the recorded form --------------------------------------------------------------------


def format_value(value: object) -> str:
    """A value written so that :func:`parse_value` reads it back the same (TOML).

    ``None`` (which removes a scenario key) has no TOML form and is written ``None``; it
    reads back as text.
    """
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, Mapping):
        inner = ", ".join(f"{json.dumps(str(k))} = {format_value(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def format_items(overrides: Mapping[str, object]) -> str:
    """``{"a.b": 25, "c.d": "x"}`` -> ``'a.b=25, c.d="x"'``, as a scenario records them."""
    return ", ".join(f"{key}={format_value(value)}" for key, value in overrides.items())


def parse_recorded(text: str) -> dict[str, object]:
    """The changes recorded by :func:`format_items` (as in a run's ``summary.json``).

    Items are split at ``", "`` outside quoted values, and each is read like ``--set``,
    so a run folder's scenario is rebuilt with exactly the values it ran with.
    """
    if not text.strip():
        return {}
    return parse_items(_split_outside_values(text, ", ", lambda item: item.partition("=")[2]))
