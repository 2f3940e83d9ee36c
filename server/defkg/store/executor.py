"""The limited query runner: untrusted queries run in a pool of worker processes, with deadlines.

A pyoxigraph query cannot be interrupted from Python once it is running (a COUNT over a cross
product blocks inside one call), so the only way to enforce the time limit is to run queries in
other processes and kill the one that overruns. Each worker opens the on-disk store read-only
(``defkg.store.worker``); the web thread sends it a :class:`QueryJob`, waits on the pipe until
the deadline, and on timeout kills that worker and starts a replacement in the background while
the other workers go on answering.

Memory: between short waits the web thread reads the worker's resident memory; a query
that grows past ``max_memory`` (a huge sort, a huge SERVICE answer) is stopped the same way.

Admission: at most ``max_concurrent`` queries are running or waiting for a worker; the next one
is refused at once (:class:`Saturated` → 503 with Retry-After) rather than queued without bound.
With several web processes (``web_processes``), each has its own pool but they share one
:class:`SharedAdmission`, so the limit holds for the server as a whole.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing as mp
import os
import queue
import re
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import cast

from defkg import waiting
from defkg.locks import AVAILABLE as OFD_LOCKS
from defkg.locks import lock_byte, unlock_byte
from defkg.store import QueryTimeout, Saturated, WorkerCrashed
from defkg.store.jobs import QueryJob, QueryOutcome

log = logging.getLogger(__name__)

# spawn, not fork: the web process runs many threads (gunicorn gthread), and forking a
# threaded process can copy a lock held by another thread into the child.
_CONTEXT = mp.get_context("spawn")


#: Known engine aborts, by what the query contains: a hint for the client (and for us).
_ORDER_BY = re.compile(r"order\s*by", re.IGNORECASE)
ORDER_BY_HINT = (
    "pyoxigraph 0.5 aborts when ORDER BY sorts values it cannot order consistently (literals "
    "of mixed types, e.g. dateTimes with and without a time zone; "
    "docs/upstream-oxigraph-order-by-panic.md): order by a string instead, "
    "e.g. ORDER BY (STR(?o))"
)


def _how_it_ended(process: BaseProcess) -> str:
    """The exit of a dead worker, in words: ``killed by SIGSEGV``, ``exit status 1``.

    Its status is waited for up to 2 s (a process killed while it has many threads exits
    when the last of them has), with the event loop given back meanwhile.
    """
    give_up = time.monotonic() + 2.0
    while (code := process.exitcode) is None and time.monotonic() < give_up:
        waiting.sleep(0.02)
    if code is None:
        return "it stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}"
    return f"exit status {code}"


#: How often a running query's worker has its memory checked (seconds).
_MEMORY_CHECK_INTERVAL = 0.1
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _resident_bytes(pid: int | None) -> int:
    """Resident memory of process ``pid`` (Linux ``/proc``; 0 where that is unavailable)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return 0


class LocalAdmission:
    """Admission within one process: at most ``limit`` tickets out at once."""

    def __init__(self, limit: int) -> None:
        self._semaphore = threading.BoundedSemaphore(max(1, limit))

    def acquire(self) -> object | None:
        """A ticket, or None when ``limit`` are out."""
        return True if self._semaphore.acquire(blocking=False) else None

    def release(self, ticket: object) -> None:
        self._semaphore.release()


#: the byte locked while a process looks for a free ticket (far past any slot)
_SCAN_GUARD = 2**40


