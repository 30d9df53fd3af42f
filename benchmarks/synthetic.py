"""Synthetic inputs at any size, from one seed: dealer networks, population points, sites.

Dealer networks come from the package's sample generator (``dealernet sample --scale N``,
:mod:`dealernet.io.sample`), so the suite runs what users can make; the population points and
site clouds of the nearest-host and access cases are placed here around real US places
(``dealernet.geo.places.load_places``), weighted by population, so points cluster like
customers and dealers do. The same seed always gives the same data, so runs compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from dealernet.schema import LATITUDE, LONGITUDE
from dealernet.settings import METRES_PER_MILE, SAMPLE_SEED

#: Seed of the population points and site clouds (networks use the sample's seed).
SEED = 20241216


@dataclass(frozen=True)
class Size:
    """A network size: source-brand and host-brand site counts (``scale``: of the sample)."""

    sources: int
    hosts: int
    scale: float | None = None

    @classmethod
    def scaled(cls, scale: float) -> Size:
        """``scale`` times the bundled sample's 197 Infiniti and 1,071 Nissan sites."""
        from dealernet.io.sample import scaled_sites

        return cls(*scaled_sites(scale), scale=scale)

    @property
    def label(self) -> str:
        where = "" if self.scale is None else f" (sample x {self.scale:g})"
        return f"{self.sources:,} / {self.hosts:,} sites{where}"


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


def network(size: Size, seed: int = SAMPLE_SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A two-brand network as dealer files hold it: ``(sources, hosts)`` frames.

    The package's sample generator (:func:`dealernet.io.sample.generate_sample`) at the
    given counts, so a benchmark network has the sample's shape (owners, volumes, 15 %
    co-located, about 43 % dual owners) and ``Size.scaled(1)`` is the bundled sample.
    """
    from dealernet.io.sample import generate_sample

    return generate_sample(seed, sites=(size.sources, size.hosts))


def write_network(size: Size, folder: Path, seed: int = SAMPLE_SEED) -> list[Path]:
    """Write :func:`network` as two CSV dealer files into ``folder``."""
    from dealernet.io.sample import write_sample

    return write_sample(folder, seed, sites=(size.sources, size.hosts))
