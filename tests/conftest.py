"""Small toy networks built with the schema's column names, shared by the tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

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


@pytest.fixture
def make_network() -> Callable[..., gpd.GeoDataFrame]:
    """Factory: ``make_network([site(...), ...])``."""
    return network_from


@pytest.fixture
def toy_network() -> gpd.GeoDataFrame:
    """Four Infiniti stores and four Nissan sites around Dallas.

    - I1 (owner Alpha) is 5 miles from N1 (Alpha) and 2 miles from N2 (Beta).
    - I2 (owner Beta) is 3 miles from N2.
    - I3 shares N3's rooftop (0.05 miles): co-located.
    - I4 is about 80 miles from any Nissan site.
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
    return Path(__file__).resolve().parents[1] / "data" / "scenarios"
