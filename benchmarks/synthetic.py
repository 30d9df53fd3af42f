"""Synthetic inputs at any size, from one seed: dealer networks, population points, sites.

Everything is placed around real US places (``dealernet.geo.places.load_places``), weighted by
population, so points cluster like dealers and customers do; sites are kept inside the 50
states and DC (the loader flags anything abroad). Names and owners are made up. The same
seed always gives the same data, so runs compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

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
    STATE,
    ZIP,
)
from dealernet.settings import HOST_BRAND, METRES_PER_MILE, SOURCE_BRAND

#: Seed of every benchmark input.
SEED = 20241216
#: Share of source sites already on a host rooftop (as in the sample: 15 %).
COLOCATED_SHARE = 0.15
#: Share of source sites whose owner also holds a host store (Haig Partners: about 43 %).
DUAL_OWNER_SHARE = 0.43
#: Mean annual new units (the sample's figures, see dealernet.io.sample).
SOURCE_MEAN_NEW, HOST_MEAN_NEW = 288, 779


@dataclass(frozen=True)
class Size:
    """A network size: source-brand and host-brand site counts."""

    sources: int
    hosts: int

    @property
    def label(self) -> str:
        return f"{self.sources:,} / {self.hosts:,} sites"


@lru_cache(maxsize=1)
def _places() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latitude, longitude and population of places in the 50 states and DC."""
    from dealernet.geo.places import load_places

    places = load_places(min_population=1)
    return (
        places[LATITUDE].to_numpy(dtype="float64"),
        places[LONGITUDE].to_numpy(dtype="float64"),
        places["population"].to_numpy(dtype="float64"),
    )


