"""The IRI scheme: namespaces, graph names, and the mapping between request paths and IRIs.

Every IRI defkg mints starts with one configurable base (see docs/architecture.md). The web
layer serves canonical IRIs at whatever host it runs on by swapping the base for its own root;
the two functions at the bottom do that swap and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from rdflib import Namespace, URIRef

from defkg import formats

DEFAULT_BASE = "https://w3id.org/defkg/"

WD = Namespace("http://www.wikidata.org/entity/")
OA = Namespace("http://www.w3.org/ns/oa#")
SCHEMA = Namespace("https://schema.org/")
QUDT = Namespace("http://qudt.org/schema/qudt/")
UNIT = Namespace("http://qudt.org/vocab/unit/")
ORG = Namespace("http://www.w3.org/ns/org#")
TIME = Namespace("http://www.w3.org/2006/time#")
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

#: The document formats every IRI can be fetched in, by file extension of its document URL.
DOCUMENT_EXTENSIONS = formats.document_extensions()


class Curies:
    """IRI → CURIE by the one rule every part of defkg uses: the longest namespace of a prefix
    table that the IRI starts with gives ``prefix:local``; ``accept`` may refuse a local part
    (the Turtle writer takes only what Turtle can parse), and the next longer-matching
    namespace is tried. The Turtle writer, the validator's findings, the pages and
    ``defkg query``'s table all ask here."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self._longest_first = sorted(prefixes.items(), key=lambda item: len(item[1]), reverse=True)

    def __call__(self, iri: str, accept: Callable[[str], object] | None = None) -> str | None:
        """``prefix:local`` for ``iri``, or None where no namespace (or no accepted local
        part) fits."""
        for prefix, namespace in self._longest_first:
            if iri.startswith(namespace):
                local = iri[len(namespace) :]
                if accept is None or accept(local):
                    return f"{prefix}:{local}"
        return None


@dataclass(frozen=True)
class IriScheme:
    """The namespaces derived from one base IRI."""

    base: str = DEFAULT_BASE

    def __post_init__(self) -> None:
        if not self.base.endswith("/"):
            raise ValueError(f"the base IRI must end with '/': {self.base!r}")

    @property
    def ontology(self) -> URIRef:
        return URIRef(self.base + "ontology")

    @property
    def vocab(self) -> Namespace:
        """Ontology terms: ``{base}ontology/{Term}`` (prefix ``defkg:``)."""
        return Namespace(self.base + "ontology/")

    @property
    def resource(self) -> Namespace:
        """Entities, facts, sources and their sentence anchors: ``{base}id/…`` (prefix ``kg:``)."""
        return Namespace(self.base + "id/")

    @property
    def graphs(self) -> Namespace:
        return Namespace(self.base + "graph/")

    @property
    def shapes(self) -> Namespace:
        return Namespace(self.base + "shapes/")

    @property
    def dataset(self) -> URIRef:
        return URIRef(self.base + "dataset")

    def release(self, version: str) -> URIRef:
        return URIRef(f"{self.base}dataset/{version}")

    def graph(self, name: str) -> URIRef:
        return URIRef(self.graphs[name])

    @property
    def ontology_graph(self) -> URIRef:
        return self.graph("ontology")

    @property
    def inferred_graph(self) -> URIRef:
        return self.graph("inferred")

    @property
    def shapes_graph(self) -> URIRef:
        return self.graph("shapes")

    def curie(self, iri: str) -> str | None:
        """``iri`` as a CURIE of :meth:`prefixes` (see :class:`Curies`), or None."""
        return _curies_of(self.base)(iri)

    def prefixes(self) -> dict[str, str]:
        """The prefixes used in dumps, pages and the query editor, in a stable order."""
        return {
            "defkg": str(self.vocab),
            "kg": str(self.resource),
            "graph": str(self.graphs),
            "dksh": str(self.shapes),
            "wd": str(WD),
            "oa": str(OA),
            "prov": "http://www.w3.org/ns/prov#",
            "schema": str(SCHEMA),
            "qudt": str(QUDT),
            "unit": str(UNIT),
            "org": str(ORG),
            "time": str(TIME),
            "skos": "http://www.w3.org/2004/02/skos/core#",
            "owl": "http://www.w3.org/2002/07/owl#",
            "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
            "dcterms": "http://purl.org/dc/terms/",
            "sh": "http://www.w3.org/ns/shacl#",
            "void": str(VOID),
            "dcat": str(DCAT),
        }

    def is_minted(self, iri: str) -> bool:
        """True when ``iri`` is in the space this dataset mints (``void:uriSpace``)."""
        return iri.startswith(self.base)

    def iri_for_path(self, path: str) -> URIRef:
        """Map a request path (``/id/kazakhstan``) to the canonical IRI it names."""
        return URIRef(self.base + path.lstrip("/"))

    def path_for_iri(self, iri: str) -> str | None:
        """Map a minted IRI to its request path on this server, or None for a foreign IRI."""
        if not self.is_minted(iri):
            return None
        return "/" + iri[len(self.base) :]


@lru_cache(maxsize=8)
def _curies_of(base: str) -> Curies:
    """The CURIEs of one base's prefix table, made once (pages ask for many)."""
    return Curies(IriScheme(base).prefixes())
