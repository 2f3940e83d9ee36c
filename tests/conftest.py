"""Shared fixtures: the project root and its files, and the corpora the data tests run over.

Every test that depends on the data (the reports in ``data/``) asks for it through the
``corpus`` fixture, directly or through ``project_root``, ``built_release`` or ``live_server``,
and so runs once per corpus of ``reasoned_graph.CORPORA``: the seed article alone, every report
of the repository, and those with a generated corpus of many. ``--corpus seed,all`` narrows the
run (docs/contributing.md). Tests of the code alone (tiny projects, the fixture release) run once.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import pytest

from reasoned_graph import CORPORA, corpus_root

#: The repository: its code, docs, ontology, shapes and queries (the same in every corpus).
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--corpus",
        default=",".join(CORPORA),
        help="comma-separated corpora the data-dependent tests run over, of "
        f"{', '.join(CORPORA)} (default: all three)",
    )


def selected_corpora(config: pytest.Config) -> list[str]:
    names = [n.strip() for n in str(config.getoption("--corpus")).split(",") if n.strip()]
    unknown = [n for n in names if n not in CORPORA]
    if unknown or not names:
        raise pytest.UsageError(f"--corpus: unknown {unknown or names}; choose from {CORPORA}")
    return names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that depends on the data once per selected corpus, grouped by corpus
    (session scope), so that each corpus is built and served once."""
    if "corpus" not in metafunc.fixturenames:
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0]
        if "corpus" in ([n.strip() for n in names.split(",")] if isinstance(names, str) else names):
            return  # the test names its corpora itself (every one, whatever --corpus says)
    metafunc.parametrize("corpus", selected_corpora(metafunc.config), scope="session")


@pytest.fixture(scope="session")
def project_root(corpus: str) -> Path:
    """The data project of ``corpus``: the repository itself for "all", else a copy."""
    return corpus_root(corpus)


# --- a running `defkg serve` (owner: the SPARQL endpoint) --------------------------------------

import hashlib  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from collections.abc import Iterator  # noqa: E402

#: How many filler triples the fixture release has: enough for row caps and slow cross products.
FIXTURE_FILLER = 300

_FIXTURE_TRIG = """\
@prefix defkg: <https://w3id.org/defkg/ontology/> .
@prefix kg: <https://w3id.org/defkg/id/> .
@prefix graph: <https://w3id.org/defkg/graph/> .
@prefix dksh: <https://w3id.org/defkg/shapes/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

graph:ontology {
  defkg:Country a owl:Class ; rdfs:label "country"@en ; rdfs:subClassOf defkg:Place .
  defkg:Place a owl:Class ; rdfs:label "place"@en .
}
graph:entities {
  kg:kazakhstan a defkg:Country ; rdfs:label "Kazakhstan"@en , "Қазақстан"@kk .
  kg:lebanon a defkg:Country ; rdfs:label "Lebanon"@en .
}
graph:kz-mod-2023-12-27 {
  kg:kz-mod-2023-12-27 rdfs:label "Press briefing, 27 December 2023"@en .
  kg:unifil-deployment defkg:place kg:lebanon ; defkg:numericValue 139 ;
    rdfs:comment "a \\"quoted\\", multi-line\\nvalue\\twith a tab"@en .
%(filler)s
}
graph:inferred {
  kg:kazakhstan a defkg:Place .
  kg:lebanon a defkg:Place .
}
graph:shapes {
  dksh:CountryShape a sh:NodeShape ; sh:targetClass defkg:Country .
}
"""