def _jitter(
    lat: np.ndarray, lon: np.ndarray, max_miles: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Move each point a random bearing and distance up to ``max_miles`` (uniform on a disc)."""
    from pyproj import Geod

    bearing = rng.uniform(0, 360, lat.size)
    dist = max_miles * np.sqrt(rng.uniform(0, 1, lat.size)) * METRES_PER_MILE
    lon2, lat2, _ = Geod(ellps="WGS84").fwd(lon, lat, bearing, dist)
    return np.asarray(lat2), np.asarray(lon2)


def us_points(
    n: int, rng: np.random.Generator, *, spread_miles: float = 8.0, weight_power: float = 0.8
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points inside the 50 states and DC, near places, weighted by population."""
    from dealernet.geo.boundaries import in_us

    p_lat, p_lon, p_pop = _places()
    weight = p_pop**weight_power
    weight /= weight.sum()
    lat = np.empty(n)
    lon = np.empty(n)
    todo = np.arange(n)
    while todo.size:
        at = rng.choice(p_lat.size, todo.size, p=weight)
        lat[todo], lon[todo] = _jitter(p_lat[at], p_lon[at], spread_miles, rng)
        todo = todo[~in_us(lat[todo], lon[todo])]
    return lat, lon


def population_points(n: int, seed: int = SEED) -> pd.DataFrame:
    """``n`` population points: every US place split into equal parts scattered around it.

    Each place's people are spread over points up to 10 miles away (like a block-level
    grid around a town), so the total is the places' total. Points may fall offshore;
    access does not care.
    """
    rng = np.random.default_rng(seed)
    p_lat, p_lon, p_pop = _places()
    share = p_pop / p_pop.sum()
    # At least one point a place, the rest in proportion to population.
    counts = 1 + np.floor(share * max(n - p_pop.size, 0)).astype("int64")
    counts[np.argsort(-share)[: max(n - int(counts.sum()), 0)]] += 1
    counts = counts[: p_pop.size]
    at = np.repeat(np.arange(p_pop.size), counts)[:n]
    lat, lon = _jitter(p_lat[at], p_lon[at], 10.0, rng)
    pop = p_pop[at] / counts[at]
    return pd.DataFrame({LATITUDE: lat, LONGITUDE: lon, "population": pop})


def sites(n: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """``n`` site coordinates inside the US, clustered like dealers."""
    return us_points(n, np.random.default_rng(seed))


def _owners(n: int, sizes: dict[int, float], prefix: str, rng: np.random.Generator) -> np.ndarray:
    """Owner-group names for ``n`` stores, in groups of random size."""
    names: list[str] = []
    group = 0
    keys, probs = list(sizes), np.array(list(sizes.values()))
    while len(names) < n:
        group += 1
        names += [f"{prefix} Group {group:05d}"] * int(rng.choice(keys, p=probs / probs.sum()))
    return np.array(names[:n], dtype=object)


def network(size: Size, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A two-brand network as dealer files would hold it: ``(sources, hosts)`` frames.

    About 15 % of source sites sit on a host rooftop (0.05 mile away), about 43 % belong
    to an owner group that also holds a host store nearby; volumes are drawn around the
    sample's means.
    """
    from pyproj import Geod

    from dealernet.geo.boundaries import state_at

    rng = np.random.default_rng(seed)
    h_lat, h_lon = us_points(size.hosts, rng)
    s_lat, s_lon = us_points(size.sources, rng, weight_power=1.0)
    n_coloc = min(round(COLOCATED_SHARE * size.sources), size.hosts)
    partner = rng.choice(size.hosts, n_coloc, replace=False)
    lon2, lat2, _ = Geod(ellps="WGS84").fwd(
        h_lon[partner], h_lat[partner], rng.uniform(0, 360, n_coloc), np.full(n_coloc, 80.0)
    )
    s_lat[:n_coloc], s_lon[:n_coloc] = lat2, lon2
    h_owner = _owners(size.hosts, {1: 0.62, 2: 0.2, 3: 0.1, 5: 0.05, 8: 0.03}, "Host", rng)
    s_owner = _owners(size.sources, {1: 0.72, 2: 0.18, 3: 0.1}, "Source", rng)
    dual = rng.random(size.sources) < DUAL_OWNER_SHARE
    dual[:n_coloc] = True
    near = np.full(size.sources, -1)
    near[:n_coloc] = partner
    pick = np.flatnonzero(dual & (near < 0))
    if pick.size:  # a host store of the same owner among the five nearest
        from dealernet.geo.distance import SiteIndex

        close, _ = SiteIndex.build(h_lat, h_lon).k_nearest(s_lat[pick], s_lon[pick], 5)
        choice = close[np.arange(pick.size), rng.integers(0, min(5, size.hosts), pick.size)]
        near[pick] = np.where(choice >= 0, choice, close[:, 0])
    s_owner[dual] = h_owner[near[dual]]

    def frame(
        prefix: str,
        brand: str,
        lat: np.ndarray,
        lon: np.ndarray,
        owner: np.ndarray,
        mean_new: float,
    ) -> pd.DataFrame:
        n = lat.size
        new = np.maximum(rng.lognormal(np.log(mean_new), 0.5, n).round(), 1)
        return pd.DataFrame(
            {
                DEALER_ID: [f"BENCH-{prefix}-{i:06d}" for i in range(1, n + 1)],
                NAME: [f"Benchmark {brand} {i}" for i in range(1, n + 1)],
                BRAND: brand,
                OWNER_GROUP: owner,
                ADDRESS: "",
                CITY: "",
                STATE: state_at(lat, lon),
                ZIP: "",
                LATITUDE: lat.round(6),
                LONGITUDE: lon.round(6),
                ANNUAL_NEW_UNITS: new.astype("int64"),
                ANNUAL_USED_UNITS: (new * rng.uniform(0.6, 1.1, n)).round().astype("int64"),
            }
        )

    return (
        frame("SRC", SOURCE_BRAND, s_lat, s_lon, s_owner, SOURCE_MEAN_NEW),
        frame("HST", HOST_BRAND, h_lat, h_lon, h_owner, HOST_MEAN_NEW),
    )


def write_network(size: Size, folder: Path, seed: int = SEED) -> list[Path]:
    """Write :func:`network` as two CSV dealer files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in zip(("sources.csv", "hosts.csv"), network(size, seed), strict=True):
        table.to_csv(folder / name, index=False)
        paths.append(folder / name)
    return paths
