"""Self-description that is true where it is served: each endpoint's service description
counts what that endpoint answers over, and every IRI the dataset mints is described by its
own document. Compared against COUNT queries and the documents, over real HTTP."""

from __future__ import annotations

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
