"""How many generated cases each property test runs: a few thousand in CI, fewer locally."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

IN_CI = os.environ.get("CI", "").lower() == "true"
#: Cases per property test of an input parser (conditions, scenarios): cheap to run.
EXAMPLES = 3000 if IN_CI else 200
#: Cases per loader property test: each reads a file through the whole loader (~45 ms), so
#: 1,500 cases took 70-100 s each in CI; two such tests give the loader 800 cases there.
LOADER_EXAMPLES = 400 if IN_CI else 100

PARSER_PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

LOADER_PROPERTY = settings(
    max_examples=LOADER_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
