"""Every exception dealernet raises on purpose, in one place.

Each class is also a builtin exception, so callers can catch ``ValueError`` or
``FileNotFoundError`` without knowing dealernet. The CLI turns any
:class:`DealernetError` into a clean message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class ProblemReport(Protocol):
    """What an error carries about bad rows (:class:`dealernet.ValidationReport` is one).

    A protocol, not an import: errors sit below every stage, so they name no stage's types.
    """

    @property
    def ok(self) -> bool: ...

    def lines(self, limit: int | None = None) -> Iterable[str]: ...

    def summary(self) -> str: ...


class DealernetError(Exception):
    """Base class of every error dealernet raises for bad input or settings."""


class InputFileError(DealernetError, ValueError):
    """An input file is missing, unreadable, empty or of an unsupported kind."""


class InvalidInputError(DealernetError, ValueError):
    """Dealer data failed validation; ``report`` lists every problem found."""

    def __init__(self, msg: str, report: ProblemReport | None = None) -> None:
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
