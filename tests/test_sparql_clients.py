"""Real SPARQL client libraries against a running `defkg serve`: SPARQLWrapper and rdflib."""

from __future__ import annotations

import urllib.parse

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from conftest import FIXTURE_FILLER, ServerProcess, http_fetch

BASE = "https://w3id.org/defkg/"
PREFIXES = (
    f"PREFIX defkg: <{BASE}ontology/> PREFIX kg: <{BASE}id/>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
)


def wrapper(server: ServerProcess, query: str, fmt: str) -> SPARQLWrapper:
    client = SPARQLWrapper(server.url + "sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    return client


def test_sparqlwrapper_select_json_get_and_post(sparql_server: ServerProcess) -> None:
    query = PREFIXES + "SELECT ?s WHERE { ?s defkg:index ?i }"
    client = wrapper(sparql_server, query, JSON)
    rows = client.query().convert()["results"]["bindings"]
    assert len(rows) == FIXTURE_FILLER
    client.setMethod(POST)
    assert len(client.query().convert()["results"]["bindings"]) == FIXTURE_FILLER


def test_sparqlwrapper_select_xml_and_csv(sparql_server: ServerProcess) -> None:
    query = (
        PREFIXES
        + "SELECT ?label WHERE { kg:lebanon <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
    )
    document = wrapper(sparql_server, query, XML).query().convert()
    literals = document.getElementsByTagName("literal")
    assert [node.firstChild.data for node in literals] == ["Lebanon"]
    csv_text = wrapper(sparql_server, query, CSV).query().convert().decode()
    assert csv_text.splitlines() == ["label", "Lebanon"]


def test_sparqlwrapper_ask_and_construct(sparql_server: ServerProcess) -> None:
    answer = wrapper(sparql_server, PREFIXES + "ASK { kg:lebanon a defkg:Country }", JSON)
    assert answer.query().convert()["boolean"] is True
    construct = PREFIXES + "CONSTRUCT WHERE { kg:lebanon ?p ?o }"
    graph = wrapper(sparql_server, construct, TURTLE).query().convert()
    parsed = Graph().parse(data=graph, format="turtle")
    assert (URIRef(BASE + "id/lebanon"), None, Literal("Lebanon", lang="en")) in parsed


def test_sparqlwrapper_sees_a_syntax_error_as_bad_query(sparql_server: ServerProcess) -> None:
    with pytest.raises(QueryBadFormed):
        wrapper(sparql_server, "SELECT * WHERE { ?s ?p }", JSON).query()


def test_rdflib_sparqlstore_queries_the_endpoint(sparql_server: ServerProcess) -> None:
    store = SPARQLStore(sparql_server.url + "sparql", returnFormat="xml")
    graph = Graph(store=store)
    rows = list(graph.query(PREFIXES + "SELECT ?c WHERE { ?c a defkg:Country } ORDER BY ?c"))
    assert [row.c for row in rows] == [URIRef(BASE + "id/kazakhstan"), URIRef(BASE + "id/lebanon")]
    assert (URIRef(BASE + "id/lebanon"), None, None) in graph
    store.close()


#: every return format SPARQLWrapper has for a graph result, and the syntax rdflib reads it in
GRAPH_RETURN_FORMATS = [
    ("turtle", "turtle"),
    ("n3", "turtle"),  # N3 is served as Turtle, which is N3
    ("rdf+xml", "xml"),
    ("rdf", "xml"),
    ("xml", "xml"),
    ("json-ld", "json-ld"),
]


@pytest.mark.parametrize(("return_format", "syntax"), GRAPH_RETURN_FORMATS)
def test_sparqlwrapper_every_graph_return_format(
    sparql_server: ServerProcess, return_format: str, syntax: str
) -> None:
    """SPARQLWrapper sends format=json-ld, rdf+xml, n3 … (and output=, results=)."""
    construct = PREFIXES + "CONSTRUCT WHERE { kg:lebanon ?p ?o }"
    client = wrapper(sparql_server, construct, return_format)
    answer = client.query()
    raw = answer.response.read()
    parsed = Graph().parse(data=raw, format=syntax)
    assert (URIRef(BASE + "id/lebanon"), None, Literal("Lebanon", lang="en")) in parsed


@pytest.mark.parametrize("return_format", ["json", "xml", "csv", "tsv"])
def test_sparqlwrapper_every_results_return_format(
    sparql_server: ServerProcess, return_format: str
) -> None:
    query = PREFIXES + "SELECT ?label WHERE { kg:lebanon rdfs:label ?label }"
    answer = wrapper(sparql_server, query, return_format).query()
    assert answer.response.status == 200
    assert "Lebanon" in answer.response.read().decode()


@pytest.mark.parametrize(
    ("legacy", "standard", "form"),
    [
        ("application/x-turtle", "text/turtle", "CONSTRUCT"),
        ("application/turtle", "text/turtle", "CONSTRUCT"),
        ("text/n3", "text/turtle", "CONSTRUCT"),
        ("text/rdf+n3", "text/turtle", "CONSTRUCT"),
        ("application/x-json+ld", "application/ld+json", "CONSTRUCT"),
        ("text/xml", "application/rdf+xml", "CONSTRUCT"),
        ("text/xml", "application/sparql-results+xml", "SELECT"),
    ],
)
def test_legacy_media_types_get_the_standard_one(
    sparql_server: ServerProcess, legacy: str, standard: str, form: str
) -> None:
    query = (
        PREFIXES + "CONSTRUCT WHERE { kg:lebanon ?p ?o }"
        if form == "CONSTRUCT"
        else PREFIXES + "SELECT ?label WHERE { kg:lebanon rdfs:label ?label }"
    )
    url = sparql_server.url + "sparql?" + urllib.parse.urlencode({"query": query})
    answer = http_fetch("GET", url, headers={"Accept": legacy})
    assert answer.status == 200, answer.text
    assert (answer.header("content-type") or "").startswith(standard)


@pytest.mark.parametrize("path", ["sparql", "sparql/inferred"])
def test_relative_iris_resolve_against_the_endpoint(
    sparql_server: ServerProcess, path: str
) -> None:
    """As Fuseki and Oxigraph do: `<a>` in a query is the endpoint's IRI resolved with `a`."""
    endpoint = sparql_server.url + path
    client = SPARQLWrapper(endpoint)
    client.setQuery("SELECT * WHERE { <a> <b> ?c }")
    client.setReturnFormat(JSON)
    assert client.query().convert()["results"]["bindings"] == []
    client.setQuery("SELECT ?x WHERE { BIND(<a> AS ?x) }")
    rows = client.query().convert()["results"]["bindings"]
    assert [row["x"]["value"] for row in rows] == [urllib.parse.urljoin(endpoint, "a")]
    # a BASE of the query's own still wins
    client.setQuery("BASE <http://example.org/> SELECT ?x WHERE { BIND(<a> AS ?x) }")
    rows = client.query().convert()["results"]["bindings"]
    assert [row["x"]["value"] for row in rows] == ["http://example.org/a"]
