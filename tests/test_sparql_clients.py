"""Real SPARQL client libraries against a running `defkg serve`: SPARQLWrapper and rdflib."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from conftest import FIXTURE_FILLER, ServerProcess

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
