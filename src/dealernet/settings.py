"""Defaults, in one place: paths, radii, seeds and tolerances every module shares."""

from __future__ import annotations

from pathlib import Path

#: Default dealer files, output folder, scenario and assumptions, relative to the
#: working directory (the repository root in the README's quick start).
DEFAULT_DEALERS = Path("data/dealers")
DEFAULT_OUT = Path("maps")
DEFAULT_SCENARIO = Path("data/scenarios/default.toml")
DEFAULT_ASSUMPTIONS = Path("data/assumptions.toml")

#: The repository's data folder, for defaults when running outside the repository root.
REPO_DATA = Path(__file__).resolve().parents[2] / "data"


def find_default(path: Path) -> Path:
    """A default input: relative to the working directory if there, else to the repository."""
    if path.exists() or not (REPO_DATA.parent / path).exists():
        return path
    return REPO_DATA.parent / path


# --- the run folder (``--out``): one name for each thing a run writes -----------------------
#: Tables (CSV, JSON) of a run.
DATA_DIR = "data"
#: One HTML report (and CSV, PDF) per owner group.
OWNERS_DIR = "owners"
#: Maps of a state, an owner or an area (``dealernet map``).
REGIONS_DIR = "regions"
#: Maps drawn by ``dealernet query --map``.
QUERIES_DIR = "queries"
#: Charts written by ``dealernet sweep``.
SWEEPS_DIR = "sweeps"
#: The national map and the index page at the top of the run folder.
NETWORK_MAP = "network.html"
INDEX_PAGE = "index.html"

#: Folder of reference data shipped inside the package (boundaries, places).
PACKAGE_DATA = Path(__file__).parent / "_data"
STATES_GEOJSON = PACKAGE_DATA / "boundaries" / "us-states.geojson"
COUNTIES_GEOJSON = PACKAGE_DATA / "boundaries" / "us-counties.geojson"

#: A source-brand site closer than this to a host-brand site shares its rooftop.
COLOCATION_RADIUS_MILES = 0.25

#: Road miles per geodesic mile for the optional road estimate. 1.2-1.4 is the range
#: usually reported for US road networks (Ballou et al. 2002, "Selected country
#: circuity factors for road travel distance estimation", Transportation Research A).
CIRCUITY_FACTOR = 1.25

#: Dealer file suffixes we read when given a folder.
SUPPORTED_SUFFIXES: tuple[str, ...] = (
    ".csv",
    ".tsv",
    ".txt",
    ".xlsx",
    ".geojson",
    ".json",
    ".gpkg",
    ".shp",
    ".parquet",
    ".geoparquet",
)

#: Seed for the bundled sample network.
SAMPLE_SEED = 2024

#: Metres in one statute mile.
METRES_PER_MILE = 1609.344

#: Brands of the plan in the news, used where no scenario says otherwise.
SOURCE_BRAND = "Infiniti"
HOST_BRAND = "Nissan"

#: Problems printed by ``dealernet validate`` before "... and N more".
MAX_PROBLEMS_SHOWN = 50

#: First words of ``--set`` keys that change the scenario (others change assumptions).
SCENARIO_SECTIONS = ("scenario", "distance", "rules")
