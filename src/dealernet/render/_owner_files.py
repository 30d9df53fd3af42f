"""Which owner groups get a report, and the file each report is written to.

One home for the names of ``OUT/owners/<stem>.html``: the reports, the index and every
map's popups link them, so all must agree. Stems are chosen among all of a run's groups
(:func:`dealernet.slugs.file_stems`): plain where no other group has the same slug, so a
group's file is the same whichever reports a command writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dealernet.analysis.owner_groups import owner_keys
from dealernet.schema import DECISION, OWNER_GROUP
from dealernet.slugs import file_stems

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.analysis.result import Result

__all__ = ["owner_stems", "report_stems", "reported_owners"]

#: Where a run object keeps its stems once built (a report per group asks for them).
_CACHE = "_owner_file_stems"


def reported_owners(result: Result) -> set[str]:
    """Owner groups that get a report: those with at least one store absorbed or closed.

    Keys as the roll-ups key them: a store whose owner is not known has a report of its own.
    """
    table = result.decisions.table
    keys = owner_keys(table)
    return set(keys.loc[table[DECISION].isin(["absorb", "close"])])


def owner_stems(result: Result) -> dict[str, str]:
    """The file stem of every owner group's report (``OUT/owners/<stem>.html``)."""
    cached: dict[str, str] | None = result.__dict__.get(_CACHE)
    if cached is None:
        names = {str(o) for o in result.owners[OWNER_GROUP]} | reported_owners(result)
        cached = result.__dict__[_CACHE] = file_stems(names)
    return cached


def report_stems(result: Result) -> dict[str, str]:
    """The file stem of each owner group that gets a report (:func:`reported_owners`)."""
    stems = owner_stems(result)
    return {owner: stems[owner] for owner in reported_owners(result)}
