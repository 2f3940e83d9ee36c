"""Search: ``/search?q=…`` (a page) and ``/search.json?q=…`` (the same hits as JSON).

Answers from the release's ``search.sqlite`` (written by ``defkg.pipeline.render.search``),
opened read-only per request. A query is tried in three steps, each only when the one before
found nothing, and the answer says which one matched:

1. ``all words``: every word of the query, each as a prefix ("kamal" finds Kamaletdinov);
2. ``any word``: at least one of them;
3. ``similar spelling``: names sharing three-letter pieces with a word ("Kamaletdinow").

Hits are ranked with BM25, names weighing ten times the sentences and descriptions, after
the hits whose label is the query, then those whose label holds it, shortest label first (the
region "Zhambyl Region" before "the snow rescue in the Zhambyl Region").
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path

from flask import Blueprint, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from defkg.iris import IriScheme
from defkg.pipeline.render.search import FORMAT_VERSION, SEARCH_FILE
from defkg.web.downloads import current_release, current_settings
from defkg.web.pages.errors import error_page

blueprint = Blueprint("search", __name__)

#: Hits per page, and the most a client may ask for at once.
PAGE_SIZE = 20
MAX_LIMIT = 100
#: Longer queries are cut (a search box, not a document).
MAX_QUERY_CHARS = 200

_WORD = re.compile(r"\w+", re.UNICODE)

_HITS_SQL = """
SELECT entry.iri, entry.label, entry.kind, entry.source, entry.source_iri, entry.snippet
FROM {table} JOIN entry ON entry.id = {table}.rowid
WHERE {table} MATCH ?2
ORDER BY lower(entry.label) = lower(?1) DESC,
  CASE WHEN entry.label LIKE '%' || ?1 || '%' THEN length(entry.label) ELSE 1e9 END,
  bm25({table}{weights}), entry.iri
LIMIT ?3 OFFSET ?4
"""
_COUNT_SQL = "SELECT count(*) FROM {table} WHERE {table} MATCH ?"


class SearchUnavailable(Exception):
    """The release has no (readable) search index."""


@dataclass
class Hit:
    """One search hit as the page and the JSON show it."""

    iri: str
    page: str  #: where the hit's page is on this server
    label: str
    kind: str
    source: str
    source_iri: str
    source_page: str
    snippet: str
    marked: list[tuple[str, bool]] = field(default_factory=list)  #: snippet, words marked


@dataclass
class SearchResult:
    query: str
    match: str  #: "all words", "any word", "similar spelling" or "" (nothing found)
    total: int
    offset: int
    limit: int
    hits: list[Hit]


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def match_steps(query: str) -> list[tuple[str, str, str]]:
    """``(name, table, FTS5 expression)`` for each step of a query, in order."""
    words = _WORD.findall(query.lower())[:12]
    if not words:
        return []
    prefixed = [_quoted(w) + "*" for w in words]
    steps = [("all words", "words", " AND ".join(prefixed))]
    if len(words) > 1:
        steps.append(("any word", "words", " OR ".join(prefixed)))
    grams = sorted({w[i : i + 3] for w in words if len(w) >= 3 for i in range(len(w) - 2)})
    if grams:
        steps.append(("similar spelling", "grams", " OR ".join(_quoted(g) for g in grams)))
    return steps


def marked_snippet(snippet: str, query: str) -> list[tuple[str, bool]]:
    """The snippet in ``(text, marked)`` pieces, the words starting with a query word marked."""
    words = sorted(set(_WORD.findall(query.lower())), key=len, reverse=True)
    if not words:
        return [(snippet, False)]
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\w*", re.I)
    pieces, cursor = [], 0
    for found in pattern.finditer(snippet):
        if found.start() > cursor:
            pieces.append((snippet[cursor : found.start()], False))
        pieces.append((found.group(0), True))
        cursor = found.end()
    if cursor < len(snippet):
        pieces.append((snippet[cursor:], False))
    return pieces


def open_index(path: Path) -> sqlite3.Connection:
    """The release's index, read-only; :class:`SearchUnavailable` when it is missing or old."""
    if not path.is_file():
        raise SearchUnavailable(f"this release has no search index ({SEARCH_FILE})")
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        row = connection.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
    except sqlite3.Error as error:
        raise SearchUnavailable(f"the search index cannot be read: {error}") from None
    if row is None or row[0] != FORMAT_VERSION:
        connection.close()
        raise SearchUnavailable("the search index was written by another defkg version")
    return connection


def search(
    path: Path, query: str, scheme: IriScheme, *, limit: int = PAGE_SIZE, offset: int = 0
) -> SearchResult:
    """The hits for ``query`` in the index at ``path`` (see the module's docstring)."""
    query = query.strip()[:MAX_QUERY_CHARS]
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    connection = open_index(path)
    try:
        for name, table, expression in match_steps(query):
            weights = ", 10.0, 1.0" if table == "words" else ""
            total = connection.execute(_COUNT_SQL.format(table=table), (expression,)).fetchone()[0]
            if not total:
                continue
            rows = connection.execute(
                _HITS_SQL.format(table=table, weights=weights), (query, expression, limit, offset)
            ).fetchall()
            hits = [
                Hit(
                    iri=iri,
                    page=scheme.path_for_iri(iri) or iri,
                    label=label,
                    kind=kind,
                    source=source,
                    source_iri=source_iri,
                    source_page=(scheme.path_for_iri(source_iri) or source_iri)
                    if source_iri
                    else "",
                    snippet=snippet,
                    marked=marked_snippet(snippet, query),
                )
                for iri, label, kind, source, source_iri, snippet in rows
            ]
            return SearchResult(query, name, total, offset, limit, hits)
    except sqlite3.Error as error:
        raise SearchUnavailable(f"the search index cannot be read: {error}") from None
    finally:
        connection.close()
    return SearchResult(query, "", 0, offset, limit, [])


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
