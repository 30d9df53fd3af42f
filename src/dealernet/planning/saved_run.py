"""Reading a finished run back from ``OUT/data/``, so queries need not recompute it.

``dealernet run`` writes tables, not Monte Carlo draws, yet a group's low / base / high
must be the percentiles of its *summed* draws (:mod:`dealernet.analysis.rollups`). So
:func:`load_results` rebuilds the draws from what the run recorded: the dealer files, the
assumptions file, draws and seed in ``summary.json``, and each store's decision and host in
``decisions.csv``. The impact model is deterministic for a given seed, so the draws come out
the same; they are trusted only after the rebuilt low / base / high of every store match
``impacts.csv`` to the precision it was written with. Then group ranges are exact.

When they cannot be rebuilt (dealer or assumptions files moved, or the run used
``--set`` on an assumption, which ``summary.json`` does not record), the loaded result says
so (``ranges_exact`` is false) and group ranges are the sums of the stores' own low, base
and high. That is exact if every store's loss rises and falls with the same drawn
assumptions (a comonotone sum) and otherwise somewhat wider than the true range; counts,
baselines and people are always exact sums.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely.errors

from dealernet._csv import _formula_like
from dealernet._errors import DealernetError, InputFileError
from dealernet._overrides import parse_recorded
from dealernet.analysis.access import Access
from dealernet.analysis.assumptions import load_assumptions
from dealernet.analysis.impact import MEASURES, Impacts
from dealernet.analysis.pipeline import default_assumptions
from dealernet.analysis.result import Result
from dealernet.analysis.scenario_spread import ScenarioSpread
from dealernet.analysis.sensitivity import Sensitivity
from dealernet.engine.scenario import load_scenario, parse_scenario
from dealernet.io.loader import load_network
from dealernet.planning.saved_exact import (
    exact_access,
    exact_decisions,
    owned_network,
    rebuild_impacts,
    unround_rollups,
    unrounded,
    with_served,
)
from dealernet.schema import (
    ADDRESS,
    BRAND,
    CITY,
    DEALER_ID,
    DECISION,
    GEOMETRY,
    HOST_DEALER_ID,
    LATITUDE,
    LOCATION_QUALITY,
    LONGITUDE,
    NAME,
    OWNER_GROUP,
    SITE_COLUMNS,
    STATE,
    ZIP,
    brands_from_label,
)
from dealernet.settings import DATA_DIR, scenario_path

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from dealernet.analysis.assumptions import Assumptions
    from dealernet.engine.scenario import Scenario

#: Files a run folder must hold.
REQUIRED = (
    "decisions.csv",
    "impacts.csv",
    "owners.csv",
    "regions.csv",
    "access.csv",
    "summary.json",
)
#: Columns read as text whatever they look like (ids, ZIP-like FIPS codes, names).
_TEXT = frozenset(
    {
        DEALER_ID,
        NAME,
        BRAND,
        OWNER_GROUP,
        ADDRESS,
        CITY,
        STATE,
        ZIP,
        "status",
        "colocation_test",
        DECISION,
        "rule_id",
        "reason",
        HOST_DEALER_ID,
        "host_name",
        "host_owner_group",
        "from_owner",
        "to_owner",
        "revenue_source",
        "employees_source",
        LOCATION_QUALITY,
        "customers_main_nearest_after_id",
        "level",
        "region",
        "region_name",
        "nearest_before_id",
        "nearest_after_id",
        "scope",
        "measure",
        "parameter",
        "label",
        "unit",
        "scenario",
        "host_dealer_ids",
        "host_names",
    }
)
_BOOLEAN = {"true": True, "false": False, "True": True, "False": False}


@dataclass
class LoadedResult(Result):
    """A :class:`~dealernet.analysis.pipeline.Result` read back from a run's files.

    Attributes
    ----------
    folder
        The run's output folder (the one holding ``data/``).
    ranges_exact
        Whether ``impacts.draws`` are the run's own draws (rebuilt and checked), so group
        ranges are exact; if false they are comonotone stand-ins (see the module notes).
    notes
        What could not be rebuilt and why, to tell the user.
    """

    folder: Path = field(default_factory=Path)
    ranges_exact: bool = True
    notes: tuple[str, ...] = ()

    def require_sites(self, what: str) -> None:
        """Refuse ``what`` (e.g. ``"a map"``) when the run's dealer files could not be read.

        The saved tables hold the stores but not their hosts' locations, addresses or ZIP
        codes, so a map or anything else drawing host sites needs the dealer files.

        Raises
        ------
        InputFileError
            Saying why the dealer files were not used, and how to give them.
        """
        if not self.network.attrs.get("stand_in"):
            return
        found = [n.split("; give them", 1)[0] for n in self.notes if "dealer files" in n]
        why = "; ".join(found) or "the run recorded none"
        msg = (
            f"{what} needs the run's dealer files, which could not be used ({why}). "
            "Fix: give them with --dealers FILE_OR_FOLDER (the files the run was made from), "
            "or leave out --map to answer from the saved tables alone."
        )
        raise InputFileError(msg)


def read_table(path: Path) -> pd.DataFrame:
    """A CSV written by :mod:`dealernet.outputs.tables`, with ids as text and flags as booleans.

    Every cell is read as text first, so an owner called ``"NA"`` or a FIPS code
    ``"01047"`` survives; then columns not known to be text become numbers or booleans.
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except FileNotFoundError:
        msg = f"{path} is missing; is this the --out folder of `dealernet run`?"
        raise InputFileError(msg) from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        msg = f"cannot read {path} ({exc}); is this the --out folder of `dealernet run`?"
        raise InputFileError(msg) from None
    for column in frame.columns:
        frame[column] = unguarded(frame[column])
        if column in _TEXT:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
            continue
        values = frame[column].dropna()
        if len(values) and values.isin(list(_BOOLEAN)).all():
            frame[column] = frame[column].map(_BOOLEAN).astype("boolean")
            continue
        numbers = pd.to_numeric(frame[column], errors="coerce")
        if numbers.notna().sum() == frame[column].notna().sum():
            frame[column] = numbers
    return frame


