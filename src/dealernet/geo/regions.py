"""Named groups of states: US Census regions and divisions, or a planner's own groups.

Planners think in regions ("the South", "New England", "our Central zone"), not lists of
state codes. A regions file names such groups once (``_data/regions.toml`` ships the four
Census regions and nine divisions); ``query --region`` selects by name and
``--group-by region`` totals by group. Every group is checked when the file is read, and
groups of one ``kind`` may not share a state, so grouping by a kind never counts a store
twice.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from dealernet._errors import QueryError
from dealernet.schema import normalise_state
from dealernet.settings import PACKAGE_DATA

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

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
        """The group a user means by ``text`` (its id or name, any case, spaces or hyphens).

        Raises
        ------
        QueryError
            When no group has that id or name; the message lists the closest ones.
        """
        key = _key(text)
        for group in self.groups:
            if key in (_key(group.id), _key(group.name)):
                return group
        names = {_key(g.name): g.name for g in self.groups}
        close = difflib.get_close_matches(key, list(names), n=4, cutoff=0.5)
        hint = f" Did you mean {', '.join(names[c] for c in close)}?" if close else ""
        listed = ", ".join(g.name for g in self.groups)
        msg = f"no region called {text!r} in {self.source}.{hint} Known: {listed}."
        raise QueryError(msg)

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
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        msg = f"no regions file at {path}"
        raise QueryError(msg) from None
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"cannot read regions file {path}: {exc}"
        raise QueryError(msg) from None
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path} is not valid TOML: {exc}"
        raise QueryError(msg) from None
    raw = data.get("groups")
    if not isinstance(raw, list) or not raw or not all(isinstance(g, dict) for g in raw):
        msg = f"{path}: needs one or more [[groups]] tables with id, name, kind and states"
        raise QueryError(msg)
    problems: list[str] = []
    groups = [g for n, t in enumerate(raw, 1) if (g := _group(t, n, problems)) is not None]
    problems.extend(_overlaps(groups))
    ids = [g.id for g in groups]
    problems.extend(f"duplicate id {i!r}" for i in sorted({i for i in ids if ids.count(i) > 1}))
    if problems:
        msg = f"{path}: {len(problems)} problem(s) with the regions:\n" + "\n".join(
            f"  - {p}" for p in problems
        )
        raise QueryError(msg)
    return Regions(groups=tuple(groups), source=path.name)


def _group(table: dict, number: int, problems: list[str]) -> StateGroup | None:
    where = f"group #{number}"
    before = len(problems)
    texts = {}
    for key in ("id", "name", "kind"):
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{where}: missing text {key!r}")
        texts[key] = str(value).strip() if value is not None else ""
    if texts["id"] and not _ID.match(texts["id"]):
        problems.append(f"{where}: id {texts['id']!r} may use only letters, digits, - and _")
    states = table.get("states")
    codes: list[str] = []
    if not isinstance(states, list) or not states:
        problems.append(f"{where}: 'states' must be a list of postal codes or names")
    else:
        for value in states:
            code = normalise_state(value)
            if code is None:
                problems.append(f"{where} ({texts['name']}): unknown state {value!r}")
            else:
                codes.append(code)
    if len(problems) > before:
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
