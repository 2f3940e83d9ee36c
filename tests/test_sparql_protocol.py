"""The protocol's plain functions: request parsing, query checks, dataset rules, format choice,
and the result serialisers (checked against pyoxigraph's own writers)."""

from __future__ import annotations

import csv
import io

import pyoxigraph as ox
import pytest

from defkg.store.results import (
    ResultTooLarge,
    count_rows,
    serialize_boolean,
    serialize_solutions,
    serialize_triples,
)
from defkg.web.protocol import (
    ProtocolError,
    ProtocolRequest,
    analyse_query,
    check_services,
    choose_types,
    parse_request,
    query_form,
    resolve_dataset,
    service_allowed,
)

WIKIDATA = "https://query.wikidata.org/sparql"
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"


def parse(method: str = "GET", content_type: str | None = None, args=None, form=None, body=b""):
    return parse_request(method, content_type, args or {}, form or {}, body, max_query_length=100)


# --- parse_request -------------------------------------------------------------------------


def test_get_without_query_means_service_description() -> None:
    assert parse() is None


def test_parameters_are_collected_from_the_right_place() -> None:
    request = parse(
        args={"query": ["ASK {}"], "default-graph-uri": ["g:a", "g:b"], "format": ["csv"]}
    )
    assert request == ProtocolRequest("ASK {}", ("g:a", "g:b"), (), "csv")
    form = parse("POST", "application/x-www-form-urlencoded", form={"query": ["ASK {}"]})
    assert form.query == "ASK {}"
    direct = parse(
        "POST",
        "application/sparql-query; charset=UTF-8",
        args={"named-graph-uri": ["g:n"]},
        body="ASK { ?s ?p 'é' }".encode(),
    )
    assert direct.query == "ASK { ?s ?p 'é' }" and direct.named_graph_uris == ("g:n",)


@pytest.mark.parametrize(
    ("kwargs", "status", "words"),
    [
        ({"args": {"query": ["ASK {}", "ASK {}"]}}, 400, "2 queries"),
        ({"method": "POST", "content_type": FORM}, 400, "no 'query'"),
        ({"method": "POST", "content_type": "application/json"}, 415, "application/json"),
        ({"method": "POST"}, 415, "unsupported content type none"),
        ({"args": {"update": ["CLEAR ALL"]}}, 403, "read-only"),
        ({"method": "POST", "content_type": "application/sparql-update"}, 403, "read-only"),
        ({"method": "POST", "content_type": FORM, "form": {"update": ["CLEAR ALL"]}}, 403, "only"),
        ({"args": {"query": ["#" + "x" * 120]}}, 414, "limit is 100"),  # by GET: the URL
        (
            {"method": "POST", "content_type": FORM, "form": {"query": ["#" + "x" * 120]}},
            400,
            "limit is 100",
        ),
        ({"args": {"query": ["   "]}}, 400, "empty"),
        ({"method": "POST", "content_type": DIRECT, "body": b"\xff"}, 400, "not UTF-8"),
        ({"method": "PUT"}, 405, "PUT"),
    ],
)
def test_refusals(kwargs: dict, status: int, words: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse(**kwargs)
    assert caught.value.status == status
    assert words in caught.value.message


# --- looking into queries -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("SELECT * {}", "SELECT"),
        (
            "# a comment with SELECT\nPREFIX a: <http://x/#> BASE <http://y/>\n  construct {} {}",
            "CONSTRUCT",
        ),
        ("prefix : <http://x/> DESCRIBE :a", "DESCRIBE"),
        ("ASK{}", "ASK"),
        ("PREFIX ex: <http://x/> INSERT DATA {}", "INSERT"),
        ("", None),
    ],
)
def test_query_form(query: str, form: str | None) -> None:
    assert query_form(query) == form


