"""The release's self-description: VoID and DCAT for ``void.ttl``, computed from its contents.

Everything here comes from the inputs (the graphs, the files written, the settings), never from
the clock, so that the same inputs describe themselves the same way byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeGuard

from rdflib import DCTERMS, FOAF, OWL, RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.term import Node

from defkg import __version__, formats
from defkg.config import Settings
from defkg.iris import DCAT, SCHEMA, SD, VOID, WD
from defkg.release import DUMPS

FOAF_PAGE = FOAF.homepage
IANA = "https://www.iana.org/assignments/media-types/"
CC0 = URIRef("http://creativecommons.org/publicdomain/zero/1.0/")
WIKIDATA = URIRef("https://www.wikidata.org/")

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


@dataclass(frozen=True)
class Summary:
    """What VoID says of one graph, kept as sets so that summaries of graphs can be united.

    Terms are in their N-Triples form. ``links`` are the ``owl:sameAs`` links to Wikidata;
    ``dates`` the publication and modification dates stated; ``articles`` the source documents
    and ``linked`` the subjects with a Wikidata link (candidates for example resources).
    """

    triples: int
    subjects: frozenset[str]
    objects: frozenset[str]
    classes: frozenset[str]
    properties: frozenset[str]
    entities: frozenset[str]  #: subject IRIs in the dataset's URI space
    vocabularies: frozenset[str]  #: namespaces of known vocabularies the data uses
    links: frozenset[tuple[str, str]]
    dates: tuple[Literal, ...]
    articles: frozenset[URIRef]
    linked: frozenset[URIRef]

    def stats(self) -> GraphStats:
        """The counts VoID states."""
        return GraphStats(
            self.triples,
            len(self.entities),
            len(self.classes),
            len(self.properties),
            len(self.subjects),
            len(self.objects),
        )


_DATE_PREDICATES = (DCTERMS.modified, DCTERMS.issued, SCHEMA.datePublished)


def summarise(triples: Iterable[tuple[Node, Node, Node]], settings: Settings) -> Summary:
    """The :class:`Summary` of one graph's triples."""
    count = 0
    subjects: set[Node] = set()
    objects: set[Node] = set()
    classes: set[Node] = set()
    properties: set[Node] = set()
    links: set[tuple[str, str]] = set()
    dates: list[Literal] = []
    articles: set[URIRef] = set()
    for s, p, o in triples:
        count += 1
        subjects.add(s)
        objects.add(o)
        properties.add(p)
        if p == RDF.type:
            classes.add(o)
            if o == SCHEMA.NewsArticle and isinstance(s, URIRef):
                articles.add(s)
        elif p == OWL.sameAs and isinstance(o, URIRef) and str(o).startswith(str(WD)):
            links.add((s.n3(), o.n3()))
        elif p in _DATE_PREDICATES and _is_date(o):
            dates.append(o)
    linked = {URIRef(s[1:-1]) for s, _o in links if s.startswith("<")}
    entities = {s for s in subjects if isinstance(s, URIRef) and settings.iris.is_minted(s)}
    return Summary(
        triples=count,
        subjects=frozenset(t.n3() for t in subjects),
        objects=frozenset(t.n3() for t in objects),
        classes=frozenset(t.n3() for t in classes),
        properties=frozenset(t.n3() for t in properties),
        entities=frozenset(t.n3() for t in entities),
        vocabularies=frozenset(_vocabularies(properties, classes, settings)),
        links=frozenset(links),
        dates=tuple(sorted(dates, key=str)),
        articles=frozenset(articles),
        linked=frozenset(linked),
    )


def _is_date(term: Node) -> TypeGuard[Literal]:
    return isinstance(term, Literal) and term.datatype in (XSD.date, XSD.dateTime)


