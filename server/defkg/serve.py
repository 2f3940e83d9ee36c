"""``defkg serve``: the web app under gunicorn (never Flask's development server).

``settings.web_processes`` gunicorn processes (one by default) with the ``gthread`` worker
(``settings.threads`` threads each) run the app; each has its own query worker pool. Several
web processes share one admission limit (:class:`~defkg.store.executor.SharedAdmission`, on an
unlinked file opened here before gunicorn forks them). Before gunicorn starts, the release is
built if it is missing and the on-disk store is prepared, so that the web processes only open
what exists.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from typing import Any

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


def public_url(settings: Settings) -> str:
    """Where clients reach the server."""
    if settings.public_url:
        return settings.public_url.rstrip("/") + "/"
    return f"http://{settings.host}:{settings.port}/"


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


def web_processes(settings: Settings) -> int:
    """How many gunicorn processes answer HTTP: ``settings.web_processes`` for the embedded
    store; one for a remote store, whose query runner admits queries per process."""
    if settings.store != "embedded":
        return 1
    return max(1, settings.web_processes)


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    """The gunicorn settings: gthread, our own access log instead of gunicorn's."""
    return {
        "bind": f"{settings.host}:{settings.port}",
        "workers": web_processes(settings),
        "worker_class": "gthread",
        "threads": settings.threads,
        # The web process only waits on query workers, so its heartbeat never stalls for long;
        # still, leave room beyond the longest query.
        "timeout": int(max(settings.query_timeout, settings.service_timeout) + 30),
        "graceful_timeout": 5,
        "keepalive": 5,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "preload_app": False,
        "proc_name": "defkg",
        "worker_exit": _worker_exit,
    }


def _worker_exit(server: Any, worker: Any) -> None:
    """Stop the query workers, then leave without interpreter finalisation.

    Tearing down pyoxigraph's RocksDB handles during finalisation occasionally crashed the
    web process at shutdown (SIGSEGV in gunicorn's log); nothing is left to flush by then.
    """
    app = getattr(worker, "wsgi", None)
    publication = getattr(app, "extensions", {}).get("defkg")
    executor = publication.__dict__.get("executor") if publication is not None else None
    if executor is not None:
        executor.close()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def serve(settings: Settings) -> None:
    """Prepare the release and run the app under gunicorn until interrupted."""
    from gunicorn.app.base import BaseApplication

    configure_logging()
    served = prepare(settings)
    processes = web_processes(settings)
    if settings.store != "embedded" and settings.web_processes > 1:
        log.info("a remote store is served by one web process (web_processes is ignored)")
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
            from defkg.web import create_app

            try:
                app = create_app(settings)
                publication = app.extensions["defkg"]
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

    url = public_url(settings)
    log.info("serving %s with %d web process(es)", served, processes)
    log.info("SPARQL endpoint at %ssparql (with inferences: %ssparql/inferred)", url, url)
    log.info("linked-data pages at %s, health at %shealthz", url, url)
    Application().run()
