"""Rebuild the Census-matched customer points shipped in ``dealernet/_data/us_customers.csv.gz``.

Run ``python -m dealernet.geo.customers_build`` after the places extract
(:mod:`dealernet.geo.places_build`), the county layer or the Census file changes, and commit
the new file. Like the places extract, the output is byte-for-byte reproducible: rows sorted
by county then ``point_id``, coordinates rounded to six decimals, a gzip header without a
file name or time stamp, written atomically.

How the points are made, county by county (Census 2020 FIPS codes):

1. Every GeoNames place of the 50 states, DC and Puerto Rico is put in the county polygon
   of its own state that holds it (within the layer's coast tolerance); one outside every
   polygon of its state (a harbour, a spit the 1:10 M coastline cuts off) goes to the
   nearest. Guam, the Virgin Islands, American Samoa and the Northern Mariana Islands
   have no county counts in the Census file: their places are left out.
2. Where the layer and the Census file disagree on codes, a place in a layer county the
   Census does not list goes to the nearest Census centre of population among that
   state's Census counties that have no polygon (Alaska: Valdez-Cordova, 02261, split in
   2019 into Chugach, 02063, and Copper River, 02066), or among all the state's counties
   when none lacks one. A Census county with no polygon (those two, and Falls Church city,
   51610, whose polygon is empty in the layer) also takes the places within
   :data:`CENTRE_RADIUS_MILES` of its centre of population. Its other people are its
   remainder; so every Census county keeps its own count, polygon or not. (Connecticut:
   the 2020 Census file and the layer both use the eight old counties, 09001-09015, so
   the planning regions, 09110-09190, appear in neither.)
3. A place with more people than its whole county cannot be put in it: a city listed
   beside its parts (New York City beside its boroughs), a metro area (Tri-Cities, WA), a
   city across counties (Amarillo, TX), or a city-county whose GeoNames figure is newer than
   the Census (Jacksonville, Denver, Virginia's independent cities). It is dropped; its
   county's people then sit at its other places and its centre of population (0.5 to 5.5
   miles from the dropped point for the twelve largest). Places with no people are dropped.
4. Where a county's places still hold more people than the county, they are scaled down in
   proportion, rounded by largest remainders so that they add up to the county exactly.
5. The county's people outside its places (its Census count minus its places) become one
   ``county remainder`` point at its Census centre of population, unless there are none.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dealernet._atomic import atomic_open
from dealernet._errors import InputFileError
from dealernet.geo.customers import (
    COUNTY,
    CUSTOMER_COLUMNS,
    CUSTOMERS_EXTRACT,
    KIND,
    KIND_PLACE,
    KIND_REMAINDER,
    POINT_ID,
    POPULATION,
    census_counties,
)
from dealernet.geo.places_build import COORDINATE_DECIMALS, reproducible_csv_gz
from dealernet.schema import LATITUDE, LONGITUDE, NAME, STATE

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

#: How a place found its layer county: inside (or within the coast tolerance of) a polygon,
#: or the nearest polygon of its state.
INSIDE, NEAREST = "inside", "nearest"
#: A place this close to the centre of population of a Census county that has no polygon
#: is taken to be in it (Falls Church city, VA, 2.1 square miles: its GeoNames place is
#: 0.2 mile from its centre, West Falls Church in Fairfax County 1.5 miles).
CENTRE_RADIUS_MILES = 1.0


@dataclass(frozen=True)
class Dropped:
    """A place left out because it holds more people than its whole county."""

    geonameid: int
    name: str
    state: str
    county: str
    population: int
    county_population: int


@dataclass(frozen=True)
class BuildReport:
    """What a build did, for the command's output and for checking by hand.

    Attributes
    ----------
    points, place_points, remainder_points
        Rows written; of them, places and county remainders.
    place_people, remainder_people
        People at place points and at county remainder points.
    places_whole, places_scaled
        Places kept with their GeoNames population, and kept but scaled down.
    dropped
        Places larger than their county, largest first.
    empty
        Places dropped for having no people (in GeoNames, or after scaling).
    nearest
        Places outside every county polygon of their state, given the nearest.
    left_out, left_out_people
        Places in territories without Census counties, and their GeoNames people.
    moved
        ``(layer county, Census county) -> places`` where the codes disagree.
    """

    points: int
    place_points: int
    remainder_points: int
    place_people: int
    remainder_people: int
    places_whole: int
    places_scaled: int
    dropped: tuple[Dropped, ...]
    empty: int
    nearest: int
    left_out: int
    left_out_people: int
    moved: dict[tuple[str, str], int]

    def lines(self) -> list[str]:
        """The report as lines to print."""
        out = [
            f"{self.points:,} points: {self.place_points:,} places with "
            f"{self.place_people:,} people, {self.remainder_points:,} county remainders "
            f"with {self.remainder_people:,}",
            f"places kept whole {self.places_whole:,}, scaled down {self.places_scaled:,}, "
            f"dropped as larger than their county {len(self.dropped):,}, "
            f"dropped with no people {self.empty:,}",
            f"places outside every county polygon of their state, given the nearest: "
            f"{self.nearest:,}",
            f"left out: {self.left_out:,} places ({self.left_out_people:,} people) in "
            "territories without Census counties",
        ]
        out += [
            f"layer county {layer} -> Census county {census}: {n:,} places"
            for (layer, census), n in sorted(self.moved.items())
        ]
        out += [
            f"dropped {d.name}, {d.state} (GeoNames {d.geonameid}): {d.population:,} people "
            f"in county {d.county} of {d.county_population:,}"
            for d in self.dropped
        ]
        return out


def largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integer shares of ``total`` in proportion to ``weights``, adding up to it exactly.

    Each share is the floor of its exact quota, plus one for the largest fractional parts
    (ties to the earlier weight) until the total is reached. With ``total`` below the sum of
    the weights no share exceeds its weight: a place is only ever scaled down.
    """
    w = [int(x) for x in np.asarray(weights).tolist()]
    whole = sum(w)
    if whole <= 0:
        msg = f"cannot share {total:,} people among weights that add up to {whole:,}"
        raise ValueError(msg)
    # Python integers: products of populations overflow no 64-bit word this way.
    shares = [x * total // whole for x in w]
    rests = [x * total % whole for x in w]
    extra = total - sum(shares)
    for i in sorted(range(len(w)), key=lambda i: (-rests[i], i))[:extra]:
        shares[i] += 1
    return np.asarray(shares, dtype="int64")


def place_layer_counties(
    places: pd.DataFrame, layer: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Each place's layer county (``geoid``) among its own state's polygons, and how found.

    Only the place's own state is searched: at 1:10 M a border town (Chevy Chase, DC;
    Seekonk, MA) can fall in the next state's polygon, and GeoNames' state is the better
    word. Empty polygons are ignored.
    """
    from dealernet.geo.boundaries import polygon_index  # heavy or optional: on first use

    geoid = np.full(len(places), "", dtype=object)
    how = np.full(len(places), INSIDE, dtype=object)
    lat = places[LATITUDE].to_numpy(dtype="float64")
    lon = places[LONGITUDE].to_numpy(dtype="float64")
    usable = layer.loc[~layer.geometry.is_empty.to_numpy()]
    states = places[STATE].to_numpy(dtype=object)
    for state in sorted(set(states.tolist())):
        rows = np.flatnonzero(states == state)
        mine = usable.loc[(usable[STATE] == state).to_numpy()]
        if mine.empty:
            msg = f"the county layer has no county polygons for {state}, where places are"
            raise InputFileError(msg)
        polygons = mine.geometry.to_numpy()
        found = polygon_index(polygons, lat[rows], lon[rows])
        outside = np.flatnonzero(found < 0)
        for i in outside:
            found[i] = _nearest_polygon(polygons, lat[rows[i]], lon[rows[i]])
        how[rows[outside]] = NEAREST
        geoid[rows] = mine["geoid"].to_numpy(dtype=object)[found]
    return geoid, how


def _nearest_polygon(polygons: np.ndarray, lat: float, lon: float) -> int:
    """Index of the polygon nearest a point, distances in a local equirectangular frame."""
    import shapely  # heavy or optional: imported on first use

    scale = np.array([np.cos(np.radians(lat)), 1.0])
    squeezed = shapely.transform(polygons, lambda xy: xy * scale)
    point = shapely.points(lon * scale[0], lat)
    return int(np.argmin(shapely.distance(squeezed, point)))  # ties: the lowest index


def census_fips(
    places: pd.DataFrame, layer_geoid: np.ndarray, census: pd.DataFrame, polygons: set[str]
) -> np.ndarray:
    """The Census county of each place, from its layer county (module notes, step 2).

    Parameters
    ----------
    places
        With ``state``, ``latitude`` and ``longitude``.
    layer_geoid
        Each place's layer county.
    census
        :func:`dealernet.geo.customers.census_counties` (with the territories).
    polygons
        Layer counties with a usable (non-empty) polygon.
    """
    from dealernet.geo.distance import geodesic_miles  # heavy or optional: on first use

    out = np.asarray(layer_geoid, dtype=object).copy()
    lat = places[LATITUDE].to_numpy(dtype="float64")
    lon = places[LONGITUDE].to_numpy(dtype="float64")
    states = places[STATE].to_numpy(dtype=object)
    no_polygon = census.loc[~census[COUNTY].isin(sorted(polygons)).to_numpy()]
    for i in np.flatnonzero(~np.isin(out.astype(str), sorted(set(census[COUNTY])))):
        in_state = census.loc[(census[STATE] == states[i]).to_numpy()]
        if in_state.empty:
            msg = f"the Census county file has no counties for {states[i]}, where places are"
            raise InputFileError(msg)
        orphans = no_polygon.loc[(no_polygon[STATE] == states[i]).to_numpy()]
        pick = orphans if len(orphans) else in_state
        miles = geodesic_miles(lat[i], lon[i], pick[LATITUDE], pick[LONGITUDE])
        out[i] = pick[COUNTY].iat[int(np.argmin(miles))]
    best = np.full(len(out), np.inf)
    for county, state, c_lat, c_lon in no_polygon[[COUNTY, STATE, LATITUDE, LONGITUDE]].itertuples(
        index=False
    ):
        rows = np.flatnonzero(states == state)
        miles = geodesic_miles(lat[rows], lon[rows], c_lat, c_lon)
        near = (miles <= CENTRE_RADIUS_MILES) & (miles < best[rows])
        out[rows[near]] = county
        best[rows[near]] = miles[near]
    return out


@dataclass(frozen=True)
class Trimmed:
    """What :func:`customer_points` did to the places: kept whole, scaled down, dropped."""

    whole: int
    scaled: int
    empty: int
    dropped: tuple[Dropped, ...]


def customer_points(places: pd.DataFrame, census: pd.DataFrame) -> tuple[pd.DataFrame, Trimmed]:
    """Customer points from places already given their Census ``county`` (steps 3-5).

    Parameters
    ----------
    places
        ``geonameid, name, latitude, longitude, population, county``: only counties of
        ``census``.
    census
        Census counties (``county, state, name, population, latitude, longitude``).

    Returns
    -------
    points, trimmed
        The points (columns :data:`~dealernet.geo.customers.CUSTOMER_COLUMNS`, sorted by
        county then ``point_id``) and how many places were kept, scaled and dropped.
    """
    county_pop = dict(zip(census[COUNTY], census[POPULATION].astype(int), strict=True))
    state_of = dict(zip(census[COUNTY], census[STATE].astype(str), strict=True))
    unknown = sorted(set(places[COUNTY]) - set(county_pop))
    if unknown:
        msg = f"places are in counties the Census file does not list: {', '.join(unknown[:8])}"
        raise ValueError(msg)
    people = places[POPULATION].to_numpy(dtype="int64")
    too_big = people > places[COUNTY].map(county_pop).to_numpy(dtype="int64")
    dropped = places.loc[too_big].sort_values([POPULATION, "geonameid"], ascending=[False, True])
    kept = places.loc[(people > 0) & ~too_big].sort_values([COUNTY, "geonameid"])
    given = kept[POPULATION].to_numpy(dtype="int64")
    share = given.copy()
    for county, rows in kept.groupby(COUNTY, sort=False).indices.items():
        if share[rows].sum() > county_pop[county]:
            share[rows] = largest_remainder(given[rows], county_pop[county])
    kept = kept.assign(**{POPULATION: share}).loc[share > 0]
    frames = [_place_frame(kept, census), _remainder_frame(kept, census)]
    points = pd.concat(frames, ignore_index=True)
    points = points.sort_values([COUNTY, POINT_ID], ignore_index=True)
    trimmed = Trimmed(
        whole=int((share == given).sum()),
        scaled=int(((share < given) & (share > 0)).sum()),
        empty=int((people == 0).sum()) + int((share == 0).sum()),
        dropped=tuple(
            Dropped(
                int(r.geonameid),
                str(r.name),
                state_of[r.county],
                str(r.county),
                int(r.population),
                int(county_pop[r.county]),
            )
            for r in dropped.itertuples()
        ),
    )
    return points[list(CUSTOMER_COLUMNS)], trimmed


def _place_frame(kept: pd.DataFrame, census: pd.DataFrame) -> pd.DataFrame:
    state = dict(zip(census[COUNTY], census[STATE], strict=True))  # the county's, as Census
    return pd.DataFrame(
        {
            POINT_ID: "p" + kept["geonameid"].astype(str),
            NAME: kept[NAME].to_numpy(),
            STATE: kept[COUNTY].map(state).to_numpy(),
            COUNTY: kept[COUNTY].to_numpy(),
            KIND: KIND_PLACE,
            LATITUDE: kept[LATITUDE].to_numpy(dtype="float64"),
            LONGITUDE: kept[LONGITUDE].to_numpy(dtype="float64"),
            POPULATION: kept[POPULATION].to_numpy(dtype="int64"),
        }
    )


def _remainder_frame(kept: pd.DataFrame, census: pd.DataFrame) -> pd.DataFrame:
    in_places = census[COUNTY].map(kept.groupby(COUNTY)[POPULATION].sum()).fillna(0)
    rest = census[POPULATION].to_numpy(dtype="int64") - in_places.to_numpy(dtype="int64")
    if (rest < 0).any():  # pragma: no cover - scaling makes this impossible
        msg = "a county's places hold more people than the county after scaling"
        raise AssertionError(msg)
    some = rest > 0
    counties = census.loc[some]
    return pd.DataFrame(
        {
            POINT_ID: "c" + counties[COUNTY],
            NAME: "rest of " + _county_labels(counties),
            STATE: counties[STATE].to_numpy(),
            COUNTY: counties[COUNTY].to_numpy(),
            KIND: KIND_REMAINDER,
            LATITUDE: counties[LATITUDE].to_numpy(dtype="float64"),
            LONGITUDE: counties[LONGITUDE].to_numpy(dtype="float64"),
            POPULATION: rest[some],
        }
    )


def _county_labels(census: pd.DataFrame) -> np.ndarray:
    """``Autauga County``, ``Orleans Parish``, ``Richmond city``, ``Añasco Municipio``."""
    from dealernet.geo.counties import county_labels

    frame = pd.DataFrame({"geoid": census[COUNTY], "name": census[NAME], "state": census[STATE]})
    labels = county_labels(frame).str.rpartition(",")[0]
    municipio = (census[STATE] == "PR").to_numpy()  # county_labels says "County" there
    labels[municipio] = census.loc[municipio, NAME] + " Municipio"
    district = (census[STATE] == "DC").to_numpy()  # and "District of Columbia County"
    labels[district] = census.loc[district, NAME]
    return labels.to_numpy(dtype=object)


def make_points(
    places: pd.DataFrame, layer: gpd.GeoDataFrame, census: pd.DataFrame
) -> tuple[pd.DataFrame, BuildReport]:
    """The customer points from places, the county layer and the Census counties.

    Parameters
    ----------
    places
        :func:`dealernet.geo.places.load_places` with ``territories=True``.
    layer
        :func:`dealernet.geo.boundaries.counties`.
    census
        :func:`dealernet.geo.customers.census_counties` with ``territories=True``.
    """
    covered = places[STATE].isin(sorted(set(census[STATE]))).to_numpy()
    left_out = places.loc[~covered]
    places = places.loc[covered].reset_index(drop=True)
    layer_geoid, how = place_layer_counties(places, layer)
    polygons = set(layer.loc[~layer.geometry.is_empty.to_numpy(), "geoid"])
    fips = census_fips(places, layer_geoid, census, polygons)
    moved = pd.Series(1, index=pd.MultiIndex.from_arrays([layer_geoid, fips]))
    moved = moved[layer_geoid != fips].groupby(level=[0, 1]).sum()
    points, trimmed = customer_points(places.assign(**{COUNTY: fips}), census)
    is_place = (points[KIND] == KIND_PLACE).to_numpy()
    report = BuildReport(
        points=len(points),
        place_points=int(is_place.sum()),
        remainder_points=int((~is_place).sum()),
        place_people=int(points.loc[is_place, POPULATION].sum()),
        remainder_people=int(points.loc[~is_place, POPULATION].sum()),
        places_whole=trimmed.whole,
        places_scaled=trimmed.scaled,
        dropped=trimmed.dropped,
        empty=trimmed.empty,
        nearest=int((how == NEAREST).sum()),
        left_out=len(left_out),
        left_out_people=int(left_out[POPULATION].sum()),
        moved={(str(a), str(b)): int(n) for (a, b), n in moved.items()},
    )
    return points, report


def encode(points: pd.DataFrame) -> bytes:
    """The extract's bytes: UTF-8 CSV with ``\\n`` line ends, gzipped without a time stamp."""
    rows = (
        (
            pid,
            name,
            state,
            county,
            kind,
            round(float(lat), COORDINATE_DECIMALS),
            round(float(lon), COORDINATE_DECIMALS),
            int(pop),
        )
        for pid, name, state, county, kind, lat, lon, pop in points[
            list(CUSTOMER_COLUMNS)
        ].itertuples(index=False)
    )
    return reproducible_csv_gz(CUSTOMER_COLUMNS, rows)


def build(target: Path = CUSTOMERS_EXTRACT) -> tuple[Path, BuildReport]:
    """Make the customer points from the shipped places, counties and Census file; write them.

    Returns
    -------
    tuple
        The path written and what the build did.
    """
    from dealernet.geo.boundaries import counties
    from dealernet.geo.places import load_places

    points, report = make_points(
        load_places(territories=True), counties(), census_counties(territories=True)
    )
    with atomic_open(Path(target), "wb") as handle:
        handle.write(encode(points))
    Path(target).chmod(0o644)  # the temporary file behind the atomic write is private (0600)
    return Path(target), report


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: ``python -m dealernet.geo.customers_build [--output PATH]``."""
    parser = argparse.ArgumentParser(
        prog="python -m dealernet.geo.customers_build",
        description="Rebuild the Census-matched customer points from the shipped places, "
        "county layer and 2020 Census county file.",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=CUSTOMERS_EXTRACT,
        help=f"where to write the points (default: {CUSTOMERS_EXTRACT})",
    )
    args = parser.parse_args(argv)
    path, report = build(args.output)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    for line in report.lines():
        print(line)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
