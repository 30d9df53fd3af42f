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
    "load_network": "dealernet.loader",
    "read_network": "dealernet.loader",
    "validate_files": "dealernet.loader",
    "ValidationReport": "dealernet.validate",
    "Problem": "dealernet.validate",
    "classify": "dealernet.network",
    "run": "dealernet.pipeline",
    "Result": "dealernet.pipeline",
    "load_scenario": "dealernet.scenario",
    "parse_scenario": "dealernet.scenario",
    "Scenario": "dealernet.scenario",
    "Rule": "dealernet.scenario",
    "apply_rules": "dealernet.rules",
    "Decisions": "dealernet.rules",
    "parse_condition": "dealernet.conditions",
    "Condition": "dealernet.conditions",
    "load_assumptions": "dealernet.assumptions",
    "Assumptions": "dealernet.assumptions",
    "estimate_impacts": "dealernet.impact",
    "Impacts": "dealernet.impact",
    "compute_access": "dealernet.access",
    "compute_access_dask": "dealernet.access_dask",
    "load_population": "dealernet.population",
    "Access": "dealernet.access",
    "load_places": "dealernet.places",
    "resolve_place": "dealernet.places",
    "generate_sample": "dealernet.sample",
    "write_sample": "dealernet.sample",
    "SiteIndex": "dealernet.geo",
    "geodesic_miles": "dealernet.geo",
    "DealernetError": "dealernet._errors",
    "InputFileError": "dealernet._errors",
    "InvalidInputError": "dealernet._errors",
    "ScenarioError": "dealernet._errors",
    "ConditionError": "dealernet._errors",
    "AssumptionsError": "dealernet._errors",
    "QueryError": "dealernet._errors",
    "SchedulerError": "dealernet._errors",
    "QueryResult": "dealernet.query",
    "load_results": "dealernet.results",
    "run_sql": "dealernet.sql",
    "compare": "dealernet.comparison",
    "Comparison": "dealernet.comparison",
    "sweep": "dealernet.sensitivity",
    "Sweep": "dealernet.sensitivity",
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
    from dealernet.access import Access, compute_access
    from dealernet.access_dask import compute_access_dask
    from dealernet.assumptions import Assumptions, load_assumptions
    from dealernet.comparison import Comparison, compare
    from dealernet.conditions import Condition, parse_condition
    from dealernet.geo import SiteIndex, geodesic_miles
    from dealernet.impact import Impacts, estimate_impacts
    from dealernet.loader import load_network, read_network, validate_files
    from dealernet.network import classify
    from dealernet.pipeline import Result, run
    from dealernet.places import load_places, resolve_place
    from dealernet.population import load_population
    from dealernet.query import QueryResult
    from dealernet.results import load_results
    from dealernet.rules import Decisions, apply_rules
    from dealernet.sample import generate_sample, write_sample
    from dealernet.scenario import Rule, Scenario, load_scenario, parse_scenario
    from dealernet.sensitivity import Sweep, sweep
    from dealernet.sql import run_sql
    from dealernet.validate import Problem, ValidationReport


def __getattr__(name: str) -> Any:
    if name in _API:
        value = getattr(import_module(_API[name]), name)
        globals()[name] = value
        return value
    msg = f"module 'dealernet' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted(__all__)