def write_fixture_release(dist: Path) -> Path:
    """A small release (defkg.trig + SHA256SUMS) with every kind of named graph the build makes."""
    dist.mkdir(parents=True, exist_ok=True)
    filler = "\n".join(f"  kg:item-{n} defkg:index {n} ." for n in range(1, FIXTURE_FILLER + 1))
    trig = (_FIXTURE_TRIG % {"filler": filler}).encode("utf-8")
    (dist / "defkg.trig").write_bytes(trig)
    (dist / "SHA256SUMS").write_text(f"{hashlib.sha256(trig).hexdigest()}  defkg.trig\n")
    return dist


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """A `defkg serve` subprocess; ``url`` ends with '/', ``log`` reads what it wrote so far."""

    def __init__(
        self,
        dist: Path,
        log_path: Path,
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
        prelude: str = "",
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = log_path
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("DEFKG_")}
        full_env.update(env or {})
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                prelude + "from defkg.cli import main; main()",
                "serve",
                "--dist",
                str(dist),
                "--port",
                str(self.port),
                *args,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=dist.parent,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"defkg serve exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"defkg serve did not become ready:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_once_written(self, *texts: str, count: int = 1, timeout: float = 10.0) -> str:
        """The log, once each of ``texts`` is in it ``count`` times (or ``timeout`` passed):
        another process writes it, and need not have written a line when its answer arrives."""
        deadline = time.monotonic() + timeout
        while True:
            log = self.log()
            if all(log.count(t) >= count for t in texts) or time.monotonic() > deadline:
                return log
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def start_server(
    dist: Path,
    log_path: Path,
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
    prelude: str = "",
) -> ServerProcess:
    """Start `defkg serve` on ``dist`` (extra CLI ``args``; Python code ``prelude`` run before
    the CLI, e.g. a seccomp filter) and wait until /healthz answers."""
    server = ServerProcess(dist, log_path, env, args, prelude)
    try:
        server.wait_ready()
    except Exception:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session")
def fixture_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small hand-written release, for tests that need known data (counts, odd literals)."""
    return write_fixture_release(tmp_path_factory.mktemp("fixture-release") / "dist")


@pytest.fixture(scope="session")
def sparql_server(
    fixture_release: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """`defkg serve` over the fixture release with the default limits, in one web process:
    the result cache and the counts /healthz gives are each web process's own, and the tests
    of this server read them (the README's server, with one web process per CPU, is started
    by test_quickstart.py; three share one set of budgets in test_front.py)."""
    server = start_server(
        fixture_release,
        tmp_path_factory.mktemp("logs") / "sparql-server.log",
        {"DEFKG_WEB_PROCESSES": "1"},
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def live_server(
    corpus: str, built_release: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Base URL (ending in '/') of `defkg serve` over the release of ``corpus``."""
    log = tmp_path_factory.mktemp("logs") / f"live-server-{corpus}.log"
    server = start_server(built_release, log)
    yield server.url
    server.stop()


# --- the build (owner: defkg build / validate / query) ------------------------------------------

TINY_ONTOLOGY = """\
@prefix : <https://w3id.org/defkg/ontology/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<https://w3id.org/defkg/ontology> a owl:Ontology ;
    rdfs:label "tiny ontology"@en ;
    owl:versionInfo "9.9.9" ;
    dcterms:modified "2024-01-05"^^xsd:date .
:Activity a owl:Class ; rdfs:label "activity"@en .
:Mission a owl:Class ; rdfs:subClassOf :Activity ; rdfs:label "mission"@en .
:Country a owl:Class ; rdfs:label "country"@en .
:partOf a owl:ObjectProperty , owl:TransitiveProperty ; rdfs:label "part of"@en .
:country a owl:ObjectProperty ; rdfs:range :Country ; rdfs:label "country"@en .
:figure a owl:DatatypeProperty ; rdfs:label "figure"@en .
"""

TINY_ENTITIES = """\
@prefix : <https://w3id.org/defkg/ontology/> .
@prefix kg: <https://w3id.org/defkg/id/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

kg:kazakhstan rdfs:label "Kazakhstan"@en , "Қазақстан"@kk ;
    owl:sameAs <http://www.wikidata.org/entity/Q232> .
kg:lebanon a :Country ; rdfs:label "Lebanon"@en ;
    owl:sameAs <http://www.wikidata.org/entity/Q822> .
"""

