"""The query UI's page: the editor, the release's example queries, the prefixes.

``/sparql`` (``defkg.web.sparql``) renders ``query.html`` for a browser; the context processor
here gives that template ``query_ui()``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, current_app, request

from defkg import formats
from defkg.errors import DefkgError
from defkg.web.downloads import current_release, current_settings

blueprint = Blueprint("query_ui", __name__)


#: Terms of the ontology and the other vocabularies the data uses, for the editor's completion.
TERMS_QUERY = """SELECT DISTINCT ?t (SAMPLE(?l) AS ?label) WHERE {
  GRAPH ?g { ?t a ?type }
  VALUES ?type {
    <http://www.w3.org/2002/07/owl#Class> <http://www.w3.org/2000/01/rdf-schema#Class>
    <http://www.w3.org/2002/07/owl#ObjectProperty> <http://www.w3.org/2002/07/owl#DatatypeProperty>
    <http://www.w3.org/2002/07/owl#AnnotationProperty> <http://www.w3.org/1999/02/22-rdf-syntax-ns#Property>
    <http://www.w3.org/2002/07/owl#NamedIndividual>
  }
  FILTER(isIRI(?t))
  OPTIONAL { GRAPH ?gl { ?t <http://www.w3.org/2000/01/rdf-schema#label> ?l }
             FILTER(LANG(?l) IN ("en", "")) }
} GROUP BY ?t ORDER BY ?t LIMIT 5000"""


def dataset_terms() -> list[tuple[str, str]]:
    """``(IRI, label)`` of every class, property and named individual the store declares,
    once per release (the query UI's completion list; entities come from the search index)."""
    published = current_app.extensions["defkg"]
    key = published.release_tag() or ""
    cache: dict = current_app.extensions.setdefault("defkg.terms", {})
    if key not in cache:
        try:
            rows = published.store.select(TERMS_QUERY)
        except DefkgError:
            return []  # the editor still works; it completes prefixes only
        cache.clear()
        cache[key] = [
            (str(r["t"]), str(r["label"]) if "label" in r else "") for r in rows if "t" in r
        ]
    return cache[key]


@blueprint.app_context_processor
def query_ui_context() -> dict[str, Any]:
    """Gives every template ``query_ui()``: the prefixes and examples of the query editor."""

    def query_ui() -> dict[str, Any]:
        settings = current_settings()
        return {
            "prefixes": settings.iris.prefixes(),
            "examples": [asdict(e) for e in current_release().examples()],
            "formats": formats.menus(),  # the download menus, from the format registry
            "initial": request.args.get("edit", ""),
            "terms": dataset_terms(),
        }

    return {"query_ui": query_ui}
