"""Fan work out to forked worker processes: the build's one way of using every core.

The build's stages (load, reason, validate, render) each have many independent items (files,
batches, graphs); :func:`parallel_map` runs them in forked workers, which inherit the parent's
state (the loaded project) without pickling it.

A forked worker also inherits the parent's signal handlers. ``defkg preview`` handles SIGTERM
by asking its loop to stop, and a worker that inherited that handler ignored the SIGTERM with
which the pool ends its workers, so the pool waited for it forever and the preview hung on its
first build. Workers therefore start with the default handlers (SIGTERM ends them; Ctrl-C is
the parent's to handle), and the pool is shut down within :data:`SHUTDOWN_SECONDS` whatever a
worker does: a worker still alive then is killed.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from multiprocessing.pool import Pool
from typing import Any, TypeVar

R = TypeVar("R")

#: how long ending the workers may take before the ones still alive are killed
SHUTDOWN_SECONDS = 10.0

_TASK: Callable[[Any], Any] | None = None


def parallel_map(function: Callable[[Any], R], items: list[Any], *, workers: int = 0) -> list[R]:
    """``[function(item) for item in items]``, in forked worker processes when there are
    several items and several CPUs; ``workers`` caps them (``Settings.build_workers``; 0: one
    per CPU; 1 runs in-process).

    ``function`` need not be picklable (the workers inherit it by forking); the items and
    the results are pickled.
    """
    global _TASK
    count = min(len(items), workers or os.cpu_count() or 1)
    if count <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [function(item) for item in items]
    _TASK = function
    before = set(multiprocessing.active_children())
    pool = multiprocessing.get_context("fork").Pool(count, initializer=_default_signals)
    children = [p for p in multiprocessing.active_children() if p not in before]
    try:
        return pool.map(_run_task, items, chunksize=1)
    finally:
        _TASK = None
        shut_down(pool, children)


def shut_down(pool: Pool, children: list[Any], timeout: float = SHUTDOWN_SECONDS) -> None:
    """End ``pool`` (whose worker processes are ``children``) within ``timeout`` seconds."""
    ending = threading.Thread(target=pool.terminate, name="pool-terminate", daemon=True)
    ending.start()
    ending.join(timeout)
    if ending.is_alive():
        for child in children:
            if child.is_alive():
                child.kill()
        ending.join(timeout)


def _default_signals() -> None:
    """In a worker: SIGTERM ends the process, Ctrl-C (SIGINT) is left to the parent."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_task(item: Any) -> Any:
    assert _TASK is not None  # set by parallel_map before the workers fork
    return _TASK(item)
