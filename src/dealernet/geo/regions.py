"""Named groups of states: US Census regions and divisions, or a planner's own groups.

Planners think in regions ("the South", "New England", "our Central zone"), not lists of
state codes. A regions file names such groups once (``_data/regions.toml`` ships the four
Census regions and nine divisions); ``query --region`` selects by name and
``--group-by region`` totals by group. Every group is checked when the file is read, and
groups of one ``kind`` may not share a state, so grouping by a kind never counts a store
twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from dealernet._errors import QueryError
from dealernet._names import REGION as REGION_NAME
from dealernet._names import Match, Names
from dealernet._toml import Checker, describe, problem_list, read_toml
from dealernet.schema import normalise_state
from dealernet.settings import PACKAGE_DATA

#: The shipped file: US Census regions and divisions.
CENSUS_REGIONS = PACKAGE_DATA / "regions.toml"
#: Kind of group used by ``--group-by region`` (and ``division`` for the Census divisions).
REGION, DIVISION = "region", "division"
#: Key of a site whose state belongs to no group of the kind grouped by.
NO_GROUP = "(none)"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class StateGroup:
    """One named group of states.

    Attributes
    ----------
    id
        Short stable key (``"south-atlantic"``), usable on the command line.
    name
        How to show it (``"South Atlantic"``).
    kind
        What sort of group (``"region"``, ``"division"``, or any word a file uses).
    states
        Member postal codes, in file order.
    """

    id: str
    name: str
    kind: str
    states: tuple[str, ...]


@dataclass(frozen=True)
class Regions:
    """All groups of a regions file, with lookups by name and by state."""

    groups: tuple[StateGroup, ...]
    source: str

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds of group in the file, in file order."""
        return tuple(dict.fromkeys(g.kind for g in self.groups))

    def find(self, text: str) -> StateGroup:
        """The group a user means by ``text`` (see :meth:`match`)."""
        return self.match(text)[0]

    def match(self, text: str) -> tuple[StateGroup, Match]:
        """The group a user means by ``text``, and how ``text`` was read.

        ``text`` is a group's id or name in any case, with spaces, hyphens or underscores,
        or a clear close spelling of one (``"Sout"``), read by
        :class:`dealernet._names.Names` like every other name.

        Raises
        ------
        QueryError
            When no group is clearly meant; the message lists the closest ones.
        """
        by_id = {g.id: g for g in self.groups}
        spellings: dict[str, str] = {}
        for group in self.groups:
            spellings.setdefault(group.id, group.id)
            spellings.setdefault(group.name, group.id)
        names = Names(
            spellings,
            kind=REGION_NAME,
            key=_key,
            source=f" in {self.source}",
            fix=f"Known: {', '.join(g.name for g in self.groups)}.",
            show=lambda i: by_id[i].name,
        )
        found = names.match(text)
        return by_id[found.value], found

    def of_kind(self, kind: str) -> tuple[StateGroup, ...]:
        """Groups of one kind (a partition of their states, checked on load)."""
        found = tuple(g for g in self.groups if g.kind == kind)
        if not found:
            msg = f"{self.source} has no groups of kind {kind!r}; it has {', '.join(self.kinds)}"
            raise QueryError(msg)
        return found

    def keys_for(self, states: Sequence[object], kind: str = REGION) -> np.ndarray:
        """The name of the ``kind`` group holding each state (:data:`NO_GROUP` if none)."""
        member = {s: g.name for g in self.of_kind(kind) for s in g.states}
        return np.array([member.get(str(s), NO_GROUP) for s in states], dtype=object)

    def states_of(self, texts: Sequence[str]) -> list[str]:
        """Postal codes of every state in any of the named groups."""
        codes: list[str] = []
        for text in texts:
            codes.extend(self.find(text).states)
        return list(dict.fromkeys(codes))


def _key(text: object) -> str:
    return " ".join(re.sub(r"[\s_-]+", " ", str(text)).split()).casefold()


@lru_cache(maxsize=8)
def _load_cached(path: str) -> Regions:
    return _parse(Path(path))


def load_regions(path: str | Path | None = None) -> Regions:
    """Read and check a regions file (default: the shipped Census regions and divisions).

    Raises
    ------
    QueryError
        When the file is missing, not TOML, or a group is malformed (every problem listed):
        a missing id, name or kind, an unknown state, a duplicate id, or two groups of the
        same kind sharing a state.
    """
    target = Path(path) if path is not None else CENSUS_REGIONS
    return _load_cached(str(target.resolve()))


def _parse(path: Path) -> Regions:
    data = read_toml(path, "regions file", error=QueryError)
    check = Checker(str(path))
    raw = data.get("groups")
    if not isinstance(raw, list) or not raw:
        check.add("", "needs one or more [[groups]] tables with id, name, kind and states")
        raw = []
    groups: list[StateGroup] = []
    first: dict[str, int] = {}  # group id -> number of the group that has it
    for number, table in enumerate(raw, 1):
        group = _group(check, table, number)
        group_id = table.get("id") if isinstance(table, dict) else None
        if isinstance(group_id, str) and group_id.strip():
            if group_id.strip() in first:
                check.add(
                    f"group #{number}",
                    f"duplicate id {group_id.strip()!r} (group #{first[group_id.strip()]} has "
                    "it); each group needs its own",
                )
                continue
            first[group_id.strip()] = number
        if group is not None:
            groups.append(group)
    for problem in _overlaps(groups):
        check.add("", problem)
    if check.problems:
        raise QueryError(problem_list(f"regions file {path}", check.problems))
    return Regions(groups=tuple(groups), source=path.name)


def _group(check: Checker, table: object, number: int) -> StateGroup | None:
    """One ``[[groups]]`` table (``None`` when it has problems, all recorded in ``check``)."""
    if not isinstance(table, dict):
        check.add(f"group #{number}", f"must be a [[groups]] table, not {describe(table)}")
        return None
    before = len(check.problems)
    label = f"group #{number}"
    if isinstance(table.get("name"), str) and table["name"].strip():
        label = f"{label} ({table['name'].strip()})"
    texts = {
        key: (check.text(table, key, label, required=True) or "").strip()
        for key in ("id", "name", "kind")
    }
    if texts["id"] and not _ID.match(texts["id"]):
        check.add(
            f"{label}, key 'id'",
            f"{texts['id']!r} may use only letters, digits, - and _ (it names the group "
            "on the command line, as in --region south-atlantic)",
        )
    codes: list[str] = []
    states = table.get("states")
    if "states" not in table:
        check.add(label, "missing key 'states' (a list of postal codes or names)")
    elif not isinstance(states, list) or not states:
        got = "an empty list" if states == [] else describe(states)
        check.add(f"{label}, key 'states'", f"must be a list of postal codes or names, not {got}")
    else:
        for value in states:
            code = normalise_state(value)
            if code is None:
                check.add(f"{label}, key 'states'", f"unknown state {value!r}")
            else:
                codes.append(code)
    if len(check.problems) > before:
        return None
    return StateGroup(texts["id"], texts["name"], texts["kind"], tuple(dict.fromkeys(codes)))


def _overlaps(groups: list[StateGroup]) -> list[str]:
    """Problems for every state listed in two groups of the same kind."""
    seen: dict[tuple[str, str], str] = {}
    problems = []
    for group in groups:
        for code in group.states:
            other = seen.setdefault((group.kind, code), group.name)
            if other != group.name:
                problems.append(
                    f"{code} is in both {other!r} and {group.name!r} (kind {group.kind!r}); "
                    "groups of one kind may not share a state"
                )
    return problems
