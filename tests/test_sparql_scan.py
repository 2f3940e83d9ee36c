"""The lexical scan that finds SERVICE endpoints and FROM graphs: it must see every SERVICE
keyword the engine sees, and nothing hidden in strings, comments, IRIs or names."""

from __future__ import annotations

import pytest

from defkg.store.service_relay import rewrite_services
from defkg.web.scan import ScanError, scan, tokens

EVIL = "http://evil.example/sparql"


@pytest.mark.parametrize(
    "query",
    [
        f'SELECT * WHERE {{ ?s ?p "SERVICE <{EVIL}> {{ }}" }}',
        f"SELECT * WHERE {{ ?s ?p '''it's a ''SERVICE <{EVIL}> {{}}'' ''' }}",
        f'SELECT * WHERE {{ ?s ?p """quote \\" SERVICE <{EVIL}> {{}}""" }}',
        f"SELECT * WHERE {{ ?s ?p ?o }} # SERVICE <{EVIL}> {{ }}",
        "SELECT * WHERE { ?s <http://x/#SERVICE> ?o }",
        "PREFIX ex: <http://x/> SELECT * WHERE { ?s ex:a.SERVICE ?o }",
        "PREFIX ex: <http://x/> SELECT * WHERE { ?s ex:SERVICE ?o . ?service ?p _:SERVICE }",
        'SELECT * WHERE { ?s ?p "x"@service }',
    ],
)
def test_service_inside_other_tokens_is_not_a_service(query: str) -> None:
    assert scan(query).services == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (f"select * {{ service <{EVIL}> {{ }} }}", [EVIL]),
        (f"SELECT * {{ ?s ?p 1SERVICE<{EVIL}>{{}} }}", [EVIL]),
        (f'SELECT * {{ ?s ?p "a"}} SERVICE <{EVIL}> {{}} # "', [EVIL]),
        (f"SELECT * {{ ?s ?p 'it\\'s' . SERVICE SILENT <{EVIL}> {{}} }}", [EVIL]),
        ("PREFIX e: <http://evil.example/> SELECT * { SERVICE e:sparql {} }", [EVIL]),
        (
            "PREFIX : <http://evil.example/> SELECT * { SERVICE :sp\\-arql {} }",
            ["http://evil.example/sp-arql"],
        ),
        (f"SELECT * {{ FILTER(?a < 'x' > ?b) SERVICE <{EVIL}> {{}} }}", [EVIL]),
        (f"SELECT * {{ FILTER EXISTS {{ SERVICE <{EVIL}> {{}} }} }}", [EVIL]),
    ],
)
def test_every_service_keyword_is_found(query: str, expected: list[str]) -> None:
    assert scan(query).services == expected


def test_a_malformed_string_stops_the_scan() -> None:
    with pytest.raises(ScanError, match="line 1"):
        tokens('SELECT * { ?s ?p "no end }')
    with pytest.raises(ScanError):
        scan("SELECT * { ?s ?p 'line\nbreak' }")


def test_from_graphs_resolve_prefixes_and_base() -> None:
    found = scan(
        "BASE <https://w3id.org/defkg/> PREFIX g: <graph/>\n"
        "SELECT * FROM g:entities FROM NAMED <graph/shapes> FROM <http://x/a> {}"
    )
    assert found.from_graphs == ["https://w3id.org/defkg/graph/entities", "http://x/a"]
    assert found.from_named_graphs == ["https://w3id.org/defkg/graph/shapes"]
    assert found.form == "SELECT"


def test_a_long_query_scans_without_trouble() -> None:
    body = " ".join(f"?s{i} <http://x/p> ?o{i} ." for i in range(2000))
    found = scan(f"SELECT * FROM <http://x/g> WHERE {{ {body} }}")
    assert found.from_graphs == ["http://x/g"]


def test_rewriting_replaces_only_the_service_targets() -> None:
    remote = "http://remote.example/sparql"
    query = (
        f"PREFIX r: <http://remote.example/> SELECT * WHERE {{ ?s ?p <{remote}> . "
        f"SERVICE SILENT r:sparql {{ ?s ?p 'SERVICE <{remote}>' }} "
        f"SERVICE <{remote}> {{ ?s ?p ?o }} }}"
    )
    found = scan(query)
    assert found.services == [remote, remote]
    rewritten = rewrite_services(
        query, tuple(found.service_spans), ["http://relay/0", "http://relay/1"]
    )
    assert rewritten == (
        f"PREFIX r: <http://remote.example/> SELECT * WHERE {{ ?s ?p <{remote}> . "
        f"SERVICE SILENT <http://relay/0> {{ ?s ?p 'SERVICE <{remote}>' }} "
        f"SERVICE <http://relay/1> {{ ?s ?p ?o }} }}"
    )
    assert scan(rewritten).services == ["http://relay/0", "http://relay/1"]


