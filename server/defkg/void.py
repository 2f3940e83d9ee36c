"""The release's self-description: VoID and DCAT for ``void.ttl``, computed from its contents.

Everything here comes from the inputs (the graphs, the files written, the settings), never from
the clock, so that the same inputs describe themselves the same way byte for byte.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from rdflib import DCTERMS, FOAF, OWL, RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.term import Node

from defkg import __version__, formats
from defkg.config import Settings
from defkg.iris import DCAT, SCHEMA, SD, VOID, WD

FOAF_PAGE = FOAF.homepage
IANA = "https://www.iana.org/assignments/media-types/"
CC0 = URIRef("http://creativecommons.org/publicdomain/zero/1.0/")
WIKIDATA = URIRef("https://www.wikidata.org/")

#: the JSON-LD context shipped in the release: a distribution, but not a dump of the data
CONTEXT_FILE = "context.jsonld"

DEFAULT_TITLE = "defkg: the activities of defence ministries, as reported, as linked data"
DEFAULT_DESCRIPTION = (
    "Facts reported in defence ministries' press releases (operations, peacekeeping, "
    "exercises, support measures, sporting results), each with its figures, qualifiers and the "
    "sentence of the source that states it, linked to Wikidata."
)


@dataclass(frozen=True)
class GraphStats:
    """The VoID counts of one graph (or of a union of graphs)."""

    triples: int
    entities: int
    classes: int
    properties: int
    distinct_subjects: int
    distinct_objects: int


def graph_stats(triples: Iterable[tuple[Node, Node, Node]], settings: Settings) -> GraphStats:
    """Counts: triples; entities (subject IRIs in the dataset's URI space); classes; properties."""
    count = 0
    subjects: set[Node] = set()
    objects: set[Node] = set()
    classes: set[Node] = set()
    properties: set[Node] = set()
    for s, p, o in triples:
        count += 1
        subjects.add(s)
        objects.add(o)
        properties.add(p)
        if p == RDF.type:
            classes.add(o)
    entities = sum(1 for s in subjects if isinstance(s, URIRef) and settings.iris.is_minted(s))
    return GraphStats(count, entities, len(classes), len(properties), len(subjects), len(objects))


def prefixes(settings: Settings) -> dict[str, str]:
    """The prefixes of void.ttl: the dataset's own, then VoID's neighbours."""
    return {
        **settings.iris.prefixes(),
        "sd": str(SD),
        "foaf": "http://xmlns.com/foaf/0.1/",
    }


def public_root(settings: Settings) -> str:
    """The URL clients reach the server at, without the trailing slash."""
    url = settings.public_url or f"http://{settings.host}:{settings.port}/"
    return url.rstrip("/")


def dataset_version(ontology: Graph, settings: Settings) -> str:
    """The release version: the ontology's owl:versionInfo, else defkg's own version."""
    info = ontology.value(settings.iris.ontology, OWL.versionInfo)
    return str(info) if info is not None else __version__


def input_dates(graphs: Iterable[Graph]) -> tuple[Literal | None, Literal | None]:
    """(issued, modified): the oldest and newest publication/modification dates in the inputs."""
    dates: list[Literal] = []
    for graph in graphs:
        for predicate in (DCTERMS.modified, DCTERMS.issued, SCHEMA.datePublished):
            for value in graph.objects(None, predicate):
                if isinstance(value, Literal) and value.datatype in (XSD.date, XSD.dateTime):
                    dates.append(value)
    if not dates:
        return None, None
    ordered = sorted(dates, key=lambda d: str(d))
    return ordered[0], ordered[-1]


def describe(
    *,
    settings: Settings,
    graphs: dict[URIRef, Collection[tuple[Node, Node, Node]]],
    asserted_names: list[URIRef],
    files: dict[str, int],
    examples: list[URIRef],
    dates: tuple[Literal | None, Literal | None],
    version: str,
    ontology: Graph,
) -> Graph:
    """The VoID/DCAT graph of a release.

    ``graphs`` holds every published named graph by name; ``files`` maps each released file name to
    its size in bytes.
    """
    iris = settings.iris
    root = public_root(settings)
    ds = iris.dataset
    release = iris.release(version)
    g = Graph()

    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, RDF.type, DCAT.Dataset))
    header = iris.ontology
    title = ontology.value(ds, DCTERMS.title) or Literal(DEFAULT_TITLE, lang="en")
    description = ontology.value(ds, DCTERMS.description) or Literal(DEFAULT_DESCRIPTION, lang="en")
    g.add((ds, DCTERMS.title, title))
    g.add((ds, RDFS.label, title))
    g.add((ds, DCTERMS.description, description))
    g.add((ds, DCTERMS.license, ontology.value(header, DCTERMS.license) or CC0))
    # DCAT wants an agent: the ontology's publisher if it names one, else one named after
    # its publisher or creator
    publisher = ontology.value(header, DCTERMS.publisher)
    if not isinstance(publisher, URIRef):
        name = publisher or ontology.value(header, DCTERMS.creator) or Literal("defkg developers")
        publisher = URIRef(f"{ds}#publisher")
        g.add((publisher, RDF.type, FOAF.Agent))
        g.add((publisher, FOAF.name, name))
    g.add((ds, DCTERMS.publisher, publisher))
    g.add((ds, OWL.versionInfo, Literal(version)))
    g.add((ds, DCAT.version, Literal(version)))
    g.add((ds, DCTERMS.hasVersion, release))
    g.add((release, DCTERMS.isVersionOf, ds))
    issued, modified = dates
    if issued is not None:
        g.add((ds, DCTERMS.issued, issued))
    if modified is not None:
        g.add((ds, DCTERMS.modified, modified))
    g.add((ds, VOID.uriSpace, Literal(iris.base)))
    g.add((ds, VOID.sparqlEndpoint, URIRef(f"{root}/sparql")))
    g.add((ds, FOAF_PAGE, URIRef(f"{root}/")))
    g.add((ds, VOID.rootResource, iris.ontology))

    everything = {t for graph in graphs.values() for t in graph}
    _add_stats(g, ds, graph_stats(everything, settings))

    for name in sorted(n for n, graph in graphs.items() if len(graph)):
        subset = URIRef(f"{ds}#graph-{str(name).rsplit('/', 1)[-1]}")
        g.add((ds, VOID.subset, subset))
        g.add((subset, RDF.type, VOID.Dataset))
        g.add((subset, SD.name, name))
        g.add((subset, DCTERMS.title, Literal(f"named graph <{name}>")))
        _add_stats(g, subset, graph_stats(graphs[name], settings))

    links = {
        (s, o)
        for name in asserted_names
        for s, p, o in graphs[name]
        if p == OWL.sameAs and isinstance(o, URIRef) and str(o).startswith(str(WD))
    }
    linkset = URIRef(f"{ds}#wikidata-links")
    g.add((ds, VOID.subset, linkset))
    g.add((linkset, RDF.type, VOID.Linkset))
    g.add((linkset, VOID.linkPredicate, OWL.sameAs))
    g.add((linkset, VOID.subjectsTarget, ds))
    g.add((linkset, VOID.objectsTarget, WIKIDATA))
    g.add((linkset, VOID.triples, Literal(len(links))))
    g.add((WIKIDATA, RDF.type, VOID.Dataset))
    g.add((WIKIDATA, RDFS.label, Literal("Wikidata", lang="en")))
    g.add((WIKIDATA, VOID.uriSpace, Literal(str(WD))))
    g.add((WIKIDATA, VOID.sparqlEndpoint, URIRef("https://query.wikidata.org/sparql")))

    for example in examples:
        g.add((ds, VOID.exampleResource, example))
    for vocabulary in vocabularies(everything, settings):
        g.add((ds, VOID.vocabulary, URIRef(vocabulary)))

    for name, size in sorted(files.items()):
        url = URIRef(f"{root}/download/{name}")
        distribution = URIRef(f"{ds}#dist-{name}")
        g.add((ds, DCAT.distribution, distribution))
        g.add((distribution, RDF.type, DCAT.Distribution))
        g.add((distribution, DCTERMS.title, Literal(name)))
        g.add((distribution, DCAT.downloadURL, url))
        g.add((distribution, DCAT.accessURL, url))
        g.add((distribution, DCAT.byteSize, Literal(size, datatype=XSD.nonNegativeInteger)))
        compressed = name.endswith(".gz")
        media = formats.media_type_for_file(name.removesuffix(".gz"))
        g.add((distribution, DCAT.mediaType, URIRef(IANA + media)))
        if compressed:
            g.add((distribution, DCAT.compressFormat, URIRef(IANA + "application/gzip")))
        if formats.for_file(name) is not None and name != CONTEXT_FILE:
            g.add((ds, VOID.dataDump, url))
    return g


def _add_stats(g: Graph, node: URIRef, stats: GraphStats) -> None:
    g.add((node, VOID.triples, Literal(stats.triples)))
    g.add((node, VOID.entities, Literal(stats.entities)))
    g.add((node, VOID.classes, Literal(stats.classes)))
    g.add((node, VOID.properties, Literal(stats.properties)))
    g.add((node, VOID.distinctSubjects, Literal(stats.distinct_subjects)))
    g.add((node, VOID.distinctObjects, Literal(stats.distinct_objects)))


def vocabularies(triples: Iterable[tuple[Node, Node, Node]], settings: Settings) -> list[str]:
    """The known vocabularies whose properties or classes the data uses, sorted."""
    known = sorted(set(settings.iris.prefixes().values()), key=len, reverse=True)
    own = {str(settings.iris.resource), str(settings.iris.graphs), str(settings.iris.shapes)}
    used: set[str] = set()
    for _s, p, o in triples:
        terms = (p, o) if p == RDF.type else (p,)
        for term in terms:
            namespace = next((ns for ns in known if str(term).startswith(ns)), None)
            if namespace is not None and namespace not in own and namespace != str(WD):
                used.add(namespace)
    return sorted(used)
