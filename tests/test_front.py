"""The server's front, over real HTTP against `defkg serve`: security headers on every page,
slow, idle and non-reading clients, absolute URLs from configuration, per-client fairness.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import ServerProcess, http_fetch, start_server

HTML_PAGES = ("", "sparql", "id/kazakhstan", "ontology/Country")


def test_every_html_page_has_a_policy_without_inline_script(sparql_server: ServerProcess) -> None:
    for path in HTML_PAGES:
        answer = http_fetch("GET", sparql_server.url + path, headers={"Accept": "text/html"})
        assert answer.status == 200, (path, answer.status)
        assert answer.headers["content-type"].startswith("text/html"), path
        policy = answer.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'", path
        assert directives["frame-ancestors"] == "'none'", path
        assert directives["object-src"] == "'none'", path
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["referrer-policy"], path
        text = answer.text
        # No script the policy would refuse: every <script> is a file or a JSON data block.
        for tag in re.findall(r"<script\b[^>]*>", text, re.IGNORECASE):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
        assert not re.search(r"\son[a-z]+\s*=", text, re.IGNORECASE), path
        assert "javascript:" not in text.lower(), path


def test_answers_that_are_not_pages_are_not_sniffed(sparql_server: ServerProcess) -> None:
    query = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
    for url in (sparql_server.url + "sparql?" + query, sparql_server.url + "healthz"):
        answer = http_fetch("GET", url)
        assert answer.status == 200
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "content-security-policy" not in answer.headers  # only pages need one


# --- slow, idle and non-reading clients ---------------------------------------------------------


def _slow_clients():
    """benchmarks/slow_clients.py (not a package): the abuse the server is chosen by."""
    import importlib.util
    import sys

    name = "defkg_bench_slow_clients"
    if name not in sys.modules:
        path = Path(__file__).resolve().parent.parent / "benchmarks" / "slow_clients.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def abused_server(fixture_release: Path, tmp_path_factory: pytest.TempPathFactory):
    server = start_server(
        fixture_release,
        tmp_path_factory.mktemp("logs") / "abused-server.log",
        {"DEFKG_REQUEST_READ_TIMEOUT": "6", "DEFKG_CLIENT_TIMEOUT": "8"},
    )
    yield server
    server.stop()


def test_idle_slowloris_and_non_reading_clients_do_not_hold_the_site(
    abused_server: ServerProcess,
) -> None:
    slow = _slow_clients()
    abuse = slow.open_abuse(abused_server.url, idle=200, slowloris=60, non_reading=16)
    try:
        assert abuse.refused == 0
        time.sleep(1.0)  # the non-reading clients' answers are being written by now
        worst = slow.longest_wait(abused_server.url, rounds=4, pause=0.25)
        for path, (seconds, status) in worst.items():
            assert status == 200, (path or "/", status)
            assert seconds < 1.0, (path or "/", seconds)
        # A query still runs: the app's threads are not lent to the slow clients.
        query = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
        answer = http_fetch("GET", abused_server.url + "sparql?" + query, timeout=10)
        assert answer.status == 200, answer.text
    finally:
        abuse.close()


def _closed_within(sock: socket.socket, seconds: float, trickle: bytes | None = None) -> float:
    """Seconds until the server closes ``sock`` (reading and discarding what it sends), while
    ``trickle`` is sent every 0.5 s; fails after ``seconds``."""
    started = time.monotonic()
    sock.settimeout(0.5)
    while time.monotonic() - started < seconds:
        try:
            if trickle is not None:
                sock.send(trickle)
            if sock.recv(65536) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except OSError:  # reset: closed as well
            return time.monotonic() - started
    raise AssertionError(f"the connection was still open after {seconds} s")


def test_a_request_trickled_forever_is_cut_off_at_the_read_deadline(
    abused_server: ServerProcess,
) -> None:
    """request_read_timeout is 6 s here: a header line every 0.5 s never makes the
    connection silent, yet it is closed soon after 6 s."""
    with socket.create_connection(("127.0.0.1", abused_server.port)) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        elapsed = _closed_within(sock, 30, trickle=b"X-a: b\r\n")
    assert 5 <= elapsed < 20, elapsed


def test_a_silent_connection_is_closed_after_the_client_timeout(
    abused_server: ServerProcess,
) -> None:
    with socket.create_connection(("127.0.0.1", abused_server.port)) as sock:
        elapsed = _closed_within(sock, 40)
    assert 7 <= elapsed < 25, elapsed


# --- absolute URLs from the configuration, never from the Host header ------------------------

EVIL = {"Host": "evil.example"}
VOID_NS = "http://rdfs.org/ns/void#"
SD_NS = "http://www.w3.org/ns/sparql-service-description#"


def _graph(answer, fmt: str = "turtle"):
    from rdflib import Graph

    assert answer.status == 200, answer.text
    return Graph().parse(data=answer.body, format=fmt)


def test_urls_name_the_address_served_not_the_host_header(sparql_server: ServerProcess) -> None:
    """The server runs on a random port (never the default 8000): every absolute URL it
    writes names that port on the address it binds, whatever Host says."""
    from rdflib import URIRef

    url = sparql_server.url
    assert ":8000/" not in url
    described = http_fetch("GET", url + "sparql", headers={**EVIL, "Accept": "text/turtle"})
    assert b"evil.example" not in described.body
    endpoints = set(_graph(described).objects(None, URIRef(SD_NS + "endpoint")))
    assert endpoints == {URIRef(url + "sparql")}
    page = http_fetch("GET", url + "sparql/inferred", headers={**EVIL, "Accept": "text/html"})
    assert page.status == 200 and "evil.example" not in page.text
    assert f'action="{url}sparql/inferred"' in page.text
    redirect = http_fetch("GET", url + "id/kazakhstan", headers={**EVIL, "Accept": "text/html"})
    assert redirect.status in (200, 303)
    assert "evil.example" not in str(redirect.headers)


def test_served_void_names_this_server_and_its_dumps(
    built_release: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from rdflib import URIRef

    server = start_server(built_release, tmp_path_factory.mktemp("logs") / "void-server.log")
    try:
        answer = http_fetch("GET", server.url + ".well-known/void", headers=EVIL)
        assert b"evil.example" not in answer.body and b":8000/" not in answer.body
        void = _graph(answer)
        endpoints = set(void.objects(None, URIRef(VOID_NS + "sparqlEndpoint")))
        assert URIRef(server.url + "sparql") in endpoints
        dumps = list(void.objects(None, URIRef(VOID_NS + "dataDump")))
        assert dumps and all(str(d).startswith(server.url + "download/") for d in dumps)
        for dump in dumps[:2]:  # and they are really there
            assert http_fetch("HEAD", str(dump)).status == 200
        # The file in the release is as built (byte for byte): only what is served moves.
        download = http_fetch("GET", server.url + "download/void.ttl")
        assert download.body == (built_release / "void.ttl").read_bytes()
    finally:
        server.stop()


def test_the_public_url_setting_wins(
    fixture_release: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from rdflib import URIRef

    public = "https://data.example.org/kg/"
    server = start_server(
        fixture_release,
        tmp_path_factory.mktemp("logs") / "public-url-server.log",
        {"DEFKG_PUBLIC_URL": public},
    )
    try:
        described = http_fetch(
            "GET", server.url + "sparql", headers={**EVIL, "Accept": "text/turtle"}
        )
        endpoints = set(_graph(described).objects(None, URIRef(SD_NS + "endpoint")))
        assert endpoints == {URIRef(public + "sparql")}
        page = http_fetch("GET", server.url + "sparql", headers={"Accept": "text/html"})
        assert f'action="{public}sparql"' in page.text
        assert "https://data.example.org" in page.headers["content-security-policy"]
    finally:
        server.stop()


# --- fairness: per-client budgets ------------------------------------------------------------

# 300^4 combinations of the fixture's filler: runs until the time limit stops it.
EXPENSIVE = (
    "PREFIX defkg: <https://w3id.org/defkg/ontology/> SELECT (COUNT(*) AS ?n) WHERE { "
    "?a defkg:index ?w . ?b defkg:index ?x . ?c defkg:index ?y . ?d defkg:index ?z }"
)


def query_from(
    server: ServerProcess,
    query: str,
    source: str = "127.0.0.1",
    headers: dict[str, str] | None = None,
    timeout: float = 60,
):
    """POST ``query`` from the local address ``source`` (any 127.0.0.x is this machine);
    the answer and the seconds it took."""
    import http.client

    from conftest import Answer

    started = time.monotonic()
    connection = http.client.HTTPConnection(
        "127.0.0.1", server.port, timeout=timeout, source_address=(source, 0)
    )
    try:
        connection.request(
            "POST",
            "/sparql",
            body=query.encode(),
            headers={
                "Content-Type": "application/sparql-query",
                "Accept": "application/sparql-results+json",
                **(headers or {}),
            },
        )
        response = connection.getresponse()
        answer = Answer(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()
    return answer, time.monotonic() - started


def cheap(tag: str) -> str:
    """A cheap query never asked before (the cache cannot answer it)."""
    return f"ASK {{ ?s ?p ?o }} # {tag} {time.monotonic_ns()}"


def _in_background(function, *args) -> tuple[list, threading.Thread]:
    results: list = []
    thread = threading.Thread(target=lambda: results.append(function(*args)), daemon=True)
    thread.start()
    return results, thread


@pytest.fixture(scope="module")
def fair_server(fixture_release: Path, tmp_path_factory: pytest.TempPathFactory):
    """Default budgets (two query workers per web process: one query at a time per client),
    a short time limit, 127.0.0.9 as the trusted proxy, and three web processes, so that one
    client's connections land in different processes whatever the machine's CPU count: the
    budgets hold for the server as a whole."""
    server = start_server(
        fixture_release,
        tmp_path_factory.mktemp("logs") / "fair-server.log",
        {
            "DEFKG_QUERY_TIMEOUT": "4",
            "DEFKG_TRUSTED_PROXIES": "127.0.0.9, 10.1.0.0/16",
            "DEFKG_WEB_PROCESSES": "3",
        },
    )
    yield server
    server.stop()


def _one_client_floods_another_asks(server: ServerProcess, flood, ask) -> None:
    """``flood()`` sends one expensive query; four at once; then ``ask()``, a cheap one, is
    answered within 1 s, and the flooder's queries beyond its budget are 429s."""
    floods = [_in_background(flood) for _ in range(4)]
    time.sleep(0.5)  # the expensive queries are running or refused by now
    answer, seconds = ask()
    assert answer.status == 200, answer.text
    assert seconds < 1.0, seconds
    for _results, thread in floods:
        thread.join(30)
    statuses = sorted(results[0][0].status for results, _ in floods)
    assert statuses == [429, 429, 429, 504], statuses
    refused = next(r[0][0] for r, _ in floods if r[0][0].status == 429)
    assert int(refused.header("Retry-After")) >= 1
    assert "per client" in refused.text


