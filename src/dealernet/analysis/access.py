"""Customer access: how far people live from the nearest source-brand point of sale.

When a stand-alone store's showroom goes, its customers drive to whichever point of sale of
the brand is now nearest: a kept store, or a host site that took an absorbed store and now
sells the brand. Access is measured on population points (US places with their population,
see :func:`dealernet.geo.places.load_places`) before and after a scenario, as WGS84 geodesic
miles to the exact nearest point of sale (:class:`dealernet.geo.distance.SiteIndex`),
never through a projected CRS.

The solver takes plain arrays (:func:`compute_access`), so it can be checked against a
brute-force recomputation without any geometry; :func:`access_for_decisions` is the thin
layer that picks the points of sale from a loaded network and a table of decisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dealernet._errors import InvalidInputError
from dealernet.geo import _nearest
from dealernet.geo.distance import SiteIndex
from dealernet.schema import (
    BRAND,
    DEALER_ID,
    DECISION,
    DECISIONS,
    HOST_DEALER_ID,
    LATITUDE,
    LONGITUDE,
    Brands,
    as_brands,
    brand_label,
    normalise_brand,
)
from dealernet.settings import HOST_BRAND, SOURCE_BRAND

#: Distances (miles) for "population beyond X miles". A place beyond X is strictly farther.
THRESHOLDS_MILES: tuple[float, ...] = (25.0, 50.0, 100.0)

# --- columns ------------------------------------------------------------------------------
POPULATION = "population"
NEAREST_BEFORE_ID = "nearest_before_id"
MILES_BEFORE = "miles_before"
NEAREST_AFTER_ID = "nearest_after_id"
MILES_AFTER = "miles_after"
ADDED_MILES = "added_miles"
#: Columns :func:`compute_access` appends to the places it is given.
ACCESS_COLUMNS: tuple[str, ...] = (
    NEAREST_BEFORE_ID,
    MILES_BEFORE,
    NEAREST_AFTER_ID,
    MILES_AFTER,
    ADDED_MILES,
)

# Decisions table (one row per source-brand site), as the rule engine writes it.
#: Decisions after which the source store still sells the brand from its own showroom.
STILL_SELLING = ("keep", "unaffected")
ABSORB = "absorb"


@dataclass(frozen=True)
class Access:
    """Distances from every place to the nearest point of sale, before and after.

    Attributes
    ----------
    places
        The places given, in their order, plus ``nearest_before_id``, ``miles_before``,
        ``nearest_after_id``, ``miles_after`` and ``added_miles`` (after minus before).
        With no point of sale on a side, its id is missing and its miles are ``inf``;
        ``added_miles`` is then ``inf`` (access lost) or NaN (none before or after).
    summary
        ``places`` and ``total_population``; ``mean_miles_before``, ``mean_miles_after``
        and ``mean_added_miles`` (population-weighted; ``inf`` when someone has no point
        of sale at all, NaN when there is no population); and for each threshold X of
        :data:`THRESHOLDS_MILES`: ``beyond_X_before``, ``beyond_X_after`` (people farther
        than X miles; everyone when there is no point of sale) and ``pushed_beyond_X``
        (within X before, beyond it after); ``population_farther`` (people whose nearest
        point of sale is now farther away).
    thresholds
        The thresholds used, in miles.
    """

    places: pd.DataFrame
    summary: dict[str, float]
    thresholds: tuple[float, ...] = field(default=THRESHOLDS_MILES)


def _label(miles: float) -> str:
    return f"{miles:g}"


def _points(
    lat: Sequence[float] | np.ndarray,
    lon: Sequence[float] | np.ndarray,
    ids: Sequence[object] | np.ndarray,
    side: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Checked point-of-sale arrays: equal lengths, finite coordinates in range."""
    lat_a = np.asarray(lat, dtype="float64").ravel()
    lon_a = np.asarray(lon, dtype="float64").ravel()
    ids_a = np.asarray(list(ids), dtype=object)
    if not lat_a.size == lon_a.size == ids_a.size:
        msg = (
            f"{side}: {lat_a.size} latitudes, {lon_a.size} longitudes and {ids_a.size} ids; "
            "each point of sale needs all three"
        )
        raise InvalidInputError(msg)
    bad = ~(np.isfinite(lat_a) & np.isfinite(lon_a) & (np.abs(lat_a) <= 90))
    bad |= ~(np.abs(lon_a) <= 180)
    if bad.any():
        msg = f"{side}: points of sale without valid coordinates: {list(ids_a[bad][:5])}"
        raise InvalidInputError(msg)
    return lat_a, lon_a, ids_a


