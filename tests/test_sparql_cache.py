"""The endpoint's result cache and ETags: repeats answered from memory, keyed, bounded."""

from __future__ import annotations

import urllib.parse
import uuid
from pathlib import Path

from conftest import ServerProcess, http_fetch, write_fixture_release
from defkg.store.embedded import EmbeddedStore, prepare_store
from defkg.store.jobs import QueryJob, QueryOutcome
from defkg.web.result_cache import ResultCache, result_etag, result_key

BASE = "https://w3id.org/defkg/"
JSON = "application/sparql-results+json"


def unique_query() -> str:
    """A query no other test has asked (the session's server keeps its cache between tests)."""
    return f"# {uuid.uuid4()}\nSELECT ?s WHERE {{ ?s <{BASE}ontology/index> ?i }} ORDER BY ?s"


def ask(server: ServerProcess, query: str, headers: dict[str, str] | None = None, **params: str):
    url = server.url + "sparql?" + urllib.parse.urlencode({"query": query, **params})
    return http_fetch("GET", url, headers={"Accept": JSON, **(headers or {})})


def test_a_repeated_query_is_answered_from_the_cache(sparql_server: ServerProcess) -> None:
    query = unique_query()
    first = ask(sparql_server, query)
    second = ask(sparql_server, query)
    assert first.status == second.status == 200
    assert first.header("X-Defkg-Cache") == "miss"
    assert second.header("X-Defkg-Cache") == "hit"
    assert second.body == first.body
    assert second.header("Content-Type") == first.header("Content-Type")
    assert second.header("ETag") == first.header("ETag") is not None
    # The repeat, answered before Flask, is still in the access log (once per request).
    marker = query.split("\n", 1)[0].removeprefix("# ")
    assert sparql_server.log_once_written(marker, count=2).count(marker) == 2


def test_the_cache_is_keyed_by_format_dataset_and_endpoint(sparql_server: ServerProcess) -> None:
    query = unique_query()
    assert ask(sparql_server, query).header("X-Defkg-Cache") == "miss"
    csv = ask(sparql_server, query, {"Accept": "text/csv"})
    assert csv.header("X-Defkg-Cache") == "miss" and csv.header("Content-Type").startswith(
        "text/csv"
    )
    # Only the entities graph: another dataset, another (here empty) answer.
    only_entities = ask(sparql_server, query, **{"default-graph-uri": BASE + "graph/entities"})
    assert only_entities.header("X-Defkg-Cache") == "miss"
    assert only_entities.body != ask(sparql_server, query).body
    inferred_url = sparql_server.url + "sparql/inferred?" + urllib.parse.urlencode({"query": query})
    inferred = http_fetch("GET", inferred_url, headers={"Accept": JSON})
    assert inferred.header("X-Defkg-Cache") == "miss"
    etags = {
        ask(sparql_server, query).header("ETag"),
        csv.header("ETag"),
        only_entities.header("ETag"),
        inferred.header("ETag"),
    }
    assert len(etags) == 4


def test_if_none_match_gets_304_without_a_body(sparql_server: ServerProcess) -> None:
    query = unique_query()
    etag = ask(sparql_server, query).header("ETag")
    assert etag
    again = ask(sparql_server, query, {"If-None-Match": etag})
    assert again.status == 304 and again.body == b""
    assert again.header("ETag") == etag
    other = ask(sparql_server, query, {"If-None-Match": '"something-else"'})
    assert other.status == 200


def test_errors_are_not_cached(sparql_server: ServerProcess) -> None:
    broken = unique_query() + " }"
    first, second = ask(sparql_server, broken), ask(sparql_server, broken)
    assert first.status == second.status == 400
    assert first.header("X-Defkg-Cache") is None and first.header("ETag") is None


def job(query: str, fmt: str = JSON) -> QueryJob:
    return QueryJob(query, None, None, fmt, None, 1000, 10_000)


def test_the_cache_is_bounded_by_bytes_least_recently_used_first() -> None:
    cache = ResultCache(80_000)
    body = b"x" * 5_000  # with overhead, about 5.4 kB an entry: some 14 fit
    keys = [result_key("r1", job(f"SELECT {n}")) for n in range(40)]
    cache.put(keys[0], QueryOutcome(200, JSON, body))
    for key in keys[1:]:
        assert cache.get(keys[0]) is not None  # keeps the first one recently used
        cache.put(key, QueryOutcome(200, JSON, body))
    assert cache.size <= 80_000
    assert 10 <= len(cache) < 40
    assert cache.get(keys[0]) is not None
    assert cache.get(keys[1]) is None  # the least recently used went first
    assert cache.get(keys[-1]) is not None
    # An answer bigger than an eighth of the budget is not kept; errors never are.
    assert not cache.put(result_key("r1", job("big")), QueryOutcome(200, JSON, b"x" * 20_000))
    assert not cache.put(result_key("r1", job("bad")), QueryOutcome.error(400, "no"))
    assert not ResultCache(0).put(keys[0], QueryOutcome(200, JSON, body))


def test_a_new_release_has_another_tag_so_old_answers_are_never_served(tmp_path: Path) -> None:
    first = write_fixture_release(tmp_path / "one" / "dist")
    second = write_fixture_release(tmp_path / "two" / "dist")
    trig = second / "defkg.trig"
    trig.write_bytes(trig.read_bytes() + b"\n# a new release\n")
    (second / "SHA256SUMS").write_text("changed  defkg.trig\n")
    tags = [
        EmbeddedStore(prepare_store(dist), inferred_graph="i", shapes_graph="s").release_tag()
        for dist in (first, second)
    ]
    assert tags[0] != tags[1]
    cache = ResultCache(1_000_000)
    same = job("SELECT * {}")
    cache.put(result_key(tags[0], same), QueryOutcome(200, JSON, b"old"))
    assert cache.get(result_key(tags[1], same)) is None
    assert result_etag(tags[0], same) != result_etag(tags[1], same)
