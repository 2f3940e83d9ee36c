"""The formats defkg reads and writes: one registry, looked up by name, media type or file name.

Like rdflib's plugin registry, this is the only table of formats, and it holds their
implementations: each :class:`Format` names its media types, the names clients send for it,
its document extension, its writers (pyoxigraph's for query answers, rdflib's for documents,
the text of an ASK answer) and its name in the W3C's format registry. The endpoint's content
negotiation and ``format=`` parameter, the resource documents and their routes, the downloads,
the release's VoID, the service description, ``defkg query --format`` and the query UI's menus
all ask here, so adding a format is one entry (and a test). The order of :data:`FORMATS` is the
server's order of preference within each kind.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pyoxigraph as ox
    from rdflib import Graph as RdfGraph  # (Format has a field named rdflib)

    #: A resource document's writer: (its graph, the release's JSON-LD context, the prefixes
    #: to bind) → the document's bytes; the same graph always gives the same bytes.
    DocumentWriter = Callable[[RdfGraph, Mapping[str, Any], Mapping[str, str]], bytes]

Kind = Literal["page", "graph", "dataset", "results", "text"]


def _ordered(
    graph: RdfGraph, prefixes: Mapping[str, str], *, walked_in_order: bool = False
) -> RdfGraph:
    """``graph``'s triples added in sorted order to a graph with ``prefixes`` bound: rdflib
    writes a graph in the order it was filled, so this makes its output stable.

    ``walked_in_order``: a graph that also hands out its subjects, predicates and objects in
    sorted order. rdflib's RDF/XML and JSON-LD writers walk a graph by them, and its memory
    store gives them in an order that changes with Python's hash seed, so that two web
    processes wrote the same document differently under the same ETag.
    """
    from rdflib import Graph

    ordered = _sorted_graph_class()() if walked_in_order else Graph()
    for prefix, namespace in prefixes.items():
        ordered.bind(prefix, namespace, replace=True)
    for triple in sorted(graph, key=lambda t: tuple(n.n3() for n in t)):
        ordered.add(triple)
    return ordered


@functools.cache
def _sorted_graph_class() -> type[RdfGraph]:
    """A Graph whose walks (subjects, predicates, objects, predicate_objects) are sorted."""
    from rdflib import Graph

    def by_n3(node: Any) -> str:
        return str(node.n3())

    class SortedGraph(Graph):
        def subjects(self, predicate=None, object=None, unique=False):  # type: ignore[no-untyped-def]
            return iter(sorted(set(super().subjects(predicate, object)), key=by_n3))

        def predicates(self, subject=None, object=None, unique=False):  # type: ignore[no-untyped-def]
            return iter(sorted(set(super().predicates(subject, object)), key=by_n3))

        def objects(self, subject=None, predicate=None, unique=False):  # type: ignore[no-untyped-def]
            return iter(sorted(set(super().objects(subject, predicate)), key=by_n3))

        def predicate_objects(self, subject=None, unique=False):  # type: ignore[no-untyped-def]
            pairs = set(super().predicate_objects(subject))
            return iter(sorted(pairs, key=lambda pair: (by_n3(pair[0]), by_n3(pair[1]))))

    return SortedGraph


def _ntriples_document(
    graph: RdfGraph, context: Mapping[str, Any], prefixes: Mapping[str, str]
) -> bytes:
    """N-Triples: one line per triple, sorted, each once."""
    lines = graph.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()
    return "".join(f"{line}\n" for line in sorted(set(lines)) if line.strip()).encode("utf-8")


def _rdflib_document(plugin: str) -> DocumentWriter:
    """The writer that serialises with rdflib's ``plugin``, prefixes bound, triples in order."""

    def write(graph: RdfGraph, context: Mapping[str, Any], prefixes: Mapping[str, str]) -> bytes:
        return _ordered(graph, prefixes).serialize(format=plugin).encode("utf-8")

    return write


