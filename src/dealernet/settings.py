"""Defaults, in one place: paths, radii, seeds and tolerances every module shares."""

from __future__ import annotations

from pathlib import Path

#: Reference data and every bundled input, shipped inside the package (so a wheel installed
#: anywhere runs): networks, scenarios, assumptions, boundaries, places.
PACKAGE_DATA = Path(__file__).parent / "_data"
NETWORKS_DIR = PACKAGE_DATA / "networks"
SCENARIOS_DIR = PACKAGE_DATA / "scenarios"

#: Networks shipped with dealernet, by the name ``--dealers`` takes instead of a path:
#: the real 2015 locator rosters (owners inferred, sales estimated) and the synthetic sample
#: (made-up stores with every economics column, for trying features and for tests).
REAL_2015 = "real-2015"
SAMPLE = "sample"
BUNDLED_NETWORKS: dict[str, Path] = {
    REAL_2015: NETWORKS_DIR / REAL_2015,
    SAMPLE: NETWORKS_DIR / SAMPLE,
}
#: What every output made from a bundled network says about where its figures come from.
NETWORK_LABELS: dict[str, str] = {
    REAL_2015: "real 2015 dealer locations; owners inferred; sales estimated",
    SAMPLE: "synthetic sample: every dealership, owner and sales figure is made up",
}

#: Defaults of ``--dealers``, ``--out``, ``--scenario`` and ``--assumptions``.
DEFAULT_DEALERS = REAL_2015
DEFAULT_OUT = Path("maps")
#: The default scenario is ``consolidation``: the plan the seed story describes (most
#: stand-alone Infiniti stores fold into Nissan sites), which gives the figures dealernet has
#: always reported. ``announced-2024`` is what Nissan actually said (co-location allowed).
DEFAULT_SCENARIO = "consolidation"
DEFAULT_SCENARIO_PATH = SCENARIOS_DIR / "consolidation.toml"
#: Old names of bundled scenarios, still accepted wherever a scenario is named: ``--scenario
#: default``, ``compare default.toml ...``, and run folders that recorded the old file.
SCENARIO_ALIASES: dict[str, str] = {
    "default": "consolidation",
    "absorb-all": "all-stand-alone",
}
DEFAULT_ASSUMPTIONS = PACKAGE_DATA / "assumptions.toml"


def dealer_paths(values: tuple[str | Path, ...] | list[str | Path]) -> list[Path]:
    """Dealer files or folders, with bundled network names (``sample``) as their folders.

    An existing path always wins, so a folder of your own called ``sample`` is yours.
    """
    chosen = list(values) or [DEFAULT_DEALERS]
    out = []
    for value in chosen:
        path = Path(value)
        bundled = BUNDLED_NETWORKS.get(str(value).strip().lower())
        out.append(bundled if bundled is not None and not path.exists() else path)
    return out


def scenario_path(value: str | Path) -> Path:
    """A scenario file: a path, or the name of a bundled one (``consolidation``, ``default``).

    An existing file always wins (a folder does not: ``--out announced-2024`` makes one of
    the bundled scenario's name). A bare name (``.toml`` or not) is a bundled scenario, its
    old name (:data:`SCENARIO_ALIASES`) included; so is a missing file in the bundled folder
    under an old name, which is what a run folder written before the rename recorded.
    """
    path = Path(value)
    if path.is_file():
        return path
    stem = path.stem if path.suffix == ".toml" else path.name
    bundled = SCENARIOS_DIR / f"{SCENARIO_ALIASES.get(stem, stem)}.toml"
    if not bundled.is_file():
        return path
    if path.parent == Path("."):
        return bundled
    moved = stem in SCENARIO_ALIASES and _same_folder(path.parent, SCENARIOS_DIR)
    return bundled if moved else path


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def bundled_scenarios() -> list[str]:
    """Names of the scenarios shipped with dealernet, for help texts and messages.

    File names only: the old names of :data:`SCENARIO_ALIASES` still work but are not listed.
    """
    return sorted(p.stem for p in SCENARIOS_DIR.glob("*.toml"))


