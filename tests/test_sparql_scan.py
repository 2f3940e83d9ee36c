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
        (f"SELECT * {{ FILTER(?a<'x'>?b) SERVICE <{EVIL}> {{}} }}", [EVIL]),
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
