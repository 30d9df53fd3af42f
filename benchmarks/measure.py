"""Wall time and peak memory of a call or of a child process.

Memory is the **peak resident set size (RSS)** of the process while the measured code runs,
in MB, everything the process holds included (Python, libraries, the inputs). On Linux the
kernel's high-water mark (``VmHWM`` in ``/proc/self/status``) is reset just before the call
(``echo 5 > /proc/self/clear_refs``) and read after it: exact, and free. Elsewhere a thread
samples RSS every 5 ms with psutil. ``tracemalloc`` is not used: it slows Python-heavy code
several-fold and misses memory that C libraries allocate outside Python.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")
#: How memory was measured, for the table's notes.
METHOD_NOTE = (
    "peak MB = peak resident set size (RSS) of the process during the step, inputs and "
    "libraries included (Linux VmHWM, reset before each step; psutil sampling elsewhere); "
    "subprocess rows: the child's max RSS (wait4)"
)


@dataclass(frozen=True)
class Measured:
    """What one measured call took."""

    seconds: float
    peak_mb: float | None
    cpu_seconds: float | None = None


def _status_mb(key: str) -> float | None:
    try:
        text = _STATUS.read_text(encoding="ascii")
    except OSError:
        return None
    found = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else None


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark to the current RSS; False where unsupported."""
    try:
        _CLEAR_REFS.write_text("5", encoding="ascii")
    except OSError:
        return False
    return _status_mb("VmHWM") is not None


class _Sampler(threading.Thread):
    """Fallback: the highest RSS seen by polling every few milliseconds."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0.0
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            import psutil
        except ImportError:  # pragma: no cover - psutil comes with distributed
            return
        proc = psutil.Process()
        while not self._stop_event.is_set():
            self.peak = max(self.peak, proc.memory_info().rss / 2**20)
            self._stop_event.wait(0.005)

    def stop(self) -> float | None:
        self._stop_event.set()
        self.join()
        return self.peak or None


def measure(func: Callable[[], T]) -> tuple[T, Measured]:
    """Call ``func()`` once; return its result, wall and CPU seconds and peak RSS (MB).

    CPU seconds are the process's, all threads together: above the wall time when the
    work runs in parallel, below it when the machine is busy with other work.
    """
    exact = _reset_peak()
    sampler = None if exact else _Sampler()
    if sampler is not None:
        sampler.start()
    start, cpu = time.perf_counter(), time.process_time()
    try:
        result = func()
    finally:
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        peak = _status_mb("VmHWM") if exact else sampler.stop()  # type: ignore[union-attr]
    return result, Measured(seconds, peak, cpu)


Done = subprocess.CompletedProcess[str]


def run_child(
    args: Sequence[str], *, cwd: Path | None = None, timeout: float | None = None
) -> tuple[Done, Measured]:
    """Run a command; its wall time and its own peak RSS (``wait4``'s ``ru_maxrss``)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(args), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    if hasattr(os, "wait4"):
        # Read the pipes in threads so a chatty child never blocks on a full pipe.
        out: dict[str, str] = {}
        readers = [
            threading.Thread(target=lambda k=k, f=f: out.__setitem__(k, f.read()))
            for k, f in (("out", proc.stdout), ("err", proc.stderr))
        ]
        for reader in readers:
            reader.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        for reader in readers:
            reader.join(timeout)
        proc.returncode = os.waitstatus_to_exitcode(status)
        # ru_maxrss is in kB on Linux, bytes on macOS.
        peak = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 1024)
        done = subprocess.CompletedProcess(proc.args, proc.returncode, out["out"], out["err"])
        return done, Measured(seconds, peak, usage.ru_utime + usage.ru_stime)
    stdout, stderr = proc.communicate(timeout=timeout)  # pragma: no cover - not Unix
    seconds = time.perf_counter() - start
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr), Measured(
        seconds, None
    )


def total(*parts: Measured) -> Measured:
    """Several steps run one after another: times add up, the peak is the highest."""
    peaks = [m.peak_mb for m in parts if m.peak_mb is not None]
    cpus = [m.cpu_seconds for m in parts]
    return Measured(
        sum(m.seconds for m in parts),
        max(peaks) if peaks else None,
        None if None in cpus else sum(cpus),  # type: ignore[arg-type]
    )


def best_of(runs: int, func: Callable[[], Measured]) -> Measured:
    """The fastest of ``runs`` measurements (with that run's memory)."""
    return min((func() for _ in range(runs)), key=lambda m: m.seconds)


def load_average() -> str:
    """The 1-minute load average, to judge how busy the machine was."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:  # pragma: no cover
        return "?"


def describe_machine() -> dict[str, Any]:
    """Cores, Python and library versions, for the table's header."""
    import numpy
    import pandas
    import scipy

    return {
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "scipy": scipy.__version__,
    }
