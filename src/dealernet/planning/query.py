"""Questions planners ask of a result: "which stores in Texas close?", "what within 60 miles
of Denver?", "how many jobs per owner group in the South?".

:func:`query` filters the source-brand sites with filters that combine with AND, and either
lists them or totals them by group. It builds on :func:`dealernet.planning.selection.select`
(states, owner groups, a radius around a place), so maps, reports and queries select the same sites
and name them in the same words, and adds counties, named regions, decisions, hosts and a
floor on jobs lost. Group totals come from :func:`dealernet.analysis.rollups.rollup`: counts and
baselines are sums of the rows, and low / base / high are percentiles of the group's summed
Monte Carlo draws, because every store shares the same drawn assumptions.

Writing answers as CSV, JSON, GeoJSON or GeoPackage is :mod:`dealernet.outputs.formats`'s job.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dealernet._errors import QueryError
from dealernet._names import HOST, Match, Names, corrected, name_key
from dealernet.analysis import rollups
from dealernet.analysis.access import THRESHOLDS_MILES
from dealernet.analysis.impact import Impacts, select_draws
from dealernet.analysis.owner_groups import owner_keys, owner_sources, with_key_columns
from dealernet.geo.counties import counties_at, match_counties
from dealernet.geo.regions import DIVISION, NO_GROUP, REGION, Regions, load_regions
from dealernet.planning.selection import host_sites, select
from dealernet.schema import (
    DEALER_ID,
    DECISION,
    DECISIONS,
    HOST_DEALER_ID,
    LATITUDE,
    LONGITUDE,
    NAME,
    OWNER_GROUP,
    STATE,
    state_name,
)
from dealernet.slugs import slug as make_slug

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from dealernet.analysis.result import Result
    from dealernet.planning.selection import Selection

#: What ``group_by`` accepts, and the column each group's key is written to.
GROUP_COLUMNS: dict[str, str] = {
    "state": STATE,
    "county": "county_fips",
    "region": "region",
    "division": "division",
    "owner": OWNER_GROUP,
    "host": HOST_DEALER_ID,
    "decision": DECISION,
}
GROUP_BY: tuple[str, ...] = tuple(GROUP_COLUMNS)
#: Thresholds of the people-pushed-beyond columns, as the access stage measures them.
PUSHED: tuple[str, ...] = tuple(f"{t:g}" for t in THRESHOLDS_MILES)
#: Columns added to each site row next to the decision and the impacts.
PLACE_COLUMNS = ("county_fips", "county_name", "region", "division")
_DECISION_WORDS = {"kept": "keep", "absorbed": "absorb", "closed": "close", "closes": "close"}

Many = str | Sequence[str] | None


@dataclass(frozen=True)
class QueryResult:
    """The answer to one query.

    Attributes
    ----------
    sites
        One row per selected source-brand site: its decision, county, Census region and
        division, and its impacts (baselines, losses low / base / high, customers).
    groups
        With ``group_by``: one row per group with stores by decision, baselines, every loss
        measure as low / base / high, and the people pushed beyond 25 / 50 / 100 miles;
        sorted by jobs lost (base), largest first. ``None`` without ``group_by``.
    group_by
        What the groups are (one of :data:`GROUP_BY`), or ``None``.
    totals
        The same totals over the whole selection (one row).
    selection
        The sites chosen, as a :class:`~dealernet.planning.selection.Selection` a map can draw.
    ranges_exact
        False when the result was read back from files whose draws could not be rebuilt;
        ranges are then comonotone sums (see :mod:`dealernet.planning.saved_run`).
    notes
        Things to tell the user (why ranges are approximate, empty answers).

    Names read with a correction (``"Texs"`` as Texas) are in :attr:`corrections`.
    """

    sites: pd.DataFrame
    groups: pd.DataFrame | None
    group_by: str | None
    totals: pd.Series
    selection: Selection
    ranges_exact: bool = True
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The selection in words: ``"Texas · absorb or close"``."""
        return self.selection.label

    @property
    def corrections(self) -> tuple[Match, ...]:
        """Every name of the filters that was not matched as typed, to tell the user."""
        return self.selection.corrections

    @property
    def frame(self) -> pd.DataFrame:
        """What the answer lists: the groups when grouped, else the sites."""
        return self.groups if self.groups is not None else self.sites

    def to_geodataframe(self) -> gpd.GeoDataFrame:
        """Sites as points, or groups as state, county or region outlines or host points."""
        from dealernet.outputs.formats import query_geodataframe

        return query_geodataframe(self)

    def write(self, path: str | Path, fmt: str | None = None) -> Path:
        """Write the answer atomically; the format comes from the suffix unless given."""
        from dealernet.outputs.formats import write_query

        return write_query(self, Path(path), fmt)


