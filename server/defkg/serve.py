"""``defkg serve``: the web app under gunicorn's process manager, each process answering HTTP
on an event loop of its own (never Flask's development server).

``settings.web_processes`` gunicorn processes (one per CPU by default: one Python process
answers HTTP on one CPU at most) run the app; each has its own query worker pool. They share
one admission limit (:class:`~defkg.store.executor.SharedAdmission`) and one table of
per-client budgets (:class:`~defkg.web.fairness.ClientBudgets`), each on an unlinked file
opened here before gunicorn forks them. Before gunicorn starts, the release is built if it is
missing and the on-disk store is prepared, so that the web processes only open what exists.

The embedded store is served by :class:`LoopWorker`: the HTTP front of :mod:`defkg.front`,
one event loop per process, each request in a greenlet that gives the loop back while it
waits on a query worker. A remote store is served by :class:`WaitressWorker`: its queries
and pages wait on the network inside rdflib and http.client, which only a thread can do
without holding every other request; waitress reads every request whole and writes every
answer out in one event loop, so its threads (``settings.threads``) never wait on a client.
Both were measured with ``benchmarks/slow_clients.py`` (200 idle, 60 slowloris and 16
non-reading connections), where gunicorn's gthread, granian, uvicorn over a2wsgi and cheroot
all stopped answering (docs/endpoint.md). :class:`BoundedServer` adds what waitress lacks: a
total deadline for receiving a request (``request_read_timeout``), on top of its inactivity
timeout (``client_timeout``); the front has both of its own.
"""

from __future__ import annotations

import logging
import os
import resource
import sys
import tempfile
import threading
import time
from typing import Any

from gunicorn.workers.base import Worker

from defkg.config import Settings
from defkg.release import Release

log = logging.getLogger("defkg.serve")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging() -> None:
    """Log defkg's messages (start-up, access lines, worker restarts) to stderr."""
    logger = logging.getLogger("defkg")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def with_actual_port(settings: Settings) -> Settings:
    """``port = 0`` asks for any free port: choose it now, so that the URLs the server writes
    (``settings.site_url``) name the port it really listens on."""
    if settings.port != 0:
        return settings
    import socket

    with socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET) as probe:
        probe.bind((settings.host, 0))
        return settings.with_overrides(port=probe.getsockname()[1])


def prepare(settings: Settings) -> str:
    """Build the release if missing and prepare the store; return what is served, for the log."""
    if settings.store == "embedded":
        if not Release.present(settings.dist):
            from defkg.pipeline.build import build

            log.info("no release in %s: building it from %s", settings.dist, settings.root)
            build(settings)
        from defkg.store.embedded import prepare_store

        path = prepare_store(settings.dist)
        return f"release {settings.dist.resolve()} (embedded store {path})"
    return f"remote store {settings.store}"


#: the most web processes ``web_processes = 0`` (one per CPU) starts
DEFAULT_WEB_PROCESSES = 8


def web_processes(settings: Settings) -> int:
    """How many gunicorn processes answer HTTP: ``settings.web_processes`` for the embedded
    store; one for a remote store, whose query runner admits queries per process."""
    if settings.store != "embedded":
        return 1
    from defkg.errors import DefkgError
    from defkg.web.fairness import ClientBudgets

    if settings.web_processes > ClientBudgets.MAX_PROCESSES:
        raise DefkgError(
            f"web_processes is {settings.web_processes}: at most {ClientBudgets.MAX_PROCESSES} "
            "web processes can share one server's per-client budgets"
        )
    # By default one per CPU, at most DEFAULT_WEB_PROCESSES: each also runs its own query
    # workers and result cache, so a large machine would otherwise hold dozens of them.
    return settings.web_processes or min(os.cpu_count() or 1, DEFAULT_WEB_PROCESSES)


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    """The gunicorn settings: our waitress worker, our own access log instead of gunicorn's."""
    return {
        "bind": f"{settings.host}:{settings.port}",
        "workers": web_processes(settings),
        "worker_class": "defkg.serve.LoopWorker"
        if settings.store == "embedded"
        else "defkg.serve.WaitressWorker",
        "threads": settings.threads,
        # The web process only waits on query workers, so its heartbeat never stalls for long;
        # still, leave room beyond the longest query.
        "timeout": int(max(settings.query_timeout, settings.service_timeout) + 30),
        "graceful_timeout": 5,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "preload_app": False,
        "proc_name": "defkg",
        "worker_exit": _worker_exit,
        # unset, a web process answers on any CPU (WaitressWorker.run binds it otherwise)
        **({"pre_fork": _choose_cpu} if settings.pin_web_processes else {}),
    }