def unite(summaries: Iterable[Summary], triples: int) -> Summary:
    """The summary of a union of graphs that holds ``triples`` distinct triples."""
    parts = list(summaries)

    def union(field: str) -> frozenset:
        return frozenset().union(*(getattr(part, field) for part in parts))

    return Summary(
        triples=triples,
        subjects=union("subjects"),
        objects=union("objects"),
        classes=union("classes"),
        properties=union("properties"),
        entities=union("entities"),
        vocabularies=union("vocabularies"),
        links=union("links"),
        dates=tuple(sorted((d for part in parts for d in part.dates), key=str)),
        articles=union("articles"),
        linked=union("linked"),
    )


def prefixes(settings: Settings) -> dict[str, str]:
    """The prefixes of void.ttl: the dataset's own, then VoID's neighbours."""
    return {
        **settings.iris.prefixes(),
        "sd": str(SD),
        "foaf": "http://xmlns.com/foaf/0.1/",
    }


def public_root(settings: Settings) -> str:
    """The URL clients reach the server at, without the trailing slash."""
    return settings.site_url.rstrip("/")


def dataset_version(ontology: Graph, settings: Settings) -> str:
    """The release version: the ontology's owl:versionInfo, else defkg's own version."""
    info = ontology.value(settings.iris.ontology, OWL.versionInfo)
    return str(info) if info is not None else __version__


def input_dates(asserted: Summary) -> tuple[Literal | None, Literal | None]:
    """(issued, modified): the oldest and newest publication/modification dates in the inputs."""
    if not asserted.dates:
        return None, None
    return asserted.dates[0], asserted.dates[-1]


def example_resources(asserted: Summary, settings: Settings, limit: int = 3) -> list[URIRef]:
    """A few source documents and a few Wikidata-linked entities, chosen stably."""
    chosen = sorted(asserted.articles)[:limit] + sorted(asserted.linked)[:limit]
    return [r for r in chosen if settings.iris.is_minted(r)]