def _many(value: Many) -> list[str]:
    """One text or several, as a list without blanks."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [str(v) for v in items if str(v).strip()]


def query(
    result: Result,
    *,
    states: Many = (),
    county: Many = (),
    region: Many = (),
    near: str | None = None,
    radius_miles: float | None = None,
    owner: Many = (),
    decision: Many = (),
    host: Many = (),
    min_jobs_lost: float | None = None,
    group_by: str | None = None,
    regions_file: str | Path | None = None,
) -> QueryResult:
    """Select source-brand sites with filters that combine with AND, optionally grouped.

    Several values of one filter (two states, two decisions) match either; different
    filters must all match.

    Parameters
    ----------
    result
        A run (:func:`dealernet.run`) or one read back
        (:func:`dealernet.planning.saved_run.load_results`).
    states
        Postal codes or names.
    county
        Counties as 5-digit FIPS codes (``"48113"``) or names with their state
        (``"Dallas, TX"``, ``"Dallas County, Texas"``); a name alone if only one county has it.
    region
        Named groups of states from ``regions_file`` (default: the Census regions and
        divisions, e.g. ``"South"``, ``"New England"``).
    near, radius_miles
        A place (``"Denver, CO"``) or coordinates (``"39.74,-104.99"``) and a WGS84
        geodesic radius in miles (default 50); a site exactly on the circle is inside.
    owner
        Owner groups of the sites (see :func:`dealernet.planning.selection.select`).
    decision
        ``keep``, ``absorb``, ``close`` or ``unaffected``.
    host
        The host-brand site that takes a store: its dealer id or name.
    min_jobs_lost
        Only stores whose jobs lost (base, the median estimate) are at least this.
    group_by
        ``state``, ``county``, ``region``, ``division``, ``owner``, ``host`` or ``decision``.
    regions_file
        A regions file of your own (see ``_data/regions.toml`` for the shape).

    Raises
    ------
    QueryError
        For a filter that cannot match as typed (unknown state, county, region, owner,
        host or decision; an ambiguous place; a bad radius or jobs floor), with
        suggestions. A valid query that matches no site is an empty answer, not an error.
    """
    if group_by is not None and group_by not in GROUP_COLUMNS:
        msg = f"cannot group by {group_by!r}; choose one of {', '.join(GROUP_BY)}"
        raise QueryError(msg)
    regions = load_regions(regions_file)
    base = select(
        result, states=_many(states), owners=_many(owner), near=near, radius_miles=radius_miles
    )
    table = result.decisions.table
    hosts = host_sites(result)
    mask, host_mask = base.mask.copy(), base.host_mask.copy()
    parts = [] if base.is_everything else [base.label]
    read: list[Match] = list(base.corrections)
    places = site_places(table, regions)
    if counties := _many(county):
        fips, names, read_as = match_counties(counties)
        read += read_as
        mask &= places["county_fips"].isin(fips).to_numpy()
        host_mask &= np.isin(counties_at(hosts)[0], list(fips))
        parts.append(" or ".join(names))
    if wanted := _many(region):
        found = [regions.match(r) for r in wanted]
        read += [m for _, m in found]
        groups = [g for g, _ in found]
        codes = {c for g in groups for c in g.states}
        mask &= table[STATE].isin(codes).to_numpy()
        host_mask &= hosts[STATE].isin(codes).to_numpy()
        parts.append(" or ".join(dict.fromkeys(g.name for g in groups)))
    if decisions := _many(decision):
        decisions = _match_decisions(decisions)
        mask &= table[DECISION].isin(decisions).to_numpy()
        parts.append(" or ".join(decisions))
    if named := _many(host):
        ids, label, read_as = match_hosts(named, table, hosts)
        read += read_as
        mask &= table[HOST_DEALER_ID].astype(str).isin(ids).to_numpy()
        host_mask &= hosts[DEALER_ID].astype(str).isin(ids).to_numpy()
        parts.append(f"absorbed into {label}")
    if min_jobs_lost is not None:
        floor = _floor(min_jobs_lost)
        jobs = result.impacts.table["jobs_lost_base"].to_numpy(dtype="float64")
        mask &= np.nan_to_num(jobs, nan=-np.inf) >= floor
        parts.append(f"at least {floor:g} jobs lost (base)")
    label = " · ".join(parts) or base.label
    selection = dataclasses.replace(
        base,
        mask=mask,
        host_mask=host_mask,
        label=label,
        slug=make_slug(label, prefix="region") if parts else base.slug,
        corrections=corrected(read),
    )
    return _answer(result, selection, places, group_by, regions)


def _answer(
    result: Result,
    selection: Selection,
    places: pd.DataFrame,
    group_by: str | None,
    regions: Regions,
) -> QueryResult:
    """The selected rows, their totals, and the groups."""
    mask = selection.mask
    decisions = result.decisions.table.loc[mask].reset_index(drop=True)
    impacts = subset_impacts(result.impacts, mask)
    sites = pd.concat(
        [
            decisions,
            places.loc[mask].reset_index(drop=True),
            impacts.table.drop(columns=[DEALER_ID, DECISION], errors="ignore"),
        ],
        axis=1,
    )
    exact = bool(getattr(result, "ranges_exact", True))
    notes = list(getattr(result, "notes", ()))
    if not exact:
        notes.append(
            "low / high of group totals are sums of the stores' own low / high (the run's "
            "draws could not be rebuilt); exact for stores whose losses move together"
        )
    if not mask.any():
        notes.append(f"no {result.source_brand} site matches {selection.label}")
    keys = np.full(len(sites), "Selection", dtype=object)
    whole = totals_by(keys, sites, decisions, impacts).drop(columns="key")
    # an empty selection has no group at all: its totals are zeros, not a missing row
    totals = whole.astype(object).iloc[0] if len(whole) else pd.Series(0, index=whole.columns)
    groups = None
    if group_by is not None:
        groups = totals_by(
            group_keys(sites, group_by, regions), sites, decisions, impacts, group_by
        )
        if group_by == "host":
            groups = _with_host_points(groups, host_sites(result))
        if group_by == "owner":  # the columns of owners.csv: a store alone says so
            sources = owner_sources(sites, result.network, result.source_brand)
            groups = with_key_columns(groups, sites, sources)
    return QueryResult(
        sites=sites,
        groups=groups,
        group_by=group_by,
        totals=totals,
        selection=selection,
        ranges_exact=exact,
        notes=tuple(dict.fromkeys(notes)),
    )


def subset_impacts(impacts: Impacts, mask: np.ndarray) -> Impacts:
    """The impacts of the masked rows, draws included, in the same order."""
    return Impacts(
        table=impacts.table.loc[mask].reset_index(drop=True),
        draws=select_draws(impacts.draws, mask),
        assumptions=impacts.assumptions,
    )


def totals_by(
    keys: np.ndarray,
    sites: pd.DataFrame,
    decisions: pd.DataFrame,
    impacts: Impacts,
    group_by: str | None = None,
) -> pd.DataFrame:
    """Totals per key: :func:`rollups.rollup` plus customers, named and sorted for reading."""
    keys = pd.Series(np.asarray(keys, dtype=object)).fillna(NO_GROUP).astype(str).to_numpy()
    out = rollups.rollup(keys, decisions, impacts)
    people = pd.DataFrame({"key": keys})
    for column in ("customers_population", *(f"customers_pushed_beyond_{t}" for t in PUSHED)):
        values = sites[column] if column in sites.columns else pd.Series(0, index=sites.index)
        people[column] = pd.to_numeric(values, errors="coerce").fillna(0).to_numpy()
    sums = people.groupby("key", sort=False).sum()
    out["customers_served"] = out["key"].map(sums["customers_population"]).astype("int64")
    for t in PUSHED:
        col = f"population_pushed_beyond_{t}"
        out[col] = out["key"].map(sums[f"customers_pushed_beyond_{t}"]).astype("int64")
    if group_by is None:
        return out
    out = out.rename(columns={"key": GROUP_COLUMNS[group_by]})
    labels = _group_labels(sites, group_by)
    if labels is not None:
        out.insert(1, labels.name, out[GROUP_COLUMNS[group_by]].map(labels).fillna(""))
    if group_by == DECISION:
        order = {d: i for i, d in enumerate(DECISIONS)}
        return out.sort_values(DECISION, key=lambda s: s.map(order)).reset_index(drop=True)
    return out.sort_values(
        ["jobs_lost_base", GROUP_COLUMNS[group_by]], ascending=[False, True]
    ).reset_index(drop=True)


def _with_host_points(groups: pd.DataFrame, hosts: pd.DataFrame) -> pd.DataFrame:
    """Host groups with the host site's coordinates, so they can be mapped."""
    points = pd.DataFrame(hosts[[DEALER_ID, LATITUDE, LONGITUDE]]).drop_duplicates(DEALER_ID)
    names = {DEALER_ID: HOST_DEALER_ID, LATITUDE: "host_latitude", LONGITUDE: "host_longitude"}
    return groups.merge(points.rename(columns=names), on=HOST_DEALER_ID, how="left")