def test_one_clients_expensive_queries_do_not_delay_anothers_cheap_one(
    fair_server: ServerProcess,
) -> None:
    _one_client_floods_another_asks(
        fair_server,
        lambda: query_from(fair_server, EXPENSIVE, "127.0.0.2"),
        lambda: query_from(fair_server, cheap("b"), "127.0.0.3"),
    )


def test_clients_behind_a_trusted_proxy_are_told_apart_by_x_forwarded_for(
    fair_server: ServerProcess,
) -> None:
    proxy = "127.0.0.9"
    _one_client_floods_another_asks(
        fair_server,
        lambda: query_from(
            fair_server, EXPENSIVE, proxy, {"X-Forwarded-For": "198.51.100.7, 10.1.2.3"}
        ),
        lambda: query_from(fair_server, cheap("c"), proxy, {"X-Forwarded-For": "198.51.100.8"}),
    )
    log = fair_server.log_once_written("198.51.100.7 ", "198.51.100.8 ")
    assert "198.51.100.7 " in log and "198.51.100.8 " in log  # the access log names them


def test_x_forwarded_for_from_anyone_else_is_not_believed(fair_server: ServerProcess) -> None:
    results, thread = _in_background(
        query_from, fair_server, EXPENSIVE, "127.0.0.4", {"X-Forwarded-For": "192.0.2.1"}
    )
    time.sleep(0.5)
    answer, _ = query_from(fair_server, cheap("d"), "127.0.0.4", {"X-Forwarded-For": "192.0.2.2"})
    assert answer.status == 429, answer.text  # the same client, whatever it claims
    thread.join(30)
    assert results[0][0].status == 504


