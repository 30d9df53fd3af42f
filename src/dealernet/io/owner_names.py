"""One owner, one spelling: owner names that differ only in case, spacing or invisible marks.

``"Alpha Group"``, ``"alpha  group"``, ``"Alpha\\tGroup"`` and ``"Alpha\\u00a0Group"`` are one
owner (:func:`dealernet._names.name_key` gives them one key). If they stayed four spellings,
the rules would call them one owner while the roll-ups counted four groups and their
reports fought over one file, so a confidential report could reach the wrong owner. The
loader therefore rewrites every spelling of an owner to the first one met (tidied by
:func:`dealernet._names.display_name`) and warns about each other spelling, so the rules,
roll-ups, reports, file names, matching and SQL all see one name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from dealernet._names import display_name, name_key
from dealernet.io.validate import FILE, HEADERS, LABEL, ROW, WARNING, Problem
from dealernet.schema import OWNER_GROUP

#: The fix every variant warning ends with.
FIX = "Write the owner's name the same way in every row and file."


@dataclass
class Spellings:
    """Every spelling one owner goes by, in the order met: the first is the one shown."""

    shown: str
    variants: list[str] = field(default_factory=list)


def unify_owner_names(
    frame: pd.DataFrame, column: str = OWNER_GROUP
) -> tuple[pd.DataFrame, dict[str, Spellings]]:
    """``frame`` with each owner written one way, and the owners that had several spellings.

    Missing and blank values stay as they are (an owner not known). Returns a copy only
    when something changed; the mapping is keyed by :func:`name_key`.
    """
    if column not in frame or frame.empty:
        return frame, {}
    values = frame[column]
    seen: dict[str, Spellings] = {}
    for value in values.dropna().unique():
        if not isinstance(value, str) or not (key := name_key(value)):
            continue
        spellings = seen.setdefault(key, Spellings(display_name(value)))
        if value != spellings.shown:
            spellings.variants.append(value)
    if not any(s.variants for s in seen.values()):
        return frame, {}
    rewrite = {v: s.shown for s in seen.values() for v in s.variants}
    out = frame.copy()
    out[column] = values.map(lambda v: rewrite.get(v, v) if isinstance(v, str) else v)
    return out, {k: s for k, s in seen.items() if s.variants}


def owner_spelling_problems(frame: pd.DataFrame) -> list[Problem]:
    """Rewrite ``frame``'s owners to one spelling each, in place; a warning per other spelling.

    ``frame`` is the loader's table (with file and line columns): each warning points at the
    first row written the other way and names the row whose spelling is shown.
    """
    unified, owners = unify_owner_names(frame)
    if not owners:
        return []
    keys = frame[OWNER_GROUP].map(lambda v: name_key(v) if isinstance(v, str) else "")
    problems = []
    for key, spellings in owners.items():
        rows = frame.loc[keys == key]
        first = rows.iloc[0]
        for variant in spellings.variants:
            at = rows.loc[rows[OWNER_GROUP] == variant]
            if at.empty:
                continue
            row = at.iloc[0]
            count = len(at)
            where = f"{first[LABEL]} {int(first[ROW]):,}"
            if first[FILE] != row[FILE]:
                where = f"{first[FILE]}, {where}"
            message = (
                f"the owner is written {spellings.shown!r} at {where}; read as that owner "
                f"({count:,} row{'s' if count != 1 else ''} written this way)"
            )
            column = row[HEADERS].get(OWNER_GROUP, OWNER_GROUP)
            problems.append(
                Problem(
                    WARNING, row[FILE], int(row[ROW]), column, variant, message, FIX, row[LABEL]
                )
            )
    frame[OWNER_GROUP] = unified[OWNER_GROUP]
    return problems


def describe(spellings: Spellings) -> str:
    """``'alpha group' and 'ALPHA GROUP' are read as 'Alpha Group'`` (for notes)."""
    shown = ", ".join(repr(v) for v in spellings.variants[:5])
    more = f" and {len(spellings.variants) - 5} more" if len(spellings.variants) > 5 else ""
    return f"{shown}{more} read as the owner {spellings.shown!r}"
