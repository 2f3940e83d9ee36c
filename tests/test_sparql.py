"""The SPARQL 1.1 Protocol endpoint, over real HTTP against a running `defkg serve`.

The server runs on the fixture release (known graphs, FIXTURE_FILLER filler triples, a literal
with quotes, a newline and a tab) with the default limits.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.parse
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS

from conftest import FIXTURE_FILLER, PROJECT_ROOT, ServerProcess, http_fetch

BASE = "https://w3id.org/defkg/"
PREFIXES = f"PREFIX defkg: <{BASE}ontology/> PREFIX kg: <{BASE}id/> PREFIX graph: <{BASE}graph/>\n"
FILLER = PREFIXES + "SELECT ?s ?i WHERE { ?s defkg:index ?i } ORDER BY ?i"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SD = "http://www.w3.org/ns/sparql-service-description#"


def get(server: ServerProcess, path: str = "sparql", accept: str | None = None, **params):
    query = urllib.parse.urlencode(params, doseq=True)
    headers = {"Accept": accept} if accept else {}
    return http_fetch("GET", server.url + path + ("?" + query if query else ""), headers=headers)


def post_form(server: ServerProcess, path: str = "sparql", accept: str | None = None, **params):
    headers = dict(FORM, **({"Accept": accept} if accept else {}))
    data = urllib.parse.urlencode(params, doseq=True).encode()
    return http_fetch("POST", server.url + path, headers=headers, data=data)


def json_rows(answer) -> list[dict]:
    assert answer.status == 200, answer.text
    return json.loads(answer.body)["results"]["bindings"]


def ask(server: ServerProcess, query: str, path: str = "sparql") -> bool:
    answer = get(server, path, accept="application/sparql-results+json", query=PREFIXES + query)
    assert answer.status == 200, answer.text
    return json.loads(answer.body)["boolean"]


# --- the three ways to send a query ----------------------------------------------------------


def test_get_post_form_and_post_direct_give_the_same_answer(sparql_server: ServerProcess) -> None:
    by_get = json_rows(get(sparql_server, query=FILLER))
    by_form = json_rows(post_form(sparql_server, query=FILLER))
    direct = http_fetch(
        "POST",
        sparql_server.url + "sparql",
        headers={"Content-Type": "application/sparql-query; charset=utf-8"},
        data=FILLER.encode(),
    )
    assert len(by_get) == FIXTURE_FILLER
    assert by_get == by_form == json_rows(direct)
    assert by_get[0]["i"] == {
        "type": "literal",
        "value": "1",
        "datatype": "http://www.w3.org/2001/XMLSchema#integer",
    }


@pytest.mark.parametrize(
    ("path", "query", "accept", "status"),
    [
        ("sparql", FILLER, "application/sparql-results+json", 200),
        ("sparql/inferred", FILLER, "text/csv", 200),
        ("sparql", "SELECT * WHERE { ?s ?p }", None, 400),
        ("sparql", "ASK {}", "image/png", 406),
        ("sparql", "SELECT * WHERE { SERVICE <http://example.org/q> { ?s ?p ?o } }", None, 403),
        ("sparql", "SELECT * WHERE { ?s ?p ?o } LIMIT 1", None, 200),
    ],
)
def test_a_get_is_answered_as_a_post_is(
    sparql_server: ServerProcess, path: str, query: str, accept: str | None, status: int
) -> None:
    # A GET with ?query= is answered before Flask runs; a POST goes through the Flask view.
    by_get = get(sparql_server, path, accept=accept, query=query)
    by_post = post_form(sparql_server, path, accept=accept, query=query)
    assert by_get.status == by_post.status == status, by_get.text
    assert by_get.body == by_post.body
    for name in ("Content-Type", "Vary", "Access-Control-Allow-Origin", "ETag"):
        assert by_get.header(name) == by_post.header(name), name
    assert (by_get.header("X-Defkg-Cache") is None) == (by_post.header("X-Defkg-Cache") is None)
    line = f'"GET /{path}?{urllib.parse.urlencode({"query": query})}" {status} '
    assert line in sparql_server.log_once_written(line)


def test_ask_answers_true_and_false(sparql_server: ServerProcess) -> None:
    assert ask(sparql_server, "ASK { kg:kazakhstan a defkg:Country }") is True
    assert ask(sparql_server, "ASK { kg:kazakhstan a defkg:Mission }") is False


# --- the dataset -----------------------------------------------------------------------------


def test_default_graph_is_sources_entities_ontology_without_inferences_or_shapes(
    sparql_server: ServerProcess,
) -> None:
    assert ask(sparql_server, "ASK { kg:lebanon a defkg:Country }")  # entities
    assert ask(sparql_server, "ASK { defkg:Country a ?class }")  # ontology
    assert ask(sparql_server, "ASK { kg:item-1 defkg:index 1 }")  # the source
    assert not ask(sparql_server, "ASK { kg:kazakhstan a defkg:Place }")  # inferred
    assert not ask(sparql_server, "ASK { ?shape a <http://www.w3.org/ns/shacl#NodeShape> }")
    # …but every graph can be named.
    assert ask(sparql_server, "ASK { GRAPH graph:inferred { kg:kazakhstan a defkg:Place } }")
    assert ask(sparql_server, "ASK { GRAPH graph:shapes { ?s ?p ?o } }")


def test_inferred_endpoint_adds_the_inferences_to_the_default_graph(
    sparql_server: ServerProcess,
) -> None:
    assert ask(sparql_server, "ASK { kg:kazakhstan a defkg:Place }", path="sparql/inferred")
    assert ask(sparql_server, "ASK { kg:item-1 defkg:index 1 }", path="sparql/inferred")
    assert not ask(
        sparql_server, "ASK { ?s a <http://www.w3.org/ns/shacl#NodeShape> }", "sparql/inferred"
    )


def test_default_graph_uri_and_named_graph_uri_override_the_dataset(
    sparql_server: ServerProcess,
) -> None:
    query = "SELECT DISTINCT ?s WHERE { ?s ?p ?o }"
    rows = json_rows(
        get(sparql_server, query=query, **{"default-graph-uri": BASE + "graph/entities"})
    )
    assert {r["s"]["value"] for r in rows} == {BASE + "id/kazakhstan", BASE + "id/lebanon"}
    named = json_rows(
        get(
            sparql_server,
            query="SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
            **{"named-graph-uri": [BASE + "graph/shapes", BASE + "graph/ontology"]},
        )
    )
    assert {r["g"]["value"] for r in named} == {BASE + "graph/shapes", BASE + "graph/ontology"}


def test_from_names_a_graph_of_the_dataset(sparql_server: ServerProcess) -> None:
    query = f"SELECT DISTINCT ?s FROM <{BASE}graph/inferred> WHERE {{ ?s ?p ?o }}"
    rows = json_rows(get(sparql_server, query=query))
    assert {r["s"]["value"] for r in rows} == {BASE + "id/kazakhstan", BASE + "id/lebanon"}


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"default-graph-uri": "http://example.org/elsewhere"}, "http://example.org/elsewhere"),
        ({"named-graph-uri": "file:///etc/passwd"}, "file:///etc/passwd"),
        ({"query": "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }"}, "file:///etc/passwd"),
        (
            {"query": "PREFIX x: <file:///etc/> SELECT * FROM NAMED x:passwd WHERE { ?s ?p ?o }"},
            "file:///etc/passwd",
        ),
    ],
)
def test_graphs_outside_the_dataset_are_refused_by_name(
    sparql_server: ServerProcess, params: dict[str, str], named: str
) -> None:
    params = {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1", **params}
    answer = get(sparql_server, **params)
    assert answer.status == 400
    assert f"unknown graph <{named}>" in answer.text
    assert "Traceback" not in answer.text


# --- result formats and content negotiation -----------------------------------------------


def _solutions(body: bytes, fmt: ox.QueryResultsFormat) -> list[tuple]:
    parsed = ox.parse_query_results(body, format=fmt)
    names = [v.value for v in parsed.variables]
    return sorted(tuple(str(row[n]) for n in names) for row in parsed)


@pytest.mark.parametrize(
    ("accept", "media_type", "fmt"),
    [
        (
            "application/sparql-results+json",
            "application/sparql-results+json",
            ox.QueryResultsFormat.JSON,
        ),
        (
            "application/sparql-results+xml",
            "application/sparql-results+xml",
            ox.QueryResultsFormat.XML,
        ),
        ("text/tab-separated-values", "text/tab-separated-values", ox.QueryResultsFormat.TSV),
        ("application/json", "application/sparql-results+json", ox.QueryResultsFormat.JSON),
    ],
)
def test_select_formats_round_trip_every_kind_of_term(
    sparql_server: ServerProcess, accept: str, media_type: str, fmt: ox.QueryResultsFormat
) -> None:
    query = (
        PREFIXES
        + "SELECT ?s ?p ?o WHERE { { kg:unifil-deployment ?p ?o } UNION "
        + "{ kg:kazakhstan ?p ?o } BIND(1 AS ?s) }"
    )
    reference = get(sparql_server, accept="application/sparql-results+json", query=query)
    answer = get(sparql_server, accept=accept, query=query)
    assert answer.status == 200, answer.text
    assert answer.header("Content-Type").startswith(media_type)
    assert "Accept" in answer.header("Vary")
    rows = _solutions(answer.body, fmt)
    assert rows == _solutions(reference.body, ox.QueryResultsFormat.JSON)
    assert any("multi-line\\nvalue\\twith" in cell for row in rows for cell in row)
    assert any('"Қазақстан"@kk' in row for row in rows)


def test_csv_gives_bare_values_and_keeps_multi_line_literals(sparql_server: ServerProcess) -> None:
    query = PREFIXES + "SELECT ?p ?o WHERE { kg:unifil-deployment ?p ?o } ORDER BY ?p"
    answer = get(sparql_server, accept="text/csv", query=query)
    assert answer.status == 200
    assert answer.header("Content-Type").startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text, newline="")))
    assert rows[0] == ["p", "o"]
    values = {row[0]: row[1] for row in rows[1:]}
    assert values[f"{BASE}ontology/place"] == f"{BASE}id/lebanon"
    assert values[f"{BASE}ontology/numericValue"] == "139"
    assert values["http://www.w3.org/2000/01/rdf-schema#comment"] == (
        'a "quoted", multi-line\nvalue\twith a tab'
    )


def test_xml_results_are_valid_sparql_xml(sparql_server: ServerProcess) -> None:
    answer = get(sparql_server, accept="application/sparql-results+xml", query=FILLER + " LIMIT 2")
    root = ET.fromstring(answer.body)
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    assert [v.get("name") for v in root.findall("r:head/r:variable", ns)] == ["s", "i"]
    assert len(root.findall("r:results/r:result", ns)) == 2


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_construct_formats_give_the_same_graph(
    sparql_server: ServerProcess, accept: str, rdflib_format: str
) -> None:
    query = (
        PREFIXES
        + "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o "
        + "FILTER(!STRSTARTS(STR(?s), STR(kg:item-))) }"
    )
    reference = Graph().parse(
        data=get(sparql_server, accept="application/n-triples", query=query).body, format="nt"
    )
    answer = get(sparql_server, accept=accept, query=query)
    assert answer.status == 200, answer.text
    assert answer.header("Content-Type").startswith(accept)
    graph = Graph().parse(data=answer.body, format=rdflib_format)
    assert len(graph) == len(reference) > 5
    assert isomorphic(graph, reference)
    assert (URIRef(BASE + "id/kazakhstan"), RDF.type, URIRef(BASE + "ontology/Country")) in graph


def test_describe_answers_with_the_resource(sparql_server: ServerProcess) -> None:
    answer = get(sparql_server, accept="text/turtle", query=PREFIXES + "DESCRIBE kg:lebanon")
    graph = Graph().parse(data=answer.body, format="turtle")
    assert (URIRef(BASE + "id/lebanon"), None, Literal("Lebanon", lang="en")) in graph


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
        ("application/sparql-results+xml;q=0.2, text/csv", "text/csv"),
        ("text/*", "text/csv"),
        ("*/*", "application/sparql-results+json"),
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "application/sparql-results+xml",
        ),
    ],
)
def test_accept_q_values_are_honoured(
    sparql_server: ServerProcess, accept: str, expected: str
) -> None:
    answer = get(sparql_server, accept=accept, query=FILLER + " LIMIT 1")
    assert answer.status == 200
    assert answer.header("Content-Type").split(";")[0] == expected


@pytest.mark.parametrize(
    ("fmt", "kind", "expected"),
    [
        ("csv", "SELECT", "text/csv"),
        ("tsv", "SELECT", "text/tab-separated-values"),
        ("xml", "SELECT", "application/sparql-results+xml"),
        ("json", "SELECT", "application/sparql-results+json"),
        ("ttl", "CONSTRUCT", "text/turtle"),
        ("jsonld", "CONSTRUCT", "application/ld+json"),
        ("nt", "CONSTRUCT", "application/n-triples"),
        ("rdf", "CONSTRUCT", "application/rdf+xml"),
        ("json", "CONSTRUCT", "application/ld+json"),
    ],
)
def test_format_parameter_overrides_accept(
    sparql_server: ServerProcess, fmt: str, kind: str, expected: str
) -> None:
    query = FILLER + " LIMIT 2" if kind == "SELECT" else "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 2"
    answer = get(
        sparql_server,
        accept="application/sparql-results+json, text/turtle",
        query=query,
        format=fmt,
    )
    assert answer.status == 200, answer.text
    assert answer.header("Content-Type").split(";")[0] == expected


def test_unknown_format_parameter_is_400(sparql_server: ServerProcess) -> None:
    answer = get(sparql_server, query=FILLER, format="yaml")
    assert answer.status == 400
    assert "format='yaml'" in answer.text and "csv" in answer.text


@pytest.mark.parametrize(
    ("query", "accept", "listed"),
    [
        (
            FILLER,
            "image/png",
            "application/sparql-results+json, application/sparql-results+xml, text/csv, "
            "text/tab-separated-values",
        ),
        (
            "CONSTRUCT WHERE { ?s ?p ?o }",
            "application/sparql-results+json",
            "text/turtle, application/ld+json, application/n-triples, application/rdf+xml",
        ),
        (FILLER, "text/turtle", "text/csv"),
    ],
)
def test_406_lists_the_offered_types(
    sparql_server: ServerProcess, query: str, accept: str, listed: str
) -> None:
    answer = get(sparql_server, accept=accept, query=query)
    assert answer.status == 406
    assert listed in answer.text


# --- errors ------------------------------------------------------------------------------------


def test_syntax_error_is_400_with_the_parsers_position(sparql_server: ServerProcess) -> None:
    answer = get(sparql_server, query="SELECT * WHERE {\n  ?s ?p \n}")
    assert answer.status == 400
    assert "syntax error" in answer.text
    assert "at 3:" in answer.text  # line 3: where the object is missing
    assert "Traceback" not in answer.text


def test_syntax_error_in_a_query_with_from_gives_the_engines_position(
    sparql_server: ServerProcess,
) -> None:
    answer = get(sparql_server, query=f"SELECT * FROM <{BASE}graph/entities> WHERE {{ ?s ?p }}")
    assert answer.status == 400
    assert "syntax error" in answer.text and "at 1:" in answer.text


def test_two_queries_or_none_are_400(sparql_server: ServerProcess) -> None:
    two = get(sparql_server, query=["ASK {}", "ASK {}"])
    assert two.status == 400 and "2 queries" in two.text
    two_post = http_fetch(
        "POST",
        sparql_server.url + "sparql?query=ASK%20%7B%7D",
        headers={"Content-Type": "application/sparql-query"},
        data=b"ASK {}",
    )
    assert two_post.status == 400 and "2 queries" in two_post.text
    none = post_form(sparql_server, format="json")
    assert none.status == 400 and "no 'query' parameter" in none.text


def test_wrong_content_type_is_415(sparql_server: ServerProcess) -> None:
    answer = http_fetch(
        "POST", sparql_server.url + "sparql", headers={"Content-Type": "text/plain"}, data=b"ASK {}"
    )
    assert answer.status == 415
    assert "text/plain" in answer.text and "application/sparql-query" in answer.text


def test_updates_are_refused_and_change_nothing(sparql_server: ServerProcess) -> None:
    update = PREFIXES + "INSERT DATA { kg:intruder defkg:index 0 }"
    refused = [
        get(sparql_server, update=update),
        post_form(sparql_server, update=update),
        http_fetch(
            "POST",
            sparql_server.url + "sparql",
            headers={"Content-Type": "application/sparql-update"},
            data=update.encode(),
        ),
    ]
    for answer in refused:
        assert answer.status == 403
        assert "read-only" in answer.text
    as_query = get(sparql_server, query=update)
    assert as_query.status == 400 and "read-only" in as_query.text
    assert not ask(sparql_server, "ASK { kg:intruder ?p ?o }")


def test_unknown_paths_and_methods_answer_plainly(sparql_server: ServerProcess) -> None:
    answer = http_fetch("DELETE", sparql_server.url + "sparql")
    assert answer.status == 405
    assert "GET" in answer.header("Allow")
    assert "Traceback" not in answer.text


# --- service description, query page, CORS, HEAD, health, access log ---------------------


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("*/*", "turtle")],
)
def test_service_description(sparql_server: ServerProcess, accept: str, rdflib_format: str) -> None:
    answer = get(sparql_server, accept=accept)
    assert answer.status == 200
    graph = Graph().parse(data=answer.body, format=rdflib_format)
    service = URIRef(sparql_server.url + "sparql")
    assert (service, RDF.type, URIRef(SD + "Service")) in graph
    assert (service, URIRef(SD + "endpoint"), service) in graph
    assert (service, URIRef(SD + "supportedLanguage"), URIRef(SD + "SPARQL11Query")) in graph
    assert len(list(graph.objects(service, URIRef(SD + "resultFormat")))) == 8
    limit = graph.value(service, URIRef(BASE + "ontology/queryTimeLimit"))
    assert float(limit) == 30.0
    dataset = graph.value(service, URIRef(SD + "defaultDataset"))
    assert (dataset, RDF.type, URIRef("http://rdfs.org/ns/void#Dataset")) in graph
    names = {
        str(graph.value(n, URIRef(SD + "name")))
        for n in graph.objects(dataset, URIRef(SD + "namedGraph"))
    }
    assert names == {
        BASE + "graph/" + g
        for g in ("ontology", "entities", "kz-mod-2023-12-27", "inferred", "shapes")
    }
    default = graph.value(dataset, URIRef(SD + "defaultGraph"))
    members = {str(m) for m in graph.objects(default, URIRef("http://rdfs.org/ns/void#subset"))}
    assert members == {BASE + "graph/" + g for g in ("ontology", "entities", "kz-mod-2023-12-27")}
    triples = graph.value(default, URIRef("http://rdfs.org/ns/void#triples"))
    count = json_rows(get(sparql_server, query="SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))
    assert int(triples) == int(count[0]["n"]["value"])


def test_service_description_states_every_limit_in_defined_terms(
    sparql_server: ServerProcess,
) -> None:
    answer = get(sparql_server, accept="text/turtle")
    graph = Graph().parse(data=answer.body, format="turtle")
    service = URIRef(sparql_server.url + "sparql")
    ontology = Graph().parse(PROJECT_ROOT / "ontology" / "defkg.ttl")
    stated = {p for p in graph.predicates(service, None) if str(p).startswith(BASE + "ontology/")}
    assert URIRef(BASE + "ontology/maxServiceAnswerBytes") in stated
    assert int(graph.value(service, URIRef(BASE + "ontology/maxServiceAnswerBytes"))) > 0
    for term in stated:
        # a term of ours that the endpoint uses is one a reader can look up
        assert ontology.value(term, RDFS.label) is not None, term
        assert ontology.value(term, RDFS.comment) is not None, term


def test_browsers_get_the_query_page(sparql_server: ServerProcess) -> None:
    answer = get(sparql_server, accept="text/html,application/xhtml+xml,*/*;q=0.8")
    assert answer.status == 200
    assert answer.header("Content-Type").startswith("text/html")
    assert "<form" in answer.text or "<textarea" in answer.text or "query" in answer.text.lower()


def test_cors_preflight_and_head(sparql_server: ServerProcess) -> None:
    read = get(sparql_server, query="ASK {}")
    assert read.header("Access-Control-Allow-Origin") == "*"
    preflight = http_fetch(
        "OPTIONS",
        sparql_server.url + "sparql",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status == 204
    assert preflight.header("Access-Control-Allow-Origin") == "*"
    assert "POST" in preflight.header("Access-Control-Allow-Methods")
    assert "content-type" in preflight.header("Access-Control-Allow-Headers")
    head = http_fetch("HEAD", sparql_server.url + "sparql?query=ASK%20%7B%7D")
    assert head.status == 200 and head.body == b""
    assert head.header("Content-Type").startswith("application/sparql-results+json")


def test_healthz(sparql_server: ServerProcess) -> None:
    answer = http_fetch("GET", sparql_server.url + "healthz")
    assert answer.status == 200
    health = json.loads(answer.body)
    assert health["status"] == "ok" and health["graphs"] == 5
    assert health["query_workers"] >= 1


def test_access_log_has_a_line_per_request_with_status_and_query_time(
    sparql_server: ServerProcess,
) -> None:
    get(sparql_server, query="ASK { ?s <urn:x:access-log-probe> ?o }")
    get(sparql_server, accept="image/png", query="ASK { ?s <urn:x:access-log-406> ?o }")
    lines = sparql_server.log_once_written("access-log-probe", "access-log-406").splitlines()
    probe = [line for line in lines if "access-log-probe" in line]
    assert len(probe) == 1 and " 200 " in probe[0] and "query=" in probe[0]
    refused = [line for line in lines if "access-log-406" in line]
    assert len(refused) == 1 and " 406 " in refused[0]


def test_start_up_log_says_what_where_and_at_which_url(sparql_server: ServerProcess) -> None:
    log = sparql_server.log()
    assert "serving release" in log and "embedded store" in log
    assert sparql_server.url + "sparql" in log


def test_served_by_the_http_front_not_the_flask_development_server(
    sparql_server: ServerProcess,
) -> None:
    # The Server header is written by the HTTP front itself (defkg.front), not by the app:
    # Flask's development server would say "Werkzeug/<version> Python/<version>".
    for path in ("healthz", "sparql?query=ASK%7B%7D"):
        server = http_fetch("GET", sparql_server.url + path).header("Server") or ""
        assert server == "defkg", server
        assert "werkzeug" not in server.lower()
    log = sparql_server.log()
    assert "development server" not in log and "Running on http" not in log
