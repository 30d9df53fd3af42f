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

#: public name -> module that defines it. The verbs a user needs first, then the objects
#: they return, then every exception a caller may catch.
_API: dict[str, str] = {
    # read and check dealer files
    "load_network": "dealernet.io.loader",
    "read_network": "dealernet.io.loader",
    "validate_network": "dealernet.io.loader",
    "generate_sample": "dealernet.io.sample",
    "write_sample": "dealernet.io.sample",
    "load_population": "dealernet.io.population",
    "infer_owners": "dealernet.io.owners",
    "load_owner_file": "dealernet.io.owner_file",
    "apply_owner_file": "dealernet.io.owner_file",
    # run the analysis
    "run": "dealernet.analysis.pipeline",
    "prepare": "dealernet.analysis.pipeline",
    "Prepared": "dealernet.analysis.pipeline",
    "load_scenario": "dealernet.engine.scenario",
    "parse_scenario": "dealernet.engine.scenario",
    "load_assumptions": "dealernet.analysis.assumptions",
    # ask, compare, sweep
    "query": "dealernet.planning.query",
    "compare": "dealernet.planning.compare",
    "sweep": "dealernet.planning.sweep",
    "run_sql": "dealernet.planning.sql",
    "load_results": "dealernet.planning.saved_run",
    # write files and pages
    "write_tables": "dealernet.outputs.tables",
    "write_query": "dealernet.outputs.formats",
    "write_map": "dealernet.render.maps",
    "write_reports": "dealernet.render.reports",
    "write_run": "dealernet.render.run_folder",
    # the stages, one by one
    "classify": "dealernet.engine.colocation",
    "apply_rules": "dealernet.engine.rules",
    "parse_condition": "dealernet.engine.conditions",
    "estimate_impacts": "dealernet.analysis.impact",
    "compute_access": "dealernet.analysis.access",
    "compute_access_dask": "dealernet.analysis.access_dask",
    "load_places": "dealernet.geo.places",
    "load_customers": "dealernet.geo.customers",
    "load_competitors": "dealernet.io.competitors",
    "resolve_place": "dealernet.geo.places",
    "SiteIndex": "dealernet.geo.distance",
    "geodesic_miles": "dealernet.geo.distance",
    # what they return
    "Result": "dealernet.analysis.result",
    "Scenario": "dealernet.engine.scenario",
    "Rule": "dealernet.engine.scenario",
    "Condition": "dealernet.engine.conditions",
    "Decisions": "dealernet.engine.decisions",
    "Assumptions": "dealernet.analysis.assumptions",
    "Impacts": "dealernet.analysis.impact",
    "Access": "dealernet.analysis.access",
    "QueryResult": "dealernet.planning.query",
    "Comparison": "dealernet.planning.compare",
    "Sweep": "dealernet.planning.sweep",
    "ValidationReport": "dealernet.io.validate",
    "Problem": "dealernet.io.validate",
    # errors
    "DealernetError": "dealernet._errors",
    "InputFileError": "dealernet._errors",
    "InvalidInputError": "dealernet._errors",
    "ScenarioError": "dealernet._errors",
    "ConditionError": "dealernet._errors",
    "AssumptionsError": "dealernet._errors",
    "QueryError": "dealernet._errors",
    "MissingDependencyError": "dealernet._errors",
    "SchedulerError": "dealernet._errors",
}

__all__ = ["__version__", *_API]

if TYPE_CHECKING:  # pragma: no cover
    from dealernet._errors import (
        AssumptionsError,
        ConditionError,
        DealernetError,
        InputFileError,
        InvalidInputError,
        MissingDependencyError,
        QueryError,
        ScenarioError,
        SchedulerError,
    )
    from dealernet.analysis.access import Access, compute_access
    from dealernet.analysis.access_dask import compute_access_dask
    from dealernet.analysis.assumptions import Assumptions, load_assumptions
    from dealernet.analysis.impact import Impacts, estimate_impacts
    from dealernet.analysis.pipeline import Prepared, prepare, run
    from dealernet.analysis.result import Result
    from dealernet.engine.colocation import classify
    from dealernet.engine.conditions import Condition, parse_condition
    from dealernet.engine.decisions import Decisions
    from dealernet.engine.rules import apply_rules
    from dealernet.engine.scenario import Rule, Scenario, load_scenario, parse_scenario
    from dealernet.geo.customers import load_customers
    from dealernet.geo.distance import SiteIndex, geodesic_miles
    from dealernet.geo.places import load_places, resolve_place
    from dealernet.io.competitors import load_competitors
    from dealernet.io.loader import load_network, read_network, validate_network
    from dealernet.io.owner_file import apply_owner_file, load_owner_file
    from dealernet.io.owners import infer_owners
    from dealernet.io.population import load_population
    from dealernet.io.sample import generate_sample, write_sample
    from dealernet.io.validate import Problem, ValidationReport
    from dealernet.outputs.formats import write_query
    from dealernet.outputs.tables import write_tables
    from dealernet.planning.compare import Comparison, compare
    from dealernet.planning.query import QueryResult, query
    from dealernet.planning.saved_run import load_results
    from dealernet.planning.sql import run_sql
    from dealernet.planning.sweep import Sweep, sweep
    from dealernet.render.maps import write_map
    from dealernet.render.reports import write_reports
    from dealernet.render.run_folder import write_run


def __getattr__(name: str) -> Any:
    if name in _API:
        value = getattr(import_module(_API[name]), name)
        globals()[name] = value
        return value
    msg = f"module 'dealernet' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted(__all__)
