"""Fixtures shared by the tests: toy networks, the bundled sample and its run, and the run of
the real 2015 network (each once).

Plain helpers (paths, ``site``, ``network_from``, ...) live in ``helpers.py``; import them
from there, not from this conftest.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pytest

from helpers import DEALERS, MILE, ORIGIN, SCENARIOS_DIR, assert_unchanged, east, network_from, site

if TYPE_CHECKING:
    from dealernet.analysis.result import Result

# pytest-xdist already runs the tests on every core: owner reports render in this process
# (and in the commands the tests start), unless a test asks for workers itself.
os.environ.setdefault("DEALERNET_WORKERS", "1")


@pytest.fixture(scope="session")
def sample_network() -> Iterator[gpd.GeoDataFrame]:
    """The bundled sample network (``--dealers sample``), loaded once per session.

    Shared, so read-only: a test that changes it takes ``sample_network.copy()``. Teardown
    fails if any test changed it.
    """
    from dealernet.io.loader import load_network  # here, so collection needs only the schema

    network = load_network(DEALERS)
    before = network.copy(deep=True)
    yield network
    assert_unchanged(network, before, "sample_network")


@pytest.fixture(scope="session")
def sample_result(sample_network: gpd.GeoDataFrame) -> Iterator[Result]:
    """``run()`` on the sample network with the default scenario and assumptions, once.

    Shared, so read-only: a test that changes it takes ``copy.deepcopy(sample_result)``
    (cheap, about 20 ms). ``sample_result.network`` is ``sample_network``. Teardown fails if
    any test changed the result.
    """
    from dealernet.analysis.pipeline import run

    result = run(sample_network)
    before = copy.deepcopy(result)
    yield result
    assert_unchanged(result, before, "sample_result")


@pytest.fixture(scope="session")
def real_result() -> Iterator[Result]:
    """``run()`` on the bundled real 2015 network (the default of ``dealernet run``), once.

    Without the sensitivity and the shipped scenarios' spread (``what_drives=False``): the
    tests that share it check the network, decisions, impacts, access and pages, and those
    two would double the run. Shared, so read-only; teardown fails if any test changed it.
    """
    from dealernet.analysis.pipeline import run
    from dealernet.io.loader import load_network

    result = run(load_network("real-2015"), what_drives=False)
    before = copy.deepcopy(result)
    yield result
    assert_unchanged(result, before, "real_result")


@pytest.fixture
def make_network() -> Callable[..., gpd.GeoDataFrame]:
    """Factory: ``make_network([site(...), ...])``."""
    return network_from


@pytest.fixture
def toy_network() -> gpd.GeoDataFrame:
    """Four Infiniti stores and four Nissan sites around Dallas.

    Geodesic distances (WGS84, checked with ``pyproj.Geod``):

    - I1 (owner Alpha) is 5 miles from N1 (Alpha) and 2 miles from N2 (Beta).
    - I2 (owner Beta) is 8 miles from N2, its nearest Nissan site.
    - I3 shares N3's rooftop (0.05 miles): co-located.
    - I4 is about 97 miles from its nearest Nissan site (N1), far from every one.
    """
    lat0, lon0 = ORIGIN
    return network_from(
        [
            site("I1", "Infiniti", lat0, lon0, owner="Alpha Group", annual_new_units=250),
            site(
                "I2", "Infiniti", lat0 + 10 * MILE, lon0, owner="Beta Motors", annual_new_units=700
            ),
            site("I3", "Infiniti", lat0 - 20 * MILE, lon0, owner="Gamma", annual_new_units=300),
            site("I4", "Infiniti", lat0 + 80 * MILE, lon0 + east(60), owner="Delta"),
            site("N1", "Nissan", lat0, lon0 + east(5), owner="alpha  group", annual_new_units=900),
            site("N2", "Nissan", lat0 + 2 * MILE, lon0, owner="Beta Motors", annual_new_units=200),
            site("N3", "Nissan", lat0 - 20 * MILE, lon0 + east(0.05), owner="Gamma"),
            site("N4", "Nissan", lat0 - 40 * MILE, lon0, owner="Epsilon", annual_new_units=800),
        ]
    )


@pytest.fixture
def scenarios_dir() -> Path:
    """The bundled scenario files."""
    return SCENARIOS_DIR