def _rdfxml_document(
    graph: RdfGraph, context: Mapping[str, Any], prefixes: Mapping[str, str]
) -> bytes:
    """RDF/XML (rdflib's pretty writer) walked in sorted order, its namespace declarations
    sorted too (the writer gathers them in a set)."""
    text = _ordered(graph, prefixes, walked_in_order=True).serialize(format="pretty-xml")
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.startswith("  xmlns:")), None)
    if first is not None:
        last = first
        while last + 1 < len(lines) and lines[last + 1].startswith("  xmlns:"):
            last += 1
        lines[first : last + 1] = sorted(lines[first : last + 1])
    return "\n".join(lines).encode("utf-8")


def _jsonld_document(
    graph: RdfGraph, context: Mapping[str, Any], prefixes: Mapping[str, str]
) -> bytes:
    """JSON-LD compacted (pyld) with the release's context, inlined so that the document stands
    alone; its nodes ordered by their id and every set of values in a stable order."""
    from pyld import jsonld

    ordered = _ordered(graph, prefixes, walked_in_order=True)
    expanded = json.loads(ordered.serialize(format="json-ld"))
    compacted = jsonld.compact(expanded, dict(context))
    terms = context.get("@context", context)
    ids = ["@id", *(k for k, v in terms.items() if v == "@id")] if isinstance(terms, dict) else []
    nodes = compacted.get("@graph")
    if isinstance(nodes, list):
        nodes.sort(key=lambda n: next((str(n[k]) for k in ids if k in n), ""))
    return (json.dumps(_in_order(compacted), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _in_order(value: Any, key: str | None = None) -> Any:
    """A compacted JSON-LD value with every array of values sorted: they are sets in RDF. The
    context, the nodes of @graph (already ordered by id) and an @list keep their order."""
    if isinstance(value, dict):
        return {k: item if k == "@context" else _in_order(item, k) for k, item in value.items()}
    if isinstance(value, list):
        items = [_in_order(item) for item in value]
        if key in ("@list", "@graph"):
            return items
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False))
    return value


@dataclass(frozen=True)
class Format:
    """One format: its short name, media type and what it serialises."""

    key: str  #: short name: the document extension (``.ttl``) and the ``format=`` value
    media_type: str
    label: str
    kind: Kind  #: page, graph (triples), dataset (quads), results (SELECT/ASK), text
    rdflib: str | None = None  #: rdflib's serializer/parser plugin name
    aliases: tuple[str, ...] = ()  #: other ``format=`` values that select it
    #: generic or legacy media types a client may ask for instead; answered with media_type
    generic: tuple[str, ...] = ()
    #: the name a menu shows (default: ``label``)
    short_label: str = ""
    #: its name in http://www.w3.org/ns/formats/ (the service description's sd:resultFormat)
    w3c: str | None = None
    #: pyoxigraph's writer: a member of ``RdfFormat`` (graph, dataset) or of
    #: ``QueryResultsFormat`` (results)
    oxigraph: str | None = None
    #: results: the fewest bytes one more row adds (so that short bodies need no counting)
    min_row_bytes: int = 0
    #: results: an ASK answer, ``{word}`` standing for ``true`` or ``false``
    boolean: str | None = None
    #: graph: the writer of a resource's document in this format (``{iri}.{key}``)
    document: DocumentWriter | None = None

    @property
    def menu_label(self) -> str:
        return self.short_label or self.label

    def rdf_format(self) -> ox.RdfFormat:
        """pyoxigraph's writer of this graph or dataset format."""
        import pyoxigraph as ox

        if self.kind not in ("graph", "dataset") or self.oxigraph is None:
            raise ValueError(f"{self.key} is no RDF format")
        return getattr(ox.RdfFormat, self.oxigraph)  # type: ignore[no-any-return]

    def results_format(self) -> ox.QueryResultsFormat:
        """pyoxigraph's writer (and reader) of this SPARQL results format."""
        import pyoxigraph as ox

        if self.kind != "results" or self.oxigraph is None:
            raise ValueError(f"{self.key} is no SPARQL results format")
        return getattr(ox.QueryResultsFormat, self.oxigraph)  # type: ignore[no-any-return]

    def write_document(
        self, graph: RdfGraph, context: Mapping[str, Any], prefixes: Mapping[str, str]
    ) -> bytes:
        """A resource's document in this format (see :data:`DocumentWriter`)."""
        if self.document is None:
            raise ValueError(f"{self.key} writes no resource documents")
        return self.document(graph, context, prefixes)

    def ask_answer(self, value: bool) -> bytes:
        """An ASK answer in this results format."""
        if self.boolean is None:
            raise ValueError(f"{self.key} cannot write an ASK answer")
        return self.boolean.replace("{word}", "true" if value else "false").encode("utf-8")


