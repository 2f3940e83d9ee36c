"""Self-description that is true where it is served: each endpoint's service description
counts what that endpoint answers over, and every IRI the dataset mints is described by its
own document. Compared against COUNT queries and the documents, over real HTTP."""

from __future__ import annotations

import gzip
import json
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Namespace, URIRef

from conftest import ServerProcess, http_fetch, start_server

VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
BASE = "https://w3id.org/defkg/"


@pytest.fixture(scope="module")
def server(
    built_release: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    running = start_server(built_release, tmp_path_factory.mktemp("self") / "serve.log")
    yield running
    running.stop()


def count(server: ServerProcess, path: str, query: str) -> int:
    url = server.url + path + "?" + urllib.parse.urlencode({"query": query})
    answer = http_fetch("GET", url, headers={"Accept": "application/sparql-results+json"})
    assert answer.status == 200, answer.text
    return int(json.loads(answer.text)["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize("path", ["sparql", "sparql/inferred"])
def test_each_service_description_counts_what_its_endpoint_answers_over(
    server: ServerProcess, path: str
) -> None:
    answer = http_fetch("GET", server.url + path, headers={"Accept": "text/turtle"})
    assert answer.status == 200
    description = Graph().parse(data=answer.text, format="turtle")
    said = [int(n) for n in description.objects(None, VOID.triples)]
    assert len(said) == 1, said
    assert said[0] == count(server, path, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")


def test_the_inferred_endpoint_answers_over_more(server: ServerProcess) -> None:
    asserted = count(server, "sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    inferred = count(server, "sparql/inferred", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert inferred > asserted


def minted(release: Path) -> list[URIRef]:
    """Every IRI of the release in the dataset's own namespace (fragments folded in)."""
    dataset = Dataset()
    dataset.parse(release / "defkg.trig", format="trig")
    dataset.parse(release / "void.ttl", format="turtle")
    found: set[URIRef] = set()
    for quad in dataset.quads((None, None, None, None)):
        for term in quad:
            if isinstance(term, URIRef) and str(term).startswith(BASE):
                found.add(term)
    return sorted(found)


def document(server: ServerProcess, iri: URIRef) -> tuple[int, Graph | None]:
    path = str(iri).split("#", 1)[0][len(BASE) :]
    answer = http_fetch("GET", server.url + path, headers={"Accept": "text/turtle"})
    if answer.status in (301, 302, 303, 307, 308):
        location = urllib.parse.urljoin(server.url + path, answer.header("location") or "")
        answer = http_fetch("GET", location, headers={"Accept": "text/turtle"})
    if answer.status != 200:
        return answer.status, None
    return 200, Graph().parse(data=answer.text, format="turtle")


def test_every_minted_iri_is_described_by_its_own_document(
    server: ServerProcess, built_release: Path
) -> None:
    iris = minted(built_release)
    assert len(iris) > 20
    with ThreadPoolExecutor(4) as pool:
        answers = dict(zip(iris, pool.map(lambda iri: document(server, iri), iris), strict=True))
    missing = {str(iri): status for iri, (status, graph) in answers.items() if graph is None}
    assert not missing, f"minted IRIs without a document: {missing}"
    undescribed = [
        str(iri)
        for iri, (_status, graph) in answers.items()
        if graph is not None and (iri, None, None) not in graph
    ]
    assert not undescribed, f"documents that do not describe their own IRI: {undescribed}"


def test_the_release_void_counts_each_endpoints_default_graph(
    server: ServerProcess, built_release: Path
) -> None:
    void = Graph().parse(built_release / "void.ttl", format="turtle")
    said = {
        str(endpoint).rsplit("/", 1)[-1]: int(void.value(view, VOID.triples))
        for view, endpoint in void.subject_objects(VOID.sparqlEndpoint)
        if "#endpoint-" in str(view)
    }
    assert set(said) == {"sparql", "inferred"}, said
    assert said["sparql"] == count(server, "sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert said["inferred"] == count(
        server, "sparql/inferred", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    )


DISTINCT_IN_NAMED_GRAPHS = (
    "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"
)


def served_void(server: ServerProcess) -> Graph:
    answer = http_fetch("GET", server.url + ".well-known/void", headers={"Accept": "text/turtle"})
    assert answer.status == 200
    return Graph().parse(data=answer.text, format="turtle")


def test_the_dataset_and_each_graph_count_what_the_endpoint_serves_of_them(
    server: ServerProcess,
) -> None:
    """The dataset is every named graph, shapes included: its count is what /sparql answers
    over GRAPH ?g, and each named graph's subset counts that graph there."""
    void = served_void(server)
    dataset = URIRef(BASE + "dataset")
    assert URIRef(server.url + "sparql") in set(void.objects(dataset, VOID.sparqlEndpoint))
    said = int(void.value(dataset, VOID.triples))
    assert said == count(server, "sparql", DISTINCT_IN_NAMED_GRAPHS)
    graphs = {
        str(name): int(void.value(subset, VOID.triples))
        for subset, name in void.subject_objects(SD.name)
        if (dataset, VOID.subset, subset) in void
    }
    assert BASE + "graph/shapes" in graphs and len(graphs) >= 5, graphs
    for name, triples in graphs.items():
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}"
        assert triples == count(server, "sparql", query), name


def _downloaded_triples(url: str) -> int:
    """The distinct triples of a dump downloaded from the server (quads' graphs set aside)."""
    answer = http_fetch("GET", url)
    assert answer.status == 200, url
    name = url.rsplit("/", 1)[-1]
    body = gzip.decompress(answer.body) if name.endswith(".gz") else answer.body
    extension = name.removesuffix(".gz").rsplit(".", 1)[-1]
    parser = {"trig": "trig", "nq": "nquads", "ttl": "turtle", "nt": "nt", "jsonld": "json-ld"}
    data = Dataset()
    data.parse(data=body, format=parser[extension])
    return len({(s, p, o) for s, p, o, _g in data.quads((None, None, None, None))})


def test_every_dump_holds_what_it_is_said_to_be_a_dump_of(server: ServerProcess) -> None:
    """A dataset's (or subset's) void:dataDump holds as many triples as its void:triples: the
    TriG and N-Quads dumps every named graph, the Turtle, N-Triples and JSON-LD dumps the
    asserted view that /sparql answers over."""
    void = served_void(server)
    holders = set(void.subjects(VOID.dataDump, None))
    assert URIRef(BASE + "dataset") in holders and len(holders) == 2, holders
    dumps = [(holder, str(dump)) for holder, dump in void.subject_objects(VOID.dataDump)]
    assert len(dumps) == 10, dumps  # five dumps and their .gz
    with ThreadPoolExecutor(2) as pool:
        found = list(pool.map(lambda item: _downloaded_triples(item[1]), dumps))
    for (holder, dump), triples in zip(dumps, found, strict=True):
        assert triples == int(void.value(holder, VOID.triples)), (str(holder), dump)
    asserted = next(h for h in holders if str(h).endswith("#endpoint-asserted"))
    assert int(void.value(asserted, VOID.triples)) == count(
        server, "sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    )
