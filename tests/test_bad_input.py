"""No 500 for bad input (issue 11, point 7): one probe per test, over real HTTP against
`defkg serve` on the fixture release.

Malformed escapes in every minted path are 404s; huge fields in every result format are
answered (the row count of a serialised result is read by the structure of the format, not by
parsers that refuse a value over 16 MB or a CSV field over 131,072 characters); an unknown
extension function is a 400 naming it; a value over the result cap is a 422 naming the cap.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import Answer, ServerProcess, http_fetch, start_server

PREFIXES = "PREFIX defkg: <https://w3id.org/defkg/ontology/>\n"
#: Rows are counted (and the count checked) once a result is longer than this many rows of
#: the smallest size could be: a small cap makes every result below go through the count.
MAX_ROWS = 100
MAX_BYTES = 30_000_000


@pytest.fixture(scope="module")
def server(
    fixture_release: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    env = {"DEFKG_MAX_RESULT_ROWS": str(MAX_ROWS), "DEFKG_MAX_RESULT_BYTES": str(MAX_BYTES)}
    started = start_server(fixture_release, tmp_path_factory.mktemp("logs") / "bad-input.log", env)
    yield started
    started.stop()


def post(server: ServerProcess, query: str, accept: str) -> Answer:
    headers = {"Accept": accept, "Content-Type": "application/sparql-query"}
    return http_fetch(
        "POST", server.url + "sparql", headers=headers, data=query.encode(), timeout=120
    )


def assert_plain_refusal(answer: Answer, *statuses: int) -> None:
    assert answer.status in statuses, (answer.status, answer.body[:300])
    assert b"Traceback" not in answer.body
    assert b"internal error" not in answer.body


def long_value(repeat: int, partners: int = 300) -> str:
    """A query whose one row holds one value of about ``repeat`` times ``partners`` times
    10 kB: the IRIs of the fixture's 300 filler items, ``repeat`` times over, once per
    partner, joined (few solutions for the size, so the query worker stays small)."""
    item = ", ".join(["STR(?a)"] * repeat)
    return PREFIXES + (
        f"SELECT (GROUP_CONCAT(CONCAT({item})) AS ?g) WHERE {{ "
        f"?a defkg:index ?x . ?b defkg:index ?y FILTER(?y <= {partners}) }}"
    )


# --- malformed escapes in every minted path -------------------------------------------------


@pytest.mark.parametrize("root", ["id/", "graph/", "ontology/", "shapes/", "dataset/"])
@pytest.mark.parametrize(
    "escape", ["%ff", "%", "%zz", "%C0%AF", "kazakhstan%ff", "%ff.ttl", "%ff/x", "a%e2%82"]
)
def test_malformed_escapes_in_minted_paths_are_not_found(
    sparql_server: ServerProcess, root: str, escape: str
) -> None:
    answer = http_fetch("GET", sparql_server.url + root + escape)
    assert_plain_refusal(answer, 400, 404)


# --- huge fields in every result format ------------------------------------------------------


def test_a_csv_field_over_131072_characters_is_answered(server: ServerProcess) -> None:
    answer = post(server, long_value(1, partners=20), "text/csv")
    assert answer.status == 200, answer.body[:300]
    reader = csv.reader(io.StringIO(answer.text, newline=""))
    csv.field_size_limit(10**9)
    header, row = list(reader)
    assert header == ["g"] and len(row[0]) > 131_072


@pytest.mark.parametrize(
    ("accept", "key"),
    [
        ("application/sparql-results+json", "json"),
        ("text/tab-separated-values", "tsv"),
        ("application/sparql-results+xml", "xml"),
        ("text/csv", "csv"),
    ],
)
def test_a_value_over_16_mb_is_answered_in_every_results_format(
    server: ServerProcess, accept: str, key: str
) -> None:
    answer = post(server, long_value(6), accept)
    assert answer.status == 200, answer.body[:300]
    assert len(answer.body) > 16 * 2**20
    if key == "json":
        rows = json.loads(answer.body)["results"]["bindings"]
        assert len(rows) == 1 and len(rows[0]["g"]["value"]) > 16 * 2**20


@pytest.mark.parametrize(
    "accept", ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"]
)
def test_a_value_over_16_mb_is_answered_in_every_graph_format(
    server: ServerProcess, accept: str
) -> None:
    inner = long_value(6).removeprefix(PREFIXES)
    query = PREFIXES + f"CONSTRUCT {{ <http://x/s> <http://x/p> ?g }} WHERE {{ {{ {inner} }} }}"
    answer = post(server, query, accept)
    assert answer.status == 200, answer.body[:300]
    assert len(answer.body) > 16 * 2**20


# --- unknown functions and oversized values --------------------------------------------------


def test_an_unknown_extension_function_is_400_naming_it(sparql_server: ServerProcess) -> None:
    answer = post(
        sparql_server,
        "PREFIX q: <http://x/> SELECT (q:name() AS ?x) {}",
        "application/sparql-results+json",
    )
    assert_plain_refusal(answer, 400)
    assert "http://x/name" in answer.text


def test_a_value_over_the_result_cap_is_422_naming_the_cap(server: ServerProcess) -> None:
    answer = post(server, long_value(10), "application/sparql-results+json")
    assert_plain_refusal(answer, 422)
    assert f"{MAX_BYTES:,} bytes" in answer.text
