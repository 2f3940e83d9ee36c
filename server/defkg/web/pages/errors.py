"""Errors as pages: one design for every error a browser sees, plain text for machines."""

from __future__ import annotations

from flask import Response, render_template


def error_page(status: int, title: str, message: str, ext: str = "html") -> Response:
    """An error as HTML for a page request, plain text otherwise; never a stack trace."""
    if ext == "html":
        body = render_template("error.html", status=status, title=title, message=message)
        response = Response(body, status=status, mimetype="text/html")
    else:
        response = Response(f"{status} {title}: {message}\n", status=status, mimetype="text/plain")
    response.vary.add("Accept")
    return response
