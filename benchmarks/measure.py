"""Wall time and peak memory of a call or of a child process, and alternated comparisons.

Memory is the **peak resident set size (RSS)** of the process while the measured code runs,
in MB, everything the process holds included (Python, libraries, the inputs). On Linux the
kernel's high-water mark (``VmHWM`` in ``/proc/self/status``) is reset just before the call
(``echo 5 > /proc/self/clear_refs``) and read after it: exact, and free. Elsewhere a thread
samples RSS every 5 ms with psutil. ``tracemalloc`` is not used: it slows Python-heavy code
several-fold and misses memory that C libraries allocate outside Python.

A child process is started by a small launcher (a fresh ``python -I -S``, about 10 MB) that
spawns the command and reads its ``ru_maxrss`` with ``wait4``. Linux records the memory of
the process a child was forked from in the child's ``ru_maxrss`` (the old address space's
high-water mark is folded in when the child calls ``exec``), so a command spawned straight
from this suite (hundreds of MB of numpy, pandas and inputs) would carry all of it: 105 MB
for a ``dealernet --help`` that uses 19 MB. Through the launcher it carries at most the
launcher's own few MB, and only if the command itself stays below them.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")
#: How memory was measured, for the table's notes.
METHOD_NOTE = (
    "peak MB = peak resident set size (RSS) of the process during the step, inputs and "
    "libraries included (Linux VmHWM, reset before each step; psutil sampling elsewhere); "
    "subprocess rows: the child's own max RSS (wait4, the child started by a small launcher "
    "so it does not carry this suite's memory), and with worker processes the highest sum "
    "of their proportional set sizes (PSS), sampled every 0.25 s"
)

#: Spawns the command, waits for it and writes ``exit maxrss utime stime seconds`` to the
#: file descriptor it is given. Runs under ``python -I -S``: nothing but builtins imported.
_LAUNCHER = """\
import os, sys, time
fd = int(sys.argv[1])
os.set_inheritable(fd, False)
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, use = os.wait4(pid, 0)
seconds = time.perf_counter() - start
code = os.waitstatus_to_exitcode(status)
os.write(fd, f"{code} {use.ru_maxrss} {use.ru_utime} {use.ru_stime} {seconds}".encode())
"""


@dataclass(frozen=True)
class Measured:
    """What one measured call took.

    ``added_mb`` is how far the peak rose above what the process held when the call began
    (the call's own memory); ``tree_mb`` the highest sum of PSS of a child's worker
    processes with it, where it had any.
    """

    seconds: float
    peak_mb: float | None
    cpu_seconds: float | None = None
    added_mb: float | None = None
    tree_mb: float | None = None


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


def _rss_mb() -> float | None:
    """This process's resident set size now."""
    found = _status_mb("VmRSS")
    if found is not None:
        return found
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with distributed
        return None
    return float(psutil.Process().memory_info().rss / 2**20)


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
    before = _rss_mb()
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
    added = None if peak is None or before is None else max(peak - before, 0.0)
    return result, Measured(seconds, peak, cpu, added)


Done = subprocess.CompletedProcess[str]


def _pss_mb(pid: int) -> float | None:
    """A process's proportional set size: its private pages plus its share of shared ones."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text(encoding="ascii")
    except OSError:
        return None
    found = re.search(r"^Pss:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else None


class _TreeSampler(threading.Thread):
    """The highest sum of PSS over a process's descendants, polled every 0.25 s.

    ``wait4`` gives one process's peak (the largest of it and its workers, not their sum);
    a run that renders in a pool of processes holds them all at once. PSS counts a page
    shared between forked workers once in all, not once a process. It is read only while
    the command has workers (reading it walks the page tables: milliseconds for a big
    process, which polling a lone process would take from the command it measures).
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0.0
        self.most = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            import psutil
        except ImportError:  # pragma: no cover - psutil comes with distributed
            return
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop_event.wait(0.25):
            try:
                procs = root.children(recursive=True)
            except psutil.Error:
                return
            self.most = max(self.most, len(procs))
            if len(procs) > 1:  # the launcher's child and at least one worker of its own
                sizes = [_pss_mb(p.pid) for p in procs]
                self.peak = max(self.peak, sum(s for s in sizes if s is not None))

    def stop(self) -> tuple[float, int]:
        self._stop_event.set()
        self.join()
        return self.peak, self.most


def run_child(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    timeout: float | None = None,
    tree: bool = False,
) -> tuple[Done, Measured]:
    """Run a command; its wall time, CPU time and its own peak RSS, not this process's.

    ``tree``: also sample the PSS of the command and its worker processes together
    (``Measured.tree_mb``, set when it started any).
    """
    if not hasattr(os, "wait4") or not hasattr(os, "posix_spawnp"):  # pragma: no cover
        start = time.perf_counter()
        done = subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, check=False)
        return done, Measured(time.perf_counter() - start, None)
    read, write = os.pipe()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(write), *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            pass_fds=(write,),
        )
    finally:
        os.close(write)
    sampler = _TreeSampler(proc.pid) if tree else None
    if sampler is not None:
        sampler.start()
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    finally:
        tree_mb, most = sampler.stop() if sampler is not None else (0.0, 0)
        with os.fdopen(read, "rb") as fh:
            report = fh.read().decode("ascii").split()
    if len(report) != 5:
        msg = f"could not start {args[0]}: {stderr.strip()[-300:]}"
        raise RuntimeError(msg)
    code, maxrss, utime, stime, seconds = report
    # ru_maxrss is in kB on Linux, bytes on macOS.
    peak = int(maxrss) / (2**20 if sys.platform == "darwin" else 1024)
    done = subprocess.CompletedProcess(list(args), int(code), stdout, stderr)
    cpu = float(utime) + float(stime)
    return done, Measured(float(seconds), peak, cpu, tree_mb=tree_mb if most > 1 else None)


