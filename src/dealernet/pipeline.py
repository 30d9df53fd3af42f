"""``run()``: the whole analysis, stage by stage, as one call.

Each stage is a plain function over (Geo)DataFrames in its own module; this module only
ties them together and keeps what they return in a :class:`Result`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dealernet import network as N
from dealernet import settings

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd


@dataclass
class Result:
    """Everything one run produced.

    Attributes
    ----------
    network
        All sites as loaded (EPSG:4326).
    sources
        Source-brand sites with their nearest host and co-location ``status``.
    source_brand, host_brand
        The brands folded together.
    """

    network: gpd.GeoDataFrame
    sources: gpd.GeoDataFrame
    source_brand: str
    host_brand: str


def run(
    network: gpd.GeoDataFrame,
    source_brand: str = settings.SOURCE_BRAND,
    host_brand: str = settings.HOST_BRAND,
    colocation_radius_miles: float = settings.COLOCATION_RADIUS_MILES,
) -> Result:
    """Classify the network and run every stage of the analysis."""
    sources = N.classify(network, source_brand, host_brand, colocation_radius_miles)
    return Result(
        network=network, sources=sources, source_brand=source_brand, host_brand=host_brand
    )
