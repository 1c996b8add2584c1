"""A build's per-item work on every core: reading and cleaning, shingling, chunking, word
segmentation (``pmap``).

subtle: the other processes are forked (Linux) when this process runs one thread: a spawned
one would import the caller's ``__main__`` again, and a user's script without a ``__main__``
guard would run twice. What the work needs that loads once (the segmentation model, the
syllable lists) is loaded before the fork, so the forks share it. A process with other
threads (the chat server building after an upload) is not forked: a lock another thread
holds would stay locked in the child; its processes come from a fork server instead (started
once, single-threaded), which loads the models itself and, as spawn does, imports the main
script again (the ``assistant`` command's is guarded). Where neither exists, or the work is
small, it runs here.

Deliberately not here: what the work is (its callers), builds on a cluster (``cluster``).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from ..errors import CorpusError

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_ITEMS = 200  # below this many articles (or chunks), starting processes costs more than it saves


def workers() -> int:
    """The processes a build uses: the cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _start_method() -> str | None:
    methods = multiprocessing.get_all_start_methods()
    if threading.active_count() > 1:
        return "forkserver" if "forkserver" in methods else None
    return "fork" if "fork" in methods else None


def pmap(fn: Callable[[T], R], items: Sequence[T], *, processes: int | None = None,
         min_items: int | None = None, warm: Callable[[], object] | None = None) -> list[R]:
    """``[fn(x) for x in items]``, in order, on ``processes`` other processes (default: every
    core) once there are ``min_items`` items (default ``PARALLEL_ITEMS``). ``fn`` must be a
    module-level function and must not raise for an item it can report (return the reason
    instead): an exception ends the map. ``warm`` runs here first, in either case, to load
    what ``fn`` needs once. A process that dies (killed, out of memory) ends the map with a
    CorpusError, not a wait forever."""
    if warm is not None:
        warm()
    processes = processes or workers()
    min_items = PARALLEL_ITEMS if min_items is None else min_items
    method = _start_method()
    if processes < 2 or len(items) < min_items or method is None:
        return [fn(x) for x in items]
    chunksize = max(1, min(64, len(items) // (processes * 8)))
    try:
        with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context(method)) as pool:
            return list(pool.map(fn, items, chunksize=chunksize))
    except BrokenProcessPool as exc:
        raise CorpusError("a build process died (killed, or out of memory) or its result could not be read; "
                          "the previous index is unchanged",
                          hint="run it again; if it dies again, build on a machine with more memory") from exc
