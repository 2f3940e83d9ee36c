"""The endpoint's safety rules, each shown over real HTTP against a running `defkg serve`.

A dedicated server runs with small limits (2 s per query, 1 s for SERVICE, 100 rows, 20 kB,
2,000-character queries, 4 kB requests, 3 queries at once, 2 workers) and an allow-list naming
one local SPARQL endpoint, so that every rule can be hit quickly.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import (
    FIXTURE_FILLER,
    Answer,
    RecordingListener,
    ServerProcess,
    http_fetch,
    start_server,
)

BASE = "https://w3id.org/defkg/"
PREFIXES = f"PREFIX defkg: <{BASE}ontology/> PREFIX kg: <{BASE}id/>\n"
# Four copies of the filler: 300^4 combinations, far beyond any time limit, in one pyoxigraph call.
EXPENSIVE = PREFIXES + (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a defkg:index ?w . ?b defkg:index ?x . "
    "?c defkg:index ?y . ?d defkg:index ?z }"
)
CHEAP = PREFIXES + "ASK { kg:lebanon ?p ?o }"
LIMITS = {
    "DEFKG_QUERY_TIMEOUT": "2",
    "DEFKG_SERVICE_TIMEOUT": "1",
    "DEFKG_MAX_RESULT_ROWS": "100",
    "DEFKG_MAX_RESULT_BYTES": "20000",
    "DEFKG_MAX_QUERY_LENGTH": "2000",
    "DEFKG_MAX_REQUEST_BYTES": "4000",
    "DEFKG_MAX_CONCURRENT_QUERIES": "3",
    # These tests load the server from one address: the server-wide limits are under test
    # here, the per-client budgets in test_front.py.
    "DEFKG_CLIENT_MAX_CONCURRENT_QUERIES": "8",
    "DEFKG_WORKERS": "2",
    "DEFKG_MAX_QUERY_MEMORY_MB": "150",
    "DEFKG_SERVICE_MAX_BYTES": "1000000",
}


#: /huge answers this many rows of about 250 bytes each (50 MB), far over the SERVICE cap.
HUGE_ROWS = 200_000


class FakeEndpoint(BaseHTTPRequestHandler):
    """An allow-listed SPARQL endpoint: /sparql answers one row, /slow never answers in time,
    /huge answers at once with 50 MB of rows (/hugestream: the same without a Content-Length,
    so only counting the bytes as they come can stop it)."""

    received: list[str] = []  # noqa: RUF012 (shared on purpose: the test reads it)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        FakeEndpoint.received.append(f"{self.path} {body}")
        if self.path.startswith("/huge"):
            self.send_huge_answer()
            return
        if self.path.startswith("/slow"):
            time.sleep(5)
        answer = {
            "head": {"vars": ["x"]},
            "results": {"bindings": [{"x": {"type": "literal", "value": "from the remote"}}]},
        }
        data = json.dumps(answer).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the caller gave up (the slow case)

    do_GET = do_POST

    def send_huge_answer(self) -> None:
        row = b'{"x":{"type":"literal","value":"' + b"y" * 200 + b'"}}'
        rows = b",".join([row] * 1000)
        head, tail = b'{"head":{"vars":["x"]},"results":{"bindings":[', b"]}}"
        batches = HUGE_ROWS // 1000
        length = len(head) + batches * len(rows) + (batches - 1) + len(tail)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            if not self.path.startswith("/hugestream"):
                self.send_header("Content-Length", str(length))
            self.end_headers()
            self.wfile.write(head)
            for batch in range(batches):
                self.wfile.write((b"," if batch else b"") + rows)
            self.wfile.write(tail)
        except OSError:
            pass  # the caller hung up: what the cap should make it do

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def allowed_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeEndpoint)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="session")
def limited_server(
    fixture_release, allowed_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    env = dict(
        LIMITS,
        DEFKG_SERVICE_ALLOWLIST=(
            f"{allowed_endpoint}sparql,{allowed_endpoint}slow,{allowed_endpoint}huge,"
            f"{allowed_endpoint}hugestream"
        ),
    )
    server = start_server(fixture_release, tmp_path_factory.mktemp("logs") / "limited.log", env)
    yield server
    server.stop()


def query(server: ServerProcess, text: str, accept: str = "application/sparql-results+json"):
    url = server.url + "sparql?" + urllib.parse.urlencode({"query": text})
    return http_fetch("GET", url, headers={"Accept": accept}, timeout=60)


def assert_refused(answer: Answer, status: int, *words: str) -> None:
    assert answer.status == status, answer.text
    for word in words:
        assert word in answer.text
    assert "Traceback" not in answer.text


def assert_no_connection(listener: RecordingListener) -> None:
    """The listener received no connection, allowing a moment for a late one to land."""
    time.sleep(0.2)
    assert listener.connections == 0


def wait_for_workers(server: ServerProcess, count: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        health = json.loads(http_fetch("GET", server.url + "healthz").body)
        if health["query_workers"] == count:
            return
        time.sleep(0.2)
    raise AssertionError(f"the pool did not get back to {count} workers")


# --- the time limit --------------------------------------------------------------------------


def test_an_expensive_query_is_stopped_while_others_are_answered(
    limited_server: ServerProcess,
) -> None:
    wait_for_workers(limited_server, 2)
    slow: list[Answer] = []
    runner = threading.Thread(target=lambda: slow.append(query(limited_server, EXPENSIVE)))
    runner.start()
    time.sleep(0.3)  # let the expensive query reach a worker
    cheap_answers = [query(limited_server, CHEAP) for _ in range(5)]
    still_running = runner.is_alive()
    runner.join()

    assert all(a.status == 200 and json.loads(a.body)["boolean"] for a in cheap_answers)
    assert still_running, "the cheap queries should have been answered while the other ran"
    assert_refused(slow[0], 504, "time limit of 2 s", "stopped")
    # The killed worker is replaced, and the endpoint goes on answering.
    wait_for_workers(limited_server, 2)
    assert query(limited_server, CHEAP).status == 200


def _saturated(server: ServerProcess, probes: int) -> tuple[list[Answer], list[Answer]]:
    """Three expensive queries (the limit) in flight, then ``probes`` new cheap ones: the
    expensive queries' answers and the probes' answers."""
    answers: list[Answer] = []
    runners = [
        threading.Thread(target=lambda: answers.append(query(server, EXPENSIVE))) for _ in range(3)
    ]
    for runner in runners:
        runner.start()
    time.sleep(0.5)  # all three admitted: running, or waiting for a worker
    # Queries never asked before: a cached answer needs no worker, so it would still be served.
    probed = [query(server, CHEAP + f"\n# {time.monotonic_ns()}") for _ in range(probes)]
    for runner in runners:
        runner.join()
    return answers, probed


def test_saturation_is_503_with_retry_after(limited_server: ServerProcess) -> None:
    wait_for_workers(limited_server, 2)
    answers, (refused,) = _saturated(limited_server, 1)
    assert_refused(refused, 503, "too many queries")
    assert refused.header("Retry-After") is not None
    assert sorted(a.status for a in answers) == [504, 504, 504]
    wait_for_workers(limited_server, 2)


def test_saturation_counts_the_queries_of_every_web_process(
    fixture_release, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Two web processes with a query worker each: the limit of 3 is the server's, not each
    # process's (each new connection may land on either process).
    env = dict(LIMITS, DEFKG_WEB_PROCESSES="2", DEFKG_WORKERS="1")
    server = start_server(fixture_release, tmp_path_factory.mktemp("logs") / "two.log", env)
    try:
        deadline = time.monotonic() + 30
        while server.log().count("ready: ") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # the server answered as soon as its first process was ready
        assert server.log().count("ready: ") == 2
        answers, refused = _saturated(server, 6)
        for answer in refused:
            assert_refused(answer, 503, "too many queries")
        assert sorted(a.status for a in answers) == [504, 504, 504]
        # Once they are stopped, both processes answer again.
        assert all(query(server, CHEAP).status == 200 for _ in range(6))
    finally:
        server.stop()


# --- result caps -------------------------------------------------------------------------------


def test_too_many_rows_is_refused_not_truncated(limited_server: ServerProcess) -> None:
    all_filler = PREFIXES + "SELECT ?s WHERE { ?s defkg:index ?i }"
    assert FIXTURE_FILLER > 100
    for accept in ("application/sparql-results+json", "text/csv", "text/tab-separated-values"):
        assert_refused(query(limited_server, all_filler, accept), 422, "100 rows", "LIMIT")
    at_cap = query(limited_server, all_filler + " LIMIT 100")
    assert at_cap.status == 200
    assert len(json.loads(at_cap.body)["results"]["bindings"]) == 100


def test_too_many_triples_is_refused(limited_server: ServerProcess) -> None:
    construct = PREFIXES + "CONSTRUCT WHERE { ?s defkg:index ?i }"
    assert_refused(query(limited_server, construct, "text/turtle"), 422, "100 triples")


def test_too_many_bytes_is_refused(limited_server: ServerProcess) -> None:
    wide = PREFIXES + (
        "SELECT (CONCAT(STR(?s), STR(?s), STR(?s), STR(?s), STR(?s), STR(?s), STR(?s), STR(?s))"
        " AS ?x) WHERE { ?s defkg:index ?i } LIMIT 90"
    )
    assert_refused(query(limited_server, wide), 422, "20,000 bytes")
    narrow = query(limited_server, wide.replace("LIMIT 90", "LIMIT 5"))
    assert narrow.status == 200


def test_a_query_that_needs_too_much_memory_is_stopped(limited_server: ServerProcess) -> None:
    wait_for_workers(limited_server, 2)
    # Sorting a three-way cross product (27 million rows) must hold them all in memory.
    hungry = PREFIXES + (
        "SELECT ?a ?b ?c WHERE { ?a defkg:index ?x . ?b defkg:index ?y . ?c defkg:index ?z } "
        "ORDER BY ?x ?y ?z LIMIT 1"
    )
    assert_refused(query(limited_server, hungry), 422, "150 MB of memory")
    wait_for_workers(limited_server, 2)
    assert query(limited_server, CHEAP).status == 200


# --- request size, query length ------------------------------------------------------------------


def test_a_large_request_is_413(limited_server: ServerProcess) -> None:
    padding = "#" + "x" * 5000 + "\n"
    form = http_fetch(
        "POST",
        limited_server.url + "sparql",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        data=urllib.parse.urlencode({"query": padding + CHEAP}).encode(),
    )
    assert_refused(form, 413, "4,000 bytes")
    direct = http_fetch(
        "POST",
        limited_server.url + "sparql",
        headers={"Content-Type": "application/sparql-query"},
        data=(padding + CHEAP).encode(),
    )
    assert_refused(direct, 413, "4,000 bytes")


def test_a_long_query_is_414_by_get_and_400_by_post(limited_server: ServerProcess) -> None:
    long_query = "#" + "x" * 2500 + "\n" + CHEAP
    assert_refused(query(limited_server, long_query), 414, "limit is 2,000")
    posted = http_fetch(
        "POST",
        limited_server.url + "sparql",
        headers={"Content-Type": "application/sparql-query"},
        data=long_query.encode(),
    )
    assert_refused(posted, 400, "limit is 2,000")


# --- SERVICE allow-list ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        "select * where {{ service silent <{url}> {{ ?s ?p ?o }} }}",
        "PREFIX far: <{url}> SELECT * WHERE {{ {{ SELECT * WHERE "
        "{{ SERVICE far: {{ ?s ?p ?o }} }} }} }}",
        "SELECT * WHERE {{ ?s ?p 1SERVICE<{url}>{{ ?s ?p ?o }} }}",
    ],
)
def test_service_off_the_allow_list_is_refused_before_any_connection(
    limited_server: ServerProcess, recording_listener: RecordingListener, template: str
) -> None:
    url = f"http://127.0.0.1:{recording_listener.port}/"
    answer = query(limited_server, template.format(url=url))
    assert_refused(answer, 403, f"SERVICE <{url}", "is not allowed")
    assert_no_connection(recording_listener)


def test_a_relative_service_endpoint_is_refused(
    limited_server: ServerProcess, recording_listener: RecordingListener
) -> None:
    text = (
        f"BASE <http://127.0.0.1:{recording_listener.port}/> "
        "SELECT * WHERE { OPTIONAL { SERVICE <sparql> { ?s ?p ?o } } }"
    )
    assert_refused(query(limited_server, text), 400, "relative")
    assert_no_connection(recording_listener)


def test_service_with_a_variable_is_refused(
    limited_server: ServerProcess, recording_listener: RecordingListener
) -> None:
    text = (
        f"SELECT * WHERE {{ BIND(<http://127.0.0.1:{recording_listener.port}/> AS ?e) "
        "SERVICE ?e { ?s ?p ?o } }"
    )
    assert_refused(query(limited_server, text), 403, "SERVICE with a variable")
    assert_no_connection(recording_listener)


def test_from_and_dataset_parameters_never_fetch(
    limited_server: ServerProcess, recording_listener: RecordingListener
) -> None:
    url = f"http://127.0.0.1:{recording_listener.port}/"
    assert_refused(query(limited_server, f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}"), 400, url)
    assert_refused(
        query(limited_server, f"SELECT * FROM NAMED <{url}> WHERE {{ ?s ?p ?o }}"), 400, url
    )
    by_parameter = http_fetch(
        "GET",
        limited_server.url
        + "sparql?"
        + urllib.parse.urlencode({"query": CHEAP, "default-graph-uri": url}),
    )
    assert_refused(by_parameter, 400, url)
    assert_no_connection(recording_listener)


def test_an_allow_listed_service_is_called(
    limited_server: ServerProcess, allowed_endpoint: str
) -> None:
    FakeEndpoint.received.clear()
    text = f"SELECT ?x WHERE {{ SERVICE <{allowed_endpoint}sparql> {{ ?x ?p ?o }} }}"
    answer = query(limited_server, text)
    assert answer.status == 200, answer.text
    rows = json.loads(answer.body)["results"]["bindings"]
    assert rows == [{"x": {"type": "literal", "value": "from the remote"}}]
    assert len(FakeEndpoint.received) == 1 and FakeEndpoint.received[0].startswith("/sparql ")


def test_a_service_query_gets_the_shorter_service_time_limit(
    limited_server: ServerProcess, allowed_endpoint: str
) -> None:
    wait_for_workers(limited_server, 2)
    text = f"SELECT ?x WHERE {{ SERVICE <{allowed_endpoint}slow> {{ ?x ?p ?o }} }}"
    assert_refused(query(limited_server, text), 504, "time limit of 1 s")
    wait_for_workers(limited_server, 2)


@pytest.mark.parametrize("path", ["huge", "hugestream"])
def test_a_huge_service_answer_is_refused(
    limited_server: ServerProcess, allowed_endpoint: str, path: str
) -> None:
    wait_for_workers(limited_server, 2)
    # One row out (a COUNT over 50 MB of remote rows from a local endpoint): the row cap, the
    # byte cap and the memory cap would all let it through; only the SERVICE byte cap stops it.
    text = f"SELECT (COUNT(*) AS ?n) WHERE {{ SERVICE <{allowed_endpoint}{path}> {{ ?x ?p ?o }} }}"
    assert_refused(query(limited_server, text), 422, "SERVICE answer exceeded 1000000 bytes")
