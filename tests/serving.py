"""The explorer (``dealernet serve``) for tests: tabs over a network prepared once, and a
live server on a free port in a thread (for Chromium).

A module, not a conftest: the serve tests import it (``from serving import ...``).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import geopandas as gpd

    from dealernet.serve.tabs import Tabs

#: The ``Host`` names a test app answers to (TestClient sends ``testserver``).
TEST_HOSTS = ["testserver", "127.0.0.1", "localhost"]


def explorer_over(network: gpd.GeoDataFrame, label: str = "synthetic sample") -> Tabs:
    """Tabs over ``network`` with the bundled scenario and assumptions (``dealernet serve``'s
    defaults), the start run not yet made; the network is the sample's unless told."""
    from dealernet.analysis.pipeline import default_assumptions, default_scenario, prepare
    from dealernet.serve.tabs import Network, Tabs

    prepared = prepare(network)
    scenario, assumptions = default_scenario(), default_assumptions()
    return Tabs(Network(label, prepared, scenario, assumptions, dealers="--dealers sample"))


def live_server(app: Any) -> AbstractContextManager[str]:
    """``app`` served on a free port of 127.0.0.1 in a thread; yields its base address."""
    from dealernet.serve.app import served_in_thread

    return served_in_thread(app)