class SharedAdmission:
    """Admission across processes: at most ``limit`` tickets out at once among every process
    that holds the file open as descriptor ``fd`` (inherited from the process that forked them).

    A ticket is a write lock on one of the first ``limit`` bytes of the file, taken through a
    descriptor of its own (Linux open-file-description locks belong to the descriptor, not the
    process, so two threads of one process exclude each other too), found by a scan that
    one process at a time makes (under a lock on :data:`_SCAN_GUARD`). The kernel drops the lock
    when that descriptor closes, including when its process dies: a web process that crashes
    mid-query cannot keep tickets for ever, as a shared counter would. The file may be (and
    is) unlinked: a ticket's descriptor is opened through ``/proc/self/fd``, and kept, its
    lock undone, for a later ticket.
    """

    def __init__(self, fd: int, limit: int) -> None:
        if not OFD_LOCKS or not os.path.exists(f"/proc/self/fd/{fd}"):
            raise OSError("several web processes need Linux (open-file-description locks)")
        self.fd = fd
        self.limit = max(1, limit)
        # Descriptors holding no lock, kept for the next tickets: opening and closing one per
        # query cost two system calls (29 µs a ticket before, 7 µs now).
        self._spare: list[int] = []
        # Where the next ticket starts looking, so that it seldom tries the slots just taken.
        self._next_slot = itertools.count()

    def acquire(self) -> tuple[int, int] | None:
        """A ticket (a descriptor and the slot it holds locked), or None when ``limit`` are
        out."""
        try:
            fd = self._spare.pop()
        except IndexError:
            fd = os.open(f"/proc/self/fd/{self.fd}", os.O_RDWR | os.O_CLOEXEC)
        start = next(self._next_slot)
        try:
            # One scan at a time among all processes: otherwise a slot freed behind the scan
            # while another process takes one ahead of it makes the scan miss every free slot,
            # and a server with tickets to spare answers 503 (seen at full load).
            lock_byte(fd, _SCAN_GUARD, wait=True)
            try:
                for step in range(self.limit):
                    slot = (start + step) % self.limit
                    if lock_byte(fd, slot, wait=False):
                        return fd, slot
            finally:
                unlock_byte(fd, _SCAN_GUARD)
        except OSError:
            os.close(fd)
            raise
        self._spare.append(fd)
        return None

    def release(self, ticket: object) -> None:
        fd, slot = cast(tuple[int, int], ticket)
        try:
            unlock_byte(fd, slot)
        except OSError:
            os.close(fd)  # closing the descriptor drops its lock too
            return
        self._spare.append(fd)


class _NeverRead(Exception):
    """The worker died before it read the job (so the job did not kill it)."""


@dataclass(eq=False)  # identity semantics: workers live in a set
class _Worker:
    process: BaseProcess
    conn: Connection

    def __post_init__(self) -> None:
        self.pipe = waiting.Watched(self.conn)

    def alive(self) -> bool:
        """Whether the worker is still there: in the HTTP front, known from its watched pipe
        without a system call; else asked of the kernel."""
        if self.pipe.watched:
            return not self.pipe.hung_up
        return self.process.is_alive()


