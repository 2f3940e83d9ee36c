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

import contextlib
import multiprocessing
import os
import pickle
import signal
import threading
from collections.abc import Callable
from multiprocessing.pool import Pool
from typing import Any, Generic, TypeVar

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


class Background(Generic[R]):
    """``function()`` in a forked process while the caller goes on with other work;
    :meth:`result` waits for it (and raises what it raised). In-process, at once, where there
    is one CPU, no fork, or ``workers`` is 1 (``Settings.build_workers``).

    Fork it before starting any thread: a forked child gets only the forking thread, and a
    lock another thread held stays held in the child.
    """

    def __init__(self, function: Callable[[], R], *, workers: int = 0) -> None:
        self._pid: int | None = None
        self._value: R | None = None
        self._read = -1
        if workers == 1 or (os.cpu_count() or 1) <= 1 or "fork" not in _start_methods():
            self._value = function()
            return
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: compute, send, and leave without the parent's clean-ups
            code = 0
            try:
                os.close(read)
                _default_signals()
                try:
                    payload = pickle.dumps((True, function()), protocol=pickle.HIGHEST_PROTOCOL)
                except BaseException as error:  # sent to the parent, which raises it
                    payload = pickle.dumps((False, _sendable(error)))
                with os.fdopen(write, "wb") as out:
                    out.write(payload)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(write)
        self._pid, self._read = pid, read

    def result(self) -> R:
        """What ``function()`` returned; raises what it raised."""
        if self._pid is None:
            return self._value  # type: ignore[return-value]
        try:
            with os.fdopen(self._read, "rb") as handle:
                data = handle.read()
        finally:
            os.waitpid(self._pid, 0)
            self._pid = None
        if not data:
            raise RuntimeError("a build worker process ended without an answer")
        ok, value = pickle.loads(data)  # our own child's answer: not untrusted input
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        """End the process if it is still running (nothing to do once :meth:`result` ran)."""
        if self._pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._pid, signal.SIGKILL)
        os.close(self._read)
        os.waitpid(self._pid, 0)
        self._pid = None


def _start_methods() -> list[str]:
    return multiprocessing.get_all_start_methods()


def _sendable(error: BaseException) -> BaseException:
    """``error`` if it pickles, else a RuntimeError with its text."""
    try:
        pickle.dumps(error)
        return error
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