def _choose_cpu(server: Any, worker: Any) -> None:
    """In gunicorn's arbiter, before it forks a web process: the CPU its HTTP threads will
    run on, the one fewest live web processes use (so that a restarted process takes the CPU
    of the one it replaces)."""
    if not hasattr(os, "sched_getaffinity"):
        worker.defkg_cpu = None
        return
    cpus = sorted(os.sched_getaffinity(0))
    used = [getattr(other, "defkg_cpu", None) for other in server.WORKERS.values()]
    worker.defkg_cpu = min(cpus, key=lambda cpu: (used.count(cpu), cpu))


def waitress_adjustments(settings: Settings) -> dict[str, Any]:
    """How waitress holds connections (see the module's docstring for why waitress)."""
    return {
        "threads": max(1, settings.threads),
        "connection_limit": settings.max_connections,
        "channel_timeout": settings.client_timeout,
        # Deadlines are checked this often (seconds).
        "cleanup_interval": 1,
        # poll, not select: select cannot watch more than 1,024 descriptors.
        "asyncore_use_poll": True,
        # An answer is handed to the event loop whole (beyond 1 MB it waits in a temporary
        # file, not in memory), so a client that does not read never holds an app thread.
        "outbuf_high_watermark": settings.max_result_bytes + 2**20,
        # A GET carries its query in the URL: room for max_query_length characters, each
        # percent-encoded UTF-8 (up to 9 bytes), beside the other headers.
        "max_request_header_size": max(262_144, settings.max_query_length * 9 + 16_384),
        # The app answers 413 with its own message; waitress only stops what is far beyond.
        "max_request_body_size": settings.max_request_bytes * 2 + 65_536,
        # X-Forwarded-For is read by the app itself, from the trusted proxies it is told of.
        "clear_untrusted_proxy_headers": False,
        "ident": "defkg",
    }


def return_memory_promptly() -> None:
    """Make glibc's allocator give large buffers back to the system when they are freed.

    An answer passes through the web process as a few buffers of its size (the pipe from the
    query worker, the unpickled body). glibc serves allocations above a threshold with their
    own mappings, returned on free, but raises that threshold to the size of each such block
    freed (up to 32 MB): after one large answer, the next ones land in the heap arenas of the
    app's threads and stay there. Measured by ``benchmarks/memory.py`` (five rounds of eight
    concurrent 37 MB answers): the web process grew from 52 MB to 320 MB and kept it. A
    fixed threshold (which stops that adjustment) and fewer arenas keep it within tens of MB.
    Elsewhere than glibc this does nothing.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name is None:
        return
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold, m_arena_max = -1, -3, -8
    mallopt(m_mmap_threshold, 1 << 20)  # blocks over 1 MB: their own mapping, always
    mallopt(m_trim_threshold, 8 << 20)  # give back free heap tops over 8 MB
    mallopt(m_arena_max, 4)


def open_file_limit(needed: int) -> None:
    """Raise this process's soft limit on open files towards ``needed`` (within the hard
    limit): every held connection is a descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


