"""Fan work out to forked worker processes: the build's one way of using every core.

The build's stages (load, reason, validate, render) each have many independent items (files,
batches, graphs); :func:`parallel_map` runs them in forked workers, which inherit the parent's
state (the loaded project) without pickling it.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from typing import Any, TypeVar

R = TypeVar("R")

_TASK: Callable[[Any], Any] | None = None


def parallel_map(function: Callable[[Any], R], items: list[Any]) -> list[R]:
    """``[function(item) for item in items]``, in forked worker processes when there are
    several items and several CPUs (``DEFKG_BUILD_WORKERS`` caps them; 1 runs in-process).

    ``function`` need not be picklable (the workers inherit it by forking); the items and
    the results are pickled.
    """
    global _TASK
    limit = int(os.environ.get("DEFKG_BUILD_WORKERS", "0") or 0) or (os.cpu_count() or 1)
    workers = min(len(items), limit)
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [function(item) for item in items]
    _TASK = function
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(_run_task, items, chunksize=1)
    finally:
        _TASK = None


def _run_task(item: Any) -> Any:
    assert _TASK is not None  # set by parallel_map before the workers fork
    return _TASK(item)
