"""The result cache keeps only what cannot vary, within its byte bound (issue 11, point 9),
over real HTTP against `defkg serve`.

Answers of queries using NOW(), RAND(), UUID(), STRUUID(), BNODE() or a CONSTRUCT template
with blank nodes differ between runs, so they are never cached: two calls give two answers.
The answers and the index of repeated requests stay within their bytes, keys included, however
long the queries.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import Answer, ServerProcess, http_fetch, start_server

CACHE_BYTES = 1_000_000


def get(server: ServerProcess, query: str, accept: str = "application/sparql-results+json"):
    url = server.url + "sparql?" + urllib.parse.urlencode({"query": query})
    return http_fetch("GET", url, headers={"Accept": accept})


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        ("SELECT (RAND() AS ?r) {}", "application/sparql-results+json"),
        ("SELECT (STRUUID() AS ?u) {}", "application/sparql-results+json"),
        ("SELECT (UUID() AS ?u) {}", "text/csv"),
        ("SELECT (BNODE() AS ?b) {}", "application/sparql-results+json"),
        ("SELECT (nOw() AS ?t) {}", "text/tab-separated-values"),
        ("SELECT ?r { BIND(rand() AS ?r) }", "application/sparql-results+xml"),
        ("SELECT ?r { { SELECT (RAND() AS ?r) {} } }", "application/sparql-results+json"),
        ("CONSTRUCT { [] <http://x/p> 1 } WHERE {}", "application/n-triples"),
        ("CONSTRUCT { _:b <http://x/p> 1 } WHERE {}", "text/turtle"),
    ],
)
def test_answers_that_vary_are_never_cached(
    sparql_server: ServerProcess, query: str, accept: str
) -> None:
    first = get(sparql_server, query, accept)
    time.sleep(0.01)  # NOW() changes with the clock
    second = get(sparql_server, query, accept)
    assert first.status == second.status == 200, first.text
    assert first.body != second.body
    for answer in (first, second):
        assert answer.header("X-Defkg-Cache") == "off"
        assert answer.header("ETag") is None


def test_a_deterministic_answer_is_cached(sparql_server: ServerProcess) -> None:
    query = f"SELECT (STR(1) AS ?x) {{}} # {time.monotonic_ns()}"
    first, second = get(sparql_server, query), get(sparql_server, query)
    assert first.body == second.body
    assert (first.header("X-Defkg-Cache"), second.header("X-Defkg-Cache")) == ("miss", "hit")


@pytest.fixture(scope="module")
def small_cache_server(
    fixture_release: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    # one web process: the cache (and the stats /healthz gives of it) is each process's own
    env = {"DEFKG_RESULT_CACHE_BYTES": str(CACHE_BYTES), "DEFKG_WEB_PROCESSES": "1"}
    server = start_server(fixture_release, tmp_path_factory.mktemp("logs") / "cache.log", env)
    yield server
    server.stop()


def cache_stats(server: ServerProcess) -> dict[str, int]:
    return json.loads(http_fetch("GET", server.url + "healthz").body)["result_cache"]


def test_the_cache_stays_within_its_bytes_with_long_keys(
    small_cache_server: ServerProcess,
) -> None:
    # 60 distinct queries of 12,000 non-ASCII characters (3 bytes each in memory once sent to
    # a worker, 6 in the percent-encoded query string the index keeps): some 6 MB of keys
    # alone, five times the budget of answers and index together.
    padding = "é" * 12_000
    queries = [f"ASK {{ }} # {n} {padding}" for n in range(60)]
    answers: list[Answer] = []
    for query in queries:
        answers.append(get(small_cache_server, query))
        stats = cache_stats(small_cache_server)
        assert stats["answer_bytes"] <= CACHE_BYTES, stats
        assert stats["request_bytes"] <= CACHE_BYTES // 8, stats
    assert all(a.status == 200 for a in answers)
    assert {a.header("X-Defkg-Cache") for a in answers} == {"miss"}
    stats = cache_stats(small_cache_server)
    assert stats["limit_bytes"] == CACHE_BYTES + CACHE_BYTES // 8
    assert 0 < stats["answers"] < len(queries)  # the oldest were evicted, bytes and all
    assert 0 < stats["requests"] < len(queries)
    # the latest is still a hit; the first, evicted, is answered afresh
    assert get(small_cache_server, queries[-1]).header("X-Defkg-Cache") == "hit"
    assert get(small_cache_server, queries[0]).header("X-Defkg-Cache") == "miss"