# The names and media types clients send, besides ours (checked in their own code):
# - SPARQLWrapper's return formats (format=, output=, results=): json, xml, turtle, n3, rdf,
#   rdf+xml, json-ld, csv, tsv; its Accept lists add application/turtle, text/rdf+n3,
#   application/n3, text/n3 and application/x-json+ld;
# - rdflib's plugin names: turtle, ttl, n3, nt, nt11, ntriples, xml, pretty-xml, json-ld, trig,
#   nquads; Jena's short names: ttl, nt, rdf, jsonld, trig, nq;
# - legacy media types from before the formats were registered: application/x-turtle,
#   text/xml, text/x-nquads, application/x-trig. N3 is asked for as Turtle, a subset of it.
FORMATS: tuple[Format, ...] = (
    Format("html", "text/html", "HTML", "page"),
    Format(
        "ttl",
        "text/turtle",
        "Turtle",
        "graph",
        "turtle",
        ("turtle", "n3"),
        ("application/x-turtle", "application/turtle", "text/n3", "text/rdf+n3", "application/n3"),
        w3c="Turtle",
        oxigraph="TURTLE",
        document=_rdflib_document("turtle"),
    ),
    Format(
        "jsonld",
        "application/ld+json",
        "JSON-LD",
        "graph",
        "json-ld",
        ("json-ld", "json"),
        ("application/json", "application/x-json+ld"),
        w3c="JSON-LD",
        oxigraph="JSON_LD",
        document=_jsonld_document,
    ),
    Format(
        "nt",
        "application/n-triples",
        "N-Triples",
        "graph",
        "nt",
        ("ntriples", "n-triples", "nt11"),
        ("text/plain",),
        w3c="N-Triples",
        oxigraph="N_TRIPLES",
        document=_ntriples_document,
    ),
    Format(
        "rdf",
        "application/rdf+xml",
        "RDF/XML",
        "graph",
        "xml",
        ("xml", "rdfxml", "rdf+xml", "pretty-xml"),
        ("application/xml", "text/xml"),
        w3c="RDF_XML",
        oxigraph="RDF_XML",
        document=_rdfxml_document,
    ),
    Format(
        "trig",
        "application/trig",
        "TriG",
        "dataset",
        "trig",
        generic=("application/x-trig",),
        w3c="TriG",
        oxigraph="TRIG",
    ),
    Format(
        "nq",
        "application/n-quads",
        "N-Quads",
        "dataset",
        "nquads",
        ("nquads", "n-quads"),
        ("text/x-nquads",),
        w3c="N-Quads",
        oxigraph="N_QUADS",
    ),
    Format(
        "json",
        "application/sparql-results+json",
        "SPARQL results in JSON",
        "results",
        aliases=("srj",),
        generic=("application/json",),
        short_label="JSON",
        w3c="SPARQL_Results_JSON",
        oxigraph="JSON",
        min_row_bytes=2,  # ,{}
        boolean='{"head":{},"boolean":{word}}',
    ),
    Format(
        "xml",
        "application/sparql-results+xml",
        "SPARQL results in XML",
        "results",
        aliases=("srx",),
        generic=("application/xml", "text/xml"),
        short_label="XML",
        w3c="SPARQL_Results_XML",
        oxigraph="XML",
        min_row_bytes=17,  # <result></result>
        boolean=(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'
            "<head/>\n<boolean>{word}</boolean>\n</sparql>\n"
        ),
    ),
    # No standard CSV/TSV form for ASK; a one-cell table is what other engines send.
    Format(
        "csv",
        "text/csv",
        "CSV",
        "results",
        w3c="SPARQL_Results_CSV",
        oxigraph="CSV",
        min_row_bytes=2,  # \r\n
        boolean="_askResult\r\n{word}\r\n",
    ),
    Format(
        "tsv",
        "text/tab-separated-values",
        "TSV",
        "results",
        w3c="SPARQL_Results_TSV",
        oxigraph="TSV",
        min_row_bytes=1,  # \n
        boolean="?_askResult\n{word}\n",
    ),
)