def test_services_are_found_in_sub_queries_with_prefixes() -> None:
    facts = analyse_query(
        "BASE <http://base.example/> PREFIX w: <https://query.wikidata.org/>\n"
        "SELECT * WHERE { { SELECT * { SERVICE SILENT w:sparql { ?s ?p ?o } } }\n"
        "  OPTIONAL { SERVICE <http://other.example/q> { ?a ?b ?c } } }"
    )
    assert facts.services == (WIKIDATA, "http://other.example/q")
    assert not facts.variable_service
    with pytest.raises(ProtocolError, match=r"SERVICE <http://other\.example/q>"):
        check_services(facts, [WIKIDATA])


def test_relative_or_escaped_service_endpoints_are_refused() -> None:
    for query in (
        "BASE <https://query.wikidata.org/> SELECT * { SERVICE <sparql> { ?s ?p ?o } }",
        "SELECT * { SERVICE <https://query.wikidata.org/sparq\\u006c> { ?s ?p ?o } }",
    ):
        with pytest.raises(ProtocolError, match=r"relative|escape") as caught:
            analyse_query(query)
        assert caught.value.status == 400


def test_service_with_a_variable_is_flagged() -> None:
    facts = analyse_query("SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }")
    assert facts.variable_service
    with pytest.raises(ProtocolError, match="variable") as caught:
        check_services(facts, [WIKIDATA])
    assert caught.value.status == 403


def test_from_clauses_are_resolved() -> None:
    facts = analyse_query(
        "PREFIX g: <https://w3id.org/defkg/graph/> SELECT * FROM g:entities FROM NAMED g:shapes {}"
    )
    assert facts.from_graphs == ("https://w3id.org/defkg/graph/entities",)
    assert facts.from_named_graphs == ("https://w3id.org/defkg/graph/shapes",)
    assert facts.has_dataset_clause


def test_queries_without_from_or_service_skip_the_full_parse() -> None:
    # Not valid SPARQL, but it mentions neither word, so only the cheap form scan runs;
    # the store reports the syntax error later with its own position.
    facts = analyse_query("SELECT * WHERE { ?s ?p }")
    assert facts.form == "SELECT" and facts.services == () and not facts.has_dataset_clause


def test_a_query_that_cannot_be_checked_is_400_with_position() -> None:
    with pytest.raises(ProtocolError, match=r"line 2, column 17") as caught:
        analyse_query('SELECT * WHERE {\n  SERVICE <x:y> "unterminated { ?s ?p ?o } }')
    assert caught.value.status == 400
    with pytest.raises(ProtocolError, match="undeclared prefix 'w:'"):
        analyse_query("SELECT * WHERE { SERVICE w:sparql { ?s ?p ?o } }")


def test_updates_sent_as_queries_are_named() -> None:
    with pytest.raises(ProtocolError, match="SPARQL Update"):
        analyse_query("DELETE WHERE { ?s ?p ?o }")


@pytest.mark.parametrize(
    ("iri", "allowed"),
    [
        (WIKIDATA, True),
        (WIKIDATA + "x", False),
        ("https://query.wikidata.org/sparql@evil.example/", False),
        ("http://query.wikidata.org/sparql", False),
        ("https://local.example/a/b", True),
        ("https://local.example.evil/", False),
    ],
)
def test_service_allow_list(iri: str, allowed: bool) -> None:
    assert service_allowed(iri, [WIKIDATA, "https://local.example/"]) is allowed


# --- dataset ---------------------------------------------------------------------------------

GRAPHS = ["g:entities", "g:inferred", "g:ontology", "g:shapes", "g:src"]
DEFAULT = ("g:entities", "g:ontology", "g:src")


def test_dataset_rules() -> None:
    plain = analyse_query("SELECT * {}")
    assert resolve_dataset(ProtocolRequest("q"), plain, GRAPHS, DEFAULT) == (DEFAULT, None)
    # None: the store's own default graph; every named graph is ours, so none is listed.
    assert resolve_dataset(ProtocolRequest("q"), plain, GRAPHS, None) == (None, None)
    by_parameter = ProtocolRequest("q", ("g:src",), ())
    assert resolve_dataset(by_parameter, plain, GRAPHS, DEFAULT) == (("g:src",), ())
    with_from = analyse_query("SELECT * FROM <g:shapes> {}")
    assert resolve_dataset(ProtocolRequest("q"), with_from, GRAPHS, DEFAULT) == (None, None)
    # Parameters win over FROM, so FROM is then not even checked.
    assert resolve_dataset(by_parameter, with_from, GRAPHS, DEFAULT) == (("g:src",), ())
    with pytest.raises(ProtocolError, match=r"unknown graph <g:nope> in FROM NAMED"):
        resolve_dataset(
            ProtocolRequest("q"), analyse_query("SELECT * FROM NAMED <g:nope> {}"), GRAPHS, DEFAULT
        )


