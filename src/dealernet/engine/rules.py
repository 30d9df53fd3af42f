"""The rule engine: decide, for every source-brand store, keep / absorb / close, and say why.

:func:`apply_rules` classifies the network (co-located stores are ``unaffected``), then tries
the scenario's rules in order on the stand-alone stores. The first rule whose condition holds
*and* whose action can be carried out decides; an ``absorb`` that finds no eligible host
(too far, full, excluded, wrong owner) falls through to the next rule; a store no rule
decides keeps its showroom. Every host's room is shared across rules: each absorption into a
host uses one of its places, whichever rule made it.

Distances are WGS84 geodesic miles (:mod:`dealernet.geo.distance`); with ``metric = "road"``
a rule's ``max_distance_miles`` is compared with geodesic miles times the circuity factor.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dealernet.engine._assign import enough_choices
from dealernet.engine._candidates import Reach
from dealernet.engine._choices import Sites, Usable, choose
from dealernet.engine._host_room import excluded_hosts, exclusion_text, host_room
from dealernet.engine._no_host import hosts_around, no_host_reason
from dealernet.engine._owners import SAME_OWNER_SKIPPED, Owners, with_skips
from dealernet.engine.colocation import (
    COLOCATED,
    COLOCATION_TEST,
    DISTANCE_TO_NEAREST_HOST,
    STANDALONE,
    STATUS,
    brand_sites,
    classify,
    rooftop_reason,
    shared_rooftops,
)
from dealernet.engine.decisions import (
    DECISION_COLUMNS,
    Decisions,
    NearbyHost,
    RuleStep,
    SiteTrace,
    write_decisions_csv,
)
from dealernet.engine.scenario import (
    ABSORB,
    CLOSE,
    HAS_SOURCE_SHOWROOM,
    IGNORE,
    KEEP,
    OPTIMAL,
    OWNER_STORE_COUNT,
    REQUIRE,
    ROAD,
    ROAD_MILES_TO_NEAREST_HOST,
)
from dealernet.geo.distance import SiteIndex, geodesic_miles
from dealernet.schema import (
    ADDRESS,
    BRAND,
    CITY,
    DEALER_ID,
    DECISION,
    FROM_OWNER,
    GEOMETRY,
    HOST_CAPACITY,
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
    import geopandas as gpd

    from dealernet.engine.scenario import Rule, Scenario

__all__ = [
    "DECISION_COLUMNS",
    "Decisions",
    "NearbyHost",
    "RuleStep",
    "SiteTrace",
    "apply_rules",
    "write_decisions_csv",
]

UNAFFECTED = "unaffected"
#: Rule id column value when no rule decided (co-located, or no rule applied).
NO_RULE = ""


def apply_rules(network: gpd.GeoDataFrame, scenario: Scenario) -> Decisions:
    """Decide every source-brand site of ``network`` under ``scenario``.

    Parameters
    ----------
    network
        All sites (EPSG:4326) with the schema columns; an optional ``host_capacity`` column,
        where filled in, replaces the rules' ``capacity`` for that host.
    scenario
        The validated scenario.

    Returns
    -------
    Decisions
        ``.table`` (one row per source-brand site, input order), ``.trace`` (per site: the
        rules tried and why each did not apply, and the three nearest hosts).
    """
    return _Engine(network, scenario).run()


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name in frame.columns:
        return frame[name].to_numpy(dtype=object)
    return np.full(len(frame), None, dtype=object)


def _miles_text(miles: float) -> str:
    return f"{miles:.1f}" if miles >= 0.1 else f"{miles:.2f}"


class _Engine:
    """One run of the rules over one network; holds the state the rules share."""

    def __init__(self, network: gpd.GeoDataFrame, scenario: Scenario) -> None:
        self.scenario = scenario
        self.road = scenario.distance.metric == ROAD
        self.circuity = scenario.distance.circuity_factor
        self.host_word = f"{scenario.host_brand} showroom"
        self.sources = classify(
            network, scenario.source_brand, scenario.host_brands, scenario.colocation_radius_miles
        )
        self.hosts = brand_sites(network, scenario.host_brands)
        #: Each host's own brand: an alliance's hosts are of several brands.
        self.h_brand = _column(self.hosts, BRAND).astype(str)
        self.n, self.m = len(self.sources), len(self.hosts)
        self.slat = self.sources[LATITUDE].to_numpy(dtype="float64")
        self.slon = self.sources[LONGITUDE].to_numpy(dtype="float64")
        self.hlat = self.hosts[LATITUDE].to_numpy(dtype="float64")
        self.hlon = self.hosts[LONGITUDE].to_numpy(dtype="float64")
        self.index = SiteIndex.build(self.hlat, self.hlon)
        self.owners = Owners.of(self.sources, self.hosts)
        self.s_owner, self.h_owner = self.owners.source, self.owners.host
        self.h_name = self._names(self.hosts)
        self.h_owner_group = _column(self.hosts, OWNER_GROUP)
        self.used = np.zeros(self.m)
        self.host_capacity = (
            pd.to_numeric(self.hosts[HOST_CAPACITY], errors="coerce").to_numpy(dtype="float64")
            if HOST_CAPACITY in self.hosts.columns
            else np.full(self.m, np.nan)
        )
        self.owner_hosts = self.owners.hosts_of
        self.near_idx, self.near_miles = self.index.k_nearest(self.slat, self.slon, 3)
        self.shared = shared_rooftops(self.sources, self.hosts)
        self.site_frame = self._site_fields()
        self.host_frame = self._host_fields()
        self.decision = np.full(self.n, "", dtype=object)
        self.rule_id = np.full(self.n, NO_RULE, dtype=object)
        self.reason = np.full(self.n, "", dtype=object)
        self.host = np.full(self.n, -1, dtype="int64")
        self.miles = np.full(self.n, np.nan)
        self.steps: list[list[RuleStep]] = [[] for _ in range(self.n)]
        self.miss: dict[int, tuple[str, str]] = {}
        self.notes: list[str] = []
        #: Same-owner rules each store whose owner is not known was passed over by.
        self.skipped: dict[int, list[str]] = {}

    @staticmethod
    def _names(frame: pd.DataFrame) -> np.ndarray:
        names = _column(frame, NAME)
        ids = _column(frame, DEALER_ID)
        return np.array(
            [n if isinstance(n, str) and n else str(i) for n, i in zip(names, ids, strict=True)]
        )

    # --- derived fields ---------------------------------------------------------------------

    def _site_fields(self) -> pd.DataFrame:
        """Source sites with the derived fields conditions may use."""
        frame = pd.DataFrame(self.sources.drop(columns=GEOMETRY, errors="ignore"))
        frame[ROAD_MILES_TO_NEAREST_HOST] = frame[DISTANCE_TO_NEAREST_HOST] * self.circuity
        for name, values in self.owners.site_fields(
            self.slat, self.slon, self.hlat, self.hlon
        ).items():
            frame[name] = values
        return frame

    def _host_fields(self) -> pd.DataFrame:
        """Host sites with the derived fields ``exclude_hosts`` may use."""
        frame = pd.DataFrame(self.hosts.drop(columns=GEOMETRY, errors="ignore"))
        colocated = (self.sources[STATUS] == COLOCATED).to_numpy() & (self.shared >= 0)
        dual = np.zeros(self.m, dtype=bool)
        if self.m:
            dual[self.shared[colocated]] = True
        frame[HAS_SOURCE_SHOWROOM] = dual
        frame[OWNER_STORE_COUNT] = self.owners.host_store_counts()
        return frame

    # --- the run --------------------------------------------------------------------------

    def run(self) -> Decisions:
        standalone = (self.sources[STATUS] == STANDALONE).to_numpy()
        colocated = np.flatnonzero(~standalone)
        self.decision[colocated] = UNAFFECTED
        h = self.host[colocated] = self.shared[colocated]
        self.miles[colocated] = geodesic_miles(
            self.slat[colocated], self.slon[colocated], self.hlat[h], self.hlon[h]
        )
        test = _column(self.sources, COLOCATION_TEST)
        s_address, h_address = _column(self.sources, ADDRESS), _column(self.hosts, ADDRESS)
        for i in colocated:
            h = self.host[i]
            self.reason[i] = rooftop_reason(
                test[i], (s_address[i], h_address[h]), self.h_name[h], _miles_text(self.miles[i])
            )
        open_ = standalone.copy()
        for rule in self.scenario.rules:
            rows = np.flatnonzero(open_)
            if rows.size == 0:
                break
            holds = self._holds(rule, rows)
            chosen = rows[holds]
            if rule.action == ABSORB:
                chosen = self._absorb(rule, chosen)
            else:
                for i in chosen:
                    self._decide(i, rule)
            open_[chosen] = False
        for i in np.flatnonzero(open_):
            self.decision[i] = KEEP
            last = self.miss.get(int(i))
            tail = f" (last tried: rule {last[0]}: {last[1]})" if last else ""
            self.reason[i] = f"No rule applied, so it keeps its own showroom{tail}"
        with_skips(self.reason, self.skipped)
        return self._result()

    def _holds(self, rule: Rule, rows: np.ndarray) -> np.ndarray:
        """Where the rule's condition holds among ``rows``; records why not in the trace."""
        if rule.when is None:
            return np.ones(rows.size, dtype=bool)
        holds = rule.when.evaluate(self.site_frame.iloc[rows])
        missing = {
            f: self.site_frame[f].isna().to_numpy()[rows] if f in self.site_frame else None
            for f in rule.when.fields
        }
        for f, mask in missing.items():
            if mask is None or mask.all():
                self.notes.append(
                    f"rule {rule.id}: no stand-alone store it saw has a value for {f}, "
                    f"so `{rule.when.text}` never held"
                )
        for pos in np.flatnonzero(~holds):
            lacking = [f for f, mask in missing.items() if mask is None or mask[pos]]
            why = f"its condition `{rule.when.text}` does not hold"
            if lacking:
                why += f" ({', '.join(lacking)}: no value for this store)"
            self.steps[rows[pos]].append(RuleStep(rule.id, False, why))
        return holds

    def _decide(self, i: int, rule: Rule) -> None:
        """Record a keep or close decision."""
        self.decision[i] = rule.action
        self.rule_id[i] = rule.id
        verb = "Kept" if rule.action == KEEP else "Closed"
        if rule.reason:
            text = f"{verb}: {self._clause(rule.reason)}"
        elif rule.action == CLOSE and i in self.miss:
            text = f"{verb}: {self.miss[i][1]}"
        elif rule.when is not None:
            text = f"{verb} because {rule.when.text}"
        else:
            text = verb
        self.reason[i] = f"{text} (rule {rule.id})"
        self.steps[i].append(RuleStep(rule.id, True, rule.action))

    def _clause(self, text: str) -> str:
        """A rule's reason as the continuation of a sentence ("No Nissan" -> "no Nissan")."""
        text = text.strip().rstrip(".")
        first = text.split(" ", 1)[0]
        brands = {self.scenario.source_brand, *self.scenario.host_brands}
        if first[:1].isupper() and first[1:].islower() and first not in brands:
            return text[0].lower() + text[1:]
        return text

    # --- absorb -------------------------------------------------------------------------

    def _reach(self, limit: float) -> Reach:
        """A rule's limit in the scenario's metric."""
        return Reach(limit, self.circuity if self.road else 1.0)

    def _absorb(self, rule: Rule, rows: np.ndarray) -> np.ndarray:
        """Place ``rows`` with hosts under one absorb rule; returns the rows placed."""
        limit = math.inf if rule.max_distance_miles is None else rule.max_distance_miles
        reach = self._reach(limit)
        brands = self.scenario.host_brands
        remaining = host_room(rule, brands, self.h_brand, self.host_capacity) - self.used
        excluded, notes = excluded_hosts(rule, brands, self.h_brand, self.host_frame)
        self.notes.extend(notes)
        usable = (remaining > 0) & ~excluded
        room = np.where(usable, remaining, 0.0)
        ok = np.flatnonzero(usable)
        sub = SiteIndex.build(self.hlat[ok], self.hlon[ok])
        k_max = max(1, min(enough_choices(room[ok], rows.size), ok.size))
        ids = _column(self.sources, DEALER_ID)[rows].astype(str)
        rank = np.argsort(np.argsort(ids, kind="stable"), kind="stable")
        if note := self.owners.skip_note(rule, rows):
            self.notes.append(note)
        prow, phost, pmiles, chosen = choose(
            Sites(self.slat[rows], self.slon[rows], self.s_owner[rows]),
            Sites(self.hlat, self.hlon, self.h_owner),
            self.owner_hosts,
            Usable(ok, sub, usable, room, reach),
            same_owner=rule.same_owner,
            optimal=rule.assignment == OPTIMAL,
            k_max=k_max,
            rank=rank,
        )
        keys = prow * max(self.m, 1) + phost
        order = np.argsort(keys, kind="stable")
        placed = np.flatnonzero(chosen >= 0)
        at = order[np.searchsorted(keys[order], placed * max(self.m, 1) + chosen[placed])]
        chosen_miles = np.full(rows.size, np.nan)
        chosen_miles[placed] = pmiles[at]
        why = self._why_no_host(rows[chosen < 0], rule, limit, excluded, remaining)
        for pos, h in enumerate(chosen):
            i = rows[pos]
            if h < 0:
                short, detail = why[int(i)]
                if short == SAME_OWNER_SKIPPED:
                    self.skipped.setdefault(int(i), []).append(rule.id)
                self.miss[i] = (rule.id, short)
                self.steps[i].append(RuleStep(rule.id, False, detail))
                continue
            self.used[h] += 1
            self._absorbed(i, rule, int(h), float(chosen_miles[pos]))
        return rows[placed]

    def _absorbed(self, i: int, rule: Rule, h: int, miles: float) -> None:
        self.decision[i] = ABSORB
        self.rule_id[i] = rule.id
        self.host[i] = h
        self.miles[i] = miles
        who = self.owners.who(i, h)
        move = self.owners.move(i, h, self.h_owner_group[h], self.h_brand[h])
        road = f", about {_miles_text(miles * self.circuity)} by road" if self.road else ""
        away = f"{_miles_text(miles)} straight-line miles away{road}"
        text = f"Absorbed into {self.h_name[h]}{who}, {away}: {move} (rule {rule.id})"
        if rule.same_owner != IGNORE and self.s_owner[i] is None:
            text += f"; {SAME_OWNER_SKIPPED}"
        if rule.reason:
            text += f". {rule.reason.strip().rstrip('.')}."
        self.reason[i] = text
        self.steps[i].append(RuleStep(rule.id, True, f"absorbed into {self.h_name[h]}"))

    def _why_no_host(
        self,
        rows: np.ndarray,
        rule: Rule,
        limit: float,
        excluded: np.ndarray,
        remaining: np.ndarray,
    ) -> dict[int, tuple[str, str]]:
        """Why an absorb rule found no host for each store of ``rows``: a short and a
        detailed sentence."""
        hw = self.host_word
        require = rule.same_owner == REQUIRE
        out: dict[int, tuple[str, str]] = {}
        todo = []
        for i in rows:
            if require and self.s_owner[i] is None:
                out[int(i)] = (
                    SAME_OWNER_SKIPPED,
                    f"{SAME_OWNER_SKIPPED}: it needs this store's owner",
                )
            elif self.m == 0:
                out[int(i)] = f"there is no {hw}", f"there is no {hw} in the network"
            else:
                todo.append(int(i))
        at = np.array(todo, dtype="int64")
        stores = Sites(self.slat[at], self.slon[at], self.s_owner[at])
        hosts = Sites(self.hlat, self.hlon, self.h_owner)
        around = hosts_around(
            stores,
            hosts,
            self.index,
            self.owner_hosts,
            self._reach(limit),
            excluded,
            remaining <= 0,
            require=require,
        )
        unit = "road miles (estimated)" if self.road else "miles"
        span = f" within {limit:g} {unit}" if math.isfinite(limit) else ""
        for i, seen in zip(todo, around, strict=True):
            out[i] = no_host_reason(
                seen,
                host_word=hw,
                span=span,
                exclusion=exclusion_text(rule),
                nearest=_miles_text(self.near_miles[i, 0]),
                require=require,
            )
        return out

    # --- output -------------------------------------------------------------------------

    def _result(self) -> Decisions:
        src = self.sources
        has_host = self.host >= 0
        h = np.where(has_host, self.host, 0)

        def host_col(name: str) -> np.ndarray:
            values = _column(self.hosts, name)
            out = np.full(self.n, None, dtype=object)
            if self.m:
                out[has_host] = values[h[has_host]]
            return out

        same = pd.array(
            [
                self.owners.same(i, int(self.host[i])) if has_host[i] else None
                for i in range(self.n)
            ],
            dtype="boolean",
        )
        absorbed = self.decision == ABSORB
        transfer = pd.array(
            [
                self.owners.transfer(i, int(self.host[i])) if absorbed[i] else None
                for i in range(self.n)
            ],
            dtype="boolean",
        )
        from_owner = self.owners.known(_column(src, OWNER_GROUP), self.s_owner)
        to_owner = self.owners.known(host_col(OWNER_GROUP), self._host_keys())
        to_owner[~absorbed] = None
        table = pd.DataFrame(
            {
                DEALER_ID: _column(src, DEALER_ID),
                NAME: _column(src, NAME),
                OWNER_GROUP: _column(src, OWNER_GROUP),
                CITY: _column(src, CITY),
                STATE: _column(src, STATE),
                LATITUDE: self.slat,
                LONGITUDE: self.slon,
                STATUS: _column(src, STATUS),
                COLOCATION_TEST: _column(src, COLOCATION_TEST),
                DECISION: self.decision,
                "rule_id": pd.Series(self.rule_id, dtype=object).where(
                    self.rule_id != NO_RULE, None
                ),
                "reason": self.reason,
                HOST_DEALER_ID: host_col(DEALER_ID),
                "host_name": host_col(NAME),
                "host_brand": host_col(BRAND),
                "host_owner_group": host_col(OWNER_GROUP),
                "same_owner_host": same,
                TRANSFER: transfer,
                FROM_OWNER: from_owner,
                TO_OWNER: to_owner,
                "distance_miles": self.miles,
                "road_miles_est": self.miles * self.circuity,
            },
            columns=list(DECISION_COLUMNS),
        )
        return Decisions(
            table=table,
            trace=self._traces(table),
            scenario=self.scenario,
            notes=tuple(dict.fromkeys(self.notes)),
        )

    def _host_keys(self) -> np.ndarray:
        """The owner key of each store's host (``None`` with no host or an unknown owner)."""
        keys = np.full(self.n, None, dtype=object)
        has_host = self.host >= 0
        if self.m:
            keys[has_host] = self.h_owner[self.host[has_host]]
        return keys

    def _traces(self, table: pd.DataFrame) -> dict[str, SiteTrace]:
        ids = table[DEALER_ID].astype(str).to_numpy()
        host_ids = _column(self.hosts, DEALER_ID)
        host_owner = self.h_owner_group
        status = table[STATUS].to_numpy(dtype=object)
        traces: dict[str, SiteTrace] = {}
        for i in range(self.n):
            near = tuple(
                NearbyHost(
                    dealer_id=str(host_ids[h]),
                    name=str(self.h_name[h]),
                    owner_group=host_owner[h],
                    miles=float(d),
                    same_owner=self.owners.same(i, int(h)),
                )
                for h, d in zip(self.near_idx[i], self.near_miles[i], strict=True)
                if h >= 0
            )
            traces[ids[i]] = SiteTrace(
                dealer_id=ids[i],
                status=str(status[i]),
                decision=str(self.decision[i]),
                reason=str(self.reason[i]),
                steps=tuple(self.steps[i]),
                nearest_hosts=near,
            )
        return traces
