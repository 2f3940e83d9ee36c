"""``defkg serve``: the web app under gunicorn (never Flask's development server).

One gunicorn process with the ``gthread`` worker (``settings.threads`` threads) runs the app;
the query worker pool lives inside it. Before gunicorn starts, the release is built if it is
missing and the on-disk store is prepared, so that the web process only opens what exists.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from defkg.config import Settings

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


def release_present(settings: Settings) -> bool:
    """True when ``settings.dist`` holds a release the embedded store can load."""
    return (settings.dist / "SHA256SUMS").is_file() and (settings.dist / "defkg.trig").is_file()


def public_url(settings: Settings) -> str:
    """Where clients reach the server."""
    if settings.public_url:
        return settings.public_url.rstrip("/") + "/"
    return f"http://{settings.host}:{settings.port}/"


def prepare(settings: Settings) -> str:
    """Build the release if missing and prepare the store; return what is served, for the log."""
    if settings.store == "embedded":
        if not release_present(settings):
            from defkg.build import build

            log.info("no release in %s: building it from %s", settings.dist, settings.root)
            build(settings)
        from defkg.store.embedded import prepare_store

        path = prepare_store(settings.dist)
        return f"release {settings.dist.resolve()} (embedded store {path})"
    return f"remote store {settings.store}"


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    """The gunicorn settings: one process, gthread, our own access log instead of gunicorn's."""
    return {
        "bind": f"{settings.host}:{settings.port}",
        "workers": 1,
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
    log.info("serving %s", served)
    log.info("SPARQL endpoint at %ssparql (with inferences: %ssparql/inferred)", url, url)
    log.info("linked-data pages at %s, health at %shealthz", url, url)
    Application().run()
