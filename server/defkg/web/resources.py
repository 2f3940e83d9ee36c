"""Blueprint: every minted IRI dereferences — HTML pages for people, RDF documents for machines.

``GET {iri}`` (``/id/…``, ``/ontology…``, ``/graph/…``, ``/shapes/…``, ``/dataset…``) chooses
a format by the ``Accept`` header (``defkg.web.negotiation``) and answers **303 See Other** to
the document URL ``{iri}.{ext}``; a document URL answers 200 in its fixed format. Both carry
``Link: rel="alternate"`` to every format, ``Vary: Accept``, ``Cache-Control``, and an ETag
and Last-Modified taken from the release, so conditional requests get 304. The HTML variant
is drawn by the page kinds of ``defkg.web.pages``. Also here: the VoID at
``/.well-known/void`` and the JSON-LD context at ``/context.jsonld``.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS
from rdflib.term import Node

from defkg import __version__, formats
from defkg.config import Settings
from defkg.errors import DefkgError
from defkg.iris import DOCUMENT_EXTENSIONS, SD, VOID, IriScheme
from defkg.release import Release
from defkg.store import Store
from defkg.web.downloads import ReleaseInfo, current_release, current_settings, release_info
from defkg.web.negotiation import choose, offered_list
from defkg.web.pages import render_resource_page
from defkg.web.pages.common import is_safe_iri, labels_query
from defkg.web.pages.errors import error_page, prefers_html
from defkg.web.pages.resource import describe, exists

blueprint = Blueprint("resources", __name__)

#: Media type of each document format, in the server's order of preference (HTML first: a
#: client that accepts anything is most often a browser or a person with curl).
MEDIA_TYPES: dict[str, str] = {f.key: f.media_type for f in formats.of_kind("page", "graph")}
assert tuple(MEDIA_TYPES) == DOCUMENT_EXTENSIONS

#: The top-level path segments under which the dataset mints IRIs.
MINTED_ROOTS = ("id", "ontology", "graph", "shapes", "dataset")

CACHE_CONTROL = "public, max-age=3600"


# --- plain functions -------------------------------------------------------------------------


def split_document_path(path: str) -> tuple[str, str | None]:
    """``/id/x.ttl`` → (``/id/x``, ``ttl``); ``/id/x`` → (``/id/x``, None).

    Slugs never contain dots, but versions do (``/dataset/0.1.0``): only a known extension
    after the last dot makes a document URL. A namespace IRI ending in ``/`` (``{base}ontology/``)
    has the document URLs ``/ontology/.ttl`` and so on, by the same rule.
    """
    stem, dot, ext = path.rpartition(".")
    if dot and ext in MEDIA_TYPES and stem:
        return stem, ext
    return path, None


def alternates(path: str) -> str:
    """The ``Link`` header value naming every document URL of the resource at ``path``."""
    links = [
        f'<{quote(path)}.{ext}>; rel="alternate"; type="{t}"' for ext, t in MEDIA_TYPES.items()
    ]
    return ", ".join(links)


def serialize(graph: Graph, ext: str, context: dict[str, Any], scheme: IriScheme) -> bytes:
    """``graph`` as the document format ``ext`` writes it (the format registry's writer); the
    same graph always gives the same bytes."""
    found = formats.by_key(ext, "graph")
    if found is None or found.key != ext:
        raise ValueError(f"no document format {ext!r}")
    return found.write_document(graph, context, scheme.prefixes())


@dataclass
class PageContext:
    """What a view needs: settings, store, release (through the app's Publication)."""

    settings: Settings
    store: Store
    release: ReleaseInfo | None

    @property
    def scheme(self) -> IriScheme:
        return self.settings.iris

    @property
    def published(self) -> Release:
        """The release directory itself (its files, its JSON-LD context)."""
        return current_release()

    def json_ld_context(self) -> dict[str, Any]:
        """The JSON-LD context the release ships (every JSON-LD document is compacted with it)."""
        return self.published.context(self.settings.iris.prefixes())


def page_context() -> PageContext:
    """The store and release the app serves (``app.extensions["defkg"]``)."""
    published = current_app.extensions["defkg"]
    return PageContext(current_settings(), published.store, release_info())


def void_description(void: Graph, iri: URIRef) -> Graph:
    """The VoID/DCAT triples about ``iri`` (with its blank nodes), from the release's VoID."""
    out = Graph()
    todo: list[Node] = [iri]
    seen: set[Node] = set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in void.predicate_objects(node):
            out.add((node, p, o))
            # blank nodes and the IRI's own hash resources (``dataset#dist-…``) are part of
            # its document: a client cannot ask for a fragment separately
            if isinstance(o, BNode) or str(o).startswith(f"{iri}#"):
                todo.append(o)
    for s, p in void.subject_predicates(iri):
        if isinstance(s, URIRef):
            out.add((s, p, iri))
            if p == SD.name:
                # the VoID subset that stands for a named graph: its statistics describe it,
                # and they are said of the graph's own IRI too (its document describes it)
                out += void.triples((s, None, None))
                out.add((iri, RDF.type, SD.Graph))
                for stat, value in void.predicate_objects(s):
                    if str(stat).startswith(str(VOID)) and isinstance(value, Literal):
                        out.add((iri, stat, value))
                title = void.value(s, DCTERMS.title)
                if title is not None:
                    out.add((iri, RDFS.label, title))
    return out


def self_description(graph: Graph, iri: URIRef, scheme: IriScheme) -> Graph:
    """What ``graph`` (a document of ``iri``) says of ``iri`` as its subject, where it only
    mentioned it as an object: every minted IRI's document describes that IRI itself."""
    out = Graph()
    if (iri, None, None) in graph:
        return out
    for subject in graph.subjects(OWL.versionIRI, iri):
        out.add((iri, DCTERMS.isVersionOf, subject))  # the ontology's version IRI
    if str(iri) == str(scheme.vocab):
        # the namespace of the ontology's terms: defined by the ontology
        out.add((iri, RDFS.isDefinedBy, scheme.ontology))
        out.add(
            (iri, RDFS.label, Literal("the namespace of the defkg ontology's terms", lang="en"))
        )
    return out


# --- responses ---------------------------------------------------------------------------------


def with_validators(response: Response, release: ReleaseInfo | None, variant: str) -> Response:
    """ETag and Last-Modified from the release, then 304 if the request's copy is current.

    Pages and documents are rendered by this code from the release, so the ETag names the
    defkg version too: an upgrade that changes a page must not be answered with 304.
    """
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.vary.add("Accept")
    if release is not None:
        response.set_etag(f"{release.tag}-{__version__}-{variant}")
        response.last_modified = release.modified
        response.make_conditional(request)
    return response


def wanted_ext(accept: str | None) -> str | None:
    """The document format a client's ``Accept`` prefers, or None (406). Generic types some
    clients ask for (``application/json``) are offered last and stand for their format."""
    chosen = choose(accept, formats.offered("page", "graph"))
    if chosen is None:
        return None
    found = formats.by_media_type(chosen, "page", "graph")
    return found.key if found is not None else None


def _exists(pub: PageContext, iri: URIRef) -> bool:
    void = pub.release.void if pub.release is not None else None
    if void is not None and ((iri, None, None) in void or (None, None, iri) in void):
        return True
    return exists(pub.store, iri, pub.scheme)


def dereference(path: str) -> ResponseReturnValue:
    """The view behind every minted IRI and every document URL."""
    pub = page_context()
    stem, ext = split_document_path(path)
    iri = pub.scheme.iri_for_path(stem)
    link = alternates(stem)
    if ext is None:
        wanted = wanted_ext(request.headers.get("Accept"))
        if wanted is None:
            response = error_page(
                406,
                "Not Acceptable",
                f"{iri} is available as {offered_list(MEDIA_TYPES.values())}.",
                ext="txt",
            )
            response.headers["Link"] = link
            return response
    try:
        found = is_safe_iri(str(iri)) and _exists(pub, iri)
    except DefkgError as error:
        return error_page(503, "Store unavailable", str(error), ext or "html")
    if not found:
        # the page for a browser; plain text for a machine, even one that accepts anything
        shown = ext or ("html" if prefers_html(request.headers.get("Accept")) else "txt")
        return error_page(404, "Not found", f"The dataset has nothing about {iri}.", shown)
    if ext is None:
        response = Response(status=303)
        response.headers["Location"] = quote(f"{stem}.{wanted}")
        response.headers["Link"] = link
        return with_validators(response, pub.release, f"see-{wanted}")
    try:
        body = render_document(pub, iri, ext)
    except DefkgError as error:
        return error_page(503, "Store unavailable", str(error), ext)
    mimetype = MEDIA_TYPES[ext]
    response = Response(body, mimetype=mimetype)
    if ext != "html":
        response.headers["Content-Type"] = f"{mimetype}; charset=utf-8"
    response.headers["Link"] = link + f', <{quote(str(iri), safe=":/#?=&")}>; rel="canonical"'
    response.headers["Content-Location"] = quote(f"{stem}.{ext}")
    return with_validators(response, pub.release, ext)


#: Descriptions kept per app (the five formats of one IRI are usually asked for together).
DESCRIPTION_CACHE_SIZE = 256
_cache_lock = threading.Lock()


def description_of(pub: PageContext, iri: URIRef) -> Graph:
    """The RDF of ``iri`` (see :func:`describe_uncached`), remembered for the release.

    The graph is shared between requests, so nothing may change it after it is made."""
    key = (pub.release.tag if pub.release else "", str(iri))
    cache: OrderedDict = current_app.extensions.setdefault("defkg.descriptions", OrderedDict())
    with _cache_lock:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    graph = describe_uncached(pub, iri)
    with _cache_lock:
        cache[key] = graph
        while len(cache) > DESCRIPTION_CACHE_SIZE:
            cache.popitem(last=False)
    return graph


def describe_uncached(pub: PageContext, iri: URIRef) -> Graph:
    """The RDF of ``iri``: from the store, plus what the release's VoID says about it."""
    graph = describe(pub.store, iri, pub.scheme)
    graph += self_description(graph, iri, pub.scheme)
    if pub.release is not None:
        extra = void_description(pub.release.void, iri)
        if len(extra):
            graph += extra
            mentioned = {n for t in extra for n in t if isinstance(n, URIRef)}
            graph += pub.store.construct(labels_query(mentioned, pub.scheme))
            for s, p, o in pub.release.void.triples((None, RDFS.label, None)):
                if s in mentioned:
                    graph.add((s, p, o))
    return graph


def render_document(pub: PageContext, iri: URIRef, ext: str) -> bytes | str:
    """The document of ``iri`` in format ``ext``."""
    graph = description_of(pub, iri)
    if ext != "html":
        return serialize(graph, ext, pub.json_ld_context(), pub.scheme)
    return render_resource_page(pub.store, graph, iri, pub.scheme, pub.release)


# --- views -----------------------------------------------------------------------------------


@blueprint.get("/ontology")
@blueprint.get("/dataset")
@blueprint.get(f"/ontology.<any({','.join(DOCUMENT_EXTENSIONS)}):ext>")
@blueprint.get(f"/dataset.<any({','.join(DOCUMENT_EXTENSIONS)}):ext>")
@blueprint.get("/<any(id,ontology,graph,shapes,dataset):root>/")
@blueprint.get("/<any(id,ontology,graph,shapes,dataset):root>/<path:rest>")
def resource(root: str | None = None, rest: str | None = None, ext: str | None = None) -> Any:
    """Any minted IRI or document URL (see :func:`dereference`)."""
    return dereference(request.path)


@blueprint.get("/.well-known/void")
def well_known_void() -> ResponseReturnValue:
    """The release's VoID, in the RDF format the client prefers (Turtle by default)."""
    pub = page_context()
    offered = [t for e, t in MEDIA_TYPES.items() if e != "html"]
    chosen = choose(request.headers.get("Accept"), offered)
    if chosen is None:
        return error_page(
            406, "Not Acceptable", f"VoID is available as {offered_list(offered)}.", "txt"
        )
    if pub.release is None:
        return error_page(404, "Not found", "No release has been published yet.", "txt")
    ext = next(e for e, t in MEDIA_TYPES.items() if t == chosen)
    void = served_void(pub.release.void, current_settings())
    body = serialize(void, ext, pub.json_ld_context(), pub.scheme)
    response = Response(body, mimetype=chosen)
    response.headers["Content-Type"] = f"{chosen}; charset=utf-8"
    return with_validators(response, pub.release, "void-" + ext)


def served_void(void: Graph, settings: Settings) -> Graph:
    """The release's VoID with its server URLs (endpoint, pages, dumps) under this server's
    ``site_url``: the build wrote the URL it was configured with, which need not be where the
    release is served now. The file in ``dist/`` (and its download) stays as built."""
    from defkg.iris import VOID

    endpoint = void.value(settings.iris.dataset, VOID.sparqlEndpoint)
    if endpoint is None or not str(endpoint).endswith("/sparql"):
        return void
    built = str(endpoint)[: -len("sparql")]
    served = settings.site_url
    if built == served:
        return void

    def moved(term: Any) -> Any:
        if isinstance(term, URIRef) and str(term).startswith(built):
            return URIRef(served + str(term)[len(built) :])
        return term

    graph = Graph()
    for prefix, namespace in void.namespaces():
        graph.bind(prefix, namespace, override=True)
    for s, p, o in void:
        graph.add((moved(s), p, moved(o)))
    return graph


@blueprint.get("/context.jsonld")
def context() -> ResponseReturnValue:
    """The JSON-LD context every JSON-LD document of the dataset is compacted with."""
    pub = page_context()
    body = json.dumps(pub.json_ld_context(), ensure_ascii=False, indent=2)
    body += "\n"
    response = Response(body, mimetype="application/ld+json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return with_validators(response, release_info(), "context")