def unguarded(values: pd.Series) -> pd.Series:
    """Text cells as they were before :func:`dealernet._csv.spreadsheet_safe` defused them.

    The guard writes a dealer id ``=X1`` as ``'=X1`` so a spreadsheet does not run it; read
    back as is, that id no longer matches the dealer files or the hosts, and a lookup by id
    fails. Only a ``'`` followed by text the guard would have defused is removed.
    """
    text = values.dropna()
    if text.empty:
        return values
    marked = text.str.startswith("'") & text.str.slice(1).map(_formula_like)
    if not marked.any():
        return values
    out = values.copy()
    out.loc[marked[marked].index] = text[marked].str.slice(1)
    return out


def load_results(
    folder: str | Path, *, dealers: list[Path] | None = None, draws: bool = True
) -> LoadedResult:
    """Read the tables ``dealernet run --out FOLDER`` wrote, as a result to query.

    Parameters
    ----------
    folder
        The run's ``--out`` folder (or its ``data/`` subfolder).
    dealers
        Dealer files to use instead of those recorded in ``summary.json`` (for a run made
        in another folder or on another machine).
    draws
        Rebuild the Monte Carlo draws (needed for group ranges; ``sql`` does not need them).

    Raises
    ------
    InputFileError
        When the folder lacks the run's files.
    """
    base = Path(folder)
    data = base if (base / "summary.json").exists() else base / DATA_DIR
    if missing := [n for n in REQUIRED if not (data / n).exists()]:
        msg = (
            f"{base} is not a finished run: {', '.join(missing)} missing from {data}. "
            "Write one with `dealernet run --out FOLDER`."
        )
        raise InputFileError(msg)
    summary = _summary(data / "summary.json")
    try:
        return _load(data, summary, dealers, draws)
    except (KeyError, TypeError, AttributeError) as exc:
        msg = (
            f"{data / 'summary.json'} does not describe a run as dealernet writes it "
            f"(missing or wrong entry {exc}). Fix: write the run again with "
            "`dealernet run --out FOLDER`."
        )
        raise InputFileError(msg) from None
    except (ValueError, IndexError, shapely.errors.ShapelyError) as exc:
        # a table of the run edited by hand (a cell split over lines, a word where a
        # number belongs): our own runs never write such cells (the loader refuses them)
        msg = (
            f"the tables in {data} cannot be read back as a run: {_shorter(exc)}. Were they "
            "edited by hand? Fix: write the run again with `dealernet run --out FOLDER`."
        )
        raise InputFileError(msg) from None