def group_keys(sites: pd.DataFrame, group_by: str, regions: Regions | None = None) -> np.ndarray:
    """One group key per site row (``"(none)"`` where a site has none, e.g. no host).

    By owner, a store whose owner is not known is a group of its own, keyed as in
    ``owners.csv`` (:func:`dealernet.analysis.owner_groups.owner_keys`).
    """
    if group_by == "owner":
        return owner_keys(sites).to_numpy(dtype=object)
    if group_by in ("region", "division"):
        kind = REGION if group_by == "region" else DIVISION
        return (regions or load_regions()).keys_for(sites[STATE].tolist(), kind)
    column = sites[GROUP_COLUMNS[group_by]]
    return (
        column.astype(object)
        .where(column.notna() & (column.astype(str) != ""), NO_GROUP)
        .to_numpy()
    )


def _group_labels(sites: pd.DataFrame, group_by: str) -> pd.Series | None:
    """A readable name for each key: state names, ``"Dallas, TX"``, host names."""
    if group_by == "state":
        codes = sorted(set(sites[STATE].dropna().astype(str)))
        names = {c: state_name(c) or "" for c in codes}
        return pd.Series(names, name="state_name", dtype=object)
    if group_by == "county":
        named = sites.drop_duplicates("county_fips")
        text = named["county_name"].astype(str) + ", " + named[STATE].astype(str)
        return pd.Series(text.to_numpy(), index=named["county_fips"].to_numpy(), name="county")
    if group_by == "host":
        named = sites.dropna(subset=[HOST_DEALER_ID]).drop_duplicates(HOST_DEALER_ID)
        return pd.Series(
            named["host_name"].to_numpy(),
            index=named[HOST_DEALER_ID].to_numpy(),
            name="host_name",
        )
    return None