def describe(
    *,
    settings: Settings,
    graphs: dict[URIRef, Summary],
    everything: Summary,
    asserted: Summary,
    files: dict[str, int],
    version: str,
    ontology: Graph,
) -> Graph:
    """The VoID/DCAT graph of a release.

    ``graphs`` summarises every published named graph by name, ``everything`` their union and
    ``asserted`` the union of the asserted ones; ``files`` maps each released file name to its
    size in bytes.
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
    issued, modified = input_dates(asserted)
    if issued is not None:
        g.add((ds, DCTERMS.issued, issued))
    if modified is not None:
        g.add((ds, DCTERMS.modified, modified))
    g.add((ds, VOID.uriSpace, Literal(iris.base)))
    g.add((ds, VOID.sparqlEndpoint, URIRef(f"{root}/sparql")))
    g.add((ds, FOAF_PAGE, URIRef(f"{root}/")))
    g.add((ds, VOID.rootResource, iris.ontology))

    # the dataset is every named graph, shapes included: what the TriG and N-Quads dumps hold
    # and what /sparql answers over GRAPH ?g; each endpoint's default graph is a subset below
    _add_stats(g, ds, everything.stats())

    for name in sorted(n for n, summary in graphs.items() if summary.triples):
        subset = URIRef(f"{ds}#graph-{str(name).rsplit('/', 1)[-1]}")
        g.add((ds, VOID.subset, subset))
        g.add((subset, RDF.type, VOID.Dataset))
        g.add((subset, SD.name, name))
        g.add((subset, DCTERMS.title, Literal(f"named graph <{name}>")))
        _add_stats(g, subset, graphs[name].stats())

    # what each endpoint answers over: its default graph, counted
    # /sparql/inferred adds the inferences and what the build derived across reports, which
    # repeat no triple of the asserted view or of one another
    extra = (iris.inferred_graph, iris.graph("derived"))
    added = sum(graphs[name].triples for name in extra if name in graphs)
    endpoints = [
        ("sparql", "asserted", asserted.triples, "the asserted facts"),
        (
            "sparql/inferred",
            "inferred",
            asserted.triples + added,
            "the asserted facts, the OWL RL inferences and what defkg derived across reports",
        ),
    ]
    for path, slug, triples, what in endpoints:
        view = URIRef(f"{ds}#endpoint-{slug}")
        g.add((ds, VOID.subset, view))
        g.add((view, RDF.type, VOID.Dataset))
        g.add((view, DCTERMS.title, Literal(f"the default graph of /{path}: {what}", lang="en")))
        g.add((view, VOID.sparqlEndpoint, URIRef(f"{root}/{path}")))
        g.add((view, VOID.triples, Literal(triples)))

    linkset = URIRef(f"{ds}#wikidata-links")
    g.add((ds, VOID.subset, linkset))
    g.add((linkset, RDF.type, VOID.Linkset))
    g.add((linkset, VOID.linkPredicate, OWL.sameAs))
    g.add((linkset, VOID.subjectsTarget, ds))
    g.add((linkset, VOID.objectsTarget, WIKIDATA))
    g.add((linkset, VOID.triples, Literal(len(asserted.links))))
    g.add((WIKIDATA, RDF.type, VOID.Dataset))
    g.add((WIKIDATA, RDFS.label, Literal("Wikidata", lang="en")))
    g.add((WIKIDATA, VOID.uriSpace, Literal(str(WD))))
    g.add((WIKIDATA, VOID.sparqlEndpoint, URIRef("https://query.wikidata.org/sparql")))

    for example in example_resources(asserted, settings):
        g.add((ds, VOID.exampleResource, example))
    for vocabulary in sorted(everything.vocabularies):
        g.add((ds, VOID.vocabulary, URIRef(vocabulary)))

    for file_name, size in sorted(files.items()):
        url = URIRef(f"{root}/download/{file_name}")
        distribution = URIRef(f"{ds}#dist-{file_name}")
        g.add((ds, DCAT.distribution, distribution))
        g.add((distribution, RDF.type, DCAT.Distribution))
        g.add((distribution, DCTERMS.title, Literal(file_name)))
        g.add((distribution, DCAT.downloadURL, url))
        g.add((distribution, DCAT.accessURL, url))
        g.add((distribution, DCAT.byteSize, Literal(size, datatype=XSD.nonNegativeInteger)))
        compressed = file_name.endswith(".gz")
        media = formats.media_type_for_file(file_name.removesuffix(".gz"))
        g.add((distribution, DCAT.mediaType, URIRef(IANA + media)))
        if compressed:
            g.add((distribution, DCAT.compressFormat, URIRef(IANA + "application/gzip")))
        # a dump holds what it is the dump of: the dataset formats every named graph, the
        # graph formats the asserted view (the default graph of /sparql); the context and the
        # validation report are distributions, but no dump of the data
        dump = formats.for_file(file_name)
        if dump is not None and file_name.removesuffix(".gz") in DUMPS:
            holder = ds if dump.kind == "dataset" else URIRef(f"{ds}#endpoint-asserted")
            g.add((holder, VOID.dataDump, url))
    return g


def _add_stats(g: Graph, node: URIRef, stats: GraphStats) -> None:
    g.add((node, VOID.triples, Literal(stats.triples)))
    g.add((node, VOID.entities, Literal(stats.entities)))
    g.add((node, VOID.classes, Literal(stats.classes)))
    g.add((node, VOID.properties, Literal(stats.properties)))
    g.add((node, VOID.distinctSubjects, Literal(stats.distinct_subjects)))
    g.add((node, VOID.distinctObjects, Literal(stats.distinct_objects)))


def _vocabularies(properties: set[Node], classes: set[Node], settings: Settings) -> set[str]:
    """The known vocabularies whose properties or classes the data uses."""
    known = sorted(set(settings.iris.prefixes().values()), key=len, reverse=True)
    own = {str(settings.iris.resource), str(settings.iris.graphs), str(settings.iris.shapes)}
    used: set[str] = set()
    for term in properties | classes:
        namespace = next((ns for ns in known if str(term).startswith(ns)), None)
        if namespace is not None and namespace not in own and namespace != str(WD):
            used.add(namespace)
    return used
