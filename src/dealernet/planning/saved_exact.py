"""A saved run's figures before rounding: computed again from its inputs, used only when
they round to exactly what the run saved.

The CSV files of a run are rounded (dollars to the dollar, jobs to a tenth, miles to three
decimals), and a page drawn from them would round twice (10.52 jobs saved as 10.5 prints
as 10, not 11). When the run's dealer files are at hand, the rules, the market and the
Monte Carlo are run again with the run's seed; each table is replaced by the recomputed one
only if every row and figure, rounded as written, is the saved one
(:func:`unrounded`), so a page from ``--results`` matches the run's own to the last digit,
and a run made from other inputs keeps its saved figures.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dealernet._csv import rounded
from dealernet._errors import DealernetError
from dealernet.analysis.access import Access, access_by_site, access_for_decisions
from dealernet.analysis.impact import MEASURES, Impacts, estimate_impacts
from dealernet.analysis.market_run import MarketResult, run_market
from dealernet.analysis.pipeline import with_customers
from dealernet.analysis.result import Result
from dealernet.engine.rules import Decisions, apply_rules
from dealernet.formatting import JOB_PREFIXES
from dealernet.geo.customers import load_customers
from dealernet.geo.distance import geodesic_miles
from dealernet.io.competitors import load_competitors
from dealernet.io.owners import with_owners
from dealernet.schema import DEALER_ID, DECISION, HOST_DEALER_ID, LATITUDE, LONGITUDE

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from dealernet.analysis.assumptions import Assumptions
    from dealernet.engine.scenario import Scenario


def exact_access(
    saved: Access, owned: gpd.GeoDataFrame, decisions: pd.DataFrame, scenario: Scenario
) -> Access:
    """Customer access computed again (a fraction of a second), if it rounds to
    ``access.csv``: the places' miles unrounded, for pages that average them."""
    try:
        exact = access_for_decisions(
            load_customers(),
            owned,
            decisions,
            scenario.source_brand,
            scenario.host_brands,
            thresholds=saved.thresholds,
        )
    except (DealernetError, KeyError, ValueError):
        return saved
    places = unrounded(saved.places, exact.places)
    if places is saved.places:
        return saved
    return Access(places=places, summary=exact.summary, thresholds=saved.thresholds)


def with_served(table: pd.DataFrame, access: Access, decisions: pd.DataFrame) -> pd.DataFrame:
    """The rebuilt impacts with the ``customers_*`` columns the run adds to them: the people
    each absorbed or closed store served, from ``access`` (as the pipeline adds them)."""
    gone = decisions.loc[decisions[DECISION].isin(["absorb", "close"]), DEALER_ID]
    return with_customers(table, access_by_site(access, list(gone)))


def unround_rollups(loaded: Result, owned: gpd.GeoDataFrame) -> None:
    """The roll-ups summed again from the rebuilt draws, as the run summed them, wherever
    they round to the saved tables: a page then shows the run's own figures, not figures
    rounded twice (10.52 jobs saved as 10.5 would print as 10, not 11)."""
    from dealernet.analysis import rollups
    from dealernet.analysis.owner_groups import owner_sources

    decided, impacts = loaded.decisions.table, loaded.impacts
    sources = owner_sources(decided, owned, loaded.source_brand)
    loaded.owners = unrounded(loaded.owners, rollups.owners(decided, impacts, sources))
    loaded.regions = unrounded(loaded.regions, rollups.regions(decided, impacts))
    if "hosts" in loaded._frames:
        exact_hosts = rollups.hosts(decided, impacts, owned)
        loaded._frames["hosts"] = unrounded(loaded._frames["hosts"], exact_hosts)
    national = rollups.national(decided, impacts)
    saved = loaded.national.to_frame().T.infer_objects()
    exact = national.to_frame().T.infer_objects()
    loaded.national = unrounded(saved, exact).iloc[0].astype(object)


def unrounded(saved: pd.DataFrame, exact: pd.DataFrame) -> pd.DataFrame:
    """``saved`` with the unrounded numbers of ``exact`` (the same table recomputed), or
    ``saved`` as it is unless every row and figure of ``exact``, rounded as the table was
    written (:func:`dealernet._csv.rounded`), is the saved one."""
    if len(saved) != len(exact):
        return saved
    shared = [c for c in saved.columns if c in exact.columns]
    figures = [c for c in shared if pd.api.types.is_float_dtype(exact[c])]
    as_written = rounded(exact[figures])
    for column in shared:
        mine, theirs = as_written.get(column, exact[column]), saved[column]
        if column in figures or pd.api.types.is_numeric_dtype(theirs):
            same = np.allclose(
                pd.to_numeric(mine, errors="coerce").to_numpy(dtype="float64"),
                pd.to_numeric(theirs, errors="coerce").to_numpy(dtype="float64"),
                rtol=1e-12,
                atol=1e-9,
                equal_nan=True,
            )
        else:
            same = _text(mine) == _text(theirs)
        if not same:
            return saved
    out = saved.copy()
    for column in figures:
        out[column] = exact[column].to_numpy(dtype="float64")
    return out


def _text(values: pd.Series) -> list[str]:
    cells = values.astype(object)
    return [str(v) for v in cells.where(cells.notna(), "")]


