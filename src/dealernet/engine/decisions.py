"""What the rule engine returns: the decisions table, per-store traces, and the CSV writer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from dealernet._atomic import write_text
from dealernet._csv import csv_file_text
from dealernet.schema import (
    CITY,
    DEALER_ID,
    DECISION,
    DECISIONS,
    FROM_OWNER,
    HOST_DEALER_ID,
    LATITUDE,
    LONGITUDE,
    NAME,
    OWNER_GROUP,
    STATE,
    TO_OWNER,
    TRANSFER,
)

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.engine.scenario import Scenario

#: Columns of the decisions table and ``decisions.csv``, in order.
DECISION_COLUMNS: tuple[str, ...] = (
    DEALER_ID,
    NAME,
    OWNER_GROUP,
    CITY,
    STATE,
    LATITUDE,
    LONGITUDE,
    "status",
    "colocation_test",
    DECISION,
    "rule_id",
    "reason",
    HOST_DEALER_ID,
    "host_name",
    #: The host site's own brand: an alliance's hosts are of several brands.
    "host_brand",
    "host_owner_group",
    "same_owner_host",
    TRANSFER,
    FROM_OWNER,
    TO_OWNER,
    "distance_miles",
    "road_miles_est",
)

#: Digits written after the point: coordinates to about 10 cm, miles to about 5 feet.
_DIGITS = {LATITUDE: 6, LONGITUDE: 6, "distance_miles": 3, "road_miles_est": 3}


@dataclass(frozen=True)
class RuleStep:
    """One rule tried on one store: whether it decided, and what happened or why not."""

    rule_id: str
    decided: bool
    detail: str


@dataclass(frozen=True)
class NearbyHost:
    """A host site near a store, with its geodesic distance.

    ``same_owner`` is ``None`` when the store's or the host's owner is not known.
    """

    dealer_id: str
    name: str
    owner_group: str | None
    miles: float
    same_owner: bool | None


@dataclass(frozen=True)
class SiteTrace:
    """How one store's decision came about: the rules tried, and the hosts around it."""

    dealer_id: str
    status: str
    decision: str
    reason: str
    steps: tuple[RuleStep, ...]
    nearest_hosts: tuple[NearbyHost, ...]

    def describe(self) -> str:
        """The trace as a few lines of text, for the terminal or a report."""
        lines = [f"{self.dealer_id} ({self.status}): {self.decision}. {self.reason}"]
        for step in self.steps:
            mark = "decided" if step.decided else "did not apply"
            lines.append(f"  rule {step.rule_id}: {mark}: {step.detail}")
        for host in self.nearest_hosts:
            same = ", same owner group" if host.same_owner else ""
            if host.same_owner is None:
                same = ", owner not known"
            lines.append(f"  near: {host.name} ({host.dealer_id}), {host.miles:.1f} miles{same}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Decisions:
    """The outcome of :func:`dealernet.engine.rules.apply_rules`.

    Attributes
    ----------
    table
        One row per source-brand site, in input order, with :data:`DECISION_COLUMNS`.
    trace
        Per site (by dealer id): the rules tried and why each did not apply, and the three
        nearest host sites.
    scenario
        The scenario that produced it.
    notes
        Things worth telling the user, e.g. a rule whose condition uses a field no site has.
    """

    table: pd.DataFrame
    trace: dict[str, SiteTrace]
    scenario: Scenario
    notes: tuple[str, ...] = field(default=())

    def counts(self) -> pd.Series:
        """Number of sites per decision, in the order keep, absorb, close, unaffected."""
        counts = self.table[DECISION].value_counts()
        return pd.Series(
            [int(counts.get(d, 0)) for d in DECISIONS], index=list(DECISIONS), name="sites"
        )

    def counts_by_rule(self) -> pd.DataFrame:
        """Sites decided by each rule, in scenario order, then the undecided and co-located.

        Columns ``decision`` and ``sites``, indexed by rule id; every rule is listed, even
        one that decided nothing (worth knowing when tuning a scenario).
        """
        table = self.table
        rows = []
        for rule in self.scenario.rules:
            n = int((table["rule_id"] == rule.id).sum())
            rows.append((rule.id, rule.action, n))
        no_rule = table["rule_id"].isna()
        rows.append(
            ("(no rule applied)", "keep", int((no_rule & (table[DECISION] == "keep")).sum()))
        )
        rows.append(("(co-located)", "unaffected", int((table[DECISION] == "unaffected").sum())))
        out = pd.DataFrame(rows, columns=["rule_id", DECISION, "sites"]).set_index("rule_id")
        return out

    def absorbed_by_host(self) -> pd.Series:
        """Stores absorbed into each host site (host dealer id -> count), largest first."""
        absorbed = self.table[self.table[DECISION] == "absorb"]
        return absorbed[HOST_DEALER_ID].value_counts().rename("absorbed")

    def explain(self, dealer_id: str) -> str:
        """How one store's decision came about, as text."""
        return self.trace[str(dealer_id)].describe()

    def to_csv(self, path: str | Path) -> Path:
        """Write the table as ``decisions.csv`` (see :func:`write_decisions_csv`)."""
        return write_decisions_csv(self.table, path)


def decisions_text(table: pd.DataFrame) -> str:
    """The decisions table as CSV text with fixed columns (see :func:`write_decisions_csv`)."""
    frame = table.reindex(columns=list(DECISION_COLUMNS))
    for column, digits in _DIGITS.items():
        frame[column] = pd.to_numeric(frame[column], errors="coerce").round(digits)
    return csv_file_text(frame)


def write_decisions_csv(table: pd.DataFrame, path: str | Path) -> Path:
    """Write the decisions table as UTF-8 CSV, atomically and reproducibly.

    Floats are rounded (coordinates to 6 digits, miles to 3), booleans are ``true`` /
    ``false``, text is quoted, missing values are empty, lines end in ``\\n``, and the file
    starts with a byte-order mark (:mod:`dealernet._csv`): identical inputs give
    byte-identical files. The file is written beside ``path`` and renamed into place, so a
    reader never sees half a file.
    """
    return write_text(Path(path), decisions_text(table))
