"""What every layer of the web app shares about an answer: the plain-text error and the key
under which a view leaves its query time for the access log.

Its own module so that the views (``defkg.web.sparql``) and the app factory (``defkg.web.app``)
both import it, and neither imports the other.
"""

from __future__ import annotations

from flask import Response

#: Where a view leaves the milliseconds its query spent in the query pool, for the access log.
QUERY_MS_KEY = "defkg.query_ms"


def plain_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error response: the status and a one-paragraph plain-text message."""
    response = Response(message.rstrip() + "\n", status=status, mimetype="text/plain")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