def _check_places(places: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``places`` with a fresh index, after checking coordinates and population."""
    missing = [c for c in (LATITUDE, LONGITUDE, POPULATION) if c not in places.columns]
    if missing:
        msg = f"places need columns {missing}; load them with dealernet.geo.places.load_places()"
        raise InvalidInputError(msg)
    taken = [c for c in ACCESS_COLUMNS if c in places.columns]
    if taken:
        msg = f"places already have access columns {taken}; pass the places themselves"
        raise InvalidInputError(msg)
    out = places.reset_index(drop=True).copy()
    lat = pd.to_numeric(out[LATITUDE], errors="coerce").to_numpy(dtype="float64")
    lon = pd.to_numeric(out[LONGITUDE], errors="coerce").to_numpy(dtype="float64")
    pop = pd.to_numeric(out[POPULATION], errors="coerce").to_numpy(dtype="float64")
    bad = ~(np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180))
    bad |= ~(np.isfinite(pop) & (pop >= 0))
    if bad.any():
        msg = f"{int(bad.sum())} places lack valid coordinates or a population >= 0"
        raise InvalidInputError(msg)
    return out


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted mean over positive weights only, so a 0-person place at ``inf`` is ignored."""
    use = weights > 0
    total = weights[use].sum()
    if total == 0:
        return float("nan")
    with np.errstate(invalid="ignore"):
        return float(np.sum(values[use] * weights[use]) / total)


def _summary(
    pop: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
    added: np.ndarray,
    thresholds: tuple[float, ...],
) -> dict[str, float]:
    summary: dict[str, float] = {
        "places": int(pop.size),
        "total_population": int(pop.sum()),
        "mean_miles_before": _weighted_mean(before, pop),
        "mean_miles_after": _weighted_mean(after, pop),
        "mean_added_miles": _weighted_mean(added, pop),
    }
    for t in thresholds:
        name = _label(t)
        summary[f"beyond_{name}_before"] = int(pop[before > t].sum())
        summary[f"beyond_{name}_after"] = int(pop[after > t].sum())
        summary[f"pushed_beyond_{name}"] = int(pop[(before <= t) & (after > t)].sum())
    summary["population_farther"] = int(pop[after > before].sum())
    return summary


def compute_access(
    places: pd.DataFrame,
    before_lat: Sequence[float] | np.ndarray,
    before_lon: Sequence[float] | np.ndarray,
    before_ids: Sequence[object] | np.ndarray,
    after_lat: Sequence[float] | np.ndarray,
    after_lon: Sequence[float] | np.ndarray,
    after_ids: Sequence[object] | np.ndarray,
    *,
    thresholds: Sequence[float] = THRESHOLDS_MILES,
) -> Access:
    """Nearest point of sale for every place, before and after, and what changed.

    Parameters
    ----------
    places
        Population points with ``latitude``, ``longitude`` and ``population`` (other
        columns, such as ``geonameid``, ``name`` and ``state``, are carried through).
    before_lat, before_lon, before_ids
        Points of sale of the source brand today.
    after_lat, after_lon, after_ids
        Points of sale after the scenario: kept stores and hosts that now sell the brand.
        May be empty (every place then has ``miles_after`` = ``inf``).
    thresholds
        Distances for the "population beyond X miles" figures.

    Returns
    -------
    Access
        Per-place distances and the population-weighted summary.
    """
    out = _check_places(places)
    p_before = _points(before_lat, before_lon, before_ids, "before")
    p_after = _points(after_lat, after_lon, after_ids, "after")
    found = nearest_before_after(
        out[LATITUDE].to_numpy(dtype="float64"),
        out[LONGITUDE].to_numpy(dtype="float64"),
        p_before[:2],
        p_after[:2],
    )
    return assemble_access(out, p_before[2], p_after[2], *found, thresholds=thresholds)


def nearest_before_after(
    lat: np.ndarray,
    lon: np.ndarray,
    before: tuple[np.ndarray, np.ndarray],
    after: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each point's nearest point of sale before and after: positions and geodesic miles.

    Returns ``(before_index, before_miles, after_index, after_miles)``; an index is ``-1``
    (and its miles ``inf``) when that side has no point of sale. The search runs in chunks
    (:func:`dealernet.geo._nearest.nearest_sites`, the same answer as
    :meth:`SiteIndex.nearest <dealernet.geo.distance.SiteIndex.nearest>`), and a place whose nearest
    point of sale is the same site after as before reuses its distance.

    Parameters
    ----------
    lat, lon
        The places, already checked.
    before, after
        ``(latitude, longitude)`` arrays of the points of sale on each side.
    """
    return _nearest.nearest_before_after(
        SiteIndex.build(*before), SiteIndex.build(*after), lat, lon
    )


def assemble_access(
    places: pd.DataFrame,
    before_ids: np.ndarray,
    after_ids: np.ndarray,
    before_index: np.ndarray,
    before_miles: np.ndarray,
    after_index: np.ndarray,
    after_miles: np.ndarray,
    *,
    thresholds: Sequence[float] = THRESHOLDS_MILES,
) -> Access:
    """The :class:`Access` of checked ``places`` from each one's nearest point of sale.

    Shared by the in-memory and the Dask engines, so both give the same table and summary.
    ``places`` is used as given (checked, with a fresh 0..n-1 index) and gains the access
    columns.
    """
    ths = tuple(float(t) for t in thresholds)
    out = places
    sides = (
        (before_ids, before_index, before_miles, NEAREST_BEFORE_ID, MILES_BEFORE),
        (after_ids, after_index, after_miles, NEAREST_AFTER_ID, MILES_AFTER),
    )
    for ids, idx, dist, id_col, miles_col in sides:
        hit = idx >= 0
        nearest = np.full(idx.size, None, dtype=object)
        nearest[hit] = ids[idx[hit]]
        out[id_col] = pd.Series(nearest, index=out.index, dtype=object)
        out[miles_col] = dist
    with np.errstate(invalid="ignore"):
        added = after_miles - before_miles
    out[ADDED_MILES] = added
    pop = out[POPULATION].to_numpy(dtype="float64")
    return Access(
        places=out,
        summary=_summary(pop, before_miles, after_miles, added, ths),
        thresholds=ths,
    )


def access_by_site(access: Access, affected_ids: Sequence[object]) -> pd.DataFrame:
    """For each store whose showroom goes, the people it served and how much farther they go.

    Parameters
    ----------
    access
        The result of :func:`compute_access`.
    affected_ids
        Source-brand stores that are absorbed or closed, in the order wanted.

    Returns
    -------
    pandas.DataFrame
        One row per affected id (duplicates dropped): ``dealer_id``, ``places`` and
        ``population`` whose nearest point of sale it was before, their population-weighted
        ``mean_added_miles`` and ``max_added_miles`` (over places with people; NaN when
        it served nobody), ``mean_miles_after``, ``main_nearest_after_id`` (the point of
        sale that now serves most of them) and ``pushed_beyond_X`` for each threshold.
    """
    frame = access.places
    ids = list(dict.fromkeys(affected_ids))
    served = frame[frame[NEAREST_BEFORE_ID].isin(ids)]
    groups = dict(tuple(served.groupby(NEAREST_BEFORE_ID, sort=False)))
    main_after = _main_nearest_after(served)
    rows = []
    for dealer_id in ids:
        group = groups.get(dealer_id, served.iloc[0:0])
        pop = group[POPULATION].to_numpy(dtype="float64")
        added = group[ADDED_MILES].to_numpy(dtype="float64")
        before = group[MILES_BEFORE].to_numpy(dtype="float64")
        after = group[MILES_AFTER].to_numpy(dtype="float64")
        people = pop > 0
        row = {
            DEALER_ID: dealer_id,
            "places": int(len(group)),
            POPULATION: int(pop.sum()),
            "mean_added_miles": _weighted_mean(added, pop),
            "max_added_miles": float(added[people].max()) if people.any() else float("nan"),
            "mean_miles_after": _weighted_mean(after, pop),
            "main_nearest_after_id": main_after.get(dealer_id),
        }
        for t in access.thresholds:
            row[f"pushed_beyond_{_label(t)}"] = int(pop[(before <= t) & (after > t)].sum())
        rows.append(row)
    columns = [
        DEALER_ID,
        "places",
        POPULATION,
        "mean_added_miles",
        "max_added_miles",
        "mean_miles_after",
        "main_nearest_after_id",
        *(f"pushed_beyond_{_label(t)}" for t in access.thresholds),
    ]
    return pd.DataFrame(rows, columns=columns)


def _main_nearest_after(served: pd.DataFrame) -> dict[object, object]:
    """Per store whose showroom goes, the point of sale that now serves most of its people
    (the first in id order on a tie), in one grouping for every store."""
    peopled = served[pd.to_numeric(served[POPULATION], errors="coerce") > 0]
    sums = (
        peopled.groupby([NEAREST_BEFORE_ID, NEAREST_AFTER_ID], dropna=True)[POPULATION]
        .sum()
        .reset_index()
    )
    ranked = sums.sort_values(
        [NEAREST_BEFORE_ID, POPULATION], ascending=[True, False], kind="stable"
    ).drop_duplicates(NEAREST_BEFORE_ID)
    return dict(zip(ranked[NEAREST_BEFORE_ID], ranked[NEAREST_AFTER_ID], strict=True))


def _blank(value: object) -> bool:
    """True for a missing host id: None, NaN or empty text."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return True
    return not str(value).strip()


def points_of_sale(
    network: pd.DataFrame,
    decisions: pd.DataFrame,
    source_brand: str = SOURCE_BRAND,
    host_brand: Brands = HOST_BRAND,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The source brand's points of sale before and after a set of decisions.

    Before: every source-brand site. After: source sites kept or unaffected, plus every
    host site that absorbed at least one store (it now sells the source brand).
    ``host_brand`` is one brand or an alliance's several (``Scenario.host_brands``).

    Returns
    -------
    tuple of pandas.DataFrame
        ``(before, after)``, each with ``dealer_id``, ``latitude`` and ``longitude``.
    """
    need = [DEALER_ID, BRAND, LATITUDE, LONGITUDE]
    if missing := [c for c in need if c not in network.columns]:
        msg = f"the network lacks columns {missing}"
        raise InvalidInputError(msg)
    if missing := [c for c in (DEALER_ID, DECISION) if c not in decisions.columns]:
        msg = f"the decisions lack columns {missing}"
        raise InvalidInputError(msg)
    brand = network[BRAND].map(lambda b: normalise_brand(b) or b)
    src_brand = normalise_brand(source_brand) or source_brand
    dst_brands = as_brands(host_brand)
    sources = network.loc[brand == src_brand, [DEALER_ID, LATITUDE, LONGITUDE]]
    hosts = network.loc[brand.isin(dst_brands), [DEALER_ID, LATITUDE, LONGITUDE]]
    decided = decisions.set_index(decisions[DEALER_ID].astype(str))
    if decided.index.has_duplicates:
        twice = sorted(set(decided.index[decided.index.duplicated()]))
        msg = f"decisions: more than one row for {twice[:5]}"
        raise InvalidInputError(msg)
    bad = sorted(set(decided[DECISION].astype(str)) - set(DECISIONS))
    unknown = sorted(set(decided.index) - set(sources[DEALER_ID].astype(str)))
    undecided = sorted(set(sources[DEALER_ID].astype(str)) - set(decided.index))
    for problem, items in (
        ("unknown decisions", bad),
        (f"not {src_brand} sites", unknown),
        (f"{src_brand} sites without a decision", undecided),
    ):
        if items:
            msg = f"decisions: {problem}: {items[:5]}" + (" ..." if len(items) > 5 else "")
            raise InvalidInputError(msg)
    decision = sources[DEALER_ID].astype(str).map(decided[DECISION].astype(str))
    kept = sources[decision.isin(STILL_SELLING).to_numpy()]
    absorbed = decided[decided[DECISION].astype(str) == ABSORB]
    host_ids = absorbed.get(HOST_DEALER_ID, pd.Series(None, index=absorbed.index, dtype=object))
    if blank := [i for i, h in host_ids.items() if _blank(h)]:
        msg = f"decisions: absorbed stores without a {HOST_DEALER_ID}: {blank[:5]}"
        raise InvalidInputError(msg)
    wanted = sorted(set(host_ids.astype(str)))
    by_id = hosts.set_index(hosts[DEALER_ID].astype(str))
    if missing := [h for h in wanted if h not in by_id.index]:
        msg = (
            f"decisions: hosts that are not {brand_label(dst_brands)} sites in the network: "
            f"{missing[:5]}"
        )
        raise InvalidInputError(msg)
    after = pd.concat([kept, by_id.loc[wanted].reset_index(drop=True)], ignore_index=True)
    return sources.reset_index(drop=True), after


def access_for_decisions(
    places: pd.DataFrame,
    network: pd.DataFrame,
    decisions: pd.DataFrame,
    source_brand: str = SOURCE_BRAND,
    host_brand: Brands = HOST_BRAND,
    *,
    thresholds: Sequence[float] = THRESHOLDS_MILES,
) -> Access:
    """Customer access before and after a scenario's decisions.

    Parameters
    ----------
    places
        Population points (:func:`dealernet.geo.places.load_places`).
    network
        The loaded network (``dealer_id``, ``brand``, ``latitude``, ``longitude``, ...).
    decisions
        One row per source-brand site: ``dealer_id``, ``decision`` (``keep``, ``absorb``,
        ``close`` or ``unaffected``) and ``host_dealer_id`` (the host of an absorbed
        store, else empty).
    source_brand, host_brand
        The brand folded in and the brand whose sites take it (or several, for an
        alliance: ``Scenario.host_brands``).
    thresholds
        Distances for the "population beyond X miles" figures.
    """
    return compute_access(
        places,
        *sale_point_arrays(network, decisions, source_brand, host_brand),
        thresholds=thresholds,
    )


def sale_point_arrays(
    network: pd.DataFrame, decisions: pd.DataFrame, source_brand: str, host_brand: Brands
) -> tuple[np.ndarray, ...]:
    """Latitude, longitude and dealer id of the points of sale before, then after: the
    arrays both access engines (in memory and Dask) take."""
    before, after = points_of_sale(network, decisions, source_brand, host_brand)
    return tuple(
        frame[column].to_numpy(dtype=object if column == DEALER_ID else "float64")
        for frame in (before, after)
        for column in (LATITUDE, LONGITUDE, DEALER_ID)
    )