#: Release files that are neither dumps nor results, by file name or extension.
_OTHER_FILES = {
    "SHA256SUMS": "text/plain",
    "search.sqlite": "application/vnd.sqlite3",
    ".txt": "text/plain",
    ".json": "application/json",
}


def of_kind(*kinds: Kind) -> list[Format]:
    """The formats of the given kinds, in the server's order of preference."""
    return [f for f in FORMATS if f.kind in kinds]


def document_extensions() -> tuple[str, ...]:
    """The extensions of a resource's document URLs (``{iri}.ttl``…): page and graph formats."""
    return tuple(f.key for f in of_kind("page", "graph"))


def query_output_names() -> tuple[str, ...]:
    """What ``defkg query --format`` takes: a plain table, a results format or a graph format."""
    return ("table", *(f.key for f in of_kind("results")), *(f.key for f in of_kind("graph")))


def menus() -> dict[str, list[tuple[str, str]]]:
    """The query UI's download menus, (``format=`` value, label): one for SELECT/ASK answers
    (``solutions``), one for CONSTRUCT/DESCRIBE answers (``graph``)."""
    return {
        "solutions": [(f.key, f.menu_label) for f in of_kind("results")],
        "graph": [(f.key, f.menu_label) for f in of_kind("graph")],
    }


def media_types(*kinds: Kind) -> list[str]:
    """The media types offered for the given kinds, in the server's order of preference."""
    return [f.media_type for f in of_kind(*kinds)]


def by_key(key: str, *kinds: Kind) -> Format | None:
    """The format whose short name (or ``format=`` alias) is ``key``, among ``kinds``."""
    candidates = of_kind(*kinds) if kinds else list(FORMATS)
    for f in candidates:
        if key == f.key:
            return f
    for f in candidates:
        if key in f.aliases or key == f.media_type or key in f.generic:
            return f
    return None


def by_media_type(media_type: str, *kinds: Kind) -> Format | None:
    """The format a (specific or generic) media type selects, among ``kinds``."""
    media_type = media_type.split(";", 1)[0].strip().lower()
    candidates = of_kind(*kinds) if kinds else list(FORMATS)
    exact = next((f for f in candidates if f.media_type == media_type), None)
    return exact or next((f for f in candidates if media_type in f.generic), None)


def offered(*kinds: Kind) -> list[str]:
    """What content negotiation offers for ``kinds``: the specific media types first, then the
    generic ones (``application/json``…) that stand for them."""
    specific = media_types(*kinds)
    generic = [g for f in of_kind(*kinds) for g in f.generic if g not in specific]
    return [*specific, *dict.fromkeys(generic)]


def for_file(name: str) -> Format | None:
    """The dump format of a release file name (``defkg.ttl``, ``defkg.nq.gz``), if any."""
    stem = name.removesuffix(".gz")
    extension = stem.rsplit(".", 1)[-1] if "." in stem else ""
    return by_key(extension, "graph", "dataset") if extension else None


def media_type_for_file(name: str) -> str:
    """The media type a release file is served with (``application/gzip`` for ``.gz``)."""
    if name.endswith(".gz"):
        return "application/gzip"
    dump = for_file(name)
    if dump is not None:
        return dump.media_type
    if name in _OTHER_FILES:
        return _OTHER_FILES[name]
    extension = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    results = by_key(extension.lstrip("."), "results")
    if results is not None and extension in (".csv", ".tsv"):
        return results.media_type
    return _OTHER_FILES.get(extension, "application/octet-stream")