TINY_SOURCE = """\
@prefix : <https://w3id.org/defkg/ontology/> .
@prefix kg: <https://w3id.org/defkg/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

kg:report-1 a schema:NewsArticle ;
    rdfs:label "Report one"@en ;
    schema:datePublished "2023-12-27"^^xsd:date .

kg:unifil-2023 a :Mission ;
    rdfs:label "UNIFIL, 2023"@en ;
    :country kg:kazakhstan ;
    :figure 139 , 1.5 ;
    rdfs:comment "a \\"quoted\\" value.\\nSecond line"@en ;
    :partOf kg:un-missions .

kg:un-missions a :Activity ; rdfs:label "UN missions"@en ; :partOf kg:peacekeeping .
kg:peacekeeping a :Activity ; rdfs:label "peacekeeping"@en ;
    :figure [ rdfs:label "over 500 personnel"@en ; :figure 500 ] .
"""

TINY_TRIG = """\
@prefix : <https://w3id.org/defkg/ontology/> .
@prefix kg: <https://w3id.org/defkg/id/> .
@prefix graph: <https://w3id.org/defkg/graph/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

graph:report-2 {
    kg:exercise-1 a :Activity ; rdfs:label "Exercise one"@en ; :country kg:lebanon .
}
"""

TINY_SHAPES = """\
@prefix : <https://w3id.org/defkg/ontology/> .
@prefix dksh: <https://w3id.org/defkg/shapes/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .

dksh:ActivityShape a sh:NodeShape ;
    sh:targetClass :Activity ;
    sh:property [ sh:path rdfs:label ; sh:minCount 1 ;
                  sh:message "an activity needs a label: add rdfs:label"@en ] ;
    sh:property [ sh:path :figure ; sh:maxCount 3 ; sh:severity sh:Warning ] .

# every property of the data is constrained by a shape (the build warns of any that is not)
dksh:LinkShape a sh:NodeShape ;
    sh:targetSubjectsOf :country , :partOf , <http://www.w3.org/2002/07/owl#sameAs> ,
        rdfs:comment , <https://schema.org/datePublished> ;
    sh:property [ sh:path :country ; sh:class :Country ] ,
        [ sh:path :partOf ; sh:nodeKind sh:IRI ] ,
        [ sh:path <http://www.w3.org/2002/07/owl#sameAs> ; sh:nodeKind sh:IRI ] ,
        [ sh:path rdfs:comment ; sh:nodeKind sh:Literal ] ,
        [ sh:path <https://schema.org/datePublished> ; sh:maxCount 1 ] .
"""


def write_tiny_project(root: Path) -> Path:
    """A small project (ontology, entities, a .ttl and a .trig source, shapes) that conforms."""
    files = {
        "ontology/defkg.ttl": TINY_ONTOLOGY,
        "data/entities.ttl": TINY_ENTITIES,
        "data/report-1.ttl": TINY_SOURCE,
        "data/report-2.trig": TINY_TRIG,
        "shapes/shapes.ttl": TINY_SHAPES,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def tiny_project(tmp_path: Path) -> Path:
    """A fresh copy of the tiny project under ``tmp_path / "project"``."""
    return write_tiny_project(tmp_path / "project")


@functools.cache
def build_corpus(corpus: str) -> Path:
    """``corpus`` built by `defkg build`, once per session; the release directory. The build's
    reasoning cache lives beside it, in a temporary folder removed at exit."""
    import atexit
    import shutil

    from defkg.config import Settings
    from defkg.pipeline.build import build

    scratch = Path(tempfile.mkdtemp(prefix=f"defkg-release-{corpus}-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    return build(Settings(root=corpus_root(corpus), dist=scratch / "dist"), quiet=True)


@pytest.fixture(scope="session")
def built_release(corpus: str) -> Path:
    """The project of ``corpus`` (ontology/, shapes/ of this repository, the corpus's data/)
    built once; the release directory."""
    return build_corpus(corpus)


class Answer:
    """An HTTP answer: status, headers (case-insensitive) and body."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def http_fetch(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    data: bytes | None = None,
    timeout: float = 30.0,
) -> Answer:
    """One real HTTP request; never raises for an error status."""
    import urllib.error

    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())


class RecordingListener:
    """A TCP listener that records every connection it receives (and answers nothing)."""

    def __init__(self) -> None:
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def recording_listener() -> Iterator[RecordingListener]:
    listener = RecordingListener()
    yield listener
    listener.close()
