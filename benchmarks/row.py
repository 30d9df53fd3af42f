"""One line of the benchmark table, and a guard that turns a failing step into a row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks.measure import Measured, load_now, measure


@dataclass
class Row:
    """One line of the table.

    ``load`` is the 1-minute load average when the row's measurement ended; ``ok`` is
    ``None`` for a row without a target, else whether the figure met it.
    """

    section: str
    name: str
    size: str
    seconds: float | None = None
    peak_mb: float | None = None
    cpu_seconds: float | None = None
    figure: str = ""
    target: str = ""
    ok: bool | None = None
    load: float | None = None

    @classmethod
    def of(cls, section: str, name: str, size: str, m: Measured | None, **kw: Any) -> Row:
        if m is None:
            return cls(section, name, size, **kw)
        kw.setdefault("load", load_now())
        return cls(section, name, size, m.seconds, m.peak_mb, m.cpu_seconds, **kw)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def guarded(section: str, name: str, size: str, func: Callable[[], object]) -> Row:
    """Measure a stage whose module may be missing or unfinished; never fail the run."""
    try:
        _, m = measure(func)
    except ImportError as exc:
        return Row(section, name, size, figure=f"not measured: {exc}")
    except Exception as exc:  # report, do not stop the benchmark
        return Row(section, name, size, figure=f"failed: {type(exc).__name__}: {exc}"[:120])
    return Row.of(section, name, size, m)


def missed(section: str, name: str, size: str, target: str, why: str) -> Row:
    """A row whose figure could not be taken: its target stays, reported as a MISS."""
    return Row(section, name, size, figure=why[:200], target=target, ok=False)