def _shorter(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _summary(path: Path) -> dict[str, Any]:
    """``summary.json`` as a dict, or a clear error for a damaged one."""
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        msg = f"cannot read {path} ({exc}). Fix: write the run again with `dealernet run`."
        raise InputFileError(msg) from None
    if not isinstance(summary, dict):
        msg = f"{path} is not a run summary (a JSON object). Fix: write the run again."
        raise InputFileError(msg)
    return summary


def _load(
    data: Path, summary: dict[str, Any], dealers: list[Path] | None, draws: bool
) -> LoadedResult:
    """The run in ``data`` (``OUT/data``), read back as :func:`load_results` says."""
    notes: list[str] = []
    decisions_table = read_table(data / "decisions.csv")
    source_brand = summary["scenario"]["source_brand"]
    network = _network(summary, dealers, decisions_table, source_brand, notes)
    scenario = _scenario(summary, notes)
    assumptions = _assumptions(summary, notes)
    table = read_table(data / "impacts.csv")
    rebuilt = (
        rebuild_impacts(network, decisions_table, table, assumptions, scenario, notes)
        if draws
        else None
    )
    access_summary = {k: (np.inf if v is None else v) for k, v in summary["access"].items()}
    thresholds = tuple(
        float(k[len("beyond_") : -len("_before")])
        for k in access_summary
        if k.startswith("beyond_") and k.endswith("_before")
    )
    access = Access(
        places=read_table(data / "access.csv"), summary=access_summary, thresholds=thresholds
    )
    owned = owned_network(network, scenario)
    market = None
    if rebuilt is not None:
        if owned is not None:
            access = exact_access(access, owned, decisions_table, scenario)
        table = unrounded(table, with_served(rebuilt[0].table, access, decisions_table))
        draw_arrays, market = rebuilt[0].draws, rebuilt[1]
    else:
        draw_arrays = comonotone_draws(table) if draws else {}
    loaded = LoadedResult(
        network=network,
        scenario=scenario,
        assumptions=assumptions,
        decisions=exact_decisions(owned, decisions_table, scenario),
        impacts=Impacts(table=table, draws=draw_arrays, assumptions=assumptions),
        owners=read_table(data / "owners.csv"),
        regions=read_table(data / "regions.csv"),
        national=pd.Series(summary["national"], dtype=object),
        access=access,
        market=market,
        sensitivity=_saved_sensitivity(data, summary),
        spread=_saved_spread(data, summary),
        folder=data.parent,
        ranges_exact=rebuilt is not None,
        notes=tuple(notes),
    )
    if (data / "hosts.csv").exists():  # as written: the draws may not have been rebuilt
        loaded._frames["hosts"] = read_table(data / "hosts.csv")
    elif not draws:  # a run from before hosts.csv, read without draws: sums of the stores'
        loaded._frames["hosts"] = _hosts_from_stores(loaded, table)
    if rebuilt is not None and owned is not None:
        unround_rollups(loaded, owned)
    return loaded


def _hosts_from_stores(loaded: LoadedResult, table: pd.DataFrame) -> pd.DataFrame:
    """The host owners of a run written before ``hosts.csv``, from comonotone draws."""
    from dealernet.analysis.rollups import hosts

    stand_in = Impacts(table=table, draws=comonotone_draws(table), assumptions=loaded.assumptions)
    return hosts(loaded.decisions.table, stand_in, loaded.network)


def _saved_sensitivity(data: Path, summary: dict[str, Any]) -> Sensitivity | None:
    """The run's ``sensitivity.csv`` with what it left out, or ``None`` if not computed."""
    if not (data / "sensitivity.csv").exists():
        return None
    skipped = (summary.get("what_drives") or {}).get("sensitivity_skipped") or {}
    return Sensitivity(table=read_table(data / "sensitivity.csv"), skipped=dict(skipped))


def _saved_spread(data: Path, summary: dict[str, Any]) -> ScenarioSpread | None:
    """The run's ``scenarios.csv`` with what it left out, or ``None`` if not computed."""
    if not (data / "scenarios.csv").exists():
        return None
    skipped = (summary.get("what_drives") or {}).get("spread_skipped") or {}
    return ScenarioSpread(table=read_table(data / "scenarios.csv"), skipped=dict(skipped))


def comonotone_draws(table: pd.DataFrame) -> dict[str, np.ndarray]:
    """Stand-in draws whose summed percentiles are the sums of each store's low/base/high.

    Eleven draws per store, rising from draw 0 to draw 10, with draw 1 = low, draw 5 = base
    and draw 9 = high: NumPy's 10th, 50th and 90th percentiles of 11 values are exactly
    values 1, 5 and 9. Every store's draws rise together, so any group's summed draws rise
    too, and :func:`dealernet.analysis.rollups.rollup` gets the comonotone sums without changes.
    """
    out = {}
    for measure in MEASURES:
        low, base, high = (
            table[f"{measure}_{x}"].to_numpy(dtype="float64") for x in ("low", "base", "high")
        )
        grid = np.empty((11, len(table)))
        grid[0] = grid[1] = low
        for k in range(2, 5):
            grid[k] = low + (base - low) * (k - 1) / 4
        grid[5] = base
        for k in range(6, 9):
            grid[k] = base + (high - base) * (k - 5) / 4
        grid[9] = grid[10] = high
        out[measure] = grid
    return out


def _network(
    summary: dict[str, Any],
    dealers: list[Path] | None,
    decisions: pd.DataFrame,
    source_brand: str,
    notes: list[str],
) -> gpd.GeoDataFrame:
    """The run's network from its dealer files, or the source sites of decisions.csv."""

    paths = (
        [Path(p) for p in dealers]
        if dealers
        else [Path(p) for p in summary.get("dealer_files", [])]
    )
    missing = [p for p in paths if not p.exists()]
    if paths and not missing:
        try:
            network = load_network(paths, skip_invalid=True)
        except DealernetError as exc:
            notes.append(f"could not read the run's dealer files ({exc})")
        else:
            brand = network[BRAND].astype(str).str.casefold() == source_brand.casefold()
            ids = network.loc[brand.to_numpy(), DEALER_ID].astype(str).tolist()
            if ids == decisions[DEALER_ID].astype(str).tolist():
                return network
            notes.append("the dealer files no longer match decisions.csv")
    elif missing:
        shown = ", ".join(str(p) for p in missing[:3])
        notes.append(f"the run's dealer files are not here ({shown}); give them with --dealers")
    return _stand_in_network(decisions, source_brand)


def _stand_in_network(decisions: pd.DataFrame, source_brand: str) -> gpd.GeoDataFrame:
    """Source-brand sites only, rebuilt from decisions.csv (host sites are then unknown)."""
    import geopandas as gpd  # heavy or optional: imported on first use

    cols = [DEALER_ID, NAME, OWNER_GROUP, CITY, STATE, LATITUDE, LONGITUDE]
    frame = decisions.reindex(columns=cols).copy()
    frame.insert(2, BRAND, source_brand)
    # Every column a loaded network has (address, ZIP, economics ...), empty: maps and
    # reports read them by name, and decisions.csv does not keep them.
    for column in SITE_COLUMNS:
        if column != GEOMETRY and column not in frame.columns:
            frame[column] = pd.Series(None, index=frame.index, dtype=object)
    frame = frame[[c for c in SITE_COLUMNS if c != GEOMETRY]]
    geometry = gpd.points_from_xy(frame[LONGITUDE], frame[LATITUDE], crs="EPSG:4326")
    network = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    network.attrs["stand_in"] = True
    return network


def _scenario(summary: dict[str, Any], notes: list[str]) -> Scenario:
    """The run's scenario file with its overrides, or a stand-in naming the brands."""

    recorded = summary["scenario"]
    source = str(recorded.get("source", ""))
    path, _, overrides = source.partition(" with ")
    try:
        scenario = load_scenario(scenario_path(path))
        if overrides:
            scenario = scenario.with_overrides(parse_recorded(overrides))
        if scenario.name == recorded["name"]:
            return scenario
    except (DealernetError, ValueError):
        pass
    notes.append(f"scenario file {path!r} not found as run; rules are not available")
    return parse_scenario(
        {
            "scenario": {
                "name": recorded["name"],
                "source_brand": recorded["source_brand"],
                "host_brand": _recorded_hosts(recorded),
            },
            "rules": [{"id": "as-recorded", "action": "keep"}],
        },
        source or "summary.json",
    )


def _recorded_hosts(recorded: dict[str, Any]) -> str | list[str]:
    """The host brands ``summary.json`` records: a ``host_brands`` list where written, else
    the ``host_brand`` label (``"Nissan or Honda"`` for an alliance) read back."""
    listed = recorded.get("host_brands")
    if isinstance(listed, list) and listed:
        return [str(b) for b in listed]
    brands = brands_from_label(str(recorded["host_brand"]))
    return list(brands) if len(brands) > 1 else brands[0]


def _assumptions(summary: dict[str, Any], notes: list[str]) -> Assumptions:
    """The run's assumptions file with its draws and seed; the shipped one if it is gone.

    The stand-in is only trusted if the draws rebuilt with it match ``impacts.csv``.
    """

    recorded = summary["assumptions"]
    path = scenario_path(str(recorded.get("source", "")))
    try:
        found = load_assumptions(path)
    except DealernetError:
        notes.append(f"assumptions file {str(path)!r} not found; trying the shipped one")
        found = default_assumptions()
    return dataclasses.replace(found, draws=int(recorded["draws"]), seed=int(recorded["seed"]))