# --- formats ---------------------------------------------------------------------------------


def test_choose_types() -> None:
    assert choose_types(None, None, None) == ("application/sparql-results+json", "text/turtle")
    assert choose_types("application/json", None, "SELECT") == (
        "application/sparql-results+json",
        "application/ld+json",
    )
    assert choose_types("text/plain", None, "CONSTRUCT")[1] == "application/n-triples"
    assert choose_types("image/png", "tsv", "SELECT")[0] == "text/tab-separated-values"
    with pytest.raises(ProtocolError) as caught:
        choose_types(None, "csv", "CONSTRUCT")
    assert caught.value.status == 406


# --- serialisers agree with pyoxigraph's -----------------------------------------------------


@pytest.fixture(scope="module")
def tricky_store() -> ox.Store:
    store = ox.Store()
    s = ox.NamedNode("http://example.org/s?a=1&b='2'")
    p = ox.NamedNode("http://example.org/p")
    for o in [
        ox.Literal('plain, with "quotes"\nand a newline\tand a tab'),
        ox.Literal("Қазақстан", language="kk"),
        ox.Literal("139", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        ox.Literal("<b>&amp;</b>"),
        ox.BlankNode("b0"),
        ox.NamedNode("http://example.org/o"),
    ]:
        store.add(ox.Quad(s, p, o))
    return store


SOLUTIONS_QUERY = "SELECT ?s ?o ?unbound WHERE { ?s ?p ?o OPTIONAL { ?s <urn:none> ?unbound } }"


RESULT_FORMATS = [
    ("json", ox.QueryResultsFormat.JSON),
    ("xml", ox.QueryResultsFormat.XML),
    ("csv", ox.QueryResultsFormat.CSV),
    ("tsv", ox.QueryResultsFormat.TSV),
]


def _rows(data: bytes, oxformat: ox.QueryResultsFormat) -> list[tuple]:
    parsed = ox.parse_query_results(data, format=oxformat)
    names = [v.value for v in parsed.variables]
    return sorted(tuple(str(r[n]) for n in names) for r in parsed)


@pytest.mark.parametrize(("fmt", "oxformat"), RESULT_FORMATS)
def test_solutions_parse_back_to_the_query_rows(
    tricky_store: ox.Store, fmt: str, oxformat: ox.QueryResultsFormat
) -> None:
    body = serialize_solutions(
        tricky_store.query(SOLUTIONS_QUERY), fmt, max_rows=100, max_bytes=100_000
    )
    if fmt == "csv":  # CSV drops datatypes and languages: compare the bare values
        expected = sorted(
            (r["s"].value, r["o"].value if not isinstance(r["o"], ox.BlankNode) else "")
            for r in tricky_store.query(SOLUTIONS_QUERY)
        )
        parsed = [tuple(line) for line in csv.reader(io.StringIO(body.decode(), newline=""))]
        assert parsed[0] == ("s", "o", "unbound")
        assert sorted((s, "" if o.startswith("_:") else o) for s, o, _ in parsed[1:]) == expected
        return
    expected = sorted(
        (str(r["s"]), str(r["o"]), "None") for r in tricky_store.query(SOLUTIONS_QUERY)
    )
    assert [
        (s, o if not o.startswith("_:") else "bnode", u) for s, o, u in _rows(body, oxformat)
    ] == [(s, o if not o.startswith("_:") else "bnode", u) for s, o, u in expected]
    assert len(expected) == 6


@pytest.mark.parametrize(("fmt", "oxformat"), RESULT_FORMATS)
def test_row_cap_is_exact_in_every_format(
    tricky_store: ox.Store, fmt: str, oxformat: ox.QueryResultsFormat
) -> None:
    # The literals hold a newline, a tab, quotes and markup: counting must not be fooled.
    with pytest.raises(ResultTooLarge, match="limit of 5 rows"):
        serialize_solutions(tricky_store.query(SOLUTIONS_QUERY), fmt, max_rows=5, max_bytes=10**6)
    exactly = serialize_solutions(
        tricky_store.query(SOLUTIONS_QUERY), fmt, max_rows=6, max_bytes=10**6
    )
    assert count_rows(exactly, fmt) == 6


@pytest.mark.parametrize(("fmt", "oxformat"), RESULT_FORMATS)
def test_rows_are_counted_in_long_results(fmt: str, oxformat: ox.QueryResultsFormat) -> None:
    # Long enough to be written in many chunks; ?b is never bound (empty cells).
    store = ox.Store()
    p = ox.NamedNode("http://example.org/p")
    for i in range(3000):
        value = ox.Literal(f'line {i}\nnext, "quoted" <x>') if i % 3 else ox.BlankNode(f"b{i}")
        store.add(ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), p, value))
    query = "SELECT ?s ?o ?b WHERE { ?s ?p ?o OPTIONAL { ?o ?p ?b } }"
    body = serialize_solutions(store.query(query), fmt, max_rows=3000, max_bytes=10**8)
    assert count_rows(body, fmt) == 3000
    if fmt != "csv":  # pyoxigraph does not read CSV back (it is lossy)
        assert len(list(ox.parse_query_results(body, format=oxformat))) == 3000
    with pytest.raises(ResultTooLarge, match="2,999 rows"):
        serialize_solutions(store.query(query), fmt, max_rows=2999, max_bytes=10**8)


