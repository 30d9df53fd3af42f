"""Which sites a map, report or query is about: states, owner groups, a radius around a place.

A planner asks about "Texas" or "within 60 miles of Denver"; an owner about their own
group. :func:`select` turns such filters into boolean masks over the decisions table (the
source-brand sites) and over the host-brand sites, plus a label to print and a file-name
slug, so every consumer (maps, queries, reports) filters the same way and says so in the
same words. Filters combine with AND; a filter that can match nothing as typed (an unknown
state, an owner no one has, a place we cannot find) is a :class:`QueryError` with
suggestions, never an empty answer that looks like "no stores affected".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dealernet._errors import QueryError
from dealernet._names import OWNER, Match, Names, corrected, name_key, state_names
from dealernet.analysis.owner_groups import owner_keys
from dealernet.geo.distance import SiteIndex
from dealernet.geo.places import resolve_place
from dealernet.schema import BRAND, LATITUDE, LONGITUDE, OWNER_GROUP, STATE, state_name
from dealernet.slugs import slug as make_slug

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from dealernet.analysis.result import Result
    from dealernet.geo.places import ResolvedPlace

#: Radius used when a place is given without one: the distance beyond which the access
#: figures count customers as cut off, so "near Denver" means "within their reach".
DEFAULT_RADIUS_MILES = 50.0
#: The largest radius: no two points on Earth are farther apart (geodesic, WGS84, about
#: 12,450 miles), and a larger one only overflows the map's circle (1e308 miles is inf m).
MAX_RADIUS_MILES = 12_500.0
#: Label and slug of the selection without filters.
NATIONWIDE = "Nationwide"


@dataclass(frozen=True)
class Selection:
    """The sites a map or query is about.

    Attributes
    ----------
    mask
        One flag per row of ``result.decisions.table`` (the source-brand sites).
    host_mask
        One flag per host-brand site, in the order of :func:`host_sites`.
    label
        How to name the selection to a reader: ``"Texas"``, ``"within 60 miles of
        Denver, CO"``, ``"Lone Star Auto Group · Texas"``.
    slug
        A safe, stable file stem for ``OUT/regions/<slug>.html``.
    centre, radius_miles
        The point and radius of a ``near`` filter (None without one), so a map can draw it.
    corrections
        Every name that was not matched as typed (part of a name, a close spelling), so the
        caller can tell the user what it was read as: ``state 'Texs' read as 'Texas'``.
    """

    mask: np.ndarray
    host_mask: np.ndarray
    label: str
    slug: str
    centre: ResolvedPlace | None = None
    radius_miles: float | None = None
    corrections: tuple[Match, ...] = ()

    @property
    def is_everything(self) -> bool:
        """Whether every site of both brands is selected, and no radius: the national picture.

        Judged from the masks, not the label, so a selection narrowed later with
        :func:`dataclasses.replace` (as queries do) or an owner called "Nationwide" is
        still told apart correctly.
        """
        return self.centre is None and bool(self.mask.all() and self.host_mask.all())

    @property
    def empty(self) -> bool:
        """Whether no site of either brand is selected."""
        return not (self.mask.any() or self.host_mask.any())


def host_sites(result: Result) -> gpd.GeoDataFrame:
    """The sites of every host brand of ``result.network`` (an alliance has several), in
    network order (``host_mask``'s rows)."""
    network = result.network
    brand = network[BRAND].astype(str).str.casefold()
    wanted = {b.casefold() for b in result.host_brands}
    return network.loc[brand.isin(wanted).to_numpy()]


def select(
    result: Result,
    *,
    states: Sequence[str] = (),
    owners: Sequence[str] = (),
    near: str | None = None,
    radius_miles: float | None = None,
) -> Selection:
    """Select sites by state, owner group and distance from a place; filters combine with AND.

    Parameters
    ----------
    result
        A finished run (:func:`dealernet.run`).
    states
        Postal codes or names (``"TX"``, ``"texas"``, or a close spelling such as
        ``"Texs"``); a site in any of them matches.
    owners
        Owner-group names, matched by :func:`owner_names`: without regard to case and
        spacing, as part of exactly one group's name, or as a clear close spelling. A site
        of any of them matches.
    near
        A place (``"Denver, CO"``) or coordinates (``"39.74,-104.99"``), resolved offline by
        :func:`dealernet.geo.places.resolve_place`.
    radius_miles
        WGS84 geodesic miles around ``near`` (default :data:`DEFAULT_RADIUS_MILES`); a site
        exactly on the circle is inside.

    Raises
    ------
    QueryError
        For an unknown state, an owner group that matches none or several, a place that
        cannot be resolved, a radius without a place, or a radius that is not a positive
        number; the message suggests what the user may have meant. Names read with a
        correction are not errors: they are listed in ``Selection.corrections``.
    """
    table = result.decisions.table
    hosts = host_sites(result)
    mask = np.ones(len(table), dtype=bool)
    host_mask = np.ones(len(hosts), dtype=bool)
    parts: list[str] = []
    read: list[Match] = []
    if owners:
        # a store whose owner is not known answers to its own key, as in owners.csv
        keys = owner_keys(table)
        groups = owner_names([*keys, *hosts[OWNER_GROUP]])
        matches = [groups.match(o) for o in owners]
        read += matches
        names = list(dict.fromkeys(m.value for m in matches))
        wanted = {name_key(n) for n in names}
        mask &= _keys(keys).isin(wanted).to_numpy()
        host_mask &= _keys(hosts[OWNER_GROUP]).isin(wanted).to_numpy()
        parts.append(_join(names))
    if states:
        matches = [state_names().match(s) for s in states]
        read += matches
        codes = list(dict.fromkeys(m.value for m in matches))
        mask &= table[STATE].astype(str).isin(codes).to_numpy()
        host_mask &= hosts[STATE].astype(str).isin(codes).to_numpy()
        parts.append(_join([state_name(c) or c for c in codes]))
    centre = None
    if near is not None:
        radius = checked_radius(DEFAULT_RADIUS_MILES if radius_miles is None else radius_miles)
        centre = resolve_place(near)
        read += centre.corrections
        mask &= _within(table, centre, radius)
        host_mask &= _within(hosts, centre, radius)
        parts.append(f"within {radius:g} miles of {centre.label}")
        radius_miles = radius
    elif radius_miles is not None:
        msg = "a radius needs a place to measure from: give near, e.g. --near 'Dallas, TX'"
        raise QueryError(msg)
    label = " · ".join(parts) or NATIONWIDE
    return Selection(
        mask=mask,
        host_mask=host_mask,
        label=label,
        slug=make_slug(label, prefix="region") if parts else NATIONWIDE.casefold(),
        centre=centre,
        radius_miles=radius_miles if centre is not None else None,
        corrections=corrected(read),
    )


def checked_radius(value: float) -> float:
    """``value`` as a radius in miles, or a QueryError giving the range (for --radius-miles)."""
    try:
        radius = float(value)
    except (TypeError, ValueError):
        radius = math.nan
    if not (math.isfinite(radius) and 0 < radius <= MAX_RADIUS_MILES):
        msg = (
            f"the radius must be more than 0 and at most {MAX_RADIUS_MILES:,.0f} miles "
            f"(half way round the Earth, which covers every site), not {value!r}. "
            "Fix: give --radius-miles a number in that range, e.g. --radius-miles 50"
        )
        raise QueryError(msg)
    return radius


def _within(sites: gpd.GeoDataFrame, centre: ResolvedPlace, radius: float) -> np.ndarray:
    """Which sites lie within ``radius`` geodesic miles of ``centre`` (exact, WGS84)."""

    index = SiteIndex.build(sites[LATITUDE].to_numpy(), sites[LONGITUDE].to_numpy())
    inside = np.zeros(len(sites), dtype=bool)
    found, _ = index.within(centre.latitude, centre.longitude, radius)
    inside[found] = True
    return inside


def _keys(column: pd.Series) -> pd.Series:
    return column.map(lambda v: name_key(v) if isinstance(v, str) else "")


def owner_names(names: Iterable[object], *, fix: str = "") -> Names:
    """Owner groups to read typed names as, by one set of rules for maps, queries and reports.

    A name matches a group without regard to case and spacing; else as the only group whose
    name contains it (``"lone star"``); else as a clear closest spelling (``"Lone Star Auto
    Grup"``). Anything less certain is refused with suggestions.

    Parameters
    ----------
    names
        Owner groups as written in the dealer files (blanks and missing values are skipped).
    fix
        How to put a refused name right, ending the message.
    """
    return Names(names, kind=OWNER, partial=True, source=" in these dealer files", fix=fix)


def _join(names: Sequence[str]) -> str:
    """``"A"``, ``"A and B"``, ``"A, B and C"``; long lists are counted, not spelled out."""
    if len(names) > 4:
        return f"{names[0]}, {names[1]} and {len(names) - 2} more"
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
