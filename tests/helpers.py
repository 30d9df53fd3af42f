"""Plain helpers shared by the tests: the repository's paths, toy networks, result checks.

A module, not a conftest: tests import what they use (``from helpers import ROOT, site``);
``tests/`` is on ``sys.path`` because the rootdir conftest lives there. Fixtures stay in
``conftest.py``; topic helpers stay in their own modules (``browser``, ``hostile``,
``properties``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from dealernet.schema import (
    BRAND,
    CITY,
    DEALER_ID,
    EXACT,
    LATITUDE,
    LOCATION_QUALITY,
    LONGITUDE,
    NAME,
    NUMERIC_COLUMNS,
    OWNER_GROUP,
    STATE,
    TEXT_COLUMNS,
    ordered,
)

#: The repository root.
ROOT = Path(__file__).resolve().parents[1]
#: Bundled inputs, as package data (what a wheel ships).
PACKAGE_DATA = ROOT / "src" / "dealernet" / "_data"
#: The bundled synthetic sample network (a folder of dealer files).
DEALERS = PACKAGE_DATA / "networks" / "sample"
#: The bundled real 2015 network (Infiniti and Nissan locator rosters).
REAL_2015 = PACKAGE_DATA / "networks" / "real-2015"
#: The bundled assumptions.
ASSUMPTIONS = PACKAGE_DATA / "assumptions.toml"
#: The bundled scenario files.
SCENARIOS_DIR = PACKAGE_DATA / "scenarios"

#: Metres in one statute mile, for checking distances with pyproj's ``Geod`` directly.
METRES_PER_MILE = 1609.344
#: One mile of latitude, in degrees (close enough for laying out toy sites).
MILE = 1 / 69.0
#: Near Dallas, a convenient origin for toy networks.
ORIGIN = (32.78, -96.80)


def site(
    dealer_id: str,
    brand: str,
    lat: float,
    lon: float,
    *,
    owner: str | None = None,
    name: str | None = None,
    state: str = "TX",
    city: str = "Dallas",
    **numbers: float,
) -> dict[str, object]:
    """One site row with the canonical columns."""
    row: dict[str, object] = dict.fromkeys(TEXT_COLUMNS)
    row.update({c: np.nan for c in NUMERIC_COLUMNS})
    row.update(
        {
            DEALER_ID: dealer_id,
            NAME: name or f"{dealer_id} {brand}",
            BRAND: brand,
            OWNER_GROUP: owner,
            CITY: city,
            STATE: state,
            LATITUDE: float(lat),
            LONGITUDE: float(lon),
            LOCATION_QUALITY: EXACT,
        }
    )
    row.update(numbers)
    return row


def network_from(rows: Iterable[dict[str, object]]) -> gpd.GeoDataFrame:
    """A network GeoDataFrame (EPSG:4326) from site rows, columns in schema order."""
    frame = pd.DataFrame(list(rows))
    for column in NUMERIC_COLUMNS:
        frame[column] = frame[column].astype("float64")
    for column in TEXT_COLUMNS:
        frame[column] = frame[column].astype(object)
    geometry = gpd.points_from_xy(frame[LONGITUDE], frame[LATITUDE], crs="EPSG:4326")
    gdf = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    return gdf[ordered(gdf.columns)]


def east(miles: float, lat: float = ORIGIN[0]) -> float:
    """Degrees of longitude for ``miles`` east at ``lat`` (approximate, for layout only)."""
    return miles * MILE / np.cos(np.radians(lat))


def assert_unchanged(now: object, before: object, where: str = "value") -> None:
    """Assert ``now`` equals the snapshot ``before`` (a deep copy), field by field.

    Walks dataclasses (fields with ``compare=False``, such as caches, are skipped), dicts,
    lists and tuples, and compares frames, series and arrays exactly, so a shared fixture
    can check at teardown that no test changed it. ``where`` names the first difference.
    """
    if isinstance(before, pd.DataFrame):
        pd.testing.assert_frame_equal(now, before, obj=where)
    elif isinstance(before, pd.Series):
        pd.testing.assert_series_equal(now, before, obj=where)
    elif isinstance(before, np.ndarray):
        np.testing.assert_array_equal(now, before, err_msg=where)
    elif dataclasses.is_dataclass(before) and not isinstance(before, type):
        assert type(now) is type(before), where
        for f in dataclasses.fields(before):
            if f.compare:
                assert_unchanged(getattr(now, f.name), getattr(before, f.name), f"{where}.{f.name}")
    elif isinstance(before, Mapping):  # dicts and the held draws (StoreDraws)
        assert isinstance(now, Mapping) and now.keys() == before.keys(), f"{where}: keys changed"
        for key, value in before.items():
            assert_unchanged(now[key], value, f"{where}[{key!r}]")
    elif isinstance(before, (list, tuple)):
        assert type(now) is type(before) and len(now) == len(before), f"{where}: length changed"
        for i, (a, b) in enumerate(zip(now, before, strict=True)):
            assert_unchanged(a, b, f"{where}[{i}]")
    elif isinstance(before, float) and math.isnan(before):
        assert isinstance(now, float) and math.isnan(now), f"{where}: {now!r} != nan"
    else:
        assert now == before, f"{where}: {now!r} != {before!r}"


def impacts_with_market(network, decisions, assumptions, brand, host, **options):  # type: ignore[no-untyped-def]
    """:func:`estimate_impacts` with the market model solved for these stores, as a run does
    (the shipped Census-matched customers and 2015 competitor rosters)."""
    import pandas as pd

    from dealernet.analysis.impact import estimate_impacts
    from dealernet.analysis.market_run import run_market
    from dealernet.geo.customers import load_customers
    from dealernet.io.competitors import load_competitors

    network = pd.DataFrame(network)
    competitors = load_competitors(None, exclude_brands=(brand, host))
    market = run_market(load_customers(), network, decisions, competitors, assumptions, brand)
    return estimate_impacts(network, decisions, assumptions, brand, host, market=market, **options)


def market_params(attractiveness, **changes):  # type: ignore[no-untyped-def]
    """Market parameters for hand-checked toy markets: the bundled base values rounded
    (decay 2, service decay 3, cut-off 150 mi, dualled pull 0.77, outside option 10 mi)."""
    import numpy as np

    from dealernet.analysis.market import Parameters

    values = dict(
        decay_sales=2.0,
        decay_service=3.0,
        cutoff_miles=150.0,
        dualled=0.77,
        service_outside_miles=10.0,
    )
    values.update(changes)
    return Parameters(**values, attractiveness=np.asarray(attractiveness, dtype="float64"))
