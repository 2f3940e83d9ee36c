"""One prefix table (defkg.iris) for `defkg query`, the query UI and the endpoint, and syntax
errors in plain words with line and column: over real HTTP and the real CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from conftest import ServerProcess, http_fetch
from defkg.iris import DEFAULT_BASE, IriScheme

TABLE = IriScheme(DEFAULT_BASE).prefixes()

#: written without any PREFIX line: the table's prefixes are predeclared everywhere
UNDECLARED = "SELECT ?label WHERE { kg:lebanon rdfs:label ?label }"


def endpoint(server: ServerProcess, query: str, path: str = "sparql") -> tuple[int, str]:
    url = server.url + path + "?" + urllib.parse.urlencode({"query": query})
    answer = http_fetch("GET", url, headers={"Accept": "text/csv"})
    return answer.status, answer.text


def cli(dist: Path, query: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from defkg.cli import main; main()", "query"]
    return subprocess.run(
        [*command, "--dist", str(dist), "--format", "csv", query],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_endpoint_and_the_cli_predeclare_the_same_prefixes(
    sparql_server: ServerProcess, fixture_release: Path
) -> None:
    status, text = endpoint(sparql_server, UNDECLARED)
    assert status == 200, text
    done = cli(fixture_release, UNDECLARED)
    assert done.returncode == 0, done.stderr
    assert sorted(text.splitlines()) == sorted(done.stdout.splitlines())
    assert "Lebanon" in text


def test_the_query_ui_offers_the_same_table(sparql_server: ServerProcess) -> None:
    page = http_fetch("GET", sparql_server.url + "sparql", headers={"Accept": "text/html"})
    found = re.search(r'<script type="application/json" id="prefixes">(.*?)</script>', page.text)
    assert found, page.text[:500]
    assert json.loads(found.group(1)) == TABLE


CASES = {
    # a misspelt query form: not "expected CONSTRUCT"
    "SELEC * WHERE { ?s ?p ?o }": ("1:1", "not 'SELEC': did you mean SELECT?"),
    # an unknown prefix, named, at the name's start; not a dump of Unicode ranges
    "SELECT * WHERE {\n  ?s nope:x ?o }": ("2:6", "unknown prefix 'nope:'"),
    "SELECT * WHERE {\n  ?s defgk:x ?o }": (
        "2:6",
        "unknown prefix 'defgk:': did you mean 'defkg:'",
    ),
    # what the engine's last alternative said ("expected OPTIONAL", "expected one of LATERAL,
    # SERVICE"), said in plain words at the place of the mistake
    "SELECT * WHERE {\n  ?s ?p }": (
        "2:9",
        "expected a variable, an IRI or a literal, but found '}'",
    ),
    "SELECT * WHERE {\n  ?s ?p ?o\n": ("3:1", "expected '}', but the query ends here"),
    "SELECT (COUNT(*) ?n)\nWHERE { ?s ?p ?o }": ("1:18", "expected AS, but found '?n'"),
    "SELECT * WHERE { ?s ?p ?o }\nLIMIT ten": ("2:7", "expected a number, but found 'ten'"),
    "SELECT ?s WHERE { ?s ?p ?o }\nGROUP ?s": ("2:7", "expected BY, but found '?s'"),
    "SELECT * WHERE { ?s ?p ?o\n  OPTIONAL ?s }": ("2:12", "expected '{', but found '?s'"),
    "SELECT * WHERE { ?s ?p ?o }\n}": ("2:1", "unexpected '}' here"),
    "SELECT * WHERE {\n  ?s <not an iri> ?o }": ("2:6", "<not an iri> is not a valid IRI"),
    "SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER( }": ("3:12", "expected an expression"),
    "ASK {\n  ?s rdfs:label }": ("2:17", "expected a variable, an IRI or a literal"),
}


@pytest.mark.parametrize("query", sorted(CASES))
def test_syntax_errors_in_plain_words(
    sparql_server: ServerProcess, fixture_release: Path, query: str
) -> None:
    at, words = CASES[query]
    line, column = at.split(":")
    expected = f"syntax error at {at} (line {line}, column {column})"
    status, text = endpoint(sparql_server, query)
    assert status == 400
    assert expected in text and words in text, text
    assert "\\u{" not in text and "'0' ..= '9'" not in text
    done = cli(fixture_release, query)
    assert done.returncode == 2
    assert expected in done.stderr and words in done.stderr, done.stderr


def test_no_message_passes_the_engines_alternatives_through(sparql_server: ServerProcess) -> None:
    for query in CASES:
        status, text = endpoint(sparql_server, query)
        assert status == 400, query
        for engine_word in ("OPTIONAL", "LATERAL", "SERVICE", "DISTINCT", "one of", "["):
            assert engine_word not in text.split(":", 2)[-1], (query, text)


def test_from_takes_the_predeclared_prefixes_as_the_engine_does(
    sparql_server: ServerProcess,
) -> None:
    """``FROM graph:entities`` with no PREFIX line: the endpoint's check reads the name as the
    engine will (it was refused as an undeclared prefix), and still refuses a graph of no one."""
    count = "SELECT (COUNT(*) AS ?n) {dataset} WHERE {{ ?s ?p ?o }}"
    named = count.format(dataset="FROM graph:entities")
    declared = "PREFIX graph: <https://w3id.org/defkg/graph/>\n" + named
    written = count.format(dataset="FROM <https://w3id.org/defkg/graph/entities>")
    answers = [endpoint(sparql_server, query) for query in (named, declared, written)]
    assert all(status == 200 for status, _ in answers), answers
    assert len({text for _, text in answers}) == 1 and int(answers[0][1].split()[-1]) > 0
    status, text = endpoint(sparql_server, count.format(dataset="FROM NAMED graph:nowhere"))
    assert status == 400 and "unknown graph <https://w3id.org/defkg/graph/nowhere>" in text
    # the query's own PREFIX line wins over the predeclared one, as in the engine
    status, text = endpoint(sparql_server, "PREFIX graph: <http://elsewhere.example/>\n" + named)
    assert status == 400 and "unknown graph <http://elsewhere.example/entities>" in text


def test_a_string_never_closed_is_named_where_it_opens(
    sparql_server: ServerProcess, fixture_release: Path
) -> None:
    query = 'SELECT * WHERE {\n  ?s ?p "Zhambyl }'
    done = cli(fixture_release, query)  # the engine's reading, as a remote store's
    assert done.returncode == 2
    assert "syntax error at 2:9 (line 2, column 9): this string is never closed" in done.stderr
    status, text = endpoint(sparql_server, query)  # the endpoint's check stops it first
    assert status == 400 and "string at line 2, column 9" in text, text


@pytest.mark.parametrize(
    "query",
    [
        UNDECLARED,
        "SELECT * WHERE { ?s ?p ?o } LIMIT 1",
        "PREFIX kg: <https://example.org/other/> SELECT * WHERE { kg:lebanon ?p ?o }",
        "SELECT * WHERE { ?s rdfs:label ?o FILTER(?o != 'kg:lebanon') } LIMIT 1",
        "SELECT * WHERE { ?s ?p ?o . ?o owl:sameAs wd:Q822 }",
        "SELECT * WHERE { kg:lebanon ?p ?o FILTER(isIRI(?o)) }",
        "SELECT * WHERE { nope:lebanon ?p ?o }",
    ],
)
def test_a_worker_passes_the_engine_only_the_prefixes_a_query_names(query: str) -> None:
    # The worker hands the engine only the table's prefixes whose "name:" the text holds; the
    # answer (or the error) must be the engine's with the whole table, query by query.
    import pyoxigraph as ox

    from defkg.store.embedded import execute
    from defkg.store.jobs import QueryJob

    store = ox.Store()
    lebanon = ox.NamedNode(TABLE["kg"] + "lebanon")
    store.add(ox.Quad(lebanon, ox.NamedNode(TABLE["rdfs"] + "label"), ox.Literal("Lebanon")))
    store.add(
        ox.Quad(lebanon, ox.NamedNode(TABLE["owl"] + "sameAs"), ox.NamedNode(TABLE["wd"] + "Q822"))
    )
    job = QueryJob(query, None, None, "text/csv", None, 1000, 10**6)
    outcome = execute(store, job, TABLE)
    try:
        expected = store.query(query, prefixes=TABLE).serialize(format=ox.QueryResultsFormat.CSV)
    except SyntaxError:
        assert outcome.status == 400 and "nope" in outcome.body.decode()
        return
    assert (outcome.status, outcome.body) == (200, expected)
