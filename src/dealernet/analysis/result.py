"""``Result``: everything one run produced, shaped for a notebook as well as for the writers.

A :class:`Result` is plain data: the network, the scenario and assumptions it was made with,
the decisions, the impacts, the roll-ups and customer access. The tables are pandas frames a
geopandas user can take as they are (:attr:`Result.decisions_gdf`, :attr:`Result.impacts_gdf`
are GeoDataFrames in EPSG:4326), and the object shows itself briefly (``repr``) or as a
small table of national totals in Jupyter (``_repr_html_``).

Upward doors. :meth:`Result.query`, :meth:`Result.explore` and :meth:`Result.write` reach up
to the planning and rendering layers. Like ``GeoDataFrame.to_file`` in geopandas they import
what they need inside the method, so this module imports nothing above the analysis layer
when it loads; ``tests/test_architecture.py`` lists these doors and allows no others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from dealernet import formatting
from dealernet.analysis.impact import brand_fallbacks
from dealernet.analysis.rollups import hosts
from dealernet.schema import (
    BRAND,
    DEALER_ID,
    DECISION,
    LATITUDE,
    LONGITUDE,
    OWNER_GROUP,
    OWNER_INFERRED,
    OWNER_SOURCE,
    SAMPLE_ID_PREFIX,
    SOURCE_FILE,
)
from dealernet.settings import NETWORK_LABELS, REAL_2015, SAMPLE, bundled_network

if TYPE_CHECKING:  # pragma: no cover
    import folium
    import geopandas as gpd

    from dealernet.analysis.access import Access
    from dealernet.analysis.assumptions import Assumptions
    from dealernet.analysis.impact import Impacts
    from dealernet.analysis.market_run import MarketResult
    from dealernet.analysis.scenario_spread import ScenarioSpread
    from dealernet.analysis.sensitivity import Sensitivity
    from dealernet.engine.decisions import Decisions
    from dealernet.engine.scenario import Scenario
    from dealernet.planning.query import QueryResult

#: Coordinate reference system of every GeoDataFrame a result hands out.
CRS = "EPSG:4326"


@dataclass
class Result:
    """Everything one run produced.

    Attributes
    ----------
    network
        All sites as loaded (EPSG:4326).
    scenario, assumptions
        What the run was made with.
    decisions
        The rule engine's outcome: ``decisions.table`` has one row per source-brand site.
    impacts
        Baselines and losses per source-brand site (``impacts.table``) and the draws.
    owners, regions
        Roll-ups per owner group, and per state and county.
    national
        National totals.
    access
        Customer distances before and after, per place (``access.places``) and in sum.
    market
        The solved market model (:mod:`dealernet.analysis.market_run`).
    sensitivity
        Each assumption at its low and its high, the rest at base
        (:mod:`dealernet.analysis.sensitivity`); ``None`` when not computed.
    spread
        Every shipped scenario's figures at base (:mod:`dealernet.analysis.scenario_spread`);
        ``None`` when not computed.
    """

    network: gpd.GeoDataFrame
    scenario: Scenario
    assumptions: Assumptions
    decisions: Decisions
    impacts: Impacts
    owners: pd.DataFrame
    regions: pd.DataFrame
    national: pd.Series
    access: Access
    market: MarketResult | None = None
    sensitivity: Sensitivity | None = None
    spread: ScenarioSpread | None = None
    _frames: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def source_brand(self) -> str:
        return self.scenario.source_brand

    @property
    def host_brand(self) -> str:
        """The host brands as pages name them (``Nissan or Honda``): a label."""
        return self.scenario.host_brand

    @property
    def host_brands(self) -> tuple[str, ...]:
        """Every brand whose sites may take a store: what selects host-brand sites."""
        return self.scenario.host_brands

    @property
    def is_sample(self) -> bool:
        """Whether any site is from the bundled synthetic sample (made-up stores)."""
        ids = self.network[DEALER_ID].astype(str)
        return bool(ids.str.startswith(SAMPLE_ID_PREFIX).any())

    @property
    def data_origin(self) -> str:
        """Where the figures come from and what was inferred or estimated, in one line.

        Every output repeats it (terminal, ``summary.json``, every page), so a figure copied
        from any of them carries its caveat: the synthetic sample, the real 2015 roster, or
        the user's files with what dealernet had to infer or estimate for them.
        """
        files = self.network[SOURCE_FILE].dropna().astype(str).unique()
        bundled = {bundled_network(f) for f in files}
        if self.is_sample or bundled == {SAMPLE}:
            return NETWORK_LABELS[SAMPLE]
        if bundled == {REAL_2015}:
            return NETWORK_LABELS[REAL_2015]
        parts = [
            "your dealer files" + (" and the real 2015 roster" if REAL_2015 in bundled else "")
        ]
        source = self.network[self.network[BRAND] == self.source_brand]
        inferred = int((source.get(OWNER_SOURCE, pd.Series(dtype=str)) == OWNER_INFERRED).sum())
        owners = source[OWNER_GROUP].astype("string").str.strip()
        unknown = int((owners.isna() | owners.eq("")).sum())
        if inferred:
            parts.append(f"owners inferred for {_stores(inferred, self.source_brand)}")
        if unknown:
            parts.append(f"owners not known for {_stores(unknown, self.source_brand)}")
        estimated = int((self.impacts.table.get("revenue_source") == "estimated").sum())
        if estimated:
            total = len(self.impacts.table)
            parts.append(
                f"sales estimated for {estimated:,} of {_stores(total, self.source_brand)}"
            )
        return "; ".join(parts)

    @property
    def rule_notes(self) -> list[str]:
        """What a user should hear about this run: rules that never decided a store, host
        exclusions that excluded nothing, conditions on fields no store has."""
        counts = self.decisions.counts_by_rule()
        explained = " ".join(self.decisions.notes)
        idle = [
            f"rule {rule.id} ({rule.action}) decided no store"
            for rule in self.scenario.rules
            if int(counts.loc[rule.id, "sites"]) == 0 and f"rule {rule.id}:" not in explained
        ]
        return [*self.decisions.notes, *idle]

    @property
    def assumption_notes(self) -> list[str]:
        """Which of the source brand's figures rest on generic assumptions, not its own."""
        brand = self.source_brand
        missing = brand_fallbacks(self.assumptions, brand)
        generic = [p for p in missing if p != "national_units"]
        notes = []
        if generic:
            keys = ", ".join(f"{p}.{brand}" for p in generic)
            notes.append(
                f"{brand} has no own {keys} in the assumptions: the generic *.default values "
                f"apply to its stores. Give its own with --set (e.g. --set {generic[0]}.{brand}"
                "=VALUE) or in your assumptions file"
            )
        if "national_units" in missing:
            notes.append(
                f"no national_units.{brand} (the brand's US new-car sales): store volumes without "
                f"a file figure add up to new_units_per_store x stores instead of a published total"
            )
        return notes

    @property
    def hosts(self) -> pd.DataFrame:
        """Every host owner that takes in another owner's store, with its gain
        (:func:`dealernet.analysis.rollups.hosts`): ``hosts.csv``."""
        if "hosts" not in self._frames:
            self._frames["hosts"] = hosts(self.decisions.table, self.impacts, self.network)
        return self._frames["hosts"]

    # --- tables as GeoDataFrames ---------------------------------------------------------------

    @property
    def decisions_gdf(self) -> gpd.GeoDataFrame:
        """``decisions.table`` as points (EPSG:4326): one row per source-brand site."""
        if "decisions" not in self._frames:
            self._frames["decisions"] = _points(self.decisions.table)
        return self._frames["decisions"]

    @property
    def impacts_gdf(self) -> gpd.GeoDataFrame:
        """``impacts.table`` joined to each site's name, owner and place, as points."""
        if "impacts" not in self._frames:
            keys = self.decisions.table.drop(columns=[DECISION])
            self._frames["impacts"] = _points(keys.merge(self.impacts.table, on=DEALER_ID))
        return self._frames["impacts"]

    # --- in a notebook ---------------------------------------------------------------------------

    def __repr__(self) -> str:
        counts = self.decisions.counts()
        national = self.national
        decided = ", ".join(f"{n:,} {d}" for d, n in counts.items())
        return (
            f"<dealernet.Result: {self.scenario.name!r}, {self.source_brand} into "
            f"{self.host_brand}>\n  data: {self.data_origin}\n"
            f"  {int(counts.sum()):,} {self.source_brand} sites: {decided}\n"
            f"  jobs lost {_range(national, 'jobs_lost', formatting.count)}\n"
            f"  revenue lost {_range(national, 'revenue_lost', formatting.money)}\n"
            f"  (low / base / high; .decisions_gdf, .impacts_gdf, .owners, .regions, "
            f".explore(), .write(out))"
        )

    def _repr_html_(self) -> str:
        """National totals as a small table (Jupyter calls this)."""
        from dealernet.render.notebook import result_html

        return result_html(self)

    def explore(self, selection: Any = None, **options: Any) -> folium.Map:
        """The interactive map of this run (what ``network.html`` shows), inline in Jupyter.

        ``selection`` is a :func:`dealernet.planning.selection.select` answer; other
        keyword arguments go to :func:`dealernet.render.maps.build_map`.
        """
        from dealernet.render.maps import build_map

        return build_map(self, selection, **options)

    def query(self, **filters: Any) -> QueryResult:
        """Sites or group totals matching filters; see :func:`dealernet.query`."""
        from dealernet.planning.query import query

        return query(self, **filters)

    def write(
        self, out: str | Path, *, reports: bool = True, overwrite: bool = False
    ) -> list[Path]:
        """Write what ``dealernet run`` writes into ``out``: tables, the workbook, the GIS
        bundle, the map, owner reports.

        Returns the paths written; ``reports=False`` skips the owner reports. A folder that
        holds a run of other inputs is refused unless ``overwrite`` (its files then go).
        """
        from dealernet.render.run_folder import write_run

        return write_run(self, Path(out), reports=reports, overwrite=overwrite).all


def _stores(n: int, brand: str) -> str:
    """``"1 Infiniti store"``, ``"12 Infiniti stores"``."""
    return f"{n:,} {brand} store{'' if n == 1 else 's'}"


def _points(table: pd.DataFrame) -> gpd.GeoDataFrame:
    """A table with latitude and longitude as a point GeoDataFrame in :data:`CRS`."""
    import geopandas as gpd  # heavy or optional: imported on first use

    geometry = gpd.points_from_xy(table[LONGITUDE], table[LATITUDE], crs=CRS)
    return gpd.GeoDataFrame(table.reset_index(drop=True), geometry=geometry, crs=CRS)


def _range(national: pd.Series, measure: str, fmt: Callable[[float], str]) -> str:
    """``low / base / high`` of one national measure, or "not known" when it is missing."""
    try:
        values = [float(national[f"{measure}_{b}"]) for b in ("low", "base", "high")]
    except (KeyError, TypeError, ValueError):
        return "not known"
    return " / ".join(fmt(v) for v in values)
