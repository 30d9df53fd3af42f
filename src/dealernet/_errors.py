"""Every exception dealernet raises on purpose, in one place.

Each class is also a builtin exception, so callers can catch ``ValueError`` or
``FileNotFoundError`` without knowing dealernet. The CLI turns any
:class:`DealernetError` into a clean message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.io.validate import ValidationReport


class DealernetError(Exception):
    """Base class of every error dealernet raises for bad input or settings."""


class InputFileError(DealernetError, ValueError):
    """An input file is missing, unreadable, empty or of an unsupported kind."""


class InvalidInputError(DealernetError, ValueError):
    """Dealer data failed validation; ``report`` lists every problem found."""

    def __init__(self, msg: str, report: ValidationReport | None = None) -> None:
        super().__init__(msg)
        self.report = report


class ScenarioError(DealernetError, ValueError):
    """A scenario file is malformed; the message lists every problem."""


class ConditionError(DealernetError, ValueError):
    """A rule condition is outside the small, safe condition language."""


class AssumptionsError(DealernetError, ValueError):
    """An assumptions file or override has an unknown key or bad value."""


class QueryError(DealernetError, ValueError):
    """A query, place name or filter cannot be answered as asked."""


class MissingDependencyError(DealernetError, ImportError):
    """An optional package or program needed for this feature is not installed."""


class SchedulerError(DealernetError, ConnectionError):
    """A Dask scheduler cannot be reached."""
