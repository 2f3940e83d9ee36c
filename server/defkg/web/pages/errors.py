"""Errors as pages: one design for every error a browser sees, on every path; plain text for
machines (a client that does not prefer HTML: curl, a SPARQL client, a crawler asking for RDF).
"""

from __future__ import annotations

from flask import Response, render_template, request

from defkg.web.negotiation import choose

#: What each status says in the page's heading when the caller gives no title.
TITLES = {
    400: "Bad request",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Request too large",
    414: "Address too long",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def error_page(status: int, title: str, message: str, ext: str = "html") -> Response:
    """An error as HTML for a page request, plain text otherwise; never a stack trace."""
    if ext == "html":
        body = render_template(
            "error.html", status=status, title=title, message=message, path=request.path
        )
        response = Response(body, status=status, mimetype="text/html")
    else:
        response = Response(f"{status} {title}: {message}\n", status=status, mimetype="text/plain")
    response.vary.add("Accept")
    return response


def prefers_html(accept: str | None) -> bool:
    """True when a client's ``Accept`` prefers HTML to plain text: a browser does
    (``text/html,…,*/*;q=0.8``); ``*/*`` alone, or none, means a machine, which gets text."""
    return choose(accept, ["text/plain", "text/html"]) == "text/html"


def error_for_request(status: int, message: str, title: str | None = None) -> Response:
    """The error page for a browser, the plain-text line for anyone else."""
    heading = title or TITLES.get(status, "Error")
    if prefers_html(request.headers.get("Accept")):
        # "Not Found: The requested URL…" reads as "The requested URL…" under its heading
        return error_page(status, heading, message.removeprefix(f"{heading}: "))
    response = Response(message.rstrip() + "\n", status=status, mimetype="text/plain")
    response.vary.add("Accept")
    return response
