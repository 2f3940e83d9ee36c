"""Search: ``/search?q=…`` (a page) and ``/search.json?q=…`` (the same hits as JSON).

The hits come from the release's index, read by :mod:`defkg.store.search` (which says how a
query is matched and ranked); this module only turns requests into pages and JSON.
"""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from defkg.release import SEARCH_FILE
from defkg.store.search import PAGE_SIZE, SearchResult, SearchUnavailable, search
from defkg.web.downloads import current_release, current_settings
from defkg.web.pages.errors import error_page

blueprint = Blueprint("search", __name__)


def _int_arg(name: str, default: int) -> int:
    try:
        return int(request.args.get(name, default))
    except ValueError:
        return default


def _result() -> SearchResult:
    settings = current_settings()
    return search(
        current_release().path(SEARCH_FILE),
        request.args.get("q", ""),
        settings.iris,
        limit=_int_arg("limit", PAGE_SIZE),
        offset=_int_arg("offset", 0),
    )


@blueprint.get("/search")
def search_page() -> ResponseReturnValue:
    """The search page: the box, and the hits with their kind, source and sentence."""
    query = request.args.get("q", "")
    try:
        result = _result()
    except SearchUnavailable as error:
        return error_page(503, "Search unavailable", str(error))
    body = render_template("search.html", result=result, query=query)
    return Response(body, mimetype="text/html")


@blueprint.get("/search.json")
def search_json() -> ResponseReturnValue:
    """The hits as JSON: ``{"query", "match", "total", "offset", "limit", "hits": […]}``."""
    try:
        result = _result()
    except SearchUnavailable as error:
        return error_page(503, "Search unavailable", str(error), ext="txt")
    answer = asdict(result)
    for hit in answer["hits"]:
        del hit["marked"]
    return jsonify(answer)
