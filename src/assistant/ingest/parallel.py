"""A build's per-item work on every core: reading and cleaning, shingling, chunking, word
segmentation (``pmap``).

subtle: the other processes are forked (Linux): a spawned one would import the caller's
``__main__`` again, and a user's script without a ``__main__`` guard would run twice. What
the work needs that loads once (the segmentation model, the syllable lists) is loaded before
the fork, so the forks share it. Where fork is missing, or the work is small, it runs here.

Deliberately not here: what the work is (its callers), builds on a cluster (``cluster``).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_ITEMS = 200  # below this many articles (or chunks), starting processes costs more than it saves


def workers() -> int:
    """The processes a build uses: the cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def pmap(fn: Callable[[T], R], items: Sequence[T], *, processes: int | None = None,
         min_items: int | None = None, warm: Callable[[], object] | None = None) -> list[R]:
    """``[fn(x) for x in items]``, in order, on ``processes`` forked processes (default: every
    core) once there are ``min_items`` items (default ``PARALLEL_ITEMS``). ``fn`` must be a module-level function and must
    not raise for an item it can report (return the reason instead): an exception ends the map.
    ``warm`` runs here first, in either case, to load what ``fn`` needs once."""
    if warm is not None:
        warm()
    processes = processes or workers()
    min_items = PARALLEL_ITEMS if min_items is None else min_items
    if processes < 2 or len(items) < min_items or "fork" not in multiprocessing.get_all_start_methods():
        return [fn(x) for x in items]
    chunksize = max(1, min(64, len(items) // (processes * 8)))
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        return pool.map(fn, items, chunksize=chunksize)