def shown_path(path: str | Path) -> str:
    """A path as pages show it: bundled inputs as ``dealernet:networks/real-2015/nissan.csv``
    rather than wherever the package happens to be installed, other paths as given."""
    text = str(path)
    head, sep, tail = text.partition(" with ")  # a scenario source with its overrides
    try:
        inside = Path(head).resolve().relative_to(PACKAGE_DATA.resolve())
    except (ValueError, OSError):
        return text
    return f"dealernet:{inside.as_posix()}{sep}{tail}"


def bundled_network(path: str | Path) -> str | None:
    """The bundled network a dealer file belongs to (``real-2015``, ``sample``), if any."""
    resolved = Path(path).resolve()
    for name, folder in BUNDLED_NETWORKS.items():
        if resolved.is_relative_to(folder.resolve()):
            return name
    return None


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
#: The GeoParquet layers of a run (``run --format parquet``), beside ``dealernet.gpkg``.
GIS_DIR = "gis"
#: The national map and the index page at the top of the run folder.
NETWORK_MAP = "network.html"
INDEX_PAGE = "index.html"

#: Reference data shipped inside the package (boundaries, places).
STATES_GEOJSON = PACKAGE_DATA / "boundaries" / "us-states.geojson"
COUNTIES_GEOJSON = PACKAGE_DATA / "boundaries" / "us-counties.geojson"

#: A source-brand site closer than this to a host-brand site shares its rooftop.
COLOCATION_RADIUS_MILES = 0.25
#: ... and so does one up to this far away whose street address is the same block: the same
#: street and side, house numbers at most ``COLOCATION_ADDRESS_MAX_NUMBER_GAP`` apart
#: (:func:`dealernet.geo.addresses.same_block`). Locator geocodes of one rooftop can be a few
#: tenths of a mile apart (8586 / 8590 Laguna Grove Dr, Elk Grove CA: 0.27 mile in the 2015
#: rosters); the guard keeps two "100 Main St" in two towns apart.
COLOCATION_GUARD_MILES = 1.0
#: Largest house-number gap that is still "the same block" for co-location. In the 2015
#: rosters of ten makes, stores 0.25-1 mile apart on one side of one street with numbers
#: 2-6 apart are nearly all one dealer's (Len Stoler 11309 / 11311 Reisterstown Rd, Hennessy
#: 3377 / 3383 Satellite Blvd); from 10 apart on none share a dealer name. A "same block"
#: of 50 would fold in competitors (Infiniti 3103 / Nissan 3057 Route 10, Denville NJ).
COLOCATION_ADDRESS_MAX_NUMBER_GAP = 6

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

# Limits of a scenario file (checked by dealernet.engine.scenario).
#: Rules one scenario may have: every rule is a pass over the stores left.
SCENARIO_MAX_RULES = 1_000
#: The farthest a host may be (``max_distance_miles``, road or straight): about once round
#: the Earth, farther than any two stores are apart by road. ``inf`` is "no limit"; a bigger
#: finite number (``1e308``) would only overflow the reports' and maps' figures.
SCENARIO_MAX_DISTANCE_MILES = 25_000.0
#: The largest co-location radius: a store 10 miles from a host does not share its rooftop,
#: and a huge radius would silently leave every store "unaffected".
SCENARIO_MAX_COLOCATION_MILES = 10.0
#: The largest circuity factor: US roads are 1.2-1.4 times the straight line.
SCENARIO_MAX_CIRCUITY = 3.0
#: The most stores one host may take (``capacity``): more than any network has; leave
#: ``capacity`` out for no limit.
SCENARIO_MAX_CAPACITY = 100_000

#: Memory the Monte Carlo of one run may take, in bytes: its kept draws (every loss measure,
#: draws x stores of 8-byte numbers) and the roll-ups' working copies. Past it a run is
#: refused with the figure, before any work, instead of being killed by the system (1,000,000
#: draws of the 197-store sample would need about 18 GiB). Raise it on a bigger machine.
MONTE_CARLO_MAX_BYTES = 4 * 1024**3
#: Working memory of one block of draws while the Monte Carlo is computed: the draws are
#: simulated in blocks this size, so the intermediate arrays never hold every draw at once.
MONTE_CARLO_BLOCK_BYTES = 256 * 1024**2

#: Problems printed by ``dealernet validate`` before "... and N more".
MAX_PROBLEMS_SHOWN = 50

#: First words of ``--set`` keys that change the scenario (others change assumptions).
SCENARIO_SECTIONS = ("scenario", "distance", "rules")