class QueryPool:
    """A fixed number of query worker processes over one on-disk store."""

    def __init__(
        self,
        store_path: Path,
        *,
        size: int,
        max_concurrent: int,
        prefixes: dict[str, str] | None = None,
        max_memory: int = 0,
        relay_socket: Path | None = None,
    ) -> None:
        self.store_path = store_path
        #: the SERVICE relay's Unix socket, the one address the workers' sandbox lets through
        self.relay_socket = relay_socket
        #: None until a worker has started; then whether every worker is isolated from the
        #: network, and how (or why not)
        self.isolation: tuple[bool, str] | None = None
        self.max_memory = max_memory  #: bytes of resident memory per worker (0: no limit)
        self.size = max(1, size)
        self.prefixes = dict(prefixes or {})
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        #: told when a worker becomes idle: what requests of the HTTP front wait on
        self._freed = waiting.Signal()
        self.admission: LocalAdmission | SharedAdmission = LocalAdmission(max_concurrent)
        self._started = False
        self._start_lock = threading.Lock()
        self._closed = False
        self._all: set[_Worker] = set()
        self._spawn_requests: queue.SimpleQueue[bool | None] = queue.SimpleQueue()
        self._all_lock = threading.Lock()

    # --- worker lifecycle ---------------------------------------------------------------
    def _spawn(self) -> _Worker | None:
        """Start one worker and wait until it has opened the store."""
        from defkg.store import worker as worker_module

        parent, child = _CONTEXT.Pipe()
        relay = str(self.relay_socket) if self.relay_socket is not None else None
        process = _CONTEXT.Process(
            target=worker_module.main,
            args=(child, str(self.store_path), self.prefixes, relay),
            name="defkg-query-worker",
            daemon=True,
        )
        process.start()
        child.close()
        ready = parent.recv() if parent.poll(60) else None
        if not (isinstance(ready, tuple) and ready[0] == "ready"):
            log.error("a query worker failed to start (store %s)", self.store_path)
            process.kill()
            return None
        self._note_isolation(bool(ready[1]), str(ready[2]))
        worker = _Worker(process, parent)
        with self._all_lock:
            if self._closed:
                self._stop(worker)
                return None
            self._all.add(worker)
        return worker

    def _note_isolation(self, isolated: bool, how: str) -> None:
        """Record a worker's sandbox; the first worker found without one is logged once."""
        with self._all_lock:
            before = self.isolation
            if before is None or (before[0] and not isolated):
                self.isolation = (isolated, how)
        if before is None and isolated:
            log.info("query workers are isolated from the network (%s)", how)
        if not isolated and (before is None or before[0]):
            log.warning("SERVICE is switched off: query workers are not isolated: %s", how)

    @property
    def sandboxed(self) -> bool:
        """Whether every query worker can reach nothing but the SERVICE relay (the workers
        are started if they were not yet): SERVICE is only allowed then."""
        self.start()
        return self.isolation is not None and self.isolation[0]

    def _spawner(self) -> None:
        """Start workers on request, for the life of the pool.

        Every worker is started from this one long-lived thread because Linux delivers a
        worker's parent-death signal when the *thread* that created it exits (see
        ``defkg.store.worker``): a worker started from a short-lived thread would be killed
        as soon as that thread ended.
        """
        while True:
            if self._spawn_requests.get() is None:
                return
            worker = self._spawn()
            if worker is not None:
                self._put_idle(worker)

    def _put_idle(self, worker: _Worker) -> None:
        self._idle.put(worker)
        self._freed.notify()

    def _take_idle(self, wait_until: float) -> _Worker:
        """An idle worker, waiting until ``wait_until`` (monotonic) at most (else
        ``queue.Empty``); a request of the HTTP front lets others run meanwhile."""
        if waiting.current_loop() is None:
            return self._idle.get(timeout=max(0.0, wait_until - time.monotonic()))
        while True:
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                remaining = wait_until - time.monotonic()
                if remaining <= 0:
                    raise
            self._freed.wait(remaining)

    def _replace_later(self) -> None:
        """Start a replacement worker in the background; it joins the idle ones when ready."""
        self._spawn_requests.put(True)

    def _stop(self, worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join(5)
        worker.pipe.close()
        worker.conn.close()
        with self._all_lock:
            self._all.discard(worker)

    def start(self, wait: float = 60.0) -> None:
        """Start the workers and wait up to ``wait`` s for them to open the store.

        Done lazily by the first query; call it at start-up to pay the cost early.
        """
        with self._start_lock:
            if self._started:
                return
            self._started = True
            threading.Thread(target=self._spawner, name="defkg-worker-spawner", daemon=True).start()
            for _ in range(self.size):
                self._spawn_requests.put(True)
            deadline = time.monotonic() + wait
            while self.alive() < self.size and time.monotonic() < deadline:
                time.sleep(0.02)

    def close(self) -> None:
        """Stop every worker."""
        self._closed = True
        self._spawn_requests.put(None)
        with self._all_lock:
            workers = list(self._all)
        for worker in workers:
            self._stop(worker)

    def alive(self) -> int:
        """How many workers are running (for /healthz)."""
        with self._all_lock:
            return sum(1 for w in self._all if w.process.is_alive())

    # --- running queries ----------------------------------------------------------------
    def run(
        self, job: QueryJob, timeout: float, timings: dict[str, float] | None = None
    ) -> QueryOutcome:
        """Run ``job`` within ``timeout`` seconds of a worker's time.

        Waiting for a free worker does not eat the time limit: an admitted query waits up to
        :meth:`max_wait` for one (then :class:`Saturated`), and its deadline starts when a
        worker takes it. ``timings["ran"]`` is set to the seconds it ran, however it ended.

        Raises :class:`Saturated` when too many queries are already admitted,
        :class:`QueryTimeout` when the deadline passes, and :class:`WorkerCrashed` when the
        worker dies while running it.
        """
        ticket = self.admission.acquire()
        if ticket is None:
            raise Saturated("too many queries are running; retry in a moment")
        started: float | None = None
        try:
            self.start()
            wait_until = time.monotonic() + self.max_wait(timeout)
            while True:
                worker = self._take_live(wait_until)
                started = time.monotonic()
                try:
                    return self._answer(worker, job, timeout, started + timeout)
                except _NeverRead:
                    # The worker was dying when it was given the job (its hang-up not yet
                    # seen, or its threads still exiting): not this query's doing. Another
                    # worker runs it, within the whole time limit.
                    self._discard_dead(worker)
        finally:
            if timings is not None:
                timings["ran"] = time.monotonic() - started if started is not None else 0.0
            self.admission.release(ticket)

    def _take_live(self, wait_until: float) -> _Worker:
        """An idle worker that is alive, replacing any found dead (raises :class:`Saturated`
        when none is free by ``wait_until``)."""
        while True:
            try:
                worker = self._take_idle(wait_until)
            except queue.Empty:
                raise Saturated(
                    "every query worker stayed busy while this query waited; retry in a moment"
                ) from None
            if worker.alive():
                return worker
            self._discard_dead(worker)  # killed from outside while idle

    def _discard_dead(self, worker: _Worker) -> None:
        log.warning("an idle query worker died (%s); replacing it", _how_it_ended(worker.process))
        self._stop(worker)
        self._replace_later()

    def _answer(
        self, worker: _Worker, job: QueryJob, timeout: float, deadline: float
    ) -> QueryOutcome:
        """``job``'s outcome from ``worker``, by ``deadline`` (the worker is stopped if not).

        Raises :class:`_NeverRead` when the worker died without reading the job: the pipe
        broke as it was sent, or was reset with the job still unread in it.
        """
        try:
            worker.pipe.send(job)
        except OSError:
            raise _NeverRead() from None
        try:
            while (remaining := deadline - time.monotonic()) > 0:
                # Short waits: between them, the worker's memory is checked.
                if worker.pipe.readable(min(remaining, _MEMORY_CHECK_INTERVAL)):
                    outcome: QueryOutcome = worker.pipe.receive()
                    self._put_idle(worker)
                    return outcome
                if self.max_memory and _resident_bytes(worker.process.pid) > self.max_memory:
                    log.warning("query over the memory limit; stopping %s", worker.process.pid)
                    self._stop(worker)
                    self._replace_later()
                    return QueryOutcome.error(
                        422,
                        "result refused: the query needed more than the limit of "
                        f"{self.max_memory // 2**20:,} MB of memory; add a LIMIT or "
                        "narrow its patterns",
                    )
        except ConnectionResetError:
            # A Unix socket is reset when its other end closes with data unread: the job.
            raise _NeverRead() from None
        except (EOFError, OSError):
            cause = _how_it_ended(worker.process)
            log.error("a query worker died while answering (%s); starting a new one", cause)
            self._stop(worker)
            self._replace_later()
            hint = ORDER_BY_HINT if _ORDER_BY.search(job.query) else ""
            raise WorkerCrashed(cause, hint) from None
        log.warning("query over its %g s limit; stopping worker %s", timeout, worker.process.pid)
        self._stop(worker)
        self._replace_later()
        raise QueryTimeout(timeout)

    @staticmethod
    def max_wait(timeout: float) -> float:
        """How long an admitted query waits for a free worker: its own time limit, and at
        least long enough for a stopped worker to be replaced."""
        return max(timeout, 10.0)
