"""The HTML pages, one module per page kind, each with its template and the SPARQL it needs.

- ``home``: the home page (``home.html``);
- ``resource``: an entity, fact, sentence anchor, source document or named graph
  (``resource.html``);
- ``ontology``: an ontology term and the ontology itself (``term.html``, ``ontology.html``);
- ``query_ui``: the query editor's page (``query.html``);
- ``errors``: every error a browser sees (``error.html``).

``values`` turns RDF terms into what a person reads, for all of them; ``common`` holds the
SPARQL pieces several kinds share. ``defkg.web.resources`` dereferences IRIs and calls
:func:`render_resource_page` for the HTML variant.
"""

from __future__ import annotations

import re

from rdflib import Graph, URIRef

from defkg.iris import IriScheme
from defkg.store import Store
from defkg.web.downloads import ReleaseInfo


def page_kind(scheme: IriScheme, iri: URIRef) -> str:
    """Which page an IRI gets: ``ontology``, ``term``, ``graph``, ``shape``, ``dataset`` or
    ``resource``."""
    text = str(iri)
    if iri == scheme.ontology:
        return "ontology"
    if text.startswith(str(scheme.vocab)) and not re.fullmatch(
        r"\d+(\.\d+)*", text.rsplit("/")[-1]
    ):
        return "term"
    if text.startswith(str(scheme.graphs)):
        return "graph"
    if text.startswith(str(scheme.shapes)):
        return "shape"
    if text.startswith(str(scheme.dataset)):
        return "dataset"
    return "resource"


def render_resource_page(
    store: Store,
    graph: Graph,
    iri: URIRef,
    scheme: IriScheme,
    release: ReleaseInfo | None = None,
) -> str:
    """The HTML page of a dereferenced IRI, by the kind of page it gets."""
    from defkg.web.pages import ontology, resource

    kind = page_kind(scheme, iri)
    if kind == "ontology":
        return ontology.render_ontology(store, graph, iri, scheme)
    if kind == "term":
        return ontology.render_term(store, graph, iri, scheme)
    return resource.render(store, graph, iri, scheme, kind, release)
