"""Independent pieces of output work spread over forked worker processes.

Owner reports are independent of each other and take about 50 ms each, so a run of a few
hundred spends most of its report time on one core. Forked workers inherit the finished
run as it is in memory (nothing is pickled but the pieces' indices and results), so each
piece is rendered from the same data as in one process, and writes its files atomically
itself: the bytes are those of a serial run (tests/test_reports_pool.py compares them).

Only where ``fork`` is the platform's way (Linux); elsewhere, and for a few pieces, the
work runs in this process. A stopped run (Ctrl-C, SIGTERM) stops its workers with SIGTERM;
a worker then lets its open atomic write delete its temporary file and exits quietly.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import signal
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item")
Value = TypeVar("Value")

#: Fewer pieces than this run in this process: starting workers costs more than it saves.
MIN_PIECES = 8
#: At most this many workers, whatever the cores.
MAX_WORKERS = 8
#: The environment variable that sets the number of workers (1: no workers).
WORKERS_ENV = "DEALERNET_WORKERS"

# What a forked worker runs: set in the parent just before the fork, inherited by the child.
_TASK: Callable[[Any], Any] | None = None
_ITEMS: Sequence[Any] = ()
_BUSY = False  # in a child: inside a piece (a stop then unwinds it, so its writes clean up)


class _Stopped(BaseException):
    """A worker was told to stop (SIGTERM from the parent)."""


def default_workers() -> int:
    """Workers to use: ``DEALERNET_WORKERS`` if set, else the usable cores (at most 8)."""
    given = os.environ.get(WORKERS_ENV, "").strip()
    if given.isdigit() and int(given) > 0:
        return int(given)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def can_fork() -> bool:
    """Whether workers can be forked here (Linux; macOS forks unsafely, Windows cannot)."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def map_pieces(
    task: Callable[[Item], Value],
    items: Sequence[Item],
    *,
    workers: int | None = None,
    done: Callable[[int], None] | None = None,
) -> list[Value]:
    """``[task(item) for item in items]``, in order, spread over forked workers.

    ``done(count)`` is called in this process as pieces finish (``count`` finished so far).
    An error in a piece is raised here, as it would be in a serial loop.
    """
    count = workers if workers is not None else default_workers()
    step = done or (lambda _count: None)
    if count <= 1 or len(items) < MIN_PIECES or not can_fork():
        out = []
        for finished, item in enumerate(items):
            step(finished)
            out.append(task(item))
        return out
    return _forked(task, items, min(count, len(items)), step)


def _forked(
    task: Callable[[Item], Value], items: Sequence[Item], workers: int, step: Callable[[int], None]
) -> list[Value]:
    global _TASK, _ITEMS
    size = max(1, math.ceil(len(items) / (workers * 4)))  # a few chunks a worker: even loads
    chunks = [range(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    results: list[Any] = [None] * len(items)
    _TASK, _ITEMS = task, items
    pool = None
    try:
        with _quiet_fork_warning():
            pool = multiprocessing.get_context("fork").Pool(workers, initializer=_child_setup)
        finished = 0
        step(0)
        for first, values in pool.imap_unordered(_run_chunk, [(c.start, c.stop) for c in chunks]):
            results[first : first + len(values)] = values
            finished += len(values)
            step(finished)
        pool.close()
    except BaseException:
        if pool is not None:
            pool.terminate()
        raise
    finally:
        if pool is not None:
            pool.join()
        _TASK, _ITEMS = None, ()
    return results


@contextlib.contextmanager
def _quiet_fork_warning() -> Iterator[None]:
    """Python 3.12+ warns when a process with threads forks (numba's and BLAS's pools are
    idle here, and the children only render and write)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*fork.*")
        yield


def _child_setup() -> None:
    """In a worker: Ctrl-C is the parent's to handle (it reaches the whole process group);
    SIGTERM from the parent stops the worker quietly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_stop)


def _on_stop(_signum: int, _frame: object) -> None:
    if _BUSY:
        raise _Stopped
    os._exit(1)  # between pieces: nothing of ours is open


def _run_chunk(span: tuple[int, int]) -> tuple[int, list[Any]]:
    global _BUSY
    assert _TASK is not None
    out = []
    try:
        for index in range(*span):
            _BUSY = True
            out.append(_TASK(_ITEMS[index]))
            _BUSY = False
    except _Stopped:
        os._exit(1)  # the piece's atomic write has deleted its temporary file
    return span[0], out
