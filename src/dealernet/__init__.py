"""dealernet: what happens when a car maker folds one dealer network into another.

The public API is imported lazily (PEP 562), so ``import dealernet`` and
``dealernet --help`` stay fast; the first use of a name imports the module that holds it.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("dealernet")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

#: public name -> module that defines it
_API: dict[str, str] = {
    "load_network": "dealernet.io.loader",
    "read_network": "dealernet.io.loader",
    "validate_files": "dealernet.io.loader",
    "ValidationReport": "dealernet.io.validate",
    "Problem": "dealernet.io.validate",
    "classify": "dealernet.engine.colocation",
    "run": "dealernet.analysis.pipeline",
    "Result": "dealernet.analysis.result",
    "load_scenario": "dealernet.engine.scenario",
    "parse_scenario": "dealernet.engine.scenario",
    "Scenario": "dealernet.engine.scenario",
    "Rule": "dealernet.engine.scenario",
    "apply_rules": "dealernet.engine.rules",
    "Decisions": "dealernet.engine.rules",
    "parse_condition": "dealernet.engine.conditions",
    "Condition": "dealernet.engine.conditions",
    "load_assumptions": "dealernet.analysis.assumptions",
    "Assumptions": "dealernet.analysis.assumptions",
    "estimate_impacts": "dealernet.analysis.impact",
    "Impacts": "dealernet.analysis.impact",
    "compute_access": "dealernet.analysis.access",
    "compute_access_dask": "dealernet.analysis.access_dask",
    "load_population": "dealernet.io.population",
    "Access": "dealernet.analysis.access",
    "load_places": "dealernet.geo.places",
    "resolve_place": "dealernet.geo.places",
    "generate_sample": "dealernet.io.sample",
    "write_sample": "dealernet.io.sample",
    "SiteIndex": "dealernet.geo.distance",
    "geodesic_miles": "dealernet.geo.distance",
    "DealernetError": "dealernet._errors",
    "InputFileError": "dealernet._errors",
    "InvalidInputError": "dealernet._errors",
    "ScenarioError": "dealernet._errors",
    "ConditionError": "dealernet._errors",
    "AssumptionsError": "dealernet._errors",
    "QueryError": "dealernet._errors",
    "SchedulerError": "dealernet._errors",
    "QueryResult": "dealernet.planning.query",
    "load_results": "dealernet.planning.saved_run",
    "run_sql": "dealernet.planning.sql",
    "compare": "dealernet.planning.compare",
    "Comparison": "dealernet.planning.compare",
    "sweep": "dealernet.planning.sweep",
    "Sweep": "dealernet.planning.sweep",
}

__all__ = ["__version__", *_API]

if TYPE_CHECKING:  # pragma: no cover
    from dealernet._errors import (
        AssumptionsError,
        ConditionError,
        DealernetError,
        InputFileError,
        InvalidInputError,
        QueryError,
        ScenarioError,
        SchedulerError,
    )
    from dealernet.analysis.access import Access, compute_access
    from dealernet.analysis.access_dask import compute_access_dask
    from dealernet.analysis.assumptions import Assumptions, load_assumptions
    from dealernet.analysis.impact import Impacts, estimate_impacts
    from dealernet.analysis.pipeline import run
    from dealernet.analysis.result import Result
    from dealernet.engine.colocation import classify
    from dealernet.engine.conditions import Condition, parse_condition
    from dealernet.engine.rules import Decisions, apply_rules
    from dealernet.engine.scenario import Rule, Scenario, load_scenario, parse_scenario
    from dealernet.geo.distance import SiteIndex, geodesic_miles
    from dealernet.geo.places import load_places, resolve_place
    from dealernet.io.loader import load_network, read_network, validate_files
    from dealernet.io.population import load_population
    from dealernet.io.sample import generate_sample, write_sample
    from dealernet.io.validate import Problem, ValidationReport
    from dealernet.planning.compare import Comparison, compare
    from dealernet.planning.query import QueryResult
    from dealernet.planning.saved_run import load_results
    from dealernet.planning.sql import run_sql
    from dealernet.planning.sweep import Sweep, sweep


def __getattr__(name: str) -> Any:
    if name in _API:
        value = getattr(import_module(_API[name]), name)
        globals()[name] = value
        return value
    msg = f"module 'dealernet' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted(__all__)