def total(*parts: Measured) -> Measured:
    """Several steps run one after another: times add up, the peak is the highest."""
    peaks = [m.peak_mb for m in parts if m.peak_mb is not None]
    cpus = [m.cpu_seconds for m in parts]
    return Measured(
        sum(m.seconds for m in parts),
        max(peaks) if peaks else None,
        None if None in cpus else sum(cpus),  # type: ignore[arg-type]
    )


def _median(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def median_of(runs: Sequence[Measured]) -> Measured:
    """The median time and CPU time of ``runs``; the highest of their memory figures."""
    highest = [
        max((v for v in vals if v is not None), default=None)
        for vals in zip(*((m.peak_mb, m.added_mb, m.tree_mb) for m in runs), strict=True)
    ]
    return Measured(
        statistics.median(m.seconds for m in runs),
        highest[0],
        _median([m.cpu_seconds for m in runs]),
        highest[1],
        highest[2],
    )


@dataclass
class Alternated:
    """Peers measured in turn, ``A B A B ...``: every run, the medians and the load seen."""

    runs: dict[str, list[Measured]]
    loads: list[float] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)

    def median(self, name: str) -> Measured:
        return median_of(self.runs[name])

    def ratio(self, name: str, peer: str, *, cpu: bool = False) -> float:
        """``name``'s median over ``peer``'s (wall time, or CPU time with ``cpu``)."""
        a, b = self.median(name), self.median(peer)
        if cpu:
            return (a.cpu_seconds or 0.0) / max(b.cpu_seconds or 0.0, 1e-12)
        return a.seconds / max(b.seconds, 1e-12)

    @property
    def rounds(self) -> int:
        return min(len(v) for v in self.runs.values())

    def how(self) -> str:
        """How the figures were taken, for the row: rounds, order and load average."""
        order = " ".join(chr(65 + i) for i in range(len(self.runs)))
        return f"median of {self.rounds} alternated ({order} x {self.rounds}), " + load_range(
            self.loads
        )


def alternate(
    peers: Mapping[str, Callable[[], Measured | tuple[Any, Measured]]], rounds: int
) -> Alternated:
    """Measure each peer once a round, in turn, for ``rounds`` rounds.

    Alternating puts every peer under the same mix of load, so the ratio of the medians
    holds on a busy machine where best-of-N of one and then the other does not. A peer may
    return ``(result, Measured)``: the first round's result is kept in ``results``.
    """
    out = Alternated({name: [] for name in peers})
    for _ in range(rounds):
        for name, peer in peers.items():
            got = peer()
            if isinstance(got, tuple):
                out.results.setdefault(name, got[0])
                got = got[1]
            out.runs[name].append(got)
            out.loads.append(load_now())
    return out


def load_now() -> float:
    """The 1-minute load average now (``nan`` where the platform has none)."""
    try:
        return os.getloadavg()[0]
    except OSError:  # pragma: no cover
        return float("nan")


def load_range(loads: Sequence[float]) -> str:
    """``load 1.9`` or ``load 1.9-2.6``: the 1-minute load average over some runs."""
    known = [v for v in loads if v == v]
    if not known:
        return "load ?"
    low, high = min(known), max(known)
    return f"load {low:.1f}" if f"{low:.1f}" == f"{high:.1f}" else f"load {low:.1f}-{high:.1f}"


def load_average() -> str:
    """The 1-minute load average, to judge how busy the machine was."""
    value = load_now()
    return "?" if value != value else f"{value:.1f}"


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