# --- readings the engine (spargebra in pyoxigraph 0.5) makes that a plain lexer would miss ---


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (f"SELECT * {{ SERVICESILENT<{EVIL}>{{}} }}", [EVIL]),
        (f"SELECT * {{ sErViCe<{EVIL}>{{}} }}", [EVIL]),
        ("PREFIX e: <http://evil.example/> SELECT * { SERVICEe:sparql{} }", [EVIL]),
        ("PREFIX e: <http://evil.example/> SELECT * { SERVICE SILENTe:sparql{} }", [EVIL]),
        ("PREFIX : <http://evil.example/> SELECT * { ?s ?p ?o . SERVICE:sparql{} }", [EVIL]),
        ("PREFIXe:<http://evil.example/>SELECT*{SERVICE e:sparql{}}", [EVIL]),
        (f"SELECT * {{ ?s ?p 1e5SERVICE<{EVIL}>{{}} }}", [EVIL]),
        # PN_LOCAL has one dot group in spargebra: ex:a.b.SERVICE is ex:a.b . SERVICE
        (f"PREFIX ex: <http://x/> SELECT * {{ ?s ?p ex:a.b.SERVICE<{EVIL}>{{}} }}", [EVIL]),
    ],
)
def test_glued_service_keywords_are_found(query: str, expected: list[str]) -> None:
    assert scan(query).services == expected


@pytest.mark.parametrize(
    "query",
    [
        # "<" after an operand is less-than for the engine: it reads a string, or a comment
        # to the end of the line, where a plain lexer reads an IRI up to ">".
        f"SELECT * {{ FILTER(?a<'>)}}') SERVICE <{EVIL}> {{}} }} #'",
        f'SELECT * {{ FILTER(?a<?b#>"""\n) SERVICE <{EVIL}> {{}} }} #"""',
        f"SELECT * {{ FILTER(?a<(?b>?c)<?d#>'''\n) SERVICE <{EVIL}> {{}} }} #'''",
        # an invalid IRI makes the engine fall back to "ex:" and read on inside the local part
        "PREFIX ex: <http://e/#> PREFIX : <http://evil.example/> "
        "SELECT * { ?s ?p ex:SERVICE:x\\#y {} }",
        # keywords glued after other text
        f"SELECT * {{ ?s ?p trueSERVICE<{EVIL}>{{}} }}",
        "PREFIX myservice: <http://x/> SELECT * { ?s ?p myservice:a }",
        f"SELECT * {{ ?s ?p 1eSERVICE<{EVIL}>{{}} }}",
        f"SELECT * {{ SERVICEX<{EVIL}>{{}} }}",
        # an escape naming no character fails the string rule: the engine reads it otherwise
        f"SELECT * {{ ?s ?p '''\\uD800''' SERVICE <{EVIL}> {{}} }}",
    ],
)
def test_what_the_engine_could_read_otherwise_is_refused(query: str) -> None:
    with pytest.raises(ScanError, match=r"line \d+, column \d+"):
        scan(query)


@pytest.mark.parametrize(
    "query",
    [
        "PREFIX ex: <http://x/> SELECT * { ?s ex:service ?o . ?s ex:from ?f }",
        "SELECT * { VALUES (?a ?b) { (<http://x/#1> <http://y/#2>) } FILTER(?a = <http://x/#1>) }",
        "SELECT * { ?s a <http://www.w3.org/2002/07/owl#Class> FILTER(?s != <http://x/#a>) }",
        "SELECT ?service ?from { ?service ?p ?from }",
    ],
)
def test_ordinary_queries_pass(query: str) -> None:
    assert scan(query).services == []


def test_nesting_is_counted_and_bounded() -> None:
    assert scan("SELECT * { { ?s ?p (1 (2 [ ?q ?r ])) } }").nesting == 5
    deep = "SELECT * " + "{" * 65 + "}" * 65
    with pytest.raises(ScanError, match="limit is 64"):
        scan(deep, max_nesting=64)
    assert scan(deep, max_nesting=65).nesting == 65
    # brackets inside strings, IRIs and comments do not count
    assert scan("SELECT * { ?s ?p '((((' . ?s ?p <http://x/(((> } # {{{{").nesting == 1


@pytest.mark.parametrize(
    "query",
    [
        "SELECT (RAND() AS ?r) {}",
        "SELECT (now() AS ?t) {}",
        "SELECT ?s { BIND(STRUUID() AS ?s) }",
        "SELECT ?s { BIND(UUID() AS ?s) }",
        "SELECT ?s { BIND(BNODE() AS ?s) }",
        "CONSTRUCT { _:b <http://x/p> ?o } WHERE { ?s ?p ?o }",
        "CONSTRUCT { [] <http://x/p> ?o } WHERE { ?s ?p ?o }",
    ],
)
def test_answers_that_vary_between_runs_are_flagged(query: str) -> None:
    assert not scan(query).deterministic


def test_plain_queries_are_deterministic() -> None:
    assert scan("SELECT ?s { ?s ?p ?o } ORDER BY ?s LIMIT 3").deterministic
    assert scan("CONSTRUCT { ?s <http://x/p> ?o } WHERE { ?s ?p ?o }").deterministic
