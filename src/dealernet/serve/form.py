"""The scenario as the explorer's form, and the form back as a scenario checked like a file.

The form holds only plain values (switches, numbers, condition text, dealer ids), and every
change becomes a scenario through :func:`dealernet.engine.scenario.parse_scenario`, the
TOML checker itself: the page cannot express anything a scenario file could not, and its
messages are the CLI's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from dealernet._errors import ScenarioError
from dealernet.engine._rule import ABSORB, CLOSE, KEEP
from dealernet.engine.scenario import Scenario, parse_scenario

#: Ids of the rules the "keep these stores" / "close these stores" lists add first.
KEEP_RULE, CLOSE_RULE = "explorer-keep", "explorer-close"
#: Keys of an absorb rule the form edits (the rest come from the scenario unchanged).
ABSORB_FIELDS = ("max_distance_miles", "capacity", "same_owner", "exclude_hosts")
#: The longest list of stores to keep or close, and the longest condition text.
MAX_LISTED, MAX_TEXT = 500, 2_000


@dataclass(frozen=True)
class Settings:
    """What a tab's form says: per rule its switch and edited keys, and the stores listed
    to keep or close (dealer ids)."""

    rules: tuple[dict[str, Any], ...]
    keep: tuple[str, ...] = ()
    close: tuple[str, ...] = ()


def form_of(scenario: Scenario) -> Settings:
    """The form of a scenario as read: every rule on, its keys as the file gives them."""
    rules = []
    for rule in scenario.rules:
        row = rule.to_dict()
        rules.append({"on": True, **row})
    return Settings(rules=tuple(rules))


def settings_from(data: Mapping[str, Any], base: Scenario) -> Settings:
    """The form as the page sends it, its shape checked (values are checked by
    :func:`scenario_of`); an unknown rule id or a bad shape is a :class:`ScenarioError`."""
    known = {r.id: r for r in base.rules}
    rows = data.get("rules", [])
    if not isinstance(rows, list) or len(rows) > len(known):
        raise ScenarioError("the form's rules: a list of the scenario's rules")
    rules = []
    for row in rows:
        if not isinstance(row, Mapping) or row.get("id") not in known:
            raise ScenarioError(f"the form names a rule the scenario lacks: {row!r:.80}")
        rules.append({k: _plain(row[k], k) for k in row if k in _EDITABLE})
    return Settings(
        rules=tuple(rules),
        keep=_ids(data.get("keep", []), "keep"),
        close=_ids(data.get("close", []), "close"),
    )


_EDITABLE = ("id", "on", "when", *ABSORB_FIELDS)


def _plain(value: Any, key: str) -> Any:
    """A form value as TOML holds it: a switch, a number, a short text, a table of them."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise ScenarioError(f"{key}: at most {MAX_TEXT:,} characters")
        return value
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return {k: _plain(v, key) for k, v in value.items()}
    raise ScenarioError(f"{key}: a number, a text or a switch, not {type(value).__name__}")


def _ids(values: Any, what: str) -> tuple[str, ...]:
    if not isinstance(values, list) or len(values) > MAX_LISTED:
        raise ScenarioError(f"the stores to {what}: a list of at most {MAX_LISTED} dealer ids")
    if not all(isinstance(v, str) and 0 < len(v) <= 200 for v in values):
        raise ScenarioError(f"the stores to {what}: dealer ids as text")
    return tuple(dict.fromkeys(values))


def scenario_of(base: Scenario, settings: Settings) -> Scenario:
    """The scenario the form describes: the base scenario's file with rules switched off
    left out, the form's keys set, and rules that keep or close the listed stores first.

    Raises
    ------
    ScenarioError
        With the TOML checker's messages when the form says something a file may not.
    """
    data = base.to_dict()
    edits = {row["id"]: row for row in settings.rules}
    rules: list[dict[str, Any]] = []
    for rule in cast("list[dict[str, Any]]", data["rules"]):
        edit = edits.get(rule["id"], {})
        if edit.get("on") is False:
            continue
        rules.append(_edited(dict(rule), edit))
    rules = (
        _listed(settings.keep, KEEP_RULE, KEEP) + _listed(settings.close, CLOSE_RULE, CLOSE) + rules
    )
    data["rules"] = rules
    return parse_scenario(data, f"the explorer's settings (from {Path(base.source).name})")


def _edited(rule: dict[str, Any], edit: Mapping[str, Any]) -> dict[str, Any]:
    """One rule with the form's keys: ``None`` or ``""`` removes a key (its default)."""
    keys = ("when", *ABSORB_FIELDS) if rule.get("action") == ABSORB else ("when",)
    for key in keys:
        if key not in edit:
            continue
        value = edit[key]
        if value is None or value == "":
            rule.pop(key, None)
        else:
            rule[key] = value
    return rule


def _listed(ids: Sequence[str], rule_id: str, action: str) -> list[dict[str, Any]]:
    if not ids:
        return []
    quoted = ", ".join(_quoted(i) for i in ids)
    what = "keep their showroom" if action == KEEP else "close"
    return [
        {
            "id": rule_id,
            "action": action,
            "when": f"dealer_id in [{quoted}]",
            "reason": f"Listed in the explorer to {what}",
        }
    ]


def _quoted(text: str) -> str:
    """A dealer id as a condition's string literal (quotes and backslashes escaped)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def scenario_toml(
    scenario: Scenario, based_on: Scenario, dealers: str = "--dealers YOUR_DEALER_FILES"
) -> str:
    """The scenario as a TOML file ``dealernet run --scenario`` reads back to the same
    scenario (the rules, keys and brands; the file's comments are not kept).

    The header names the file it was ``based_on`` by its name alone (the page may be served
    to others, who need not see the server's folders) and the command that reruns it on
    the same network (``dealers``: that command's ``--dealers`` part).
    """
    import tomli_w  # the serve extra

    name = " ".join(Path(str(based_on.source)).name.split()) or "a scenario file"
    header = (
        f"# Written by dealernet serve from {name}, with the explorer's changes.\n"
        f"# Run it on the same network with: dealernet run {_one_line(dealers)} "
        "--scenario THIS_FILE\n\n"
    )
    return header + tomli_w.dumps(scenario.to_dict(), multiline_strings=False)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def differences(base: Scenario, changed: Scenario) -> list[str]:
    """What the form changed, one line each in the ``--set`` form (for the compare strip)."""
    lines = []
    old = {r.id: r.to_dict() for r in base.rules}
    new = {r.id: r.to_dict() for r in changed.rules}
    for rule_id in old:
        if rule_id not in new:
            lines.append(f"rule {rule_id} switched off")
            continue
        for key in sorted(set(old[rule_id]) | set(new[rule_id])):
            a, b = old[rule_id].get(key), new[rule_id].get(key)
            if a != b:
                lines.append(f"rules.{rule_id}.{key}: {_shown(a, key)} -> {_shown(b, key)}")
    for rule_id in new:
        if rule_id not in old:
            lines.append(f"rule {rule_id}: {new[rule_id].get('when', '')}")
    return lines


#: Keys whose absence means "no limit" (as the form says).
_LIMITS = ("max_distance_miles", "capacity")


def _shown(value: object, key: str) -> str:
    if value is None:
        return "no limit" if key in _LIMITS else "(none)"
    return str(value)
