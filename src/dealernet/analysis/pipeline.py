"""``run()``: the whole analysis, stage by stage, as one call.

Each stage is a plain function over (Geo)DataFrames in its own module; this module only
ties them together and keeps what they return in a
:class:`~dealernet.analysis.result.Result`. Nothing here formats
output: :mod:`dealernet.outputs.tables` writes files, :mod:`dealernet.outputs.terminal` prints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from dealernet._errors import InvalidInputError
from dealernet.analysis import rollups
from dealernet.analysis.access import ACCESS_COLUMNS, access_by_site, access_for_decisions
from dealernet.analysis.access_dask import access_for_decisions_dask
from dealernet.analysis.assumptions import load_assumptions
from dealernet.analysis.impact import check_draw_memory, estimate_impacts, source_sites
from dealernet.analysis.market_run import run_market, run_market_dask, with_decay_fits
from dealernet.analysis.owner_groups import owner_keys, owner_sources
from dealernet.analysis.result import Result
from dealernet.analysis.scenario_spread import ScenarioSpread, scenario_spread
from dealernet.analysis.sensitivity import Sensitivity, sensitivity
from dealernet.engine.checks import check_brands
from dealernet.engine.rules import apply_rules
from dealernet.engine.scenario import load_scenario
from dealernet.geo.customers import load_customers
from dealernet.io.competitors import load_competitors
from dealernet.io.frames import as_network
from dealernet.io.owners import with_owners
from dealernet.io.population import load_population
from dealernet.io.zip_sales import read_zip_sales
from dealernet.schema import DEALER_ID, DECISION
from dealernet.settings import DEFAULT_ASSUMPTIONS, DEFAULT_SCENARIO_PATH, SCENARIOS_DIR

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from dealernet.analysis.access import Access
    from dealernet.analysis.assumptions import Assumptions
    from dealernet.analysis.market_run import MarketResult
    from dealernet.engine.scenario import Scenario

#: Called with the name of each stage as it starts, for progress displays.
Progress = Callable[[str], None]

#: The draws of a quick preview (an explorer redrawing as a setting moves): fewer Monte
#: Carlo draws and market parameter sets than a run's, so ranges are rougher; every figure
#: that is kept or downloaded comes from a run with the scenario's own draws.
PREVIEW = {"monte_carlo.draws": 250, "monte_carlo.market_draws": 2}


def default_scenario() -> Scenario:
    """The scenario of the plan in the news (the bundled ``consolidation.toml``)."""

    return load_scenario(DEFAULT_SCENARIO_PATH)


def default_assumptions() -> Assumptions:
    """The shipped, sourced assumptions (the bundled ``assumptions.toml``)."""

    return load_assumptions(DEFAULT_ASSUMPTIONS)


def run(
    network: gpd.GeoDataFrame,
    scenario: Scenario | None = None,
    assumptions: Assumptions | None = None,
    *,
    places: pd.DataFrame | None = None,
    population: str | Path | None = None,
    engine: str = "memory",
    scheduler: str | None = None,
    progress: Progress | None = None,
    owners: str | Path | Mapping[str | tuple[str, str], str] | None = None,
    competitors: pd.DataFrame | str | Path | None = None,
    zip_sales: str | Path | None = None,
    what_drives: bool = True,
) -> Result:
    """Run every stage: rules, impacts, roll-ups and customer access.

    Parameters
    ----------
    network
        The loaded network (:func:`dealernet.load_network`), or any (Geo)DataFrame with
        ``dealer_id``, ``name``, ``brand`` and a location (latitude / longitude columns or
        point geometry); :func:`dealernet.io.frames.as_network` names what is missing.
    scenario, assumptions
        Default to the bundled ``consolidation`` scenario and assumptions (package data).
    places
        Customer points (``latitude``, ``longitude``, ``population``) for customer access
        and the market model; defaults to the shipped Census-matched points
        (:func:`dealernet.geo.customers.load_customers`).
    population
        Instead of ``places``: a (Geo)Parquet file or a folder of them (a partitioned
        dataset) with point geometry or latitude / longitude and a population column
        (:func:`dealernet.io.population.load_population`).
    engine
        ``"memory"`` (read the population into this process) or ``"dask"`` (compute access
        on a Dask cluster from ``population``: :mod:`dealernet.analysis.access_dask`).
    scheduler
        With ``engine="dask"``: a scheduler address such as ``"tcp://10.0.0.5:8786"``;
        ``None`` starts a local cluster.
    progress
        Called with each stage's name as it starts.
    owners
        An owners file (CSV or XLSX: ``dealer_id``, ``owner_group``) or its mapping; it wins
        over the owners inferred for stores whose dealer file names none
        (:func:`dealernet.io.owners.with_owners`).
    what_drives
        Also each assumption at its low and its high (:mod:`dealernet.analysis.sensitivity`)
        and every shipped scenario at base (:mod:`dealernet.analysis.scenario_spread`): a
        few seconds more; the pages and ``sensitivity.csv`` / ``scenarios.csv`` show them.
    """

    prepared = prepare(
        network,
        places=places,
        population=population,
        engine=engine,
        scheduler=scheduler,
        owners=owners,
        competitors=competitors,
        zip_sales=zip_sales,
    )
    return prepared.run(scenario, assumptions, progress=progress, what_drives=what_drives)


def prepare(
    network: gpd.GeoDataFrame,
    *,
    places: pd.DataFrame | None = None,
    population: str | Path | None = None,
    engine: str = "memory",
    scheduler: str | None = None,
    owners: str | Path | Mapping[str | tuple[str, str], str] | None = None,
    competitors: pd.DataFrame | str | Path | None = None,
    zip_sales: str | Path | None = None,
) -> Prepared:
    """The network with everything that does not depend on the scenario's rules or the
    assumptions read and checked once: the customer points, the competitor rosters, the
    sales by ZIP, and (per source and host brands) the owners.

    :meth:`Prepared.run` then decides and estimates a scenario; run it again with a rule
    changed and only the work that depends on the rules is done again (an explorer's
    loop, a sweep, a compare). The options are :func:`run`'s; bad ones fail here, before
    any slow work.
    """
    _check_engine(engine, places, population, scheduler)
    sales = read_zip_sales(zip_sales) if zip_sales is not None else None
    if sales is not None and engine == "dask":
        msg = (
            "--zip-sales fits each store's decay on customer points held in memory; the dask "
            "engine does not collect them. Fix: run the fit without --engine dask"
        )
        raise InvalidInputError(msg)
    if engine == "memory" and places is None:
        places = load_customers() if population is None else load_population(population)
        population = None
    return Prepared(
        network=as_network(network),
        places=places,
        population=population,
        engine=engine,
        scheduler=scheduler,
        owners=owners,
        competitors=competitors,
        sales=sales,
    )


@dataclass
class Prepared:
    """A network ready to run scenarios on (:func:`prepare`): the work that does not depend
    on the rules or the assumptions, done once and kept.

    The market's solutions are also kept in the process
    (:func:`dealernet.analysis.market_run.run_market`), so a change that leaves the
    stores' fates alone (an assumption outside the market) solves nothing again.
    """

    network: gpd.GeoDataFrame
    places: pd.DataFrame | None
    population: str | Path | None
    engine: str
    scheduler: str | None
    owners: str | Path | Mapping[str | tuple[str, str], str] | None
    competitors: pd.DataFrame | str | Path | None
    sales: pd.DataFrame | None
    _owned: dict[tuple[str, tuple[str, ...]], gpd.GeoDataFrame] = field(default_factory=dict)
    _rivals: dict[tuple[str, ...], pd.DataFrame] = field(default_factory=dict)

    def owned(self, scenario: Scenario) -> gpd.GeoDataFrame:
        """The network with the owners of the scenario's brands (worked out once per
        source and host brands)."""
        key = (scenario.source_brand, tuple(scenario.host_brands))
        if key not in self._owned:
            self._owned[key] = with_owners(
                self.network, scenario.source_brand, scenario.host_brands, self.owners
            )
        return self._owned[key]

    def rivals(self, scenario: Scenario) -> pd.DataFrame:
        """The competitor rosters (the shipped ones, or the given files without the
        scenario's own brands; a frame given in code is taken as it is)."""
        if isinstance(self.competitors, pd.DataFrame):
            return self.competitors
        exclude = (scenario.source_brand, *scenario.host_brands)
        if exclude not in self._rivals:
            self._rivals[exclude] = load_competitors(self.competitors, exclude_brands=exclude)
        return self._rivals[exclude]

    def run(
        self,
        scenario: Scenario | None = None,
        assumptions: Assumptions | None = None,
        *,
        progress: Progress | None = None,
        what_drives: bool = True,
    ) -> Result:
        """Decide and estimate ``scenario`` (default: the bundled ``consolidation``) with
        ``assumptions`` (default: the shipped ones): :func:`run` on this network."""
        step = progress or (lambda _name: None)
        scenario = scenario or default_scenario()
        assumptions = assumptions or default_assumptions()
        check_brands(self.network, scenario)
        check_draw_memory(assumptions.draws, source_sites(self.network, scenario.source_brand))
        network = self.owned(scenario)
        competitors = self.rivals(scenario)  # a bad path fails before the slow work
        step("rules")
        decisions = apply_rules(network, scenario)
        table = decisions.table
        step("customer access")
        access = _access(network, table, scenario, self)
        step("market model")
        on_dask = None
        if self.engine == "dask" and self.population is not None:
            on_dask = (self.population, self.scheduler)
        market = _market(
            network, table, scenario, assumptions, access.places, competitors, on_dask, self.sales
        )
        if self.sales is not None:
            market = with_decay_fits(market, network, self.sales)
        step("impacts")
        impacts = estimate_impacts(
            network, table, assumptions, scenario.source_brand, scenario.host_brands, market=market
        )
        affected = table.loc[table[DECISION].isin(["absorb", "close"]), DEALER_ID]
        served = access_by_site(access, list(affected))
        impacts.table = with_customers(impacts.table, served)
        drivers: Sensitivity | None = None
        spread: ScenarioSpread | None = None
        if what_drives:
            step("sensitivity")
            drivers, spread = _what_drives(
                network, table, scenario, assumptions, market, competitors, access.places
            )
        step("roll-ups")
        return Result(
            network=network,
            scenario=scenario,
            assumptions=assumptions,
            decisions=decisions,
            impacts=impacts,
            owners=rollups.owners(
                table, impacts, owner_sources(table, network, scenario.source_brand)
            ),
            regions=rollups.regions(table, impacts),
            national=rollups.national(table, impacts),
            access=access,
            market=market,
            sensitivity=drivers,
            spread=spread,
        )


ENGINES = ("memory", "dask")


def _check_engine(
    engine: str, places: pd.DataFrame | None, population: str | Path | None, scheduler: str | None
) -> None:
    """Refuse options that do not go together, before any work."""
    if engine not in ENGINES:
        msg = f"engine {engine!r}: use one of {', '.join(ENGINES)}"
        raise InvalidInputError(msg)
    if places is not None and population is not None:
        msg = "give places or a population path, not both"
        raise InvalidInputError(msg)
    if scheduler is not None and engine != "dask":
        msg = "a Dask scheduler needs the dask engine (--engine dask)"
        raise InvalidInputError(msg)
    if engine == "dask" and population is None:
        msg = "the dask engine reads a population dataset: give --population PATH"
        raise InvalidInputError(msg)


def _access(
    network: gpd.GeoDataFrame, table: pd.DataFrame, scenario: Scenario, prepared: Prepared
) -> Access:
    """Customer access with the prepared engine and customer points."""
    brands = (scenario.source_brand, scenario.host_brands)
    if prepared.engine == "dask" and prepared.population is not None:
        return access_for_decisions_dask(
            prepared.population, network, table, *brands, scheduler=prepared.scheduler
        )
    if prepared.places is None:  # pragma: no cover - prepare() loads them
        msg = "no customer points were prepared"
        raise InvalidInputError(msg)
    return access_for_decisions(prepared.places, network, table, *brands)


def _market(
    network: gpd.GeoDataFrame,
    table: pd.DataFrame,
    scenario: Scenario,
    assumptions: Assumptions,
    points: pd.DataFrame,
    competitors: pd.DataFrame,
    on_dask: tuple[str | Path, str | None] | None,
    sales: pd.DataFrame | None,
) -> MarketResult:
    """The market model over the run's customer points and the competitor rosters; with
    ``on_dask`` (the population dataset and scheduler of a run on Dask), on the cluster
    over that dataset, as access is. The pairs are kept only for fits to ``sales``."""
    source = str(competitors.attrs.get("source", "your competitor rosters"))
    if on_dask is not None:
        population, scheduler = on_dask
        return run_market_dask(
            population,
            network,
            table,
            competitors,
            assumptions,
            scenario.source_brand,
            scheduler=scheduler,
            competitors_source=source,
        )
    points = points[[c for c in points.columns if c not in ACCESS_COLUMNS]]
    return run_market(
        points,
        network,
        table,
        competitors,
        assumptions,
        scenario.source_brand,
        competitors_source=source,
        pairs=sales is not None,
    )


def _what_drives(
    network: gpd.GeoDataFrame,
    table: pd.DataFrame,
    scenario: Scenario,
    assumptions: Assumptions,
    market: MarketResult,
    competitors: pd.DataFrame,
    points: pd.DataFrame,
) -> tuple[Sensitivity, ScenarioSpread | None]:
    """The one-at-a-time sensitivity (nationally and per owner group), and every shipped
    scenario at base (not on Dask, whose customer points are not at hand)."""
    owners = pd.Series(owner_keys(table).to_numpy(), index=table[DEALER_ID].to_numpy())
    drivers = sensitivity(
        network,
        table,
        assumptions,
        scenario.source_brand,
        scenario.host_brands,
        market=market,
        owners=owners,
    )
    if market.slots is None:
        return drivers, None
    shipped = [(p.stem, load_scenario(p)) for p in sorted(SCENARIOS_DIR.glob("*.toml"))]
    plain = points[[c for c in points.columns if c not in ACCESS_COLUMNS]]
    return drivers, scenario_spread(network, assumptions, competitors, plain, shipped)


def with_customers(table: pd.DataFrame, served: pd.DataFrame) -> pd.DataFrame:
    """Add, per affected store, the people it served and how much farther they now go.

    Columns are prefixed ``customers_``; stores that keep their showroom get 0 people.
    """
    served = served.rename(columns={c: f"customers_{c}" for c in served.columns if c != DEALER_ID})
    merged = table.merge(served, on=DEALER_ID, how="left")
    for column in served.columns:
        if column != DEALER_ID and pd.api.types.is_integer_dtype(served[column]):
            merged[column] = merged[column].fillna(0).astype("int64")
    return merged
