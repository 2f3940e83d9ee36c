"""The body of one query worker process: open the store read-only, answer jobs until told to stop.

Started by ``defkg.store.executor`` with the ``spawn`` method; it imports only pyoxigraph and the
store modules, so it starts quickly and holds no Flask or rdflib state.
"""

from __future__ import annotations

import signal
import threading
from multiprocessing.connection import Connection

import pyoxigraph as ox

from defkg.store.embedded import execute


def _die_with_parent() -> None:
    """Ask Linux to kill this worker if the web process dies (a query may never return).

    Linux ties this signal to the parent *thread*: the pool starts every worker from one
    long-lived thread for that reason.
    """
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: the worker still exits when its pipe closes


#: Stack of the thread that runs queries. The engine recurses once per operator of a chain
#: (``1+1+…``, ``!!…``, long object lists), and within the query length limit that overflows
#: the main thread's 8 MB (a SIGSEGV); 256 MB holds a 20,000-character chain with room to
#: spare. Stack pages never touched cost no memory; the pool's memory limit still applies.
QUERY_STACK_BYTES = 256 * 2**20


def main(
    conn: Connection,
    store_path: str,
    prefixes: dict[str, str],
    relay_socket: str | None = None,
) -> None:
    """Serve jobs from ``conn`` until it closes; the parent kills us when a query overruns.

    First of all, while the process has one thread, the worker leaves the host's network
    (``defkg.store.sandbox``): it can reach nothing but the SERVICE relay at
    ``relay_socket``. Its first message says whether that worked: ``("ready", isolated,
    how or why not)``.
    """
    from defkg.store.sandbox import isolate

    # Ctrl-C goes to the whole process group; the parent decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    isolated, how = isolate(relay_socket)
    threading.stack_size(QUERY_STACK_BYTES)
    runner = threading.Thread(
        target=serve,
        args=(conn, store_path, prefixes, ("ready", isolated, how)),
        name="defkg-query",
        daemon=True,
    )
    runner.start()
    runner.join()


def serve(
    conn: Connection, store_path: str, prefixes: dict[str, str], ready: object = "ready"
) -> None:
    """Open the store, send ``ready`` and answer jobs from ``conn`` until it closes."""
    store = ox.Store.read_only(store_path)
    try:
        conn.send(ready)
    except OSError:  # the parent went away while we started (it is shutting down)
        return
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        conn.send(execute(store, job, prefixes))