class BoundedServer:
    """Factory of waitress's TCP server with a total deadline for receiving each request.

    waitress closes a connection that has been silent for ``channel_timeout``; a client that
    sends a byte now and then (slowloris) is never silent, so this also closes a connection
    whose current request started more than ``read_timeout`` seconds ago and is not yet
    whole. Such connections only ever cost a socket: no thread runs until a request is whole.
    """

    @staticmethod
    def create(app: Any, sock: Any, read_timeout: float, adjustments: dict[str, Any]) -> Any:
        from waitress.adjustments import Adjustments
        from waitress.channel import HTTPChannel
        from waitress.parser import HTTPRequestParser
        from waitress.server import TcpWSGIServer
        from waitress.task import ErrorTask, ThreadedTaskDispatcher

        class TimedParser(HTTPRequestParser):
            def __init__(self, adj: Any) -> None:
                super().__init__(adj)
                self.started = time.monotonic()

        class PlainError(ErrorTask):
            """waitress's own refusals (a request it could not read: headers over
            ``max_request_header_size``, a malformed request line) are plain text already;
            they carry CORS and nosniff as the app's answers do."""

            def execute(self) -> None:
                self.response_headers.extend(
                    [("Access-Control-Allow-Origin", "*"), ("X-Content-Type-Options", "nosniff")]
                )
                super().execute()

        class Channel(HTTPChannel):
            parser_class = TimedParser
            error_task_class = PlainError

        class Server(TcpWSGIServer):
            channel_class = Channel

            def maintenance(self, now: float) -> None:
                super().maintenance(now)
                cutoff = time.monotonic() - read_timeout
                for channel in list(self.active_channels.values()):
                    request = getattr(channel, "request", None)
                    if request is not None and getattr(request, "started", cutoff) < cutoff:
                        channel.will_close = True

        adj = Adjustments(**adjustments)
        dispatcher = ThreadedTaskDispatcher()
        dispatcher.set_thread_count(adj.threads)
        sockinfo = (sock.family, sock.type, sock.proto, sock.getsockname())
        server = Server(
            app,
            {},
            True,
            sock,
            dispatcher=dispatcher,
            adj=adj,
            bind_socket=False,
            sockinfo=sockinfo,
        )
        return server


class WaitressWorker(Worker):
    """A gunicorn worker process that answers HTTP with waitress on gunicorn's socket.

    gunicorn forks the web processes (each with its own query pool, all sharing the admission
    file), restarts one that dies and stops them all on a signal; waitress holds the
    connections. The worker's main thread keeps gunicorn's heartbeat while waitress's event
    loop runs in another.
    """

    def run(self) -> None:
        settings: Settings = self.wsgi.config["DEFKG_SETTINGS"]
        cpu = getattr(self, "defkg_cpu", None)
        if cpu is not None:
            # Affinity is a thread's: this binds the main thread and the threads it starts
            # from here on (waitress's event loop and app threads), not the query pool's
            # spawner thread started at load, so query workers still run on any CPU.
            try:
                os.sched_setaffinity(0, {cpu})
                log.info("web process %d answers HTTP on CPU %d", os.getpid(), cpu)
            except OSError as error:  # the CPU went away since (a cpuset changed): any CPU
                log.warning("web process %d not bound to CPU %d: %s", os.getpid(), cpu, error)
        adjustments = waitress_adjustments(settings)
        servers = []
        for listener in self.sockets:
            sock = listener.sock
            sock.setblocking(False)
            servers.append(
                BoundedServer.create(self.wsgi, sock, settings.request_read_timeout, adjustments)
            )
        loops = [
            threading.Thread(target=server.run, name="defkg-http", daemon=True)
            for server in servers
        ]
        for loop in loops:
            loop.start()
        parent = os.getppid()
        while self.alive and all(loop.is_alive() for loop in loops):
            self.notify()
            if os.getppid() != parent:
                break  # the arbiter is gone
            time.sleep(0.5)
        for server in servers:
            server.task_dispatcher.shutdown(timeout=self.cfg.graceful_timeout)