# --- places -------------------------------------------------------------------------------


def site_places(table: pd.DataFrame, regions: Regions | None = None) -> pd.DataFrame:
    """County (FIPS and name), Census region and division of each site row."""
    regions = regions or load_regions()
    fips, name = counties_at(table)
    states = table[STATE].tolist()
    return pd.DataFrame(
        {
            "county_fips": fips,
            "county_name": name,
            "region": _kind_keys(regions, states, REGION),
            "division": _kind_keys(regions, states, DIVISION),
        }
    )


def _kind_keys(regions: Regions, states: list[object], kind: str) -> np.ndarray:
    """Group of each state, or all ``(none)`` when the file has no groups of that kind."""
    return (
        regions.keys_for(states, kind)
        if kind in regions.kinds
        else np.full(len(states), NO_GROUP, dtype=object)
    )


# --- other filters ------------------------------------------------------------------------


def _match_decisions(texts: Sequence[str]) -> list[str]:
    out = []
    for text in texts:
        key = text.strip().casefold()
        key = _DECISION_WORDS.get(key, key)
        if key not in DECISIONS:
            msg = f"unknown decision {text!r}; choose from {', '.join(DECISIONS)}"
            raise QueryError(msg)
        out.append(key)
    return list(dict.fromkeys(out))


def _floor(value: float) -> float:
    try:
        floor = float(value)
    except (TypeError, ValueError):
        floor = math.nan
    if not (math.isfinite(floor) and floor >= 0):
        msg = f"the jobs-lost floor must be a number of jobs >= 0, not {value!r}"
        raise QueryError(msg)
    return floor


def match_hosts(
    texts: Sequence[str], table: pd.DataFrame, hosts: pd.DataFrame
) -> tuple[set[str], str, list[Match]]:
    """Dealer ids of the host-brand sites named by id or name, a label, and how each was read.

    A dealer id must be given exactly (in any case): ids differ by a digit, so a close one
    is another site. A name is read like every other name (:class:`dealernet._names.Names`):
    exactly, as part of exactly one host's name, or as a clear close spelling; sites that
    share a name are all taken. Part of several names is a :class:`QueryError` listing
    them with their ids, never a guess.
    """
    names: dict[str, str] = {}
    for ids, labels in (
        (hosts[DEALER_ID], hosts[NAME]),
        (table[HOST_DEALER_ID], table["host_name"]),
    ):
        for i, n in zip(ids, labels, strict=True):
            if isinstance(i, str) and i:
                names.setdefault(i, str(n) if isinstance(n, str) else i)
    by_id = {i.casefold(): i for i in names}
    ids_of: dict[str, list[str]] = {}
    for i, n in names.items():
        ids_of.setdefault(name_key(n), []).append(i)

    def show(name: str) -> str:
        ids = ids_of[name_key(name)]
        return f"{name} ({', '.join(ids[:2])}{', ...' if len(ids) > 2 else ''})"

    sites = Names(
        list(names.values()),
        kind=HOST,
        partial=True,
        fix="A dealer id, as in the dealer files, also works.",
        show=show,
    )
    found: set[str] = set()
    shown: list[str] = []
    read: list[Match] = []
    for text in texts:
        key = name_key(text)
        if key in by_id:
            found.add(by_id[key])
            shown.append(names[by_id[key]])
            continue
        match = sites.match(text)
        found.update(ids_of[name_key(match.value)])
        shown.append(match.value)
        read.append(match)
    return found, " or ".join(dict.fromkeys(shown)), read
