"""``create_app(settings)``: the one place where the Flask app is assembled and configured.

Besides registering the blueprints it installs what every response needs, in one place
(:class:`EveryResponse`, the outermost WSGI layer, so that answers given before Flask runs get
it too): CORS on reads, ``Vary: Accept`` on the endpoint, the security headers (a
Content-Security-Policy without inline script on every HTML page, ``nosniff``, no framing, a
Referrer-Policy), the client's address (behind a trusted proxy, from X-Forwarded-For: see
:mod:`defkg.web.fairness`) and the access-log line (client, method, path, status, total and
query time). Flask's error handler turns anything into a short plain-text message, never a stack
trace.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from defkg.config import Settings, settings_from_env
from defkg.web.fairness import CLIENT_KEY, client_address, trusted_networks
from defkg.web.responses import QUERY_MS_KEY

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
    from defkg.web.pages import home, query_ui, search

    for module in (health, sparql, downloads, resources, home, query_ui, search):
        app.register_blueprint(module.blueprint)

    _install_error_handler(app, settings)
    # Outermost, after the blueprints have put their own layers in front of Flask.
    app.wsgi_app = EveryResponse(app.wsgi_app, settings)  # type: ignore[method-assign]
    return app


def _install_error_handler(app: Flask, settings: Settings) -> None:
    @app.errorhandler(Exception)
    def any_error(error: Exception) -> Response:
        # a browser gets the site's error page, anyone else the plain-text line
        from defkg.web.pages.errors import error_for_request

        if isinstance(error, RequestEntityTooLarge):
            return error_for_request(
                413,
                f"the request is larger than the limit of {settings.max_request_bytes:,} bytes",
            )
        if isinstance(error, HTTPException):
            response = error_for_request(
                error.code or 500, f"{error.name}: {error.description}", error.name
            )
            if isinstance(error, MethodNotAllowed) and error.valid_methods:
                response.headers["Allow"] = ", ".join(error.valid_methods)
            return response
        log.exception("unhandled error answering %s %s", request.method, request.path)
        return error_for_request(500, "internal error: the request could not be answered")


def content_security_policy(settings: Settings) -> str:
    """The policy of every HTML page: scripts, styles and fetches from this site only (no
    inline script, so markup that slips into a page cannot run), never framed, forms sent
    only here (the public URL's origin included, which the query form names)."""
    own = "'self'"
    if settings.public_url:
        parts = urlsplit(settings.public_url)
        if parts.scheme and parts.netloc:
            own += f" {parts.scheme}://{parts.netloc}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {own}; form-action {own}; frame-ancestors 'none'; base-uri 'none'; "
        "object-src 'none'"
    )


#: Paths whose every answer depends on Accept (results, description or query page).
VARY_ON_ACCEPT = frozenset(("/sparql", "/sparql/inferred"))
_CORS_METHODS = frozenset(("GET", "HEAD", "POST", "OPTIONS"))

StartResponse = Callable[..., Any]


class EveryResponse:
    """WSGI middleware: what every response gets, whoever answered it (Flask, or a layer in
    front of Flask such as the endpoint's repeated and plain queries).

    Headers already set by the answer are kept (a view may send its own CORS headers).
    """

    def __init__(self, wsgi_app: Callable[[dict, StartResponse], Iterable[bytes]], settings):
        self.wsgi_app = wsgi_app
        self.trusted_proxies = trusted_networks(settings.trusted_proxies)
        self.security = [
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ]
        self.html_security = [
            ("Content-Security-Policy", content_security_policy(settings)),
            ("X-Frame-Options", "DENY"),
        ]

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        environ[CLIENT_KEY] = client_address(
            environ.get("REMOTE_ADDR"), environ.get("HTTP_X_FORWARDED_FOR"), self.trusted_proxies
        )
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")

        def finish(status: str, headers: list[tuple[str, str]], exc_info=None):
            present = {name.lower() for name, _ in headers}
            if method in _CORS_METHODS and "access-control-allow-origin" not in present:
                headers.append(("Access-Control-Allow-Origin", "*"))
            if path in VARY_ON_ACCEPT:
                headers.append(("Vary", "Accept"))
            headers.extend(h for h in self.security if h[0].lower() not in present)
            content_type = next((v for n, v in headers if n.lower() == "content-type"), "")
            if content_type.startswith("text/html"):
                headers.extend(h for h in self.html_security if h[0].lower() not in present)
            log_access(environ, started, status)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, finish)


def log_access(environ: dict, started: float, status: str) -> None:
    """The one access-log line of a request: client, method, target, status, times."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    query_string = environ.get("QUERY_STRING", "")
    target = environ.get("PATH_INFO", "") + ("?" + query_string if query_string else "")
    if len(target) > 1000:  # a long GET query would otherwise flood the log
        target = target[:1000] + "…"
    query_ms = environ.get(QUERY_MS_KEY)
    access_log.info(
        '%s "%s %s" %s %.1fms%s',
        environ.get(CLIENT_KEY) or environ.get("REMOTE_ADDR") or "-",
        environ.get("REQUEST_METHOD", "GET"),
        target,
        status.split(" ", 1)[0],
        (time.perf_counter() - started) * 1000,
        f" query={query_ms:.1f}ms" if query_ms is not None else "",
    )