class LoopWorker(Worker):
    """A gunicorn worker process that answers HTTP on one event loop (:mod:`defkg.front`).

    gunicorn forks the web processes, restarts one that dies and stops them all on a signal;
    the loop holds the connections and runs every request, keeping gunicorn's heartbeat
    every half second.
    """

    def run(self) -> None:
        from defkg.front import Front, Limits

        settings: Settings = self.wsgi.config["DEFKG_SETTINGS"]
        _bind_to_cpu(getattr(self, "defkg_cpu", None))
        adjustments = waitress_adjustments(settings)
        limits = Limits(
            max_header_bytes=adjustments["max_request_header_size"],
            max_body_bytes=adjustments["max_request_body_size"],
            request_read_timeout=settings.request_read_timeout,
            client_timeout=settings.client_timeout,
            max_connections=settings.max_connections,
        )
        parent = os.getppid()

        def tick() -> bool:
            self.notify()
            return self.alive and os.getppid() == parent

        Front(self.wsgi, limits).serve([listener.sock for listener in self.sockets], tick)


def _bind_to_cpu(cpu: int | None) -> None:
    """Bind the calling thread, and the threads it starts from now on, to ``cpu`` (None:
    leave it on any CPU)."""
    if cpu is None:
        return
    try:
        os.sched_setaffinity(0, {cpu})
        log.info("web process %d answers HTTP on CPU %d", os.getpid(), cpu)
    except OSError as error:  # the CPU went away since (a cpuset changed): any CPU
        log.warning("web process %d not bound to CPU %d: %s", os.getpid(), cpu, error)


def _worker_exit(server: Any, worker: Any) -> None:
    """Stop the query workers, then leave without interpreter finalisation.

    Tearing down pyoxigraph's RocksDB handles during finalisation occasionally crashed the
    web process at shutdown (SIGSEGV in gunicorn's log); nothing is left to flush by then.
    """
    app = getattr(worker, "wsgi", None)
    publication = getattr(app, "extensions", {}).get("defkg")
    if publication is not None:
        publication.close()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def serve(settings: Settings) -> None:
    """Prepare the release and run the app under gunicorn until interrupted."""
    from gunicorn.app.base import BaseApplication

    configure_logging()
    settings = with_actual_port(settings)
    open_file_limit(settings.max_connections * web_processes(settings) + 256)
    served = prepare(settings)
    processes = web_processes(settings)
    if settings.store != "embedded" and settings.web_processes > 1:
        log.info("a remote store is served by one web process (web_processes is ignored)")
    # Opened before gunicorn forks, so that every web process keeps the same per-client books.
    from defkg.web.fairness import new_table_file

    budget_table_fd = new_table_file()
    admission_fd: int | None = None
    if processes > 1:
        # Opened before gunicorn forks, so that every web process inherits (and locks) the
        # same file; unlinked at once, so nothing is left behind however the server stops.
        admission_fd, name = tempfile.mkstemp(prefix="defkg-admission-")
        os.unlink(name)

    class Application(BaseApplication):
        def load_config(self) -> None:
            for key, value in gunicorn_options(settings).items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            # Runs in the gunicorn worker process, before its threads start: a safe moment to
            # open the store and spawn the query workers.
            configure_logging()
            return_memory_promptly()
            from defkg.web import create_app

            try:
                app = create_app(settings)
                publication = app.extensions["defkg"]
                publication.budget_table_fd = budget_table_fd
                if admission_fd is not None:
                    from defkg.store.executor import SharedAdmission

                    publication.executor.admission = SharedAdmission(
                        admission_fd, settings.max_concurrent_queries
                    )
                publication.executor.start()
                if publication.executor.alive() == 0:
                    raise RuntimeError("no query worker could start")
            except Exception as error:
                log.error("cannot start serving: %s", error)
                # 3 is gunicorn's "worker failed to boot": the arbiter stops instead of retrying.
                sys.exit(3)
            log.info(
                "ready: %d graphs, %d query workers, %d threads",
                len(publication.graph_names),
                publication.executor.alive(),
                settings.threads,
            )
            return app

    url = settings.site_url
    log.info("serving %s with %d web process(es)", served, processes)
    log.info("SPARQL endpoint at %ssparql (with inferences: %ssparql/inferred)", url, url)
    log.info("linked-data pages at %s, health at %shealthz", url, url)
    Application().run()