def test_a_client_over_its_query_seconds_is_held_back_others_are_not(
    fixture_release: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    server = start_server(
        fixture_release,
        tmp_path_factory.mktemp("logs") / "seconds-server.log",
        {"DEFKG_QUERY_TIMEOUT": "2", "DEFKG_CLIENT_QUERY_SECONDS": "3"},
    )
    try:
        first, _ = query_from(server, EXPENSIVE, "127.0.0.5")
        assert first.status == 504
        second, _ = query_from(server, EXPENSIVE, "127.0.0.5")
        assert second.status == 504  # 2 s used of 3: still admitted
        held, seconds = query_from(server, cheap("e"), "127.0.0.5")
        assert held.status == 429, held.text
        assert seconds < 1.0
        assert "3 s per minute" in held.text
        assert int(held.header("Retry-After")) >= 1
        other, _ = query_from(server, cheap("f"), "127.0.0.6")
        assert other.status == 200, other.text
    finally:
        server.stop()


def test_waiting_for_a_worker_does_not_eat_the_time_limit(
    fixture_release: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """One web process with one query worker, a 3 s limit: a cheap query that waits ~3 s for
    the worker (and its replacement) is still answered, not stopped at the limit."""
    server = start_server(
        fixture_release,
        tmp_path_factory.mktemp("logs") / "wait-server.log",
        {"DEFKG_QUERY_TIMEOUT": "3", "DEFKG_WORKERS": "1", "DEFKG_WEB_PROCESSES": "1"},
    )
    try:
        results, thread = _in_background(query_from, server, EXPENSIVE, "127.0.0.7")
        time.sleep(0.5)
        answer, seconds = query_from(server, cheap("g"), "127.0.0.8")
        thread.join(30)
        assert results[0][0].status == 504
        assert answer.status == 200, answer.text
        assert seconds > 2.0  # it did wait for the worker
    finally:
        server.stop()


# --- GET queries up to the advertised length -------------------------------------------------


def _padded(length: int, filler: str = "x") -> str:
    """A cheap query of exactly ``length`` characters (padded by a comment)."""
    head = "ASK { ?s ?p ?o }\n#"
    return head + filler * (length - len(head))


def test_get_queries_up_to_the_advertised_length_then_a_plain_414_with_cors(
    sparql_server: ServerProcess,
) -> None:
    described = http_fetch(
        "GET", sparql_server.url + "sparql", headers={"Accept": "application/n-triples"}
    )
    advertised = re.search(r'maxQueryLength> "(\d+)"', described.text)
    assert advertised is not None
    limit = int(advertised.group(1))
    assert limit == 20_000
    for query in (_padded(6_000), _padded(limit), _padded(limit, "é")):
        url = sparql_server.url + "sparql?" + urllib.parse.urlencode({"query": query})
        answer = http_fetch("GET", url, headers={"Accept": "application/sparql-results+json"})
        assert answer.status == 200, (len(query), answer.text[:200])
        assert answer.headers["access-control-allow-origin"] == "*"
    for query in (_padded(limit + 1), _padded(limit * 2, "é")):
        url = sparql_server.url + "sparql?" + urllib.parse.urlencode({"query": query})
        answer = http_fetch("GET", url)
        assert answer.status == 414, (len(url), answer.status)
        assert answer.headers["content-type"].startswith("text/plain")
        assert answer.headers["access-control-allow-origin"] == "*"
        assert f"the limit is {limit:,}" in answer.text
    # A URL beyond what the server reads at all (request headers over 256 kB) is refused by
    # the HTTP server itself, still in plain text and with CORS.
    url = sparql_server.url + "sparql?" + urllib.parse.urlencode({"query": _padded(50_000, "é")})
    answer = http_fetch("GET", url)
    assert answer.status == 431, answer.status
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.headers["access-control-allow-origin"] == "*"


def test_a_client_that_does_not_read_its_answer_is_cut_off(abused_server: ServerProcess) -> None:
    """client_timeout is 8 s here: an answer of megabytes that the client never reads is
    dropped once the connection has made no progress for that long."""
    slow = _slow_clients()
    # As JSON, some 9 MB: more than the kernel's socket buffers hold (4 MB each way at most).
    large = urllib.parse.urlencode({"query": slow.LARGE_QUERY, "format": "json"})
    whole = http_fetch("GET", f"{abused_server.url}sparql?{large}", timeout=120)
    assert whole.status == 200 and len(whole.body) > 8_500_000
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", abused_server.port))
    try:
        sock.sendall(f"GET /sparql?{large} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        time.sleep(14)  # not reading: the server's writes stall, then it gives up
        received = 0
        sock.settimeout(5)
        try:
            while chunk := sock.recv(1 << 20):
                received += len(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
        assert received < len(whole.body), received
    finally:
        sock.close()


# --- the budget table, shared by the web processes -------------------------------------------


def _hold_a_query(fd: int, client: str, seconds: float, ready, done) -> None:
    """In a process of its own: admit a query of ``client``; then, told to, either release it
    after ``seconds`` or die holding it (a web process that crashed mid-query)."""
    import os

    from defkg.web.fairness import ClientBudgets

    budgets = ClientBudgets(1, 60.0, 30.0, fd=fd)
    budgets.admit(client)
    ready.send(True)
    if done.recv() == "release":
        budgets.release(client, seconds)
        ready.send(True)
        done.recv()
    os._exit(0)


def test_the_budget_table_is_one_for_every_web_process_and_survives_a_crashed_one() -> None:
    import multiprocessing

    from defkg.web.fairness import ClientBudgets, OverBudget, new_table_file

    fd = new_table_file()
    fork = multiprocessing.get_context("fork")  # as gunicorn forks its web processes
    here = ClientBudgets(1, 60.0, 30.0, fd=fd)
    here.admit("198.51.100.1")  # this process takes a column of the table first

    def other_process(client: str):
        ours, theirs = fork.Pipe()
        process = fork.Process(target=_hold_a_query, args=(fd, client, 61.0, theirs, theirs))
        process.start()
        assert ours.poll(10) and ours.recv()
        return process, ours

    # A query running in another process counts against the same client here.
    process, pipe = other_process("198.51.100.7")
    assert here.running("198.51.100.7") == 1
    with pytest.raises(OverBudget, match="at once"):
        here.admit("198.51.100.7")
    here.admit("198.51.100.8")  # another client is not held back
    # Its worker time counts here too: 61 s is over the budget of 60 s a minute.
    pipe.send("release")
    assert pipe.poll(10) and pipe.recv()
    assert here.running("198.51.100.7") == 0
    with pytest.raises(OverBudget, match="used its query time") as over:
        here.admit("198.51.100.7")
    assert over.value.retry_after >= 1
    pipe.send("exit")
    process.join(10)

    # A process that dies holding a query: the next process to start clears its count.
    process, pipe = other_process("198.51.100.9")
    pipe.send("die")
    process.join(10)
    assert here.running("198.51.100.9") == 1  # left behind by the dead process
    successor = ClientBudgets(1, 60.0, 30.0, fd=fd)
    successor.admit("198.51.100.10")  # claims the free column, the dead process's
    assert here.running("198.51.100.9") == 0
    here.admit("198.51.100.9")


def test_more_web_processes_than_one_budget_table_holds_is_a_clear_error(
    fixture_release: Path,
) -> None:
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", "from defkg.cli import main; main()", "serve", "--port", "0"],
        cwd=fixture_release.parent,
        env={**os.environ, "DEFKG_WEB_PROCESSES": "65"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2, run.stderr
    assert "web_processes is 65: at most 64 web processes" in run.stderr
    assert "Traceback" not in run.stderr


# --- where the web processes run -------------------------------------------------------------


def _children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    found: list[int] = []
    for task in tasks.iterdir():
        children = (task / "children").read_text().split()
        found += [int(child) for child in children]
    return found


def _allowed_cpus(pid: int, tid: int | None = None) -> set[int]:
    status = Path(f"/proc/{pid}/task/{tid or pid}/status").read_text()
    listed = next(
        ln.split(":", 1)[1].strip()
        for ln in status.splitlines()
        if ln.startswith("Cpus_allowed_list")
    )
    cpus: set[int] = set()
    for part in listed.split(","):
        first, _, last = part.partition("-")
        cpus.update(range(int(first), int(last or first) + 1))
    return cpus


def _web_and_query_processes(server: ServerProcess) -> tuple[list[int], list[int]]:
    web = _children(server.process.pid)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not web or any(not _children(w) for w in web)):
        time.sleep(0.2)  # each web process starts its query workers before it answers
        web = _children(server.process.pid)
    return web, [worker for w in web for worker in _children(w)]


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="CPU affinity is Linux's")
@pytest.mark.parametrize("pinned", [True, False], ids=["pinned", "not-pinned"])
def test_each_web_process_answers_on_a_cpu_of_its_own_its_query_workers_on_any(
    fixture_release: Path, tmp_path_factory: pytest.TempPathFactory, pinned: bool
) -> None:
    """DEFKG_PIN_WEB_PROCESSES (default on): each web process's HTTP threads are bound to one
    CPU, the least used; its query workers, which run the queries, are bound to none."""
    everywhere = os.sched_getaffinity(0)
    env = {"DEFKG_WEB_PROCESSES": "3"} if pinned else {"DEFKG_PIN_WEB_PROCESSES": "false"}
    server = start_server(fixture_release, tmp_path_factory.mktemp("logs") / "cpus.log", env=env)
    try:
        answer = http_fetch(
            "GET", server.url + "sparql?" + urllib.parse.urlencode({"query": "ASK {}"})
        )
        assert answer.status == 200
        if pinned:  # each web process binds itself once its query workers have started
            server.log_once_written("answers HTTP on CPU", count=3, timeout=30)
        web, workers = _web_and_query_processes(server)
        assert web and workers
        for worker in workers:
            assert _allowed_cpus(worker) == everywhere
        bound = [_allowed_cpus(pid) for pid in web]
        if not pinned:
            assert all(cpus == everywhere for cpus in bound)
            assert "answers HTTP on CPU" not in server.log()
            return
        assert len(web) == 3 and all(len(cpus) == 1 and cpus <= everywhere for cpus in bound)
        # as evenly as the CPUs allow: no CPU holds two web processes while another has none
        counts = [sum(cpus == {cpu} for cpus in bound) for cpu in everywhere]
        assert max(counts) - min(counts) <= 1, counts
        # the threads answering HTTP are bound with their process
        for pid in web:
            for task in Path(f"/proc/{pid}/task").iterdir():
                name = (task / "comm").read_text().strip()
                if name.startswith("waitress") or int(task.name) == pid:
                    assert _allowed_cpus(pid, int(task.name)) == _allowed_cpus(pid), name
        assert server.log().count("answers HTTP on CPU") == 3
    finally:
        server.stop()


def test_the_budget_table_finds_every_client_among_colliding_ones() -> None:
    # A table of 8 slots, each client probing all 8: every client's count is found again
    # wherever it landed, a full table refuses a newcomer, and a client with nothing running
    # and nothing charged gives its slot to the next one without losing anyone else's.
    from defkg.web.fairness import ClientBudgets, OverBudget

    class Small(ClientBudgets):
        SLOTS = 8
        PROBES = 8

    budgets = Small(2, 60.0, 30.0)
    clients = [f"10.0.0.{n}" for n in range(8)]
    for client in clients:
        budgets.admit(client)
    budgets.admit(clients[5])
    assert [budgets.running(c) for c in clients] == [1, 1, 1, 1, 1, 2, 1, 1]
    with pytest.raises(OverBudget, match="too many clients"):
        budgets.admit("10.0.0.99")
    budgets.release(clients[3], 0.0)
    budgets.admit("10.0.0.99")  # into the slot client 3 no longer needs
    assert budgets.running("10.0.0.99") == 1
    assert [budgets.running(c) for c in clients] == [1, 1, 1, 0, 1, 2, 1, 1]
    with pytest.raises(OverBudget, match=r"too many queries from 10\.0\.0\.5"):
        budgets.admit(clients[5])