@pytest.mark.parametrize(("fmt", "oxformat"), RESULT_FORMATS)
def test_byte_cap_is_exact_in_every_format(
    tricky_store: ox.Store, fmt: str, oxformat: ox.QueryResultsFormat
) -> None:
    body = serialize_solutions(
        tricky_store.query(SOLUTIONS_QUERY), fmt, max_rows=100, max_bytes=10**6
    )
    at_cap = serialize_solutions(
        tricky_store.query(SOLUTIONS_QUERY), fmt, max_rows=100, max_bytes=len(body)
    )
    assert at_cap == body
    with pytest.raises(ResultTooLarge, match=f"limit of {len(body) - 1:,} bytes"):
        serialize_solutions(
            tricky_store.query(SOLUTIONS_QUERY), fmt, max_rows=100, max_bytes=len(body) - 1
        )


@pytest.mark.parametrize("value", [True, False])
@pytest.mark.parametrize(
    ("fmt", "oxformat"),
    [("json", ox.QueryResultsFormat.JSON), ("xml", ox.QueryResultsFormat.XML)],
)
def test_booleans_parse_back(value: bool, fmt: str, oxformat: ox.QueryResultsFormat) -> None:
    parsed = ox.parse_query_results(serialize_boolean(value, fmt), format=oxformat)
    assert bool(parsed) is value


def test_caps_raise_instead_of_truncating(tricky_store: ox.Store) -> None:
    with pytest.raises(ResultTooLarge, match="5 rows"):
        serialize_solutions(
            tricky_store.query(SOLUTIONS_QUERY), "json", max_rows=5, max_bytes=10**6
        )
    with pytest.raises(ResultTooLarge, match="200 bytes"):
        serialize_solutions(tricky_store.query(SOLUTIONS_QUERY), "tsv", max_rows=100, max_bytes=200)
    triples = tricky_store.query("CONSTRUCT WHERE { ?s ?p ?o }")
    with pytest.raises(ResultTooLarge, match="5 triples"):
        serialize_triples(triples, ox.RdfFormat.TURTLE, max_rows=5, max_bytes=10**6)
    exactly = serialize_solutions(
        tricky_store.query(SOLUTIONS_QUERY), "json", max_rows=6, max_bytes=10**6
    )
    assert exactly.count(b'"s":') == 6