def rebuild_impacts(
    network: gpd.GeoDataFrame,
    decisions: pd.DataFrame,
    table: pd.DataFrame,
    assumptions: Assumptions,
    scenario: Scenario,
    notes: list[str],
) -> tuple[Impacts, MarketResult] | None:
    """The run's own impacts (exact figures and draws) and market, recomputed and checked
    against ``impacts.csv``, or None.

    Maps and reports drawn from the saved run need both: the market's layers and the
    figures before rounding, so a page matches the run's own to the last digit.
    """
    if network.attrs.get("stand_in"):
        return None

    decided = decisions.copy()
    hosts = network.set_index(network[DEALER_ID].astype(str))
    has_host = decided[HOST_DEALER_ID].notna() & decided[HOST_DEALER_ID].isin(hosts.index)
    if has_host.any():  # decisions.csv keeps miles to 3 decimals; the model wants them exact
        h = hosts.loc[decided.loc[has_host, HOST_DEALER_ID]]
        exact = geodesic_miles(
            decided.loc[has_host, LATITUDE].to_numpy(dtype="float64"),
            decided.loc[has_host, LONGITUDE].to_numpy(dtype="float64"),
            h[LATITUDE].to_numpy(dtype="float64"),
            h[LONGITUDE].to_numpy(dtype="float64"),
        )
        close = np.abs(exact - decided.loc[has_host, "distance_miles"].to_numpy()) <= 6e-4
        decided.loc[has_host, "distance_miles"] = np.where(
            close, exact, decided.loc[has_host, "distance_miles"]
        )
    decided[LATITUDE] = _site_coords(network, decided, LATITUDE)
    decided[LONGITUDE] = _site_coords(network, decided, LONGITUDE)
    source, host = scenario.source_brand, scenario.host_brands
    try:
        competitors = load_competitors(None, exclude_brands=(source, *host))
        market = run_market(
            load_customers(),
            network,
            decided,
            competitors,
            assumptions,
            source,
            competitors_source=str(competitors.attrs.get("source", "")),
            pairs=False,  # only --zip-sales fits use the pairs; building them is slow
        )
        rebuilt = estimate_impacts(network, decided, assumptions, source, host, market=market)
    except (DealernetError, KeyError, ValueError) as exc:
        notes.append(f"could not rebuild the run's Monte Carlo draws ({exc})")
        return None
    mine_table = rounded(rebuilt.table)
    for measure in MEASURES:
        unit = 0.1 if measure.startswith(JOB_PREFIXES) else 1.0  # what outputs.rounded keeps
        for x in ("low", "base", "high"):
            column = f"{measure}_{x}"
            mine = mine_table[column].to_numpy(dtype="float64")
            theirs = table[column].to_numpy(dtype="float64")
            if not np.allclose(mine, theirs, rtol=1e-9, atol=unit, equal_nan=True):
                notes.append(
                    f"the rebuilt impacts differ from impacts.csv ({column}); the run was "
                    "probably made with other dealer files or assumption overrides (--set)"
                )
                return None
    return rebuilt, market


def owned_network(network: gpd.GeoDataFrame, scenario: Scenario) -> gpd.GeoDataFrame | None:
    """The network with its owners as the run had them (inferred where no file names
    one), or None for a stand-in network."""
    if network.attrs.get("stand_in"):
        return None
    try:
        with warnings.catch_warnings():  # the run itself warned about its owners already
            warnings.simplefilter("ignore")
            return with_owners(network, scenario.source_brand, scenario.host_brands)
    except (DealernetError, KeyError, ValueError):
        return None


def exact_decisions(
    owned: gpd.GeoDataFrame | None, table: pd.DataFrame, scenario: Scenario
) -> Decisions:
    """``decisions.csv`` with the rules' trace and notes, when the rules give it again.

    The trace (each rule tried, and why it did not apply) is on every report's store page
    but in no table; rerunning the rules is quick, and it is used only when every store's
    decision, rule and host come out as saved.
    """
    saved = Decisions(table=table, trace={}, scenario=scenario)
    if owned is None:
        return saved
    try:
        rerun = apply_rules(owned, scenario)
    except (DealernetError, KeyError, ValueError):
        return saved
    if _decided(rerun.table) != _decided(table):
        return saved
    exact = unrounded(table, rerun.table)  # miles as the run had them, before rounding
    return Decisions(table=exact, trace=rerun.trace, scenario=scenario, notes=rerun.notes)


def _decided(table: pd.DataFrame) -> list[tuple[str, ...]]:
    """Each store's id, decision, rule and host, as text: what two runs must agree on."""
    columns = [DEALER_ID, DECISION, "rule_id", HOST_DEALER_ID]
    if any(c not in table.columns for c in columns):
        return []
    cells = table[columns].astype(object)
    cells = cells.where(cells.notna(), "")
    return [tuple(str(v) for v in row) for row in cells.itertuples(index=False)]


def _site_coords(network: pd.DataFrame, decided: pd.DataFrame, column: str) -> np.ndarray:
    """The sites' own coordinates (decisions.csv keeps 6 decimals) where the network has them."""
    lookup = network.drop_duplicates(DEALER_ID).set_index(network[DEALER_ID].astype(str))
    values = decided[DEALER_ID].astype(str).map(lookup[column].astype("float64"))
    return values.fillna(decided[column]).to_numpy(dtype="float64")
