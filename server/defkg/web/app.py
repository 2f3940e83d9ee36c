"""``create_app(settings)``: the one place where the Flask app is assembled and configured.

Besides registering the blueprints it installs what every response needs: an error handler
that turns anything into a short plain-text message (never a stack trace), an access log line
per request (method, path, status, total and query time), and CORS on reads.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from defkg.config import Settings, settings_from_env

access_log = logging.getLogger("defkg.access")
log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app for one release (``settings.dist``) and one store (``settings.store``)."""
    settings = settings or settings_from_env()
    app = Flask(__name__)
    app.config["DEFKG_SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes

    from defkg.web.publication import Publication

    app.extensions["defkg"] = Publication(settings)

    from defkg.web import downloads, health, resources, sparql

    for module in (health, sparql, downloads, resources):
        app.register_blueprint(module.blueprint)

    _install_cross_cutting(app, settings)
    return app


def plain_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error response: the status and a one-paragraph plain-text message."""
    response = Response(message.rstrip() + "\n", status=status, mimetype="text/plain")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _install_cross_cutting(app: Flask, settings: Settings) -> None:
    @app.before_request
    def start_clock() -> None:
        g.defkg_started = time.perf_counter()

    @app.errorhandler(Exception)
    def any_error(error: Exception) -> Response:
        if isinstance(error, RequestEntityTooLarge):
            return plain_error(
                413,
                f"the request is larger than the limit of {settings.max_request_bytes:,} bytes",
            )
        if isinstance(error, HTTPException):
            response = plain_error(error.code or 500, f"{error.name}: {error.description}")
            if error.code == 405 and error.valid_methods:
                response.headers["Allow"] = ", ".join(error.valid_methods)
            return response
        log.exception("unhandled error answering %s %s", request.method, request.path)
        return plain_error(500, "internal error: the request could not be answered")

    @app.after_request
    def cors_and_log(response: Response) -> Response:
        if request.method in ("GET", "HEAD", "POST", "OPTIONS"):
            response.headers.setdefault("Access-Control-Allow-Origin", "*")
        started = g.get("defkg_started")
        total_ms = (time.perf_counter() - started) * 1000 if started else 0.0
        query_ms = g.get("defkg_query_ms")
        target = request.full_path.rstrip("?") if request.query_string else request.path
        if len(target) > 1000:  # a long GET query would otherwise flood the log
            target = target[:1000] + "…"
        access_log.info(
            '%s "%s %s" %s %.1fms%s',
            request.remote_addr or "-",
            request.method,
            target,
            response.status_code,
            total_ms,
            f" query={query_ms:.1f}ms" if query_ms is not None else "",
        )
        return response
