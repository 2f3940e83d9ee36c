"""The query workers' network sandbox (issue 11, point 2): a defence below the SERVICE check.

* A worker handed a query the check never saw (the pool is called directly) connects to
  nothing: not to a listener on this host's loopback, not to any other address.
* SERVICE through the relay still works over HTTP against ``defkg serve``.
* Where the sandbox cannot be made (here: ``defkg serve`` started under a seccomp filter that
  forbids ``unshare``, as Docker's default profile does), SERVICE is switched off with one log
  line and a service-description entry, and every other query is answered.
"""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from conftest import RecordingListener, ServerProcess, http_fetch, start_server
from defkg.store.embedded import prepare_store
from defkg.store.executor import QueryPool
from defkg.store.jobs import QueryJob
from defkg.store.service_relay import ServiceRelay

BASE = "https://w3id.org/defkg/"
RESULTS_JSON = "application/sparql-results+json"


def job(query: str) -> QueryJob:
    return QueryJob(
        query=query,
        default_graphs=None,
        named_graphs=None,
        solutions_type=RESULTS_JSON,
        graph_type=None,
        max_rows=100,
        max_bytes=1_000_000,
    )


@pytest.fixture(scope="module")
def pool(fixture_release: Path) -> Iterator[QueryPool]:
    relay = ServiceRelay(2.0, 1_000_000)
    pool = QueryPool(
        prepare_store(fixture_release), size=1, max_concurrent=2, relay_socket=relay.socket_path
    )
    pool.start()
    yield pool
    pool.close()
    relay.shutdown()


def test_the_workers_are_isolated(pool: QueryPool) -> None:
    assert pool.sandboxed, pool.isolation


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:{port}/sparql",  # a listener on this host's loopback
        "http://localhost:{port}/sparql",
        "http://[::1]:{port}/sparql",
        "http://192.0.2.1/sparql",  # anywhere else (TEST-NET-1)
        "http://example.org/sparql",  # a name: DNS cannot be reached either
    ],
)
def test_a_query_the_check_never_saw_connects_to_nothing(
    pool: QueryPool, recording_listener: RecordingListener, endpoint: str
) -> None:
    url = endpoint.format(port=recording_listener.port)
    started = time.monotonic()
    outcome = pool.run(job(f"SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"), timeout=20)
    assert outcome.status == 502, outcome.body
    assert b"SERVICE call failed" in outcome.body or b"fetching" in outcome.body
    assert time.monotonic() - started < 10  # refused or unreachable at once, not a timeout
    time.sleep(0.2)
    assert recording_listener.connections == 0


# --- SERVICE through the relay, over HTTP -----------------------------------------------------


class Endpoint(BaseHTTPRequestHandler):
    """An allow-listed SPARQL endpoint answering one row."""

    def do_GET(self) -> None:
        data = json.dumps(
            {
                "head": {"vars": ["x"]},
                "results": {"bindings": [{"x": {"type": "literal", "value": "remote"}}]},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", RESULTS_JSON)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    server.shutdown()


def sparql(server: ServerProcess, query: str):
    url = server.url + "sparql?" + urllib.parse.urlencode({"query": query})
    return http_fetch("GET", url, headers={"Accept": RESULTS_JSON})


def test_service_through_the_relay_works_over_http(
    fixture_release: Path, endpoint: str, tmp_path: Path
) -> None:
    allow = {"DEFKG_SERVICE_ALLOWLIST": endpoint}
    server = start_server(fixture_release, tmp_path / "serve.log", allow)
    try:
        answer = sparql(server, f"SELECT ?x WHERE {{ SERVICE <{endpoint}> {{ ?x ?y ?z }} }}")
        assert answer.status == 200, answer.text
        rows = json.loads(answer.body)["results"]["bindings"]
        assert rows == [{"x": {"type": "literal", "value": "remote"}}]
        assert "isolated from the network (network namespace)" in server.log()
    finally:
        server.stop()


# --- where the sandbox cannot be made ------------------------------------------------------

#: x86-64 and aarch64 numbers of the unshare system call
_UNSHARE = {"x86_64": 272, "aarch64": 97}.get(platform.machine())

#: Python run before `defkg serve`: a seccomp filter making unshare fail with EPERM for this
#: process and all it starts (what Docker's default seccomp profile does to containers).
NO_UNSHARE = f"""
import ctypes
class _F(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                ("k", ctypes.c_uint)]
class _P(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_F))]
_prog = (_F * 4)(_F(0x20, 0, 0, 0), _F(0x15, 0, 1, {_UNSHARE}), _F(0x06, 0, 0, 0x00050001),
                 _F(0x06, 0, 0, 0x7FFF0000))
_libc = ctypes.CDLL(None, use_errno=True)
assert _libc.prctl(38, 1, 0, 0, 0) == 0
assert _libc.prctl(22, 2, ctypes.byref(_P(4, _prog)), 0, 0) == 0
"""


@pytest.mark.skipif(_UNSHARE is None, reason="seccomp numbers known for x86-64 and aarch64")
def test_without_the_sandbox_service_is_switched_off(
    fixture_release: Path, endpoint: str, tmp_path: Path
) -> None:
    server = start_server(
        fixture_release,
        tmp_path / "serve.log",
        {"DEFKG_SERVICE_ALLOWLIST": endpoint},
        prelude=NO_UNSHARE,
    )
    try:
        answer = sparql(server, f"SELECT ?x WHERE {{ SERVICE <{endpoint}> {{ ?x ?y ?z }} }}")
        assert answer.status == 403, answer.text
        assert "SERVICE is switched off" in answer.text
        # every other query is answered
        assert sparql(server, "ASK { ?s ?p ?o }").status == 200
        # one clear log line per web process at most (each runs its own query workers),
        # naming why
        log = server.log()
        lines = [line for line in log.splitlines() if "SERVICE is switched off" in line]
        web_processes = int(re.search(r"with (\d+) web process", log).group(1))  # type: ignore[union-attr]
        assert 1 <= len(lines) <= web_processes, log
        assert all("cannot create a network namespace" in line for line in lines)
        # the service description says so, and offers no federated query
        description = http_fetch("GET", server.url + "sparql", headers={"Accept": "text/turtle"})
        graph = Graph().parse(data=description.body, format="turtle")
        service = URIRef(server.url + "sparql")
        off = graph.value(service, URIRef(BASE + "ontology/serviceCallsOff"))
        assert off is not None and "not isolated" in str(off)
        federated = URIRef("http://www.w3.org/ns/sparql-service-description#BasicFederatedQuery")
        assert federated not in set(graph.objects(service, None))
        assert graph.value(service, URIRef(BASE + "ontology/allowedServiceEndpoint")) is None
    finally:
        server.stop()


def test_unshare_is_what_the_filter_forbids() -> None:
    # The filter above, in a child: unshare fails with EPERM there, so the test above is about
    # the missing sandbox and nothing else.
    code = NO_UNSHARE + "print(_libc.unshare(0x40000000), ctypes.get_errno())\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["-1", "1"], done.stderr
