"""Ordered work on a few threads, for loops whose heavy part releases the GIL (numpy's
reductions and sorts, the compiled market kernel).

Results come back in the order of the items, and at most ``threads + 1`` are in flight, so
a caller that adds them up in order gets the same bits with any number of threads and
never holds more than a few pieces at once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import TypeVar

from dealernet._forked import default_workers

Item = TypeVar("Item")
Value = TypeVar("Value")

__all__ = ["in_threads"]


def in_threads(
    task: Callable[[Item], Value], items: Iterable[Item], threads: int | None = None
) -> Iterator[Value]:
    """``task(item) for item in items``, in order, on up to ``threads`` threads (default:
    the usable cores, or ``DEALERNET_WORKERS``; 1 runs them here)."""
    items = list(items)
    count = min(threads or default_workers(), len(items))
    if count <= 1:
        yield from map(task, items)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(count, thread_name_prefix="dealernet") as pool:
        waiting: deque[Future[Value]] = deque()
        for item in items:
            waiting.append(pool.submit(task, item))
            if len(waiting) > count:
                yield waiting.popleft().result()
        while waiting:
            yield waiting.popleft().result()
